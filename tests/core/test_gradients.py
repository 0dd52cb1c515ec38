"""Autograd through the batched network equals finite differences, and equals nn.Module."""

from __future__ import annotations

import pytest
import torch

from searchlab.core import CrossEntropy, SquaredError, SupervisedProblem
from searchlab.spaces import MLPSpace


def _central_differences(loss_fn, params: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    grad = torch.zeros_like(params)
    for i in range(params.shape[0]):
        step = torch.zeros_like(params)
        step[i] = eps
        grad[i] = (loss_fn(params + step) - loss_fn(params - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize("metric,n_out", [(SquaredError(), 2), (CrossEntropy(), 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_autograd_matches_finite_differences(metric, n_out, bias):
    g = torch.Generator().manual_seed(0)
    space = MLPSpace([4, 5, 3, n_out], bias=bias, activation="tanh")
    x = torch.randn(20, 4, generator=g, dtype=torch.float64)
    if isinstance(metric, CrossEntropy):
        y = torch.randint(n_out, (20,), generator=g)
    else:
        y = torch.randn(20, n_out, generator=g, dtype=torch.float64)
    problem = SupervisedProblem(space, x, y, metric)
    params = space.sample(1, g)[0].to(torch.float64).requires_grad_(True)
    loss = problem.evaluate(params.unsqueeze(0), gradient=True)[0]
    (autograd,) = torch.autograd.grad(loss, params)
    numeric = _central_differences(lambda p: problem.full_loss(p), params.detach())
    torch.testing.assert_close(autograd, numeric, rtol=1e-6, atol=1e-8)


def test_population_forward_equals_each_module():
    g = torch.Generator().manual_seed(1)
    space = MLPSpace([3, 2, 2], bias=False, output_activation="relu")  # the essay's network
    assert space.dim == 10
    population = space.sample(7, g)
    x = torch.randn(11, 3, generator=g)
    batched = space.forward(population, x)  # (7, 11, 2)
    for k in range(7):
        module = space.module(population[k])
        torch.testing.assert_close(batched[k], module(x))
        torch.testing.assert_close(space.params_from_module(module), population[k])


def test_essay_weight_names():
    names = MLPSpace([3, 2, 2], bias=False).parameter_names()
    assert names[:3] == ["w(1)1,1", "w(1)2,1", "w(1)3,1"]  # inputs 1..3 into hidden neuron 1
    assert names[6:] == ["w(2)1,1", "w(2)2,1", "w(2)1,2", "w(2)2,2"]
