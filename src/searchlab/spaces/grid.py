"""A finite space: a parametric space whose every parameter takes one of a few levels."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.space import FiniteSpace, ParametricSpace


class GridSpace(FiniteSpace):
    """Every parameter of `base` restricted to `levels`: len(levels) ** d candidates.

    Candidate number i is read as a d-digit number in base len(levels), first
    parameter most significant, so enumeration order is fixed and resumable.

    Args:
        base: the parametric space whose forward pass the candidates use.
        levels: the values each parameter may take, e.g. (-1, 0, 1).
    """

    def __init__(self, base: ParametricSpace, levels: Sequence[float]) -> None:
        levels = [float(v) for v in levels]
        if len(levels) < 2 or len(set(levels)) != len(levels):
            raise SearchlabError(f"a grid needs at least two distinct levels, got {levels}")
        self.base = base
        self.levels = torch.tensor(levels, dtype=torch.float32)

    @property
    def dim(self) -> int:
        return self.base.dim

    @property
    def size(self) -> int:
        return len(self.levels) ** self.dim

    def candidates(self, start: int, stop: int) -> torch.Tensor:
        if stop > self.size or start < 0 or start > stop:
            raise SearchlabError(f"candidate range {start}..{stop} is outside 0..{self.size}")
        if stop >= 2**63:
            raise SearchlabError(
                f"a grid of {self.size:.3e} candidates is too large to index; use fewer levels or parameters"
            )
        n_levels = len(self.levels)
        index = torch.arange(start, stop, dtype=torch.int64)
        digits = torch.empty(stop - start, self.dim, dtype=torch.int64)
        for j in range(self.dim - 1, -1, -1):
            digits[:, j] = index % n_levels
            index = index // n_levels
        return self.levels[digits]

    def sample(self, count: int, generator: torch.Generator) -> torch.Tensor:
        digits = torch.randint(len(self.levels), (count, self.dim), generator=generator)
        return self.levels[digits]

    def perturb(self, population: torch.Tensor, scale: float, generator: torch.Generator) -> torch.Tensor:
        """Move `max(1, round(scale))` random parameters of each candidate to another level."""
        changes = max(1, min(self.dim, round(scale)))
        out = population.clone()
        k = population.shape[0]
        n_levels = len(self.levels)
        levels = self.levels.to(population.device, population.dtype)
        for _ in range(changes):
            where = torch.randint(self.dim, (k,), generator=generator)
            shift = torch.randint(1, n_levels, (k,), generator=generator)
            rows = torch.arange(k)
            current = (out[rows, where].unsqueeze(1).cpu() == self.levels.to(out.dtype)).float().argmax(dim=1)
            out[rows, where] = levels[((current + shift) % n_levels).to(population.device)]
        return out

    def forward(self, population: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        return self.base.forward(population, inputs)

    def describe(self) -> str:
        values = ", ".join(f"{v:g}" for v in self.levels.tolist())
        return f"{self.base.describe()} with every parameter in {{{values}}}: {self.size:,} candidates"

    @property
    def widths(self) -> list[int] | None:
        return getattr(self.base, "widths", None)
