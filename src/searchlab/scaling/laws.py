"""Scaling laws L(N, D): Kaplan's and the Chinchilla form, fitted with scipy, and what follows from them.

N is the number of model parameters, D the number of training examples, L the
held-out loss (> 0). Every function takes one row per trial (several seeds per
(N, D) cell are fine) and returns numbers; the figures are drawn elsewhere, and
what the trials show without a law (means per cell, data to a target) is in
`searchlab.scaling.grid`.

Both forms are fitted to log L, not L: the literature does so, the noise of a loss
is roughly multiplicative, and squared errors in L would let the largest (worst)
losses decide the fit while the small ones, the ones being extrapolated towards,
are ignored. Positive scale constants are fitted as logs, which keeps parameters
that span tens of orders of magnitude on the same footing as the exponents.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit, minimize_scalar

from searchlab.core.errors import SearchlabError
from searchlab.scaling.grid import check_rows

PUBLISHED = {
    # Kaplan et al. 2020, "Scaling Laws for Neural Language Models", eq. 1.5 (L(N, D)).
    "kaplan": {"aN": 0.076, "aD": 0.095},
    # Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models", eq. 10 (approach 3).
    "chinchilla": {"a": 0.34, "b": 0.28},
}

_EXPONENT_BOUNDS = (1e-4, 5.0)
_LOG_SCALE_BOUNDS = (-50.0, 200.0)  # wide enough for any Nc, Dc, A, B met in practice


def kaplan(N, D, Nc, Dc, aN, aD) -> np.ndarray:
    """Kaplan's L(N, D) = [(Nc/N)^(aN/aD) + Dc/D]^aD, broadcast over N and D."""
    return np.exp(_kaplan_log(np.log(N), np.log(D), np.log(Nc), np.log(Dc), aN, aD))


def chinchilla(N, D, E, A, B, a, b) -> np.ndarray:
    """The Chinchilla form L(N, D) = E + A/N^a + B/D^b, broadcast over N and D."""
    return E + A * np.asarray(N, float) ** -a + B * np.asarray(D, float) ** -b


def _kaplan_log(log_n, log_d, log_nc, log_dc, aN, aD):
    # log L = aD * log(exp(r (log Nc - log N)) + exp(log Dc - log D)): logaddexp never overflows.
    return aD * np.logaddexp(aN / aD * (log_nc - log_n), log_dc - log_d)


def _chinchilla_log(log_n, log_d, E, log_a, log_b, a, b):
    reducible = np.logaddexp(log_a - a * log_n, log_b - b * log_d)
    with np.errstate(divide="ignore"):  # E = 0 gives log E = -inf, which logaddexp handles
        return np.logaddexp(reducible, np.log(E))


_FORMS = {"kaplan": kaplan, "chinchilla": chinchilla}


@dataclass(frozen=True)
class Fit:
    """A fitted scaling law.

    Attributes:
        form: "kaplan" or "chinchilla".
        params: the law's parameters in natural units (Kaplan: Nc, Dc, aN, aD;
            Chinchilla: E, A, B, a, b).
        stderr: their standard errors, same keys; inf where the data do not determine
            one (singular covariance, or the parameter ended at a bound of the fit).
        rmse_log: root mean square of the residuals of log L.
        points: how many rows were fitted.
    """

    form: str
    params: dict[str, float]
    stderr: dict[str, float]
    rmse_log: float
    points: int

    def predict(self, N, D) -> np.ndarray:
        """Predicted loss at (N, D), broadcast like numpy."""
        return _FORMS[self.form](N, D, **self.params)

    def to_dict(self) -> dict:
        """JSON-ready: plain floats, with a non-finite standard error written as None."""
        return {
            "form": self.form,
            "params": {k: float(v) for k, v in self.params.items()},
            "stderr": {k: float(v) if np.isfinite(v) else None for k, v in self.stderr.items()},
            "rmse_log": float(self.rmse_log),
            "points": int(self.points),
        }


def _best_curve_fit(form, model, starts, bounds, log_n, log_d, log_l, names, to_natural) -> Fit:
    """Run curve_fit from every start, keep the smallest squared error, convert to natural units."""
    best = None
    x = np.vstack([log_n, log_d])  # (2, n)
    for p0 in starts:
        p0 = np.clip(p0, bounds[0] + 1e-9, bounds[1] - 1e-9)
        # Well-posed fits converge in under 50 evaluations; a start that needs 200 is abandoned,
        # which keeps degenerate data (a parameter the data ignore) from crawling for seconds.
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OptimizeWarning)  # singular covariance: reported as inf below
                popt, pcov = curve_fit(
                    lambda x, *p: model(x[0], x[1], *p),
                    x,
                    log_l,
                    p0=p0,
                    bounds=bounds,
                    method="trf",
                    x_scale="jac",
                    max_nfev=200,
                )
        except (RuntimeError, ValueError):
            continue
        sse = float(np.sum((model(log_n, log_d, *popt) - log_l) ** 2))
        if np.isfinite(sse) and (best is None or sse < best[0]):
            best = (sse, popt, pcov)
    if best is None:
        raise SearchlabError(
            f"the {form} fit did not converge from any of {len(starts)} starting points; "
            "check that loss falls with N and D over the trials"
        )
    sse, popt, pcov = best
    se = np.sqrt(np.abs(np.diag(pcov))) if np.all(np.isfinite(pcov)) else np.full(len(popt), np.inf)
    if not _full_rank(model, popt, bounds, log_n, log_d):
        se[:] = np.inf  # curve_fit's pseudo-inverse would report 0 for what the data cannot determine
    # At an active bound the covariance (from the Jacobian) says nothing; report the error as unknown.
    at_bound = np.isclose(popt, bounds[0], rtol=1e-6, atol=1e-9) | np.isclose(popt, bounds[1], rtol=1e-6, atol=1e-9)
    se = np.where(at_bound, np.inf, se)
    params, stderr = to_natural(dict(zip(names, popt)), dict(zip(names, se)))
    return Fit(form, params, stderr, float(np.sqrt(sse / log_l.size)), int(log_l.size))


