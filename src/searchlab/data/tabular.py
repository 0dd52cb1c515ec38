"""The user's own table: numeric columns read from a CSV file, with fix-it errors.

Every problem with the file (missing, a folder, a pipe or device, too large,
empty, binary, a column that is not there, a cell that is not a finite number,
a number too large to fit, too few rows) raises
`SearchlabError` with one line that names the file, the place and the fix.
Nothing is written.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.data.files import read_input_text, shown

_DELIMITERS = (",", ";", "\t")
# A number cell: plain ASCII decimal, as spreadsheets export it (float() alone also takes "1_000" and non-ASCII digits).
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = ("nan", "inf", "infinity")
# The largest magnitude `load_xy` accepts: squares and sums of squares of such numbers, and
# losses in the data's units, stay far inside float64 (whose largest value is about 1.8e308).
MAX_FIT_MAGNITUDE = 1e100


def read_numeric_columns(
    path: str | Path, columns: Sequence[str], *, max_magnitude: float | None = None
) -> dict[str, np.ndarray]:
    """Read the named columns of a CSV file as float64 arrays.

    The first non-blank row is the header. Cells are separated by commas (or,
    when the header has none, by semicolons or tabs); blank lines are skipped.
    The csv module parses the whole text, so a quoted cell may hold the
    delimiter, quotes and line breaks; a number cell holding a line break is
    refused. A number is plain decimal ASCII: 12, -3.5, .5, 1e3.

    Args:
        path: the CSV file (UTF-8 text; a byte-order mark is fine).
        columns: header names of the columns to read.
        max_magnitude: refuse numbers whose absolute value is larger (None: any finite number).

    Returns:
        {name: (N,) float64 array} for each requested column, in file order.

    Raises:
        SearchlabError: the file cannot be used; the message says why and how to fix it.
    """
    path = Path(path)
    text = _read_text(path)
    records = _records(text, path)
    first = next(records, None)
    if first is None:
        raise SearchlabError(
            f"{shown(path)} is empty (only blank lines); it needs a header row of column names and rows of numbers"
        )
    header = [name.strip() for name in first[1]]
    positions = {}
    for name in columns:
        if name not in header:
            available = ", ".join(repr(h) for h in header if h) or "none"
            raise SearchlabError(f"column {name!r} is not in {shown(path)}; its columns are {available}")
        if header.count(name) > 1:
            raise SearchlabError(
                f"column {name!r} appears {header.count(name)} times in the header of {shown(path)}; rename the copies"
            )
        positions[name] = header.index(name)
    values: dict[str, list[float]] = {name: [] for name in columns}
    for where, cells in records:
        if len(cells) != len(header):
            raise SearchlabError(
                f"{where} has {len(cells)} cells but the header names {len(header)} columns; fix that row"
            )
        for name, position in positions.items():
            values[name].append(_number(cells[position].strip(), name, where, max_magnitude))
    return {name: np.asarray(column, dtype=np.float64) for name, column in values.items()}


def load_xy(path: str | Path, x: str, y: str) -> tuple[np.ndarray, np.ndarray]:
    """Two numeric columns of a CSV file as (x, y) pairs to fit a line to.

    Returns:
        (x, y), two (N,) float64 arrays.

    Raises:
        SearchlabError: any problem `read_numeric_columns` reports, fewer than two
            rows, or an x column that never changes (no slope can be fitted).
    """
    if x == y:
        raise SearchlabError(f"x and y name the same column {x!r}; pick two different columns of {shown(path)}")
    columns = read_numeric_columns(path, [x, y], max_magnitude=MAX_FIT_MAGNITUDE)
    n = columns[x].shape[0]
    if n < 2:
        raise SearchlabError(
            f"{shown(path)} has {n} data row{'s' if n != 1 else ''}; fitting a line needs at least 2 rows of numbers"
        )
    if np.all(columns[x] == columns[x][0]):
        raise SearchlabError(
            f"column {x!r} of {shown(path)} is {columns[x][0]:g} in every row, so no slope can be fitted; pick an x "
            "column whose values vary"
        )
    return columns[x], columns[y]


def _read_text(path: Path) -> str:
    return read_input_text(
        path,
        kind="CSV file",
        empty="it needs a header row of column names and rows of numbers",
        binary="export the table as CSV (UTF-8)",
    )


def _records(text: str, path: Path) -> Iterator[tuple[str, list[str]]]:
    """(where, cells) of every non-blank CSV record: first the header, then the rows.

    `where` names the record for messages: "row 2 (line 3) of FILE", or
    "(lines 3-4)" for a record whose quoted cells span lines.

    Raises:
        SearchlabError: the csv module cannot parse a record (a cell over its size limit).
    """
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    row, end = 0, 0
    while True:
        start = end + 1
        try:
            cells = next(reader, None)
        except csv.Error as err:
            where = f"{'the header' if row == 0 else f'row {row}'} (from line {start}) of {shown(path)}"
            raise SearchlabError(
                f"{where} cannot be read as CSV ({err}); check its quotes (a quote left open swallows the lines after "
                "it) or shorten the cell"
            ) from None
        if cells is None:
            return
        end = reader.line_num
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        lines = f"line {start}" if start == end else f"lines {start}-{end}"
        yield (f"the header ({lines}) of {shown(path)}" if row == 0 else f"row {row} ({lines}) of {shown(path)}"), cells
        row += 1


def _delimiter(header_line: str) -> str:
    for delimiter in _DELIMITERS:
        if delimiter in header_line:
            return delimiter
    return ","


def _number(cell: str, column: str, where: str, max_magnitude: float | None) -> float:
    if not cell:
        raise SearchlabError(f"{where} has an empty cell in column {column!r}; fill it in or remove the row")
    if "\n" in cell or "\r" in cell:
        raise SearchlabError(
            f"{where} has a quoted cell that spans lines in column {column!r} ({cell!r}); a number holds no line "
            "break, "
            "so check the quotes in that row (a quote left open swallows the lines after it)"
        )
    if _NUMBER.fullmatch(cell) is None:
        if cell.lstrip("+-").lower() in _NOT_FINITE:
            raise SearchlabError(
                f"{where} has {cell!r} in column {column!r}; only finite numbers can be fitted, so fix the cell or "
                "remove the row"
            )
        raise SearchlabError(
            f"{where} has {cell!r} in column {column!r}, which is not a number; fix the cell or remove the row"
        )
    value = float(cell)
    limit = math.inf if max_magnitude is None else max_magnitude
    if not abs(value) <= limit:
        beyond = (
            "too large for a 64-bit float"
            if math.isinf(value)
            else f"beyond the {limit:g} that fitting can square without overflow"
        )
        raise SearchlabError(
            f"{where} has {cell!r} in column {column!r}, {beyond}; rescale the column (e.g. count in millions) or "
            "remove the row"
        )
    return value
