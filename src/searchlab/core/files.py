"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp_path)` on a temporary file beside `path`, then move it into place.

    The temporary file lives in the same folder so that `os.replace` is atomic.
    On any error the temporary file is removed and `path` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_json(path: str | Path, obj: Any) -> Path:
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_jsonable) + "\n")


def write_jsonl(path: str | Path, rows: list[dict]) -> Path:
    text = "".join(json.dumps(row, default=_jsonable) + "\n" for row in rows)
    return write_text(path, text)


def save_figure(figure, path: str | Path, **kwargs) -> Path:
    """Save a matplotlib figure atomically; the format comes from the suffix."""
    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    return atomic_write(path, lambda tmp: figure.savefig(tmp, format=fmt, **kwargs))


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_user_text(path: str | Path, *, kind: str, empty: str, binary: str, encoding: str = "utf-8") -> str:
    """A file the user pointed at, read as text, or a one-line SearchlabError that says what to fix.

    Args:
        path: the file.
        kind: what the file should be, for the messages ("CSV file", "text file").
        empty: what an empty (or blank) file should hold instead.
        binary: what to do about a binary file (one with NUL bytes).
        encoding: "utf-8", or "utf-8-sig" to drop a byte-order mark.

    Raises:
        SearchlabError: the path is missing or a folder, or the file is unreadable,
            empty, binary or not UTF-8.
    """
    from searchlab.core.errors import SearchlabError

    path = Path(path)
    if not path.exists():
        raise SearchlabError(f"{kind} {path} does not exist; check the path (relative paths start at {Path.cwd()})")
    if path.is_dir():
        raise SearchlabError(f"{path} is a folder, not a {kind}; give the path of a file")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise SearchlabError(f"cannot read {path} ({err.strerror}); check its permissions") from None
    if not raw.strip():
        raise SearchlabError(f"{path} is empty; {empty}")
    if b"\x00" in raw:
        raise SearchlabError(f"{path} is a binary file (it holds NUL bytes), not a {kind}; {binary}")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as err:
        raise SearchlabError(f"{path} is not UTF-8 text (byte {err.start} cannot be decoded); save it with UTF-8 encoding, "
                             "e.g. `iconv -t UTF-8`") from None


def _jsonable(value: Any) -> Any:
    """Turn numpy/torch scalars and paths into plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
