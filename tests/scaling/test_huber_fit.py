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


def test_the_compute_optimal_interval_collapses_on_identical_refits_and_matches_the_closed_form():
    from searchlab.scaling.huber_fit import HuberFit, compute_optimal_interval

    fit = HuberFit(dict(TRUE), samples=(dict(TRUE),) * 5)
    row = compute_optimal_interval(fit, 1e21)
    # Minimising E + A N^-a + B D^-b on N D = C/6 gives a N^-a A = b B D^-b (Hoffmann et al., eq. 4).
    n, d = row["N_opt"], row["D_opt"]
    assert TRUE["a"] * TRUE["A"] * n ** -TRUE["a"] == pytest.approx(TRUE["b"] * TRUE["B"] * d ** -TRUE["b"], rel=1e-4)
    assert n * d == pytest.approx(1e21 / 6, rel=1e-9)
    assert row["bounded"] and row["N_low"] == pytest.approx(n) and row["D_high"] == pytest.approx(d)


def test_a_refit_whose_optimum_runs_to_an_edge_leaves_the_split_undetermined():
    from searchlab.scaling.huber_fit import HuberFit, compute_optimal_interval

    data_never_helps = {**TRUE, "b": 0.0}  # then every FLOP is best spent on parameters: N runs to C / 6
    fit = HuberFit(dict(TRUE), samples=(dict(TRUE), data_never_helps, dict(TRUE)))
    row = compute_optimal_interval(fit, 1e21)
    assert not row["bounded"]
    assert row["N_high"] > row["N_opt"] * 10
    assert not compute_optimal_interval(HuberFit(dict(TRUE)), 1e21)["bounded"]  # no refits: no interval
