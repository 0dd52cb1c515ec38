"""Every registered optimizer, on every small problem it supports: it improves, and a seed fixes it."""

from __future__ import annotations

import pytest
import torch

from margins import check, margin
from searchlab.core import Budget, SearchlabError, run
from searchlab.core.device import cpu_threads
from searchlab.optimizers import OPTIMIZERS, make_optimizer
from small_problems import GAP_BOUNDS, GAP_BUDGET, PROBLEMS, optimum, random_median


def _supported(name: str) -> list[str]:
    return [p for p, make in PROBLEMS.items() if make_optimizer(name).unsupported(make()) is None]


PAIRS = [(name, problem) for name in OPTIMIZERS for problem in _supported(name)]
BUDGET = Budget(forward_equivalents=GAP_BUDGET)


def _gap_left(name: str, problem_name: str):
    def quantity(seed: int) -> dict[str, float]:
        make = PROBLEMS[problem_name]
        with cpu_threads(1):
            result = run(make(), make_optimizer(name), BUDGET, seed=seed)
        baseline, best = random_median(make()), optimum(problem_name)
        return {"gap_left": (result.final_loss - best) / (baseline - best)}

    quantity.__qualname__ = quantity.__name__ = f"gap_left_{name}_on_{problem_name}"
    return margin(seed=7, gap_left=("<", GAP_BOUNDS[name, problem_name]))(quantity)


GAP_LEFT = {pair: _gap_left(*pair) for pair in PAIRS}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_supports_some_small_problem(name):
    assert _supported(name), f"{name} supports none of the test problems"


@pytest.mark.parametrize("name, problem_name", PAIRS)
def test_optimizer_closes_most_of_the_gap_to_the_optimum(name, problem_name):
    values = check(GAP_LEFT[name, problem_name])
    assert values["gap_left"] >= -1e-6, "no candidate beats the exact optimum"


@pytest.mark.parametrize("name, problem_name", PAIRS)
def test_a_seed_fixes_the_run(name, problem_name):
    make = PROBLEMS[problem_name]
    budget = Budget(steps=20)
    first = run(make(), make_optimizer(name), budget, seed=7)
    second = run(make(), make_optimizer(name), budget, seed=7)
    assert torch.equal(first.candidate, second.candidate)
    assert first.trace["loss"] == second.trace["loss"]
    assert first.forward_equivalents == second.forward_equivalents


@pytest.mark.parametrize("name", ["random_search", "local_search", "evolution", "gradient"])
def test_different_seeds_give_different_searches(name):
    from small_problems import mlp_problem

    budget = Budget(steps=5)
    a = run(mlp_problem(), make_optimizer(name), budget, seed=1)
    b = run(mlp_problem(), make_optimizer(name), budget, seed=2)
    assert not torch.equal(a.candidate, b.candidate)


def test_unsupported_pairs_are_refused_with_a_reason():
    from small_problems import grid_problem, mlp_problem

    with pytest.raises(SearchlabError, match="linear"):
        run(mlp_problem(), make_optimizer("least_squares"), Budget(steps=1), seed=0)
    with pytest.raises(SearchlabError, match="infinitely many"):
        run(mlp_problem(), make_optimizer("exhaustive"), Budget(steps=1), seed=0)
    with pytest.raises(SearchlabError, match="gradient"):
        run(grid_problem(), make_optimizer("gradient"), Budget(steps=1), seed=0)


def test_exhaustive_refuses_huge_space_with_time_estimate():
    from searchlab.core import SquaredError, SupervisedProblem
    from searchlab.spaces import GridSpace, MLPSpace

    space = GridSpace(MLPSpace([4, 8, 2]), [-1.0, 0.0, 1.0])  # 3**58 candidates
    x, y = torch.randn(32, 4), torch.randn(32, 2)
    problem = SupervisedProblem(space, x, y, SquaredError())
    with pytest.raises(SearchlabError, match=r"would take about .*years"):
        run(problem, make_optimizer("exhaustive"), Budget(steps=1), seed=0)
    assert problem.forward_equivalents == 0  # refused before spending anything


def test_exhaustive_finds_the_true_grid_optimum():
    from small_problems import grid_problem

    problem = grid_problem()
    result = run(problem, make_optimizer("exhaustive", candidates_per_step=10), Budget(steps=10_000), seed=0)
    every = problem.space.candidates(0, problem.space.size)
    losses = problem.evaluate(every)
    assert result.stopped_because == "finished"
    assert result.final_loss == pytest.approx(float(losses.min()), rel=1e-6)
    assert torch.equal(result.candidate, every[int(losses.argmin())])


def test_unknown_optimizer_and_setting_name_the_valid_choices():
    with pytest.raises(SearchlabError, match="local_search"):
        make_optimizer("hill_climb")
    with pytest.raises(SearchlabError, match="step_size"):
        make_optimizer("local_search", stepsize=0.1)


def test_ask_and_tell_by_hand_equal_step():
    """A caller may score candidates itself: ask -> evaluate -> tell is exactly what step does."""
    from searchlab.core.seeding import torch_generator
    from small_problems import mlp_problem

    stepped, by_hand = make_optimizer("local_search"), make_optimizer("local_search")
    first, second = mlp_problem(), mlp_problem()
    stepped.start(first, torch_generator(4))
    by_hand.start(second, torch_generator(4))
    for _ in range(5):
        stepped.step(first)
        population = by_hand.ask(second)
        by_hand.tell(population, second.evaluate(population))
    assert torch.equal(stepped.candidate_, by_hand.candidate_)
    assert stepped.step_ == by_hand.step_ == 5 and stepped.best_loss_ == by_hand.best_loss_
