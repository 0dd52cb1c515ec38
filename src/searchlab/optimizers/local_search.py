"""Local search by random perturbation: the essay's simplest kind of local search."""

from __future__ import annotations

import math

import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import positive
from searchlab.core.problem import Problem
from searchlab.optimizers.incumbent import IncumbentSearch


class LocalSearch(IncumbentSearch):
    """Start from a random candidate; each step try K random tweaks and keep the best if it improves.

    This is a (1+K) evolution strategy with a fixed step size. With minibatches
    the incumbent is re-scored on each batch beside its tweaks, so the
    comparison is always made on the same examples.

    Args:
        population_size: K, the tweaks tried per step.
        step_size: standard deviation of the Gaussian tweak (for grid spaces,
            the number of parameters moved to another level).
        batch_size: examples per evaluation (None: all).
        accept: "best" keeps the best tweak of each step if it improves; "first" tries the tweaks in order
            and keeps the first that improves (a one-at-a-time local search, batched for speed; only
            the tweaks up to that one are scored and counted).
        max_evaluations: candidates to score before the search is finished (None: the run's budget decides).
    """

    name = "local_search"

    def __init__(
        self,
        *,
        population_size: int = 16,
        step_size: float = 0.05,
        batch_size: int | None = None,
        accept: str = "best",
        max_evaluations: int | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size, accept=accept, max_evaluations=max_evaluations)
        if population_size <= 0 or not positive(step_size):
            raise SearchlabError(
                f"local_search: population_size and step_size must be positive, got {population_size} and {step_size}"
            )
        self.population_size = population_size
        self.step_size = step_size

    def _start(self, problem: Problem) -> None:
        super()._start(problem)
        self._rescore = True

    def _ask(self, problem: Problem) -> torch.Tensor:
        # Full batch: the incumbent's loss is known after the first step. Minibatch: score it again.
        self._rescore = not self.full_batch or not math.isfinite(self._incumbent_loss)
        count = self._room(self.population_size + self._rescore) - self._rescore  # tweaks within max_evaluations
        parents = self.candidate_.unsqueeze(0).expand(max(count, 0), -1)
        tweaks = problem.space.perturb(parents, self.step_size, self.generator_) if count > 0 else parents
        return torch.cat([self.candidate_.unsqueeze(0), tweaks]) if self._rescore else tweaks

    def _tell(self, population: torch.Tensor, losses: torch.Tensor) -> float:
        if self._rescore:
            self._incumbent_loss = float(losses[0])
            population, losses = population[1:], losses[1:]
        return self._keep_best(population, losses)
