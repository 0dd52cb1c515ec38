"""Random search: draw fresh candidates from the whole space and keep the best."""

from __future__ import annotations

import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.problem import Problem
from searchlab.optimizers.incumbent import IncumbentSearch


class RandomSearch(IncumbentSearch):
    """Each step samples `population_size` independent candidates; the best ever is the answer.

    It uses nothing it has learned: the baseline every other search must beat.

    Args:
        population_size: candidates drawn per step.
        batch_size: examples per evaluation (None: all).
        accept: "best" scores every draw of a step; "first" scores them in order and stops at the first
            that beats the best so far (a one-at-a-time random search, batched for speed).
        max_evaluations: candidates to score before the search is finished (None: the run's budget decides).
    """

    name = "random_search"

    def __init__(
        self,
        *,
        population_size: int = 64,
        batch_size: int | None = None,
        accept: str = "best",
        max_evaluations: int | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size, accept=accept, max_evaluations=max_evaluations)
        if population_size <= 0:
            raise SearchlabError(f"population_size must be positive, got {population_size}")
        self.population_size = population_size

    def _ask(self, problem: Problem) -> torch.Tensor:
        return problem.space.sample(self._room(self.population_size), self.generator_)

    def _tell(self, population: torch.Tensor, losses: torch.Tensor) -> float:
        return self._keep_best(population, losses)