def _full_rank(model, popt, bounds, log_n, log_d) -> bool:
    """Whether the Jacobian of log L in the parameters has full column rank at the fit."""
    base = model(log_n, log_d, *popt)
    columns = []
    for i, h in enumerate(1e-6 * np.maximum(np.abs(popt), 1e-3)):
        step = h if popt[i] + h <= bounds[1][i] else -h  # forward differences that stay inside the bounds
        moved = popt.copy()
        moved[i] += step
        columns.append((model(log_n, log_d, *moved) - base) / step)
    jacobian = np.column_stack(columns)  # (n_rows, n_params)
    if not np.all(np.isfinite(jacobian)):
        return False
    singular = np.linalg.svd(jacobian, compute_uv=False)
    return bool(singular[-1] > 1e-8 * singular[0])


def _delta_log(params: dict, stderr: dict, logs: dict[str, str]) -> tuple[dict, dict]:
    """exp() the log-parameters; by the delta method se(X) = X * se(log X)."""
    out_p, out_s = {}, {}
    for key, value in params.items():
        name = logs.get(key, key)
        out_p[name] = float(np.exp(value)) if key in logs else float(value)
        out_s[name] = out_p[name] * float(stderr[key]) if key in logs else float(stderr[key])
    return out_p, out_s


def fit_kaplan(N, D, L) -> Fit:
    """Fit Kaplan's L(N, D) = [(Nc/N)^(aN/aD) + Dc/D]^aD to log L.

    Fitted parameters are log Nc, log Dc, aN, aD (exponents kept in [1e-4, 5]), from
    a grid of 27 starts: three values of each exponent crossed with three ways of
    sharing the median loss between the N term and the D term.

    Returns:
        A Fit with params Nc, Dc, aN, aD and their standard errors.

    Raises:
        SearchlabError: on mismatched lengths, non-positive or non-finite values,
            fewer than 5 trials, a single N or D, or when no start converges.
    """
    n, d, loss = check_rows(4, N, D, L)
    log_n, log_d, log_l = np.log(n), np.log(d), np.log(loss)
    mid_n, mid_d, mid_l = np.median(log_n), np.median(log_d), np.median(log_l)
    starts = []
    for a_n, a_d, share in itertools.product((0.05, 0.15, 0.4), (0.05, 0.15, 0.4), (0.2, 0.5, 0.8)):
        # Choose Nc, Dc so that at the median trial the two terms split L^(1/aD) as share : 1 - share.
        bracket = mid_l / a_d  # log of L^(1/aD)
        starts.append([mid_n + (bracket + np.log(share)) * a_d / a_n, mid_d + bracket + np.log(1 - share), a_n, a_d])
    lo, hi = _LOG_SCALE_BOUNDS, _EXPONENT_BOUNDS
    bounds = (np.array([lo[0], lo[0], hi[0], hi[0]]), np.array([lo[1], lo[1], hi[1], hi[1]]))
    return _best_curve_fit(
        "kaplan",
        _kaplan_log,
        starts,
        bounds,
        log_n,
        log_d,
        log_l,
        ["log_Nc", "log_Dc", "aN", "aD"],
        lambda p, s: _delta_log(p, s, {"log_Nc": "Nc", "log_Dc": "Dc"}),
    )


