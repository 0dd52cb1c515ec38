"""The closed form against numpy's independent least-squares solver."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from searchlab.core import Budget, SearchlabError, SquaredError, SupervisedProblem, run
from searchlab.optimizers import LeastSquares
from searchlab.spaces import LinearSpace


@pytest.mark.parametrize("n_in,n_out", [(1, 1), (5, 1), (4, 3)])
def test_closed_form_equals_numpy_lstsq(n_in, n_out):
    rng = np.random.default_rng(n_in * 10 + n_out)
    x = rng.normal(size=(200, n_in)) * rng.uniform(0.1, 100, size=n_in) + rng.normal(size=n_in) * 50
    y = rng.normal(size=(200, n_out)) * 30 + x @ rng.normal(size=(n_in, n_out))
    problem = SupervisedProblem(LinearSpace(n_in, n_out), torch.from_numpy(x), torch.from_numpy(y), SquaredError())
    result = run(problem, LeastSquares(), Budget(steps=1), seed=0)

    design = np.hstack([x, np.ones((200, 1))])
    reference, *_ = np.linalg.lstsq(design, y, rcond=None)  # (n_in + 1, n_out)
    named = problem.space.unflatten(result.candidate.unsqueeze(0))
    weight = named["weight1"][0].numpy()  # (n_out, n_in)
    bias = named["bias1"][0].numpy()
    np.testing.assert_allclose(weight, reference[:-1].T, rtol=1e-8)
    np.testing.assert_allclose(bias, reference[-1], rtol=1e-8)
    assert result.final_loss == pytest.approx(float(((design @ reference - y) ** 2).sum(axis=1).mean()), rel=1e-10)
    assert result.forward_equivalents == 200


def test_no_search_beats_the_closed_form():
    from small_problems import linear_problem

    problem = linear_problem(dtype=torch.float64)
    best = run(problem, LeastSquares(), Budget(steps=1), seed=0).final_loss
    nearby = problem.space.perturb(
        run(problem, LeastSquares(), Budget(steps=1), seed=0).candidate.expand(256, -1),
        1e-3,
        torch.Generator().manual_seed(0),
    )
    assert float(problem.evaluate(nearby).min()) >= best


def test_constant_inputs_are_refused():
    x = torch.full((10, 1), 3.0, dtype=torch.float64)
    y = torch.arange(10, dtype=torch.float64).unsqueeze(1)
    problem = SupervisedProblem(LinearSpace(1, 1), x, y, SquaredError())
    with pytest.raises(SearchlabError, match="varied x"):
        run(problem, LeastSquares(), Budget(steps=1), seed=0)
