"""Expert iteration: a search guided by the network makes the targets, the network learns them, a contest gates it.

AlphaZero's outer loop as an optimizer (Anthony et al. 2017 named it expert iteration). The candidate is
the current network's flat parameter vector. One step is one iteration:

1. the problem plays with the candidate (the "expert" is a tree search the network guides) and hands
   back an imitation problem: the candidate's network, the replay window of what the searches chose and
   the loss of copying it (`imitation_problem`);
2. a copy of the candidate learns it: a fresh `GradientDescent` takes `train_steps` steps through
   `searchlab.core.run`, like every other training;
3. the problem pits the trained copy (the challenger) against the candidate (`contest`), and the winner
   is the candidate of the next step.

The optimizer never sees a game: it needs a problem that offers `imitation_problem(candidate)`,
`add_spent(forward_equivalents, examples_seen)` (the training's cost, which the inner run counted) and
`contest(challenger, incumbent, training) -> bool` (True keeps the challenger; `training` holds the mean
of each named part of the training loss over the steps). The loss of a step is the challenger's mean
training loss over its steps; a training loss that stops being finite makes it NaN, so the run stops
with `DivergedError` and keeps its last good checkpoint.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from searchlab.core import checks
from searchlab.core.budget import Budget
from searchlab.core.errors import DivergedError
from searchlab.core.loop import run
from searchlab.core.optimizer import Optimizer
from searchlab.core.problem import Problem
from searchlab.optimizers.gradient import GradientDescent

_NEEDS = ("imitation_problem", "add_spent", "contest")


class ExpertIteration(Optimizer):
    """One step: make targets with the candidate, train a copy on them, keep whichever wins the contest.

    Args:
        train_steps: gradient steps the challenger takes per iteration (>= 1).
        algorithm: the inner `GradientDescent`'s algorithm ("sgd", "adam" or "adamw").
        lr: its learning rate.
        weight_decay: its L2 penalty.
        batch_size: examples per gradient step (None: the whole replay window).
    """

    name = "expert_iteration"

    def __init__(
        self,
        *,
        train_steps: int = 200,
        algorithm: str = "adam",
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        batch_size: int | None = 64,
    ) -> None:
        super().__init__(batch_size=batch_size)
        self.train_steps = checks.whole("train_steps", train_steps, 1)
        self.algorithm = algorithm
        self.lr = lr
        self.weight_decay = weight_decay
        self._inner()  # refuses bad gradient settings now, not at the first step

    def unsupported(self, problem: Problem) -> str | None:
        missing = [name for name in _NEEDS if not callable(getattr(problem, name, None))]
        if missing:
            return f"it needs a problem that plays with its candidate (one offering {', '.join(missing)})"
        return None

    def _inner(self) -> GradientDescent:
        return GradientDescent(
            algorithm=self.algorithm, lr=self.lr, weight_decay=self.weight_decay, batch_size=self.batch_size
        )

    def _start(self, problem: Problem) -> None:
        self.candidate_ = problem.space.sample(1, self.generator_)[0].clone()
        self._device = self.candidate_.device

    def step(self, problem: Problem) -> float:
        """One iteration: targets, training through `core.run`, contest; returns the challenger's training loss."""
        imitation = problem.imitation_problem(self.candidate_)
        seed = self._inner_seed()
        sums: dict[str, float] = {}

        def add_parts(optimizer: Optimizer, trace: Any) -> None:
            for key, value in getattr(imitation, "last_parts", {}).items():
                sums[key] = sums.get(key, 0.0) + value

        try:
            result = run(imitation, self._inner(), Budget(steps=self.train_steps), seed, callback=add_parts)
        except DivergedError:
            # The outer loop refuses the NaN and says which checkpoint is kept.
            return self.tell(self.candidate_.unsqueeze(0), torch.tensor([math.nan]))
        problem.add_spent(result.forward_equivalents, result.examples_seen)
        loss = sum(result.trace["loss"]) / result.steps
        challenger = result.candidate.to(self._device)
        parts = {key: total / result.steps for key, total in sums.items()}
        kept = challenger if problem.contest(challenger, self.candidate_, parts) else self.candidate_
        return self.tell(kept.unsqueeze(0), torch.tensor([loss], dtype=torch.float64))

    def _inner_seed(self) -> int:
        """The seed of this step's training, drawn from this optimizer's generator (which checkpoints keep)."""
        return int(torch.randint(0, 2**31 - 1, (), generator=self.generator_))

    def _ask(self, problem: Problem) -> torch.Tensor:
        return self.candidate_.unsqueeze(0)

    def _tell(self, population: torch.Tensor, losses: torch.Tensor) -> float:
        self.candidate_ = population[0]
        return float(losses[0])

    def _load_state(self, state: dict[str, Any]) -> None:
        # A checkpoint holds the candidate on the CPU; the problem's networks live on the run's device.
        self.candidate_ = self.candidate_.to(self._device)
