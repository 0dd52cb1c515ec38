"""Where tensors live and how many CPU threads work on them: shared by the experiments and the libraries."""

from __future__ import annotations

import contextlib
import time
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


def matmul_flops_per_second(device: str | torch.device = "cpu", size: int = 1024, repeats: int = 5) -> float:
    """The best FLOP/s of a (size x size) float32 matmul on `device` over `repeats` timed products.

    The reference that model FLOP utilization is measured against, in the same run
    and on the same threads as the work it is compared with.
    """
    device = torch.device(device)
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator).to(device)
    b = torch.randn(size, size, generator=generator).to(device)
    out = torch.matmul(a, b)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        torch.matmul(a, b, out=out)
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return 2.0 * size**3 / best
