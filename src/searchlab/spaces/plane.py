"""Two weights of a network free, the rest fixed: a two-dimensional slice of a model class."""

from __future__ import annotations

import math

import torch

from searchlab.core.space import ParametricSpace


class PlaneSpace(ParametricSpace):
    """Two weights of a network free, all others fixed: the essay's "two weights changing" picture.

    A candidate is the pair (u, v); it runs as the base network with weight
    `indices[0]` set to u and `indices[1]` set to v. `sample` draws a point on a
    circle of 3/4 of `radius` around `center` (a start away from the middle of
    the window); `perturb` is the base class's Gaussian tweak.

    Args:
        base: the full network's space.
        fixed: (d,) values of every weight of the base network.
        indices: positions of the two free weights in the flat vector.
        center: (2,) the middle of the window the picture shows.
        radius: half-width of that window.
    """

    def __init__(
        self, base: ParametricSpace, fixed: torch.Tensor, indices: tuple[int, int], center: torch.Tensor, radius: float
    ) -> None:
        self.base = base
        self.fixed = fixed
        self.indices = torch.tensor(indices)
        self.center = center
        self.radius = radius

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {"pair": (2,)}

    def embed(self, population: torch.Tensor) -> torch.Tensor:
        """(K, 2) pairs -> (K, d) full weight vectors (differentiable in the pairs)."""
        full = self.fixed.to(population.device, population.dtype).expand(population.shape[0], -1).clone()
        full[:, self.indices.to(population.device)] = population
        return full

    def forward(self, population: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        return self.base.forward(self.embed(population), inputs)

    def forward_one(self, named: dict[str, torch.Tensor], inputs: torch.Tensor) -> torch.Tensor:
        full = self.embed(named["pair"].unsqueeze(0))  # (1, d)
        return self.base.forward_one({name: view[0] for name, view in self.base.unflatten(full).items()}, inputs)

    def module(self, params: torch.Tensor) -> torch.nn.Module:
        return self.base.module(self.embed(params.reshape(1, 2))[0])

    def init_scales(self) -> torch.Tensor:
        return torch.full((2,), float(self.radius), dtype=self.fixed.dtype)

    def sample(self, count: int, generator: torch.Generator) -> torch.Tensor:
        angle = 2 * math.pi * torch.rand(count, generator=generator, dtype=self.fixed.dtype)
        ring = 0.75 * self.radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)  # (count, 2)
        return self.center.to(self.fixed.dtype) + ring.to(self.center.device)

    @property
    def widths(self) -> list[int]:
        return self.base.widths
