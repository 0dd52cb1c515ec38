"""Search spaces (the essay's "model class"): families of candidate programs.

A *candidate* is one program in the space; a *population* is a stack of them.
For parametric and finite parameter spaces a population is a (K, d) tensor:
K candidates, each a flat vector of d parameters. A parametric space also runs
one candidate given as named (*shape) tensors (`forward_one`): that is how the
gradient optimizer hands over its trainable parameters, shaped like those of a
hand-written model, so that a training step costs what a hand-written one does.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator

import torch


class Space(abc.ABC):
    """A family of candidate programs that can be sampled and perturbed."""

    @abc.abstractmethod
    def sample(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """Draw `count` candidates at random: a population of shape (count, d)."""

    @abc.abstractmethod
    def perturb(self, population: torch.Tensor, scale: float, generator: torch.Generator) -> torch.Tensor:
        """Return a small random tweak of every candidate in `population` (same shape)."""

    @property
    @abc.abstractmethod
    def dim(self) -> int:
        """Length d of one candidate's flat parameter vector."""

    @abc.abstractmethod
    def forward(self, population: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """Run every candidate on every input.

        Args:
            population: (K, d) candidates.
            inputs: (N, n_in) examples.

        Returns:
            (K, N, n_out) outputs, one row of outputs per candidate per example.
        """


class ParametricSpace(Space):
    """A space whose candidates are real parameter vectors mapped to `torch.nn.Module`s.

    Subclasses define the layout of the flat vector (`shapes`), the batched
    `forward` (a population) and `forward_one` (named tensors), and `module` (flat vector -> an ordinary nn.Module).
    """

    @abc.abstractmethod
    def forward_one(self, named: dict[str, torch.Tensor], inputs: torch.Tensor) -> torch.Tensor:
        """Run one candidate given as named (*shape) tensors on (N, n_in) inputs: (N, n_out)."""

    @property
    @abc.abstractmethod
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Named parameter tensors in the order they sit in the flat vector."""

    @property
    def dim(self) -> int:
        return sum(_numel(shape) for shape in self.shapes.values())

    @abc.abstractmethod
    def module(self, params: torch.Tensor) -> torch.nn.Module:
        """An nn.Module that computes what candidate `params` (shape (d,)) computes."""

    @abc.abstractmethod
    def init_scales(self) -> torch.Tensor:
        """Per-parameter half-width of the uniform initial distribution, shape (d,)."""

    def unflatten(self, population: torch.Tensor) -> dict[str, torch.Tensor]:
        """Views of a (K, d) population as named (K, *shape) tensors (no copies)."""
        views, start = {}, 0
        for name, shape in self.shapes.items():
            size = _numel(shape)
            views[name] = population[:, start : start + size].reshape(population.shape[0], *shape)
            start += size
        return views

    def leaves(self, flat: torch.Tensor) -> dict[str, torch.nn.Parameter]:
        """Trainable (*shape) parameters of one candidate that share storage with its flat (d,) vector.

        Updating them in place (as torch.optim does) updates `flat`, so the flat
        vector is always the current candidate, at no copying cost.
        """
        views = self.unflatten(flat.detach().unsqueeze(0))
        return {name: torch.nn.Parameter(view[0]) for name, view in views.items()}

    def flatten(self, named: dict[str, torch.Tensor]) -> torch.Tensor:
        """Inverse of `unflatten` for one candidate: named tensors -> flat (d,) vector."""
        return torch.cat([named[name].reshape(-1) for name in self.shapes])

    def sample(self, count: int, generator: torch.Generator) -> torch.Tensor:
        # Uniform in [-s, s] per parameter, PyTorch's default nn.Linear scheme.
        scales = self.init_scales()
        unit = torch.rand(count, self.dim, generator=generator, dtype=scales.dtype)
        return (2 * unit - 1) * scales

    def perturb(self, population: torch.Tensor, scale: float, generator: torch.Generator) -> torch.Tensor:
        noise = torch.randn(population.shape, generator=generator, dtype=population.dtype)
        return population + scale * noise.to(population.device)

    def parameter_names(self) -> list[str]:
        """One readable name per entry of the flat vector."""
        names = []
        for name, shape in self.shapes.items():
            if _numel(shape) == 1:
                names.append(name)
            else:
                names.extend(f"{name}{list(idx)}" for idx in _indices(shape))
        return names


class FiniteSpace(Space):
    """A space with finitely many candidates that can be counted and enumerated."""

    @property
    @abc.abstractmethod
    def size(self) -> int:
        """Exact number of candidates (a Python int; it may be astronomically large)."""

    @abc.abstractmethod
    def candidates(self, start: int, stop: int) -> torch.Tensor:
        """Candidates with indices start..stop-1 in enumeration order: (stop - start, d)."""

    def enumerate(self, batch_size: int, start: int = 0) -> Iterator[torch.Tensor]:
        """Every candidate, in batches of at most `batch_size`, from index `start` on."""
        for begin in range(start, self.size, batch_size):
            yield self.candidates(begin, min(begin + batch_size, self.size))


def _numel(shape: tuple[int, ...]) -> int:
    total = 1
    for n in shape:
        total *= n
    return total


def _indices(shape: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
    if not shape:
        yield ()
        return
    for i in range(shape[0]):
        for rest in _indices(shape[1:]):
            yield (i, *rest)
