"""Where tensors live and how many CPU threads work on them: shared by the experiments and the libraries."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from searchlab.core.errors import SearchlabError

DEVICES = ("cpu", "cuda", "auto")


def resolve_device(name: str) -> torch.device:
    """'cpu', 'cuda' or 'auto' -> a torch.device, with a clear error when CUDA is missing."""
    if name not in DEVICES:
        raise SearchlabError(f"unknown device {name!r}; choose one of {', '.join(DEVICES)}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SearchlabError("--device cuda was asked for but no CUDA GPU is available here; use --device cpu or auto")
    return torch.device(name)


@contextlib.contextmanager
def cpu_threads(count: int) -> Iterator[None]:
    """Use `count` CPU threads in torch and in numpy's BLAS inside the block, then restore.

    Small networks run faster on one thread: splitting a tiny matmul costs more
    than it saves, and on a busy machine idle threads spin. 0 changes nothing.
    """
    if count <= 0:
        yield
        return
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        with threadpool_limits(limits=count):
            yield
    finally:
        torch.set_num_threads(before)
