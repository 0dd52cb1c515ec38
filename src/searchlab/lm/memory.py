"""Will a model fit? The memory a configuration needs, checked against what the machine has, before allocating.

A network too large for the machine otherwise fails deep inside the allocator,
with a traceback, after the run folder has been written. The experiments
estimate what their configuration needs (weights x bytes x a stated number of
copies, plus activations) and call `require_memory` while nothing is written
yet, so the refusal is one line that gives both numbers.

The estimates are deliberately rough (within a factor of about two); they exist
to catch settings that are off by orders of magnitude, such as a hidden layer
of 100,000,000 neurons, not to pack memory tightly.
"""

from __future__ import annotations

import os

import torch

from searchlab.core.errors import SearchlabError


def available_memory(device: str | torch.device = "cpu") -> tuple[int | None, str]:
    """(bytes free for new allocations on `device`, where that number comes from); None when it cannot be read.

    CPU: MemAvailable in /proc/meminfo (what the kernel can hand out without
    swapping), else the free physical pages from os.sysconf. CUDA: the free
    memory the driver reports for the device.
    """
    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free), f"the GPU {device}"
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024, "this machine"  # the kernel writes kB
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "this machine"
    except (AttributeError, ValueError, OSError):
        return None, "this machine"


def gigabytes(count: int | float) -> str:
    """Bytes as '1.2 GB' (decimal gigabytes)."""
    return f"{count / 1e9:,.1f} GB"


def require_memory(needed: int, setting: str, how: str, advice: str, device: str | torch.device = "cpu") -> None:
    """Raise a one-line SearchlabError when `needed` bytes exceed the memory available on `device`.

    Args:
        needed: the estimate, in bytes.
        setting: what asks for it, as the user wrote it (e.g. "--hidden 100000000").
        how: how the estimate was made (e.g. "7,500,001,010 weights x 48 bytes ... plus activations").
        advice: what to change (e.g. "use a smaller --hidden").
        device: where the memory is needed.

    Does nothing when the available memory cannot be read.
    """
    available, where = available_memory(device)
    if available is None or needed <= available:
        return
    raise SearchlabError(
        f"{setting} needs about {gigabytes(needed)} of memory ({how}), but {where} has "
        f"{gigabytes(available)} available; {advice}"
    )
