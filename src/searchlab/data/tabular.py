"""The user's own table: numeric columns read from a CSV file, with fix-it errors.

Every problem with the file (missing, a folder, empty, binary, a column that is
not there, a cell that is not a finite number, too few rows) raises
`SearchlabError` with one line that names the file, the place and the fix.
Nothing is written.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.core.files import read_user_text

_DELIMITERS = (",", ";", "\t")


def read_numeric_columns(path: str | Path, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """Read the named columns of a CSV file as float64 arrays.

    The first non-blank line is the header. Cells are separated by commas (or,
    when the header has none, by semicolons or tabs); blank lines are skipped.

    Args:
        path: the CSV file (UTF-8 text; a byte-order mark is fine).
        columns: header names of the columns to read.

    Returns:
        {name: (N,) float64 array} for each requested column, in file order.

    Raises:
        SearchlabError: the file cannot be used; the message says why and how to fix it.
    """
    path = Path(path)
    text = _read_text(path)
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise SearchlabError(f"{path} is empty (only blank lines); it needs a header row of column names and rows of numbers")
    header_number, header_line = lines[0]
    delimiter = _delimiter(header_line)
    header = [name.strip() for name in next(csv.reader([header_line], delimiter=delimiter))]
    positions = {}
    for name in columns:
        if name not in header:
            available = ", ".join(repr(h) for h in header if h) or "none"
            raise SearchlabError(f"column {name!r} is not in {path}; its columns are {available}")
        if header.count(name) > 1:
            raise SearchlabError(f"column {name!r} appears {header.count(name)} times in the header of {path}; rename the copies")
        positions[name] = header.index(name)
    values: dict[str, list[float]] = {name: [] for name in columns}
    rows = csv.reader([line for _, line in lines[1:]], delimiter=delimiter)
    for row_number, ((line_number, _), cells) in enumerate(zip(lines[1:], rows), start=1):
        where = f"row {row_number} (line {line_number}) of {path}"
        if len(cells) != len(header):
            raise SearchlabError(f"{where} has {len(cells)} cells but the header names {len(header)} columns; fix that row")
        for name, position in positions.items():
            values[name].append(_number(cells[position].strip(), name, where))
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
        raise SearchlabError(f"x and y name the same column {x!r}; pick two different columns of {path}")
    columns = read_numeric_columns(path, [x, y])
    n = columns[x].shape[0]
    if n < 2:
        raise SearchlabError(f"{path} has {n} data row{'s' if n != 1 else ''}; fitting a line needs at least 2 rows of numbers")
    if np.all(columns[x] == columns[x][0]):
        raise SearchlabError(
            f"column {x!r} of {path} is {columns[x][0]:g} in every row, so no slope can be fitted; pick an x column whose values vary"
        )
    return columns[x], columns[y]


def _read_text(path: Path) -> str:
    return read_user_text(path, kind="CSV file", empty="it needs a header row of column names and rows of numbers",
                          binary="export the table as CSV (UTF-8)", encoding="utf-8-sig")


def _delimiter(header_line: str) -> str:
    for delimiter in _DELIMITERS:
        if delimiter in header_line:
            return delimiter
    return ","


def _number(cell: str, column: str, where: str) -> float:
    if not cell:
        raise SearchlabError(f"{where} has an empty cell in column {column!r}; fill it in or remove the row")
    try:
        value = float(cell)
    except ValueError:
        raise SearchlabError(f"{where} has {cell!r} in column {column!r}, which is not a number; fix the cell or remove the row") from None
    if not math.isfinite(value):
        raise SearchlabError(f"{where} has {cell!r} in column {column!r}; only finite numbers can be fitted, so fix the cell or remove the row")
    return value
