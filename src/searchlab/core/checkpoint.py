"""Checkpoints: tensors in safetensors, everything else in JSON, never pickle.

A state is any nesting of dicts, lists, numbers, strings, None and tensors (a
torch optimizer's `state_dict()` is one). `save` splits it into a safetensors
file of tensors and a JSON skeleton that points at them; `load` puts it back
together. Writing is atomic: the tensor file gets a fresh name, and only then is
the `latest.json` pointer replaced, so a crash leaves the previous checkpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from searchlab.core import interrupts
from searchlab.core.errors import SearchlabError
from searchlab.core.files import atomic_write, write_json

POINTER = "latest.json"
_saves = 0  # checkpoints this process has written, for `interrupts.reached("checkpoint", ...)`


def save(directory: str | Path, state: dict[str, Any], tag: str) -> Path:
    """Write `state` as checkpoint `tag` in `directory` and point `latest.json` at it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, torch.Tensor] = {}
    skeleton = _split(state, tensors)
    tensor_file = f"state-{tag}.safetensors"
    contiguous = {name: t.detach().to("cpu").contiguous() for name, t in tensors.items()}
    atomic_write(directory / tensor_file, lambda tmp: save_file(contiguous, str(tmp)))
    global _saves
    _saves += 1
    interrupts.reached("checkpoint", _saves)
    previous = _pointed_file(directory)
    write_json(directory / POINTER, {"tensors": tensor_file, "state": skeleton})
    if previous and previous != tensor_file:
        (directory / previous).unlink(missing_ok=True)
    return directory / POINTER


def exists(directory: str | Path) -> bool:
    return (Path(directory) / POINTER).is_file()


def load(directory: str | Path) -> dict[str, Any]:
    """Read the checkpoint that `latest.json` in `directory` points at."""
    directory = Path(directory)
    pointer = directory / POINTER
    if not pointer.is_file():
        raise SearchlabError(f"no checkpoint in {directory}; run without --resume to start afresh")
    try:
        meta = json.loads(pointer.read_text(encoding="utf-8"))
        tensors = load_file(str(directory / meta["tensors"]))
    except (OSError, ValueError, KeyError, SafetensorError) as err:
        raise SearchlabError(f"checkpoint in {directory} is unreadable ({err}); delete it to start afresh") from err
    return _join(meta["state"], tensors)


def _pointed_file(directory: Path) -> str | None:
    pointer = directory / POINTER
    if not pointer.is_file():
        return None
    try:
        return json.loads(pointer.read_text(encoding="utf-8")).get("tensors")
    except (OSError, ValueError):
        return None


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
        if "__tensor__" in value:
            return tensors[value["__tensor__"]]
        return {k: _join(v, tensors) for k, v in value["__dict__"]}
    if isinstance(value, list):
        return [_join(v, tensors) for v in value]
    return value