def fit_chinchilla(N, D, L) -> Fit:
    """Fit the Chinchilla form L = E + A/N^a + B/D^b to log L.

    Fitted parameters are E (bounded to 0 <= E < min L, since the loss never falls below
    its irreducible part), log A, log B, a, b (exponents in [1e-4, 5]), from 27 starts:
    three values of each exponent crossed with E at 0, 50% and 90% of the smallest loss.

    Returns:
        A Fit with params E, A, B, a, b and their standard errors.

    Raises:
        SearchlabError: as fit_kaplan, with at least 6 trials.
    """
    n, d, loss = check_rows(5, N, D, L)
    log_n, log_d, log_l = np.log(n), np.log(d), np.log(loss)
    mid_n, mid_d, mid_l = np.median(log_n), np.median(log_d), np.median(loss)
    starts = []
    for a, b, e_share in itertools.product((0.1, 0.3, 0.6), (0.1, 0.3, 0.6), (0.0, 0.5, 0.9)):
        e0 = e_share * loss.min()
        half = np.log((mid_l - e0) / 2)  # each reducible term starts as half the median reducible loss
        starts.append([e0, half + a * mid_n, half + b * mid_d, a, b])
    lo, hi = _LOG_SCALE_BOUNDS, _EXPONENT_BOUNDS
    e_max = loss.min() * (1 - 1e-9)
    bounds = (np.array([0.0, lo[0], lo[0], hi[0], hi[0]]), np.array([e_max, lo[1], lo[1], hi[1], hi[1]]))
    return _best_curve_fit(
        "chinchilla",
        _chinchilla_log,
        starts,
        bounds,
        log_n,
        log_d,
        log_l,
        ["E", "log_A", "log_B", "a", "b"],
        lambda p, s: _delta_log(p, s, {"log_A": "A", "log_B": "B"}),
    )


FITTERS: dict[str, Callable[..., Fit]] = {"kaplan": fit_kaplan, "chinchilla": fit_chinchilla}


def exponents_vs_published(fits: dict[str, Fit]) -> list[dict]:
    """One row per exponent: form, name, fitted value, its standard error, the published value."""
    return [
        {
            "form": form,
            "exponent": name,
            "fitted": fits[form].params[name],
            "stderr": fits[form].stderr[name],
            "published": published,
        }
        for form, table in PUBLISHED.items()
        if form in fits
        for name, published in table.items()
    ]


def heldout_prediction_error(fit_fn: Callable[..., Fit], N, D, L, holdout) -> dict:
    """Fit on the rows where holdout is False; predict the rows where it is True.

    Returns:
        {"fit": the Fit (not JSON; use .to_dict()), "mean_abs_relative_error": mean |pred/L - 1|,
        "mean_abs_log_error": mean |log pred - log L|, "points": [{"N", "D", "L", "predicted"}, ...]}.

    Raises:
        SearchlabError: when nothing is held out, or from the fit.
    """
    n, d, loss = check_rows(0, N, D, L)
    held = np.asarray(holdout, dtype=bool).ravel()
    if held.size != n.size or not held.any():
        raise SearchlabError("holdout must be one boolean per trial with at least one True")
    fit = fit_fn(n[~held], d[~held], loss[~held])
    predicted = fit.predict(n[held], d[held])
    return {
        "fit": fit,
        "mean_abs_relative_error": float(np.mean(np.abs(predicted / loss[held] - 1))),
        "mean_abs_log_error": float(np.mean(np.abs(np.log(predicted) - np.log(loss[held])))),
        "points": [
            {"N": float(a), "D": float(b), "L": float(c), "predicted": float(p)}
            for a, b, c, p in zip(n[held], d[held], loss[held], predicted)
        ],
    }


def compute_optimal(fit: Fit, compute: float, flops_per_param_example: float = 6.0) -> dict:
    """The split of a compute budget C = k N D that minimises the fitted loss.

    Along D = C / (k N) both forms are convex in log N (a sum, or a log-sum-exp, of
    exponentials of linear functions of log N), so a bounded 1-D search finds the
    global minimum; the bounds are N >= 1 and D >= 1.

    Returns:
        {"compute", "N_opt", "D_opt", "loss"}, floats.
    """
    scale = compute / flops_per_param_example  # = N * D
    if not np.isfinite(scale) or scale <= 1:
        raise SearchlabError("compute must be finite and larger than flops_per_param_example")
    log_scale = np.log(scale)
    result = minimize_scalar(
        lambda x: np.log(fit.predict(np.exp(x), np.exp(log_scale - x))),
        bounds=(0.0, log_scale),
        method="bounded",
        options={"xatol": 1e-10},
    )
    n_opt = float(np.exp(result.x))
    d_opt = float(scale / n_opt)
    return {"compute": float(compute), "N_opt": n_opt, "D_opt": d_opt, "loss": float(fit.predict(n_opt, d_opt))}


def compute_optimal_frontier(fit: Fit, computes, flops_per_param_example: float = 6.0) -> dict[str, np.ndarray]:
    """compute_optimal over many budgets: arrays "compute", "N_opt", "D_opt", "loss" (same length)."""
    rows = [compute_optimal(fit, c, flops_per_param_example) for c in np.asarray(computes, float).ravel()]
    return {key: np.array([row[key] for row in rows]) for key in ("compute", "N_opt", "D_opt", "loss")}


def iso_loss_grid(fit: Fit, N_range, D_range, n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log-spaced meshgrid for an iso-loss contour plot: (N, D, predicted L), each (n, n), D along rows."""
    n_axis = np.geomspace(N_range[0], N_range[1], n)
    d_axis = np.geomspace(D_range[0], D_range[1], n)
    grid_n, grid_d = np.meshgrid(n_axis, d_axis)  # (n_D, n_N)
    return grid_n, grid_d, fit.predict(grid_n, grid_d)
