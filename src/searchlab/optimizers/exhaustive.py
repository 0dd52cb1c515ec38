"""Exhaustive (brute-force) search: evaluate every candidate of a finite space."""

from __future__ import annotations

import time
from typing import Any

import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import Optimizer, positive
from searchlab.core.problem import Problem
from searchlab.core.space import FiniteSpace

# Spaces at most this large are enumerated without first timing them.
_NO_ESTIMATE_BELOW = 1_000_000


class Exhaustive(Optimizer):
    """Try every candidate, a batch at a time, and keep the best.

    Refuses, before spending anything, when enumerating would take longer than
    `max_seconds` at the speed measured on this machine, and says how long.

    Args:
        candidates_per_step: candidates evaluated per step (one batched call).
        max_seconds: refuse spaces whose estimated enumeration time exceeds this.
    """

    name = "exhaustive"

    def __init__(self, *, candidates_per_step: int = 4096, max_seconds: float = 3600.0) -> None:
        super().__init__(batch_size=None)
        if candidates_per_step <= 0 or not positive(max_seconds):
            raise SearchlabError(
                f"exhaustive: candidates_per_step and max_seconds must be positive, got {candidates_per_step} and "
                f"{max_seconds}"
            )
        self.candidates_per_step = candidates_per_step
        self.max_seconds = max_seconds

    def unsupported(self, problem: Problem) -> str | None:
        if not isinstance(problem.space, FiniteSpace):
            return (
                "its space has real-valued parameters, so infinitely many candidates; "
                "restrict the parameters to a grid of levels, or use a search optimizer"
            )
        return None

    def _start(self, problem: Problem) -> None:
        space = problem.space
        if space.size > _NO_ESTIMATE_BELOW:
            seconds = self.estimate_seconds(problem)
            if seconds > self.max_seconds:
                raise SearchlabError(
                    f"exhaustive search over {space.size:.3g} candidates would take about {human_duration(seconds)} "
                    f"at the speed measured here (limit {human_duration(self.max_seconds)}); "
                    "use fewer levels or parameters, or a search optimizer such as local_search"
                )
        self.candidate_ = space.candidates(0, 1)[0]
        self._next = 0

    def estimate_seconds(self, problem: Problem) -> float:
        """Time to evaluate the whole space, from timing one batch (not counted as search)."""
        batch = problem.space.candidates(0, min(self.candidates_per_step, problem.space.size))
        start = time.perf_counter()
        with torch.no_grad():
            problem._losses(batch, None)
        per_candidate = (time.perf_counter() - start) / batch.shape[0]
        return per_candidate * problem.space.size

    def _ask(self, problem: Problem) -> torch.Tensor:
        stop = min(self._next + self.candidates_per_step, problem.space.size)
        population = problem.space.candidates(self._next, stop)
        self._next = stop
        self.finished_ = stop >= problem.space.size
        return population

    def _tell(self, population: torch.Tensor, losses: torch.Tensor) -> float:
        best = int(torch.argmin(losses))
        if float(losses[best]) < self.best_loss_:
            self.candidate_ = population[best]
            return float(losses[best])
        return self.best_loss_

    def _state(self) -> dict[str, Any]:
        return {"next": self._next}

    def _load_state(self, state: dict[str, Any]) -> None:
        self._next = int(state["next"])


def human_duration(seconds: float) -> str:
    """'3.2 s', '4.1 hours', '2.3e+05 years'."""
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            value = seconds / size
            return f"{value:.3g} {unit}" if value < 1e6 else f"{value:.2e} {unit}"
    return f"{seconds:.3g} s"
