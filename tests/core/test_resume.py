"""A run interrupted and resumed from its checkpoint ends bitwise where an uninterrupted one does."""

from __future__ import annotations

import pytest
import torch

from searchlab.core import Budget, DivergedError, checkpoint, run
from searchlab.optimizers import make_optimizer
from small_problems import grid_problem, mlp_problem

CASES = {
    "gradient": (mlp_problem, {"batch_size": 16, "algorithm": "adam"}),
    "gradient-sgd": (mlp_problem, {"batch_size": 32, "algorithm": "sgd", "momentum": 0.9, "lr": 0.05}),
    "evolution": (mlp_problem, {"batch_size": 64}),
    "local_search": (mlp_problem, {"batch_size": 32}),
    "random_search": (mlp_problem, {}),
    "exhaustive": (grid_problem, {"candidates_per_step": 3}),
}


class _Interrupt:
    def __init__(self, at_step: int) -> None:
        self.at_step = at_step

    def __call__(self, optimizer, trace) -> None:
        if optimizer.step_ == self.at_step:
            raise KeyboardInterrupt


@pytest.mark.parametrize("case", list(CASES))
def test_resume_is_bitwise_exact(case, tmp_path):
    make_problem, settings = CASES[case]
    name = case.split("-")[0]
    budget = Budget(steps=15)
    whole = run(make_problem(), make_optimizer(name, **settings), budget, seed=3)

    with pytest.raises(KeyboardInterrupt):
        run(
            make_problem(),
            make_optimizer(name, **settings),
            budget,
            seed=3,
            checkpoint_dir=tmp_path,
            checkpoint_every=4,
            callback=_Interrupt(10),
        )
    assert checkpoint.load(tmp_path)["optimizer"]["step"] == 8  # the last whole-step checkpoint
    resumed = run(
        make_problem(), make_optimizer(name, **settings), budget, seed=3, checkpoint_dir=tmp_path, resume=True
    )

    assert torch.equal(resumed.candidate, whole.candidate)
    assert resumed.trace["loss"] == whole.trace["loss"]
    assert resumed.forward_equivalents == whole.forward_equivalents
    assert resumed.steps == whole.steps


def test_resuming_a_finished_run_does_no_more_work(tmp_path):
    first = run(mlp_problem(), make_optimizer("gradient"), Budget(steps=5), seed=0, checkpoint_dir=tmp_path)
    problem = mlp_problem()
    again = run(problem, make_optimizer("gradient"), Budget(steps=5), seed=0, checkpoint_dir=tmp_path, resume=True)
    assert torch.equal(first.candidate, again.candidate)
    assert again.steps == 5 and again.forward_equivalents == first.forward_equivalents


def test_nan_loss_stops_with_a_clear_error_and_keeps_the_checkpoint(tmp_path):
    with pytest.raises(DivergedError, match="lower the learning rate"):
        run(
            mlp_problem(),
            make_optimizer("gradient", algorithm="sgd", lr=1e30),
            Budget(steps=50),
            seed=0,
            checkpoint_dir=tmp_path,
            checkpoint_every=1,
        )
    assert checkpoint.exists(tmp_path)
