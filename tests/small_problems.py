"""Small problems shared by the tests: each solvable in well under a second."""

from __future__ import annotations

import torch

from searchlab.core import SquaredError, SupervisedProblem
from searchlab.spaces import GridSpace, LinearSpace, MLPSpace


def linear_problem(n: int = 64, seed: int = 0, dtype=torch.float32) -> SupervisedProblem:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, generator=g, dtype=dtype)
    y = 2.0 * x - 0.5 + 0.1 * torch.randn(n, 1, generator=g, dtype=dtype)
    return SupervisedProblem(LinearSpace(1, 1), x, y, SquaredError())


def grid_problem(n: int = 64, seed: int = 0) -> SupervisedProblem:
    problem = linear_problem(n, seed)
    return SupervisedProblem(GridSpace(LinearSpace(1, 1), [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0]), problem.inputs, problem.targets, SquaredError())


def mlp_problem(n: int = 128, seed: int = 0) -> SupervisedProblem:
    """A seeded teacher network's outputs, to be fitted by a student of the same shape."""
    g = torch.Generator().manual_seed(seed)
    space = MLPSpace([3, 8, 2])
    teacher = space.sample(1, g)[0] * 2
    x = torch.randn(n, 3, generator=g)
    y = space.forward(teacher.unsqueeze(0), x)[0]
    return SupervisedProblem(space, x, y, SquaredError())


PROBLEMS = {"linear": linear_problem, "grid": grid_problem, "mlp": mlp_problem}

