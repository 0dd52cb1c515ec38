"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Also the checks that an output path (`--out`) can be written before any work starts,
so that a bad path ends in one `error:` line instead of a traceback after minutes of work.
"""

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
    The file ends with the mode a plain `open(path, "w")` gives (0644 under umask 022),
    not the 0600 that `mkstemp` creates temporary files with.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{_cut(path.name)}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _cut(name: str, limit: int = 200) -> str:
    """`name` shortened to `limit` bytes, so that a temporary name built on it stays within the usual 255."""
    while len(os.fsencode(name)) > limit:
        name = name[:-1]
    return name


def current_umask() -> int:
    """The process's umask, read without changing it where Linux shows it (other threads never see a 0 umask)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_json(path: str | Path, obj: Any) -> Path:
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=jsonable) + "\n")


def write_jsonl(path: str | Path, rows: list[dict]) -> Path:
    text = "".join(json.dumps(row, default=jsonable) + "\n" for row in rows)
    return write_text(path, text)


def write_tensors(path: str | Path, tensors: dict[str, Any], metadata: dict[str, str] | None = None) -> Path:
    """Named tensors as one safetensors file (never pickle), written atomically; numpy arrays or torch tensors.

    The project's saved networks and tables (the checkpoints' own tensors aside, see `core.checkpoint`) all
    go through here, so the core is the one place that writes tensor files.
    """
    values = list(tensors.values())
    if values and all(type(value).__module__.startswith("numpy") for value in values):
        from safetensors.numpy import save_file
    else:
        from safetensors.torch import save_file
    return atomic_write(Path(path), lambda tmp: save_file(tensors, str(tmp), metadata=metadata))


def save_figure(figure, path: str | Path, **kwargs) -> Path:
    """Save a matplotlib figure atomically; the format comes from the suffix."""
    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    return atomic_write(path, lambda tmp: figure.savefig(tmp, format=fmt, **kwargs))


def read_json(
    path: str | Path, *, fix: str = "restore it, or delete it and run the command that wrote it again"
) -> Any:
    """The parsed contents of a JSON file the project wrote (see `searchlab.core.jsonfile.read`).

    Args:
        path: the file.
        fix: what the user should do when it is unreadable, for the message.

    Raises:
        SearchlabError: one line naming the file: it is missing, not a regular file, unreadable,
            not UTF-8 or not valid JSON (truncated by a crash, say). The caller checks the shape.
    """
    from searchlab.core import jsonfile

    return jsonfile.read(path, fix=fix)


def check_out_folder(path: str | Path, *, flag: str = "--out") -> None:
    """Refuse, before any work, a folder the command could not create or write into.

    A path that is a file, a path below a file, a folder that cannot be written, or a
    name longer than the file system allows ends in a one-line SearchlabError. Nothing
    is created or touched, so a command that fails later leaves no trace.

    Raises:
        SearchlabError: the folder cannot be used.
    """
    from searchlab.core.errors import SearchlabError

    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise SearchlabError(f"{flag} {path} is a file, not a folder; give the path of a new or empty folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise SearchlabError(f"{flag} {path} is a folder you cannot write into; choose another {flag}")
        return
    _check_creatable(path, flag)


def check_out_file(path: str | Path, *, flag: str = "--out") -> None:
    """Refuse, before any work, a file path the command could not write (see `check_out_folder`).

    An existing file is accepted here; whether it may be replaced is the caller's decision.

    Raises:
        SearchlabError: the path is a folder, or the file cannot be created in its folder.
    """
    from searchlab.core.errors import SearchlabError

    path = Path(path)
    if path.is_dir():
        raise SearchlabError(f"{flag} {path} is a folder, not a file; give a file path such as {path / 'report.html'}")
    if path.exists():
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise SearchlabError(f"{flag} {path} is in a folder you cannot write into; choose another {flag}")
        return
    _check_creatable(path, flag)


def make_out_folder(path: str | Path, *, flag: str = "--out") -> Path:
    """`path.mkdir(parents=True, exist_ok=True)`, with a failure (a full disk, a quota) as a one-line SearchlabError."""
    from searchlab.core.errors import SearchlabError

    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise SearchlabError(
            f"{flag} {path} cannot be created ({err.strerror or err}); choose a path you can write to"
        ) from None
    return path


def _check_creatable(path: Path, flag: str) -> None:
    """Whether the missing `path` (and the missing folders above it) can be made, judged without making anything."""
    from searchlab.core.errors import SearchlabError

    missing = [path]
    while missing[-1].parent != missing[-1] and not missing[-1].parent.exists():
        missing.append(missing[-1].parent)
    above = missing[-1].parent
    if not above.is_dir():
        # exists() is False below a file, so the first ancestor that exists is the file in the way.
        raise SearchlabError(f"{flag} {path} cannot be created: {above} is a file, not a folder; choose another {flag}")
    if not os.access(above, os.W_OK | os.X_OK):
        raise SearchlabError(
            f"{flag} {path} cannot be created: {above} is a folder you cannot write into; choose another {flag}"
        )
    limit = _name_max(above)
    for part in missing:
        if len(os.fsencode(part.name)) > limit:
            raise SearchlabError(
                f"{flag} {path} cannot be created: the name {part.name[:24]}... is longer than the {limit} bytes "
                f"the file system allows; choose a shorter {flag}"
            )


def _name_max(folder: Path) -> int:
    """The longest file name, in bytes, that the file system holding `folder` allows (255 where it does not say)."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):
        return 255


def jsonable(value: Any) -> Any:
    """Turn numpy/torch scalars and paths into plain JSON values (a `json.dumps` default)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
