"""An evolution strategy: estimate the gradient from random perturbations alone."""

from __future__ import annotations

from typing import Any

import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import Optimizer, positive
from searchlab.core.problem import Problem
from searchlab.core.space import ParametricSpace


class EvolutionStrategy(Optimizer):
    """Gaussian search distribution around a mean, moved by a rank-shaped gradient estimate.

    Each step draws P noise vectors e and scores the mean plus and minus sigma*e
    (antithetic pairs), ranks all 2P losses (rank-based fitness shaping makes
    the update blind to the loss's scale), and steps the mean with Adam along
    the estimate. The mean itself is scored too, so the trace shows the answer.

    Args:
        population_size: number of perturbed candidates per step (2P, even).
        sigma: standard deviation of the perturbations.
        lr: Adam learning rate for the mean.
        batch_size: examples per evaluation (None: all).
    """

    name = "evolution"

    def __init__(
        self, *, population_size: int = 32, sigma: float = 0.05, lr: float = 0.05, batch_size: int | None = None
    ) -> None:
        super().__init__(batch_size=batch_size)
        if population_size < 2 or population_size % 2:
            raise SearchlabError(
                f"population_size must be an even number >= 2 (antithetic pairs), got {population_size}"
            )
        if not (positive(sigma) and positive(lr)):
            raise SearchlabError(f"evolution: sigma and lr must be positive numbers, got sigma={sigma}, lr={lr}")
        self.population_size = population_size
        self.sigma = sigma
        self.lr = lr

    def unsupported(self, problem: Problem) -> str | None:
        if not isinstance(problem.space, ParametricSpace):
            return "it moves a mean through real-valued parameter space; use local_search on finite spaces"
        return None

    def _start(self, problem: Problem) -> None:
        self._mean = problem.space.sample(1, self.generator_)[0].requires_grad_(True)
        self._torch_optimizer = torch.optim.Adam([self._mean], lr=self.lr)
        self.candidate_ = self._mean.detach()

    def _ask(self, problem: Problem) -> torch.Tensor:
        half = self.population_size // 2
        self._noise = torch.randn(half, self._mean.shape[0], generator=self.generator_)  # (P, d)
        mean = self._mean.detach().unsqueeze(0)
        return torch.cat([mean, mean + self.sigma * self._noise, mean - self.sigma * self._noise])

    def _tell(self, population: torch.Tensor, losses: torch.Tensor) -> float:
        half = self.population_size // 2
        shaped = _centered_ranks(losses[1:].cpu())  # (2P,) in [-0.5, 0.5], high for high loss
        plus, minus = shaped[:half], shaped[half:]
        gradient = ((plus - minus).unsqueeze(1) * self._noise).sum(dim=0) / (self.population_size * self.sigma)
        self._torch_optimizer.zero_grad(set_to_none=True)
        self._mean.grad = gradient.to(self._mean.dtype)
        self._torch_optimizer.step()
        return float(losses[0])

    def _state(self) -> dict[str, Any]:
        return {"mean": self._mean.detach().clone(), "torch_optimizer": self._torch_optimizer.state_dict()}

    def _load_state(self, state: dict[str, Any]) -> None:
        with torch.no_grad():
            self._mean.copy_(state["mean"])
        self._torch_optimizer.load_state_dict(state["torch_optimizer"])
        self.candidate_ = self._mean.detach()


def _centered_ranks(values: torch.Tensor) -> torch.Tensor:
    """Ranks scaled to [-0.5, 0.5]: the lowest value gets -0.5, the highest +0.5."""
    ranks = torch.empty_like(values)
    ranks[torch.argsort(values)] = torch.arange(values.shape[0], dtype=values.dtype)
    return ranks / max(1, values.shape[0] - 1) - 0.5
