"""Random search: draw fresh candidates from the whole space and keep the best."""

from __future__ import annotations

import math
from typing import Any

import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import Optimizer
from searchlab.core.problem import Problem


class RandomSearch(Optimizer):
    """Each step samples `population_size` independent candidates; the best ever is the answer.

    It uses nothing it has learned: the baseline every other search must beat.

    Args:
        population_size: candidates drawn per step.
        batch_size: examples per evaluation (None: all).
    """

    name = "random_search"

    def __init__(self, *, population_size: int = 64, batch_size: int | None = None) -> None:
        super().__init__(batch_size=batch_size)
        if population_size <= 0:
            raise SearchlabError(f"population_size must be positive, got {population_size}")
        self.population_size = population_size

    def _start(self, problem: Problem) -> None:
        self.candidate_ = problem.space.sample(1, self.generator_)[0]
        self._incumbent_loss = math.inf

    def _ask(self, problem: Problem) -> torch.Tensor:
        return problem.space.sample(self.population_size, self.generator_)

    def _tell(self, population: torch.Tensor, losses: torch.Tensor) -> float:
        best = int(torch.argmin(losses))
        if float(losses[best]) < self._incumbent_loss:
            self._incumbent_loss = float(losses[best])
            self.candidate_ = population[best].cpu()
        return self._incumbent_loss

    def _state(self) -> dict[str, Any]:
        return {"incumbent_loss": self._incumbent_loss if math.isfinite(self._incumbent_loss) else None}

    def _load_state(self, state: dict[str, Any]) -> None:
        value = state["incumbent_loss"]
        self._incumbent_loss = math.inf if value is None else float(value)
