"""JSON that the project wrote and reads back, parsed and checked for shape.

A run folder's files (config.json, result.json, metrics, checkpoint pointers)
may be truncated by a crash or edited by hand. Reading one back either returns
what the code expects or raises a one-line `SearchlabError` that names the file
and says what to do, never a `KeyError` or `JSONDecodeError` from deep inside.

    meta = read_object(path, fix="delete the folder to start afresh", fields={"tensors": str, "state": ANY})

`fields` maps each required key to the Python types its value may have (a type or
a tuple of types; `ANY` for any value, `NUMBER` for int or float). A bool is not
taken for an int or a float unless `bool` is listed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from searchlab.core.errors import SearchlabError

ANY = object
NUMBER = (int, float)
Kind = type | tuple[type, ...]

_JSON_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "true or false",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def read(path: str | Path, *, fix: str) -> Any:
    """The parsed contents of the JSON file `path`.

    Args:
        path: the file.
        fix: what the user should do when it is unreadable ("delete ... to start afresh").

    Raises:
        SearchlabError: the file is missing, not a regular file, unreadable, not UTF-8 or not valid JSON.
    """
    return _parse(path, _read_text(path, fix), fix)


def read_object(path: str | Path, *, fix: str, fields: Mapping[str, Kind] | None = None) -> dict[str, Any]:
    """The JSON object in `path`, with every key of `fields` present and of its kinds.

    Raises:
        SearchlabError: as `read`, or the file holds something other than such an object.
    """
    return check_object(read(path, fix=fix), fields or {}, where=str(path), fix=fix)


def read_lines(path: str | Path, *, fix: str, fields: Mapping[str, Kind] | None = None) -> list[dict[str, Any]]:
    """The objects of the JSON Lines file `path` (one object a line; blank lines are skipped).

    Raises:
        SearchlabError: as `read`, for the first line that is not such an object (its number is named).
    """
    rows = []
    for number, line in enumerate(_read_text(path, fix).splitlines(), start=1):
        if line.strip():
            rows.append(
                check_object(
                    _parse(f"{path} line {number}", line, fix), fields or {}, where=f"{path} line {number}", fix=fix
                )
            )
    return rows


def check_object(value: Any, fields: Mapping[str, Kind], *, where: str, fix: str) -> dict[str, Any]:
    """`value` itself if it is a dict holding every key of `fields` with a value of its kinds.

    Args:
        value: parsed JSON.
        fields: required key -> allowed Python types.
        where: names the value in messages: a file, or a file and a key ("config.json 'config'").
        fix: what the user should do about a value of the wrong shape.

    Raises:
        SearchlabError: naming `where`, the key and what was found instead.
    """
    if not isinstance(value, dict):
        raise SearchlabError(f"{where} holds {describe(value)} where an object was expected; {fix}")
    for key, kinds in fields.items():
        if key not in value:
            raise SearchlabError(f"{where} has no {key!r} entry; {fix}")
        check_kind(value[key], kinds, where=f"{where} {key!r}", fix=fix)
    return value


def check_kind(value: Any, kinds: Kind, *, where: str, fix: str) -> Any:
    """`value` itself if it is one of `kinds` (a bool counts as an int or float only when `bool` is listed).

    Raises:
        SearchlabError: `where` holds something else.
    """
    if not is_kind(value, kinds):
        wanted = kinds if isinstance(kinds, tuple) else (kinds,)
        names = sorted({_JSON_NAMES.get(kind, kind.__name__) for kind in wanted})
        raise SearchlabError(f"{where} is {describe(value)}, expected {' or '.join(names)}; {fix}")
    return value


def is_kind(value: Any, kinds: Kind) -> bool:
    wanted = kinds if isinstance(kinds, tuple) else (kinds,)
    if ANY in wanted:
        return True
    if isinstance(value, bool) and bool not in wanted:
        return False
    return isinstance(value, wanted)


def describe(value: Any) -> str:
    """A short phrase for a JSON value in a message: "an array", "the number 3", "the string 'x'"."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return f"the number {value}" if isinstance(value, int) or math.isfinite(value) else str(value)
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    return _JSON_NAMES.get(type(value), f"a {type(value).__name__}")


def _read_text(path: str | Path, fix: str) -> str:
    path = Path(path)
    if not path.exists():
        raise SearchlabError(f"{path} is missing; {fix}")
    if not path.is_file():  # a folder or a FIFO: reading it would fail or wait forever
        raise SearchlabError(f"{path} is not a regular file; {fix}")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise SearchlabError(f"cannot read {path} ({err.strerror}); check its permissions, or {fix}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SearchlabError(f"{path} is not UTF-8 text (byte {err.start} cannot be decoded); {fix}") from None


def _parse(where: str | Path, text: str, fix: str) -> Any:
    if not text.strip():
        raise SearchlabError(f"{where} is empty (cut short by a crash?); {fix}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise SearchlabError(
            f"{where} is not valid JSON ({err.msg.removesuffix(' at')}, line {err.lineno} column {err.colno}; "
            f"cut short by a crash?); {fix}"
        ) from None
    except ValueError as err:  # an integer past Python's digit limit
        raise SearchlabError(f"{where} holds a number too long to read ({err}); {fix}") from None
    except RecursionError:
        raise SearchlabError(f"{where} is nested too deeply to read; {fix}") from None
