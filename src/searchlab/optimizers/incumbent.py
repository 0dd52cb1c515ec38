"""The incumbent: the best candidate a search has seen and its loss, kept by random and local search alike."""

from __future__ import annotations

import math
from typing import Any

import torch

from searchlab.core.optimizer import Optimizer
from searchlab.core.problem import Problem


class IncumbentSearch(Optimizer):
    """An optimizer whose answer is the best candidate seen so far; it starts from one drawn at random."""

    def _start(self, problem: Problem) -> None:
        self.candidate_ = problem.space.sample(1, self.generator_)[0]
        self._incumbent_loss = math.inf

    def _keep_best(self, population: torch.Tensor, losses: torch.Tensor) -> float:
        """Make the population's best the incumbent if it beats it; return the incumbent's loss."""
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
