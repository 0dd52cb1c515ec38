"""The Huber / L-BFGS Chinchilla fit recovers known laws from synthetic losses, with honest intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import check_grad

from searchlab.core.errors import SearchlabError
from searchlab.scaling.huber_fit import NAMES, fit_chinchilla_huber
from searchlab.scaling.huber_fit import _objective as objective

TRUE = {"E": 1.7, "A": 406.4, "B": 410.7, "a": 0.34, "b": 0.28}  # Hoffmann et al.'s published fit


def _grid(noise: float, seed: int = 0):
    n, d = np.meshgrid(np.logspace(2, 6, 6), np.logspace(3, 7, 6))
    n, d = n.ravel(), d.ravel()
    loss = TRUE["E"] + TRUE["A"] * n ** -TRUE["a"] + TRUE["B"] * d ** -TRUE["b"]
    return n, d, loss * np.exp(np.random.default_rng(seed).normal(0.0, noise, loss.size))


def test_the_gradient_is_exact():
    n, d, loss = _grid(0.01)
    args = (np.log(n), np.log(d), np.log(loss), 0.05)  # a delta that makes both Huber branches appear
    for theta in ([6.0, 6.0, 0.5, 0.3, 0.3], [2.0, 9.0, -0.5, 0.8, 0.2]):
        error = check_grad(lambda t: objective(t, *args)[0], lambda t: objective(t, *args)[1], np.array(theta))
        assert error < 1e-6


def test_noiseless_losses_give_back_the_law():
    fit = fit_chinchilla_huber(*_grid(0.0))
    for name, value in TRUE.items():
        assert fit.params[name] == pytest.approx(value, rel=0.02), name


@pytest.mark.slow
def test_bootstrap_intervals_bracket_the_estimate_and_are_not_far_from_the_truth():
    # Coverage of the truth is not asserted for one data set: a bootstrap of a five-parameter nonlinear fit
    # to 36 trials under-covers (on some noise draws the true exponent lies just outside its interval),
    # which is the honest state of such intervals and why the report prints them as they are. What must
    # hold: every interval brackets its estimate, and the exponents err by at most a few interval widths.
    fit = fit_chinchilla_huber(*_grid(0.02, seed=1), bootstrap=20, seed=0)
    assert fit.resamples >= 15
    for name in NAMES:
        low, high = fit.intervals[name]
        assert low <= fit.params[name] <= high
    for name in ("a", "b"):
        low, high = fit.intervals[name]
        assert abs(fit.params[name] - TRUE[name]) < 4 * (high - low), name


def test_one_wild_trial_moves_the_huber_fit_far_less_than_it_moves_least_squares():
    n, d, loss = _grid(0.0)
    loss[7] *= 3.0  # a diverged trial
    robust = fit_chinchilla_huber(n, d, loss)
    squares = fit_chinchilla_huber(n, d, loss, delta=10.0)  # delta above every residual: plain least squares
    assert abs(robust.params["a"] - TRUE["a"]) < 0.2 * abs(squares.params["a"] - TRUE["a"])


def test_bad_inputs_are_refused():
    with pytest.raises(SearchlabError, match="at least 5 trials"):
        fit_chinchilla_huber([1, 2], [1, 2], [1, 2])
    with pytest.raises(SearchlabError, match="one value per trial"):
        fit_chinchilla_huber([1, 2, 3, 4, 5], [1, 2, 3, 4], [1, 2, 3, 4, 5])
    with pytest.raises(SearchlabError, match="> 0"):
        fit_chinchilla_huber([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 0, 4, 5])
