"""The incumbent: the best candidate a search has seen and its loss, kept by random and local search alike.

Both searches can accept a candidate two ways. "best" scores the whole population and keeps its best.
"first" is a one-at-a-time search run in batches: the population's candidates are tried in order and
the first one that beats the incumbent is kept; what follows it was never tried and is not counted (a
problem with an `evaluate_in_order(population, below)` method does this in one batched call, any other
is asked one candidate at a time). Either way `evaluations_` counts the candidates scored, and
`max_evaluations` ends the search after exactly that many.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import Optimizer
from searchlab.core.problem import Problem

ACCEPT = ("best", "first")


class IncumbentSearch(Optimizer):
    """An optimizer whose answer is the best candidate seen so far; it starts from one drawn at random.

    Args:
        batch_size: examples per evaluation (None: all).
        accept: "best" (keep the best of each population) or "first" (keep the first that improves; full batch).
        max_evaluations: candidates to score before the search is finished (None: the run's budget decides).
    """

    def __init__(
        self, *, batch_size: int | None = None, accept: str = "best", max_evaluations: int | None = None
    ) -> None:
        super().__init__(batch_size=batch_size)
        if accept not in ACCEPT:
            raise SearchlabError(f"accept must be one of {', '.join(ACCEPT)}, got {accept!r}")
        if accept == "first" and batch_size is not None:
            raise SearchlabError(
                "accept='first' compares each candidate with the incumbent's known loss, so it needs full batches; "
                "leave batch_size unset"
            )
        if max_evaluations is not None and (isinstance(max_evaluations, bool) or int(max_evaluations) < 1):
            raise SearchlabError(f"max_evaluations must be a positive whole number, got {max_evaluations}")
        self.accept = accept
        self.max_evaluations = None if max_evaluations is None else int(max_evaluations)

    def _start(self, problem: Problem) -> None:
        self.candidate_ = problem.space.sample(1, self.generator_)[0]
        self._incumbent_loss = math.inf
        self.evaluations_ = 0

    def step(self, problem: Problem) -> float:
        """One round: ask, score (all of it, or in order up to the first improvement), count, tell."""
        batch = self._next_batch(problem)
        population = self.ask(problem)
        if self.accept == "first":
            losses = self._in_order(problem, population)
            improved = torch.nonzero(losses < self._incumbent_loss).flatten()
            scored = int(improved[0]) + 1 if improved.numel() else int(population.shape[0])
        else:
            losses = problem.evaluate(population, batch, gradient=self.uses_gradient)
            scored = int(population.shape[0])
        self.evaluations_ += scored
        if self.max_evaluations is not None and self.evaluations_ >= self.max_evaluations:
            self.finished_ = True
        return self.tell(population, losses)

    def _room(self, count: int) -> int:
        """How many of `count` candidates still fit in `max_evaluations`."""
        return count if self.max_evaluations is None else max(0, min(count, self.max_evaluations - self.evaluations_))

    def _in_order(self, problem: Problem, population: torch.Tensor) -> torch.Tensor:
        """Losses of the population's rows in order up to the first below the incumbent's; later rows are +inf.

        Only the rows up to that one are scored and counted, as a one-at-a-time search would.
        """
        ordered = getattr(problem, "evaluate_in_order", None)
        if ordered is not None:
            return ordered(population, self._incumbent_loss)
        losses = torch.full((population.shape[0],), math.inf, dtype=torch.float64)
        for i in range(population.shape[0]):
            losses[i] = float(problem.evaluate(population[i : i + 1])[0])
            if losses[i] < self._incumbent_loss:
                break
        return losses

    def _keep_best(self, population: torch.Tensor, losses: torch.Tensor) -> float:
        """Make the population's best the incumbent if it beats it; return the incumbent's loss."""
        if population.shape[0] == 0:
            return self._incumbent_loss
        best = int(torch.argmin(losses))
        if float(losses[best]) < self._incumbent_loss:
            self._incumbent_loss = float(losses[best])
            self.candidate_ = population[best].cpu()
        return self._incumbent_loss

    def _state(self) -> dict[str, Any]:
        return {
            "incumbent_loss": self._incumbent_loss if math.isfinite(self._incumbent_loss) else None,
            "evaluations": self.evaluations_,
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        value = state["incumbent_loss"]
        self._incumbent_loss = math.inf if value is None else float(value)
        self.evaluations_ = int(state.get("evaluations", 0))  # absent from checkpoints written before it was kept
