"""Seeds in, generators out: nothing in searchlab touches a global random state."""

from __future__ import annotations

import numpy as np
import torch

from searchlab.core import checks
from searchlab.core.errors import SearchlabError


def check_seed(seed: int) -> int:
    """A seed must be a whole number >= 0 (numpy's SeedSequence refuses others)."""
    if not checks.is_whole(seed) or seed < 0:
        raise SearchlabError(f"a seed must be a whole number >= 0, got {seed!r}")
    return int(seed)


def spawn_seeds(seed: int, count: int) -> list[int]:
    """Derive `count` independent child seeds from one seed (numpy SeedSequence)."""
    children = np.random.SeedSequence(check_seed(seed)).spawn(count)
    return [int(child.generate_state(1, dtype=np.uint32)[0]) for child in children]


def torch_generator(seed: int) -> torch.Generator:
    """A CPU torch generator seeded with `seed`.

    Random numbers are always drawn on the CPU and moved to the device, so a seed
    gives the same numbers on every device.
    """
    generator = torch.Generator(device="cpu")
    generator.manual_seed(check_seed(seed))
    return generator


def numpy_generator(seed: int) -> np.random.Generator:
    """A numpy generator seeded with `seed`."""
    return np.random.default_rng(check_seed(seed))
