"""Batched population evaluation equals evaluating each candidate on its own."""

from __future__ import annotations

import pytest
import torch

import searchlab.core.problem as problem_module
from searchlab.core import CrossEntropy, SquaredError, SupervisedProblem
from searchlab.spaces import MLPSpace


def _each(problem: SupervisedProblem, population: torch.Tensor) -> torch.Tensor:
    """One nn.Module per candidate, as a reader would check it by hand."""
    losses = []
    with torch.no_grad():
        for candidate in population:
            outputs = problem.space.module(candidate)(problem.inputs)
            losses.append(problem.metric(outputs.unsqueeze(0), problem.targets)[0])
    return torch.stack(losses)


@pytest.mark.parametrize(
    "widths,kwargs",
    [
        ([3, 2, 2], {"bias": False, "output_activation": "relu"}),
        ([10, 32, 1], {}),
        ([6, 16, 8, 3], {"activation": "tanh"}),
        ([4, 3], {}),  # no hidden layer: a linear model
        ([5, 7, 7, 7, 2], {"bias": False}),
    ],
)
@pytest.mark.parametrize("block", [1 << 8, 1 << 18])  # many small chunks, or one
def test_batched_losses_equal_per_candidate_losses(widths, kwargs, block, monkeypatch):
    monkeypatch.setattr(problem_module, "_MAX_BLOCK", block)
    g = torch.Generator().manual_seed(sum(widths))
    space = MLPSpace(widths, **kwargs)
    x = torch.randn(40, widths[0], generator=g)
    y = torch.randn(40, widths[-1], generator=g)
    problem = SupervisedProblem(space, x, y, SquaredError())
    population = space.sample(37, g) * 3
    torch.testing.assert_close(problem.evaluate(population), _each(problem, population), rtol=1e-5, atol=1e-5)


def test_batched_cross_entropy_equals_per_candidate():
    g = torch.Generator().manual_seed(0)
    space = MLPSpace([8, 12, 4])
    x = torch.randn(50, 8, generator=g)
    labels = torch.randint(4, (50,), generator=g)
    problem = SupervisedProblem(space, x, labels, CrossEntropy())
    population = space.sample(20, g)
    torch.testing.assert_close(problem.evaluate(population), _each(problem, population), rtol=1e-5, atol=1e-6)
