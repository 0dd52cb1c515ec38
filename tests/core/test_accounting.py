"""Forward-equivalents are counted exactly: one per candidate per example, plus two per example backward."""

from __future__ import annotations

import torch

from searchlab.core import Budget, run
from searchlab.optimizers import make_optimizer
from small_problems import linear_problem, mlp_problem


def test_evaluation_counts_candidates_times_examples():
    problem = mlp_problem(n=50)
    population = problem.space.sample(7, torch.Generator().manual_seed(0))
    problem.evaluate(population)
    assert problem.forward_equivalents == 7 * 50
    problem.evaluate(population, torch.arange(10))
    assert problem.forward_equivalents == 7 * 50 + 7 * 10
    assert problem.examples_seen == 60


def test_gradient_step_costs_three_per_example():
    problem = mlp_problem(n=100)
    result = run(problem, make_optimizer("gradient", batch_size=16), Budget(steps=13), seed=0)
    assert result.forward_equivalents == 13 * 3 * 16
    assert result.examples_seen == 13 * 16
    assert result.trace["forward_equivalents"] == [3 * 16 * (i + 1) for i in range(13)]


def test_population_searches_count_every_candidate():
    problem = linear_problem(n=40)
    result = run(problem, make_optimizer("random_search", population_size=9), Budget(steps=5), seed=0)
    assert result.forward_equivalents == 5 * 9 * 40
    # Local search scores its starting point once, then only the tweaks (full batch).
    result = run(linear_problem(n=40), make_optimizer("local_search", population_size=4), Budget(steps=3), seed=0)
    assert result.forward_equivalents == (1 + 4) * 40 + 2 * 4 * 40
    # Evolution scores the mean beside its antithetic pairs.
    result = run(linear_problem(n=40), make_optimizer("evolution", population_size=6), Budget(steps=2), seed=0)
    assert result.forward_equivalents == 2 * 7 * 40


def test_final_loss_is_not_counted_and_budget_stops_the_run():
    problem = linear_problem(n=40)
    result = run(problem, make_optimizer("gradient"), Budget(forward_equivalents=1200), seed=0)
    assert result.stopped_because == "forward_equivalents"
    assert result.forward_equivalents == 1200  # 10 full-batch steps of 3 * 40
    assert problem.forward_equivalents == 1200
