"""Reading a file the user pointed at, safely: a regular file under a size cap, or a one-line error.

`--csv`, `--text` and the images under `--images` name files on the user's
machine, and a path can name things that are not files: a named pipe (opening it
waits for a writer forever), a device such as /dev/zero (reading it never ends),
a socket, a symbolic link that loops or points nowhere. Every such path is
refused from its `os.stat` alone, before it is opened, and so is a file larger
than `MAX_INPUT_BYTES`. The file is then opened without blocking and checked
again on the open handle, and never more than the cap is read, so a file swapped
or grown after the check cannot hang or flood the reader either.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from searchlab.core.errors import SearchlabError

# The largest input file read: far above any CSV table or training text this
# project can use in reasonable time, far below the memory of a typical machine.
MAX_INPUT_BYTES = 1 << 30  # 1 GiB

_CHUNK = 1 << 20
_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def shown(path: str | Path) -> str:
    """A path as a message shows it: as is, or quoted with escapes when it holds unprintable characters."""
    text = str(path)
    return text if text.isprintable() else repr(text)


def stat_path(path: str | Path, kind: str) -> os.stat_result:
    """`os.stat` of the path (links followed), or a one-line SearchlabError that says why it cannot be reached.

    Args:
        path: what the user gave.
        kind: what it should be, for the messages ("CSV file", "image folder").

    Raises:
        SearchlabError: the path does not exist, is a dangling symbolic link or a
            link loop, runs through a file as if it were a folder, or cannot be
            reached (permissions).
    """
    path = Path(path)
    try:
        return os.stat(path)
    except ValueError:  # an embedded NUL character
        raise SearchlabError(f"the {kind} path {shown(path)} holds a NUL character; give a real path") from None
    except OSError as err:
        raise SearchlabError(_unreachable(path, kind, err)) from None


def check_input_file(path: str | Path, kind: str, limit: int | None = None) -> os.stat_result:
    """Refuse anything but a regular file of at most `limit` bytes, without opening it.

    Args:
        path: what the user gave.
        kind: what it should be, for the messages ("CSV file", "text file").
        limit: the largest size accepted, in bytes (default `MAX_INPUT_BYTES`).

    Returns:
        The file's `os.stat` result.

    Raises:
        SearchlabError: see `stat_path`; also a folder, a named pipe, a device, a
            socket, or a file larger than the limit.
    """
    path = Path(path)
    info = stat_path(path, kind)
    _check_stat(path, info, kind, MAX_INPUT_BYTES if limit is None else limit)
    return info


def read_input_bytes(path: str | Path, kind: str, limit: int | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (default `MAX_INPUT_BYTES`).

    The path is checked with `check_input_file` before it is opened; the file is
    opened without blocking, checked again on the handle, and read up to one byte
    past the limit, so nothing can make this wait or read without end.

    Raises:
        SearchlabError: see `check_input_file`; also an unreadable file (permissions).
    """
    path = Path(path)
    limit = MAX_INPUT_BYTES if limit is None else limit
    check_input_file(path, kind, limit)
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise SearchlabError(_unreachable(path, kind, err)) from None
    try:
        _check_stat(path, os.fstat(handle), kind, limit)  # the path may have been swapped since the check
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(handle, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        raise SearchlabError(f"cannot read {shown(path)} ({err.strerror}); check the file") from None
    finally:
        os.close(handle)
    if size > limit:
        raise SearchlabError(_too_large(path, kind, size, limit, grew=True))
    return b"".join(chunks)


def read_input_text(path: str | Path, *, kind: str, empty: str, binary: str, limit: int | None = None) -> str:
    """A user's UTF-8 text file (a byte-order mark is dropped), checked, or a one-line SearchlabError.

    Args:
        path: the file.
        kind: what the file should be, for the messages ("CSV file", "text file").
        empty: what an empty (or blank) file should hold instead.
        binary: what to do about a binary file (one with NUL bytes).
        limit: the largest size accepted, in bytes (default `MAX_INPUT_BYTES`).

    Raises:
        SearchlabError: see `read_input_bytes`; also a file that is empty, blank,
            UTF-16, binary or not UTF-8.
    """
    path = Path(path)
    raw = read_input_bytes(path, kind, limit)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SearchlabError(
            f"{shown(path)} is UTF-16 text, not UTF-8; save it as UTF-8, e.g. `iconv -f UTF-16 -t UTF-8`"
        )
    if b"\x00" in raw:
        raise SearchlabError(f"{shown(path)} is a binary file (it holds NUL bytes), not {_a(kind)}; {binary}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SearchlabError(
            f"{shown(path)} is not UTF-8 text (byte {err.start} cannot be decoded); save it with UTF-8 encoding, "
            "e.g. `iconv -t UTF-8`"
        ) from None
    if not text.strip():
        raise SearchlabError(f"{shown(path)} is empty; {empty}")
    return text


def _check_stat(path: Path, info: os.stat_result, kind: str, limit: int) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise SearchlabError(f"{shown(path)} is a folder, not {_a(kind)}; give the path of a file")
    if not stat.S_ISREG(info.st_mode):
        what = next((words for test, words in _NOT_REGULAR if test(info.st_mode)), "not a regular file")
        raise SearchlabError(
            f"{shown(path)} is {what}, not {_a(kind)} saved on disk; pipes, devices and sockets are not read, "
            "so save the data to a file and give its path"
        )
    if info.st_size > limit:
        raise SearchlabError(_too_large(path, kind, info.st_size, limit, grew=False))


def _too_large(path: Path, kind: str, size: int, limit: int, *, grew: bool) -> str:
    exact = _size(size) if _size(size) != _size(limit) else f"{size:,} bytes"  # not "1 GiB, more than the 1 GiB"
    measured = f"grew past {_size(limit)} while being read" if grew else f"is {exact}"
    return (
        f"{shown(path)} {measured}, more than the {_size(limit)} {_a(kind)} may have; "
        "use a smaller file (e.g. the first part of it)"
    )


def _a(kind: str) -> str:
    """'a CSV file', 'an image file'."""
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def _cwd() -> str:
    try:
        return shown(Path.cwd())
    except OSError:  # the working folder itself was removed
        return "the current folder, which no longer exists"


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def _unreachable(path: Path, kind: str, err: OSError) -> str:
    """The one-line message for an `os.stat` or `os.open` that failed."""
    if err.errno == errno.ELOOP:
        return (
            f"{shown(path)} is a symbolic link loop (following its links never reaches a file), so the {kind} cannot "
            "be found; "
            f"point the path at the {kind} itself"
        )
    if err.errno == errno.ENOENT:
        if os.path.islink(path):
            target = shown(os.readlink(path))
            return (
                f"{kind} {shown(path)} is a symbolic link to {target}, which does not exist; "
                f"fix the link or give the {kind} itself"
            )
        return f"{kind} {shown(path)} does not exist; check the path (relative paths start at {_cwd()})"
    if err.errno == errno.ENOTDIR:
        return (
            f"{kind} {shown(path)} does not exist: a part of the path before the last is a file, not a folder; "
            "check the path"
        )
    if err.errno in (errno.EACCES, errno.EPERM):
        return f"cannot read {shown(path)} (permission denied); check the permissions of the file and its folders"
    return f"cannot read {shown(path)} ({err.strerror}); check the path"
