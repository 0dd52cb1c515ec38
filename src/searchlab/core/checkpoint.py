"""Checkpoints: tensors in safetensors, everything else in JSON, never pickle.

A state is any nesting of dicts, lists, numbers, strings, None and tensors (a
torch optimizer's `state_dict()` is one). `save` splits it into a safetensors
file of tensors and a JSON skeleton that points at them; `load` puts it back
together. The pointer `latest.json` holds the skeleton, the tensor file's name
and that file's sha256, so a flipped byte is caught on load instead of surfacing
later as a NaN loss.

Writing is atomic: the tensor file is written under a temporary name and moved
into place, and only then is the pointer replaced (the same way), so a crash at
any moment leaves the previous checkpoint whole. What such a crash leaves behind
(temporary files, a tensor file that no pointer names) is removed by the next
successful `save`, which every run makes when it resumes and when it ends.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from searchlab.core import interrupts, jsonfile
from searchlab.core.errors import SearchlabError
from searchlab.core.files import write_bytes, write_json

POINTER = "latest.json"
_saves = 0  # checkpoints this process has written, for `interrupts.reached("checkpoint", ...)`

_TAG = re.compile(r"[A-Za-z0-9_-]+")
_TENSOR_FILE = re.compile(r"state-[A-Za-z0-9_-]+(\.1)?\.safetensors")
_SHA256 = re.compile(r"[0-9a-f]{64}")
# Left by a crash: tensor files no pointer names, atomic_write's temporaries, and those of
# safetensors' own `save_file` (".tmp" and 6 characters), which earlier versions used.
_LEFTOVER = re.compile(
    r"state-.+\.safetensors|\.state-.+\.safetensors\..+\.tmp|\.latest\.json\..+\.tmp|\.tmp[A-Za-z0-9]{6}"
)


def save(directory: str | Path, state: dict[str, Any], tag: str) -> Path:
    """Write `state` as checkpoint `tag` (letters, digits, - and _) in `directory` and point `latest.json` at it.

    Afterwards the folder holds the pointer and the one tensor file it names: older
    checkpoints and whatever an interrupted save left behind are removed.
    """
    if not _TAG.fullmatch(tag):
        raise ValueError(f"checkpoint tag {tag!r}: use letters, digits, - and _ only")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    skeleton = _split(state, tensors)
    data = save_tensors({name: t.detach().to("cpu").contiguous() for name, t in tensors.items()})
    digest = hashlib.sha256(data).hexdigest()
    tensor_file = _free_name(tag, digest, _pointed(directory))
    write_bytes(directory / tensor_file, data)
    global _saves
    _saves += 1
    interrupts.reached("checkpoint", _saves)
    write_json(directory / POINTER, {"tensors": tensor_file, "sha256": digest, "state": skeleton})
    remove_leftovers(directory, keep=tensor_file)
    return directory / POINTER


def exists(directory: str | Path) -> bool:
    return (Path(directory) / POINTER).is_file()


def load(directory: str | Path, *, keys: Iterable[str] = ()) -> dict[str, Any]:
    """Read the checkpoint that `latest.json` in `directory` points at.

    Args:
        directory: the checkpoint folder.
        keys: top-level entries the caller needs; a checkpoint without one is refused.

    Raises:
        SearchlabError: one line naming the file: no checkpoint, a pointer of the wrong
            shape, a missing or corrupt tensor file (its sha256 differs from the one
            recorded), or a skeleton that does not match the tensors.
    """
    directory = Path(directory)
    pointer = directory / POINTER
    if not pointer.is_file():
        raise SearchlabError(f"no checkpoint in {directory}; run without --resume to start afresh")
    fix = f"delete {directory} to start afresh"
    meta = jsonfile.read_object(pointer, fix=fix, fields={"tensors": str, "state": dict})
    if "sha256" not in meta:
        raise SearchlabError(f"{pointer} records no sha256 of its tensor file (an older searchlab wrote it?); {fix}")
    jsonfile.check_kind(meta["sha256"], str, where=f"{pointer} 'sha256'", fix=fix)
    if not _TENSOR_FILE.fullmatch(meta["tensors"]):
        raise SearchlabError(
            f"{pointer} names {jsonfile.describe(meta['tensors'])}, not a state-TAG.safetensors file beside it; {fix}"
        )
    if not _SHA256.fullmatch(meta["sha256"]):
        raise SearchlabError(f"{pointer} 'sha256' is not 64 lowercase hexadecimal digits; {fix}")
    path = directory / meta["tensors"]
    if not path.is_file():
        raise SearchlabError(f"checkpoint {path}, named by {pointer}, is missing; {fix}")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise SearchlabError(f"checkpoint {path} is unreadable ({err.strerror}); {fix}") from None
    if hashlib.sha256(data).hexdigest() != meta["sha256"]:
        raise SearchlabError(
            f"checkpoint {path} is unreadable: its sha256 differs from the one {pointer} records, so the file is "
            f"corrupt; {fix}"
        )
    try:
        tensors = load_tensors(data)
    except (SafetensorError, ValueError, OSError) as err:
        raise SearchlabError(f"checkpoint {path} is unreadable ({one_line(err)}); {fix}") from None
    try:
        state = _join(meta["state"], tensors)
    except (_Malformed, RecursionError) as err:
        raise SearchlabError(f"{pointer} 'state' is malformed ({err}); {fix}") from None
    return jsonfile.check_object(
        state, {key: jsonfile.ANY for key in keys}, where=f"checkpoint {pointer} 'state'", fix=fix
    )


@contextmanager
def restoring(directory: str | Path) -> Iterator[None]:
    """Restore from a loaded checkpoint inside this block; a checkpoint that does not fit becomes one SearchlabError.

    `load` checks the files; this catches what only the restoring code can see: a
    checkpoint edited by hand or made by other code that lacks an entry, holds a
    string where a number belongs or a tensor of the wrong shape.

        state = checkpoint.load(folder)
        with checkpoint.restoring(folder):
            optimizer.load_state_dict(state["optimizer"])
    """
    try:
        yield
    except SearchlabError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, RuntimeError) as err:
        raise SearchlabError(
            f"the checkpoint {Path(directory) / POINTER} does not fit this run ({one_line(err)}); "
            f"resume with the settings that made it, or delete {directory} to start afresh"
        ) from None


def kept(directory: str | Path | None) -> str:
    """What a failed run leaves to resume from, said truthfully, for its error message."""
    if directory is None:
        return "this run keeps no checkpoints"
    if not exists(directory):
        return "no checkpoint had been taken yet"
    return f"the last good checkpoint, in {directory}, is kept"


def remove_leftovers(directory: str | Path, keep: str | None = None) -> list[str]:
    """Remove what interrupted saves left in `directory`; keep the pointer and the tensor file it names.

    Args:
        directory: the checkpoint folder.
        keep: the tensor file the pointer names, when the caller has just written it.

    Returns the names removed. Does nothing without a readable pointer: then nothing
    says which tensor file is the checkpoint.
    """
    directory = Path(directory)
    if keep is None:
        pointed = _pointed(directory)
        if pointed is None:
            return []
        keep = pointed[0]
    removed = []
    for entry in os.scandir(directory):
        if entry.name != keep and _LEFTOVER.fullmatch(entry.name) and not entry.is_dir(follow_symlinks=False):
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                pass
            removed.append(entry.name)
    return removed


def one_line(err: BaseException) -> str:
    """An exception as one short line for a message (torch's errors span several)."""
    text = " ".join(str(err).split())
    text = f"{type(err).__name__}: {text}" if text else type(err).__name__
    return text if len(text) <= 200 else text[:197] + "..."


class _Malformed(Exception):
    """A skeleton that does not match the format `_split` writes."""


def _pointed(directory: Path) -> tuple[str, str] | None:
    """(tensor file, sha256) of the current pointer, or None when there is none that is well formed."""
    try:
        meta = jsonfile.read_object(directory / POINTER, fix="", fields={"tensors": str, "sha256": str})
    except SearchlabError:
        return None
    return (meta["tensors"], meta["sha256"]) if _TENSOR_FILE.fullmatch(meta["tensors"]) else None


def _free_name(tag: str, digest: str, pointed: tuple[str, str] | None) -> str:
    """The tensor file for `tag`: never the file the current pointer names, unless it holds these very bytes.

    Saving twice at one tag (a run's last periodic and final checkpoints) would
    otherwise replace the pointed file before the pointer, and a crash between
    the two would leave a pointer whose checksum no longer matches.
    """
    name = f"state-{tag}.safetensors"
    if pointed is not None and pointed[0] == name and pointed[1] != digest:
        return f"state-{tag}.1.safetensors"
    return name


def _split(value: Any, tensors: dict[str, torch.Tensor], path: str = "s") -> Any:
    if isinstance(value, torch.Tensor):
        tensors[path] = value
        return {"__tensor__": path}
    if isinstance(value, dict):
        # Keys may be ints (torch optimizer state); keep their type.
        return {"__dict__": [[k, _split(v, tensors, f"{path}.{k}")] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_split(v, tensors, f"{path}.{i}") for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot checkpoint a {type(value).__name__} at {path}")


def _join(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(value, dict):
        if value.keys() == {"__tensor__"}:
            name = value["__tensor__"]
            if not isinstance(name, str) or name not in tensors:
                raise _Malformed(f"it refers to a tensor {jsonfile.describe(name)} that the tensor file lacks")
            return tensors[name]
        if value.keys() == {"__dict__"} and isinstance(value["__dict__"], list):
            joined = {}
            for pair in value["__dict__"]:
                if not (
                    isinstance(pair, list)
                    and len(pair) == 2
                    and isinstance(pair[0], (str, int, float, bool, type(None)))
                ):
                    raise _Malformed(f"a dictionary entry is {jsonfile.describe(pair)}, not a [key, value] pair")
                joined[pair[0]] = _join(pair[1], tensors)
            return joined
        raise _Malformed(
            f"an object with keys {sorted(value)[:5]} is neither {{'__tensor__': name}} nor {{'__dict__': pairs}}"
        )
    if isinstance(value, list):
        return [_join(v, tensors) for v in value]
    return value
