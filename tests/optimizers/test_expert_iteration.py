"""Expert iteration on a toy problem that plays no game: it trains a copy, keeps the contest's winner, counts."""

from __future__ import annotations

import math

import pytest
import torch

from searchlab.core import Budget, DataLossProblem, DivergedError, Problem, SearchlabError, SquaredError, run
from searchlab.core.seeding import torch_generator
from searchlab.optimizers import OPTIMIZERS, ExpertIteration, GradientDescent
from searchlab.spaces.module import ModuleSpace
from small_problems import linear_problem

TRAIN_STEPS, BATCH = 4, 8


def squared_error(call, rows):
    error = (call(rows["x"]).squeeze(-1) - rows["y"]).square().mean()
    return error, {"squared": error}


class Imitation(Problem):
    """Each step's targets are a fixed teacher's outputs; the contest's verdicts are scripted.

    Attributes:
        contests: (challenger, incumbent, training parts) of every contest, in order.
    """

    def __init__(self, verdicts: list[bool], poison_from: int | None = None) -> None:
        with torch.random.fork_rng():
            torch.manual_seed(0)
            super().__init__(ModuleSpace(torch.nn.Linear(2, 1)), SquaredError())
        generator = torch.Generator().manual_seed(1)
        self.x = torch.randn(32, 2, generator=generator)
        self.y = self.x @ torch.tensor([1.5, -2.0]) + 0.25
        self.verdicts, self.poison_from = verdicts, poison_from
        self.contests: list[tuple[torch.Tensor, torch.Tensor, dict[str, float]]] = []

    @property
    def n_examples(self) -> int:
        return 32

    def _losses(self, population, batch):
        rows = {"x": self.x, "y": self.y}
        views = self.space.unflatten(population)
        named = [{name: view[k] for name, view in views.items()} for k in range(population.shape[0])]
        return torch.stack([squared_error(lambda *x, n=n: self.space.forward_one(n, x), rows)[0] for n in named])

    def imitation_problem(self, candidate: torch.Tensor) -> DataLossProblem:
        loss = squared_error
        if self.poison_from is not None and len(self.contests) + 1 >= self.poison_from:

            def loss(call, rows):
                error, parts = squared_error(call, rows)
                return error * math.nan, parts

        return DataLossProblem(ModuleSpace(self.space.module(candidate)), {"x": self.x, "y": self.y}, loss)

    def add_spent(self, forward_equivalents: int, examples_seen: int) -> None:
        self.forward_equivalents += forward_equivalents
        self.examples_seen += examples_seen

    def contest(self, challenger, incumbent, training) -> bool:
        self.contests.append((challenger.clone(), incumbent.clone(), training))
        return self.verdicts[len(self.contests) - 1]


def expert_iteration() -> ExpertIteration:
    return ExpertIteration(train_steps=TRAIN_STEPS, lr=0.05, weight_decay=0.0, batch_size=BATCH)


def test_a_step_trains_a_copy_and_keeps_the_contests_winner():
    verdicts = [True, False, True]
    problem = Imitation(verdicts)
    result = run(problem, expert_iteration(), Budget(steps=3), seed=5)

    # The same iterations by hand: each training run's seed is the next draw from the run's generator.
    generator, current = torch_generator(5), problem.space.initial.clone()
    for step, verdict in enumerate(verdicts):
        imitation = problem.imitation_problem(current)
        seed = int(torch.randint(0, 2**31 - 1, (), generator=generator))
        gradient = GradientDescent(lr=0.05, batch_size=BATCH)
        trained = run(imitation, gradient, Budget(steps=TRAIN_STEPS), seed)
        challenger, incumbent, parts = problem.contests[step]
        assert torch.equal(challenger, trained.candidate) and torch.equal(incumbent, current)
        mean_loss = sum(trained.trace["loss"]) / TRAIN_STEPS
        assert result.trace["loss"][step] == pytest.approx(mean_loss, rel=1e-12)
        assert parts["squared"] == pytest.approx(mean_loss, rel=1e-6)
        current = trained.candidate if verdict else current
    assert torch.equal(result.candidate, current)
    # Only the training spent anything here: 3 forward-equivalents per example, TRAIN_STEPS batches a step.
    assert result.forward_equivalents == 3 * 3 * TRAIN_STEPS * BATCH
    assert result.examples_seen == 3 * TRAIN_STEPS * BATCH


def test_a_training_loss_that_is_not_finite_stops_the_run():
    with pytest.raises(DivergedError, match="expert_iteration: the loss became nan at step 2"):
        run(Imitation([True, True, True], poison_from=2), expert_iteration(), Budget(steps=3), seed=0)


def test_problems_that_play_nothing_are_refused_with_a_reason():
    with pytest.raises(SearchlabError, match="imitation_problem, add_spent, contest"):
        run(linear_problem(), expert_iteration(), Budget(steps=1), seed=0)
    assert "expert_iteration" not in OPTIMIZERS  # the registry's optimizers all search the small problems


@pytest.mark.parametrize(
    "bad, named",
    [
        (dict(train_steps=0), "train_steps"),
        (dict(train_steps=2.5), "train_steps"),
        (dict(lr=-1.0), "lr"),
        (dict(algorithm="newton"), "newton"),
        (dict(batch_size=0), "batch_size"),
    ],
)
def test_bad_settings_are_one_line_errors(bad, named):
    with pytest.raises(SearchlabError) as caught:
        ExpertIteration(**bad)
    assert "\n" not in str(caught.value) and named in str(caught.value)
