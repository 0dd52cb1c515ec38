"""Gao, Schulman and Hilton (2022), "Scaling laws for reward model overoptimization": their curves, fitted.

* `gao_fit(d, scores, kind)`: the functional forms in d = sqrt(KL(policy || initial)): best-of-n
  R(d) = d (alpha - beta d), RL R(d) = d (alpha - beta log d), and the d where the fitted true
  reward peaks.
* `bon_distance(n)`: the analytic d of best-of-n.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import curve_fit

from searchlab.core.errors import SearchlabError

GAO_KINDS = ("bon", "rl")


@dataclass(frozen=True)
class GaoFit:
    """A fitted Gao et al. (2022) curve of true reward against d = sqrt(KL).

    Attributes:
        kind: "bon" (R = d (alpha - beta d)) or "rl" (R = d (alpha - beta log d)).
        alpha, beta: the fitted coefficients; alpha_stderr, beta_stderr their standard errors.
        peak_d: the d where the fitted curve is highest (inf when beta <= 0: no peak).
        peak_score: the fitted R at peak_d (the gain over the initial policy).
    """

    kind: str
    alpha: float
    beta: float
    alpha_stderr: float
    beta_stderr: float
    peak_d: float
    peak_score: float

    def predict(self, d) -> np.ndarray:
        """The fitted gain R(d) at each d (R(0) = 0)."""
        return _gao_form(self.kind)(np.asarray(d, dtype=float), self.alpha, self.beta)

    def as_dict(self) -> dict:
        return {
            k: getattr(self, k)
            for k in ("kind", "alpha", "beta", "alpha_stderr", "beta_stderr", "peak_d", "peak_score")
        }


def _gao_form(kind: str) -> Callable:
    if kind == "bon":
        return lambda d, alpha, beta: d * (alpha - beta * d)
    # d log d -> 0 as d -> 0, so the RL form is 0 at d = 0 like the best-of-n one.
    return lambda d, alpha, beta: d * alpha - beta * np.where(d > 0, d * np.log(np.maximum(d, 1e-300)), 0.0)


def bon_distance(n) -> np.ndarray:
    """d = sqrt(KL) of best-of-n against the sampling policy, analytically: sqrt(log n - (n - 1) / n)."""
    n = np.asarray(n, dtype=float)
    if (n < 1).any():
        raise SearchlabError("best-of-n needs n >= 1")
    return np.sqrt(np.log(n) - (n - 1) / n)


def gao_fit(d, scores, kind: str, baseline: float = 0.0) -> GaoFit:
    """Fit Gao et al.'s form to true-reward gains measured at distances d (scipy curve_fit).

    Args:
        d: (m,) sqrt(KL(policy || initial)) at each measurement, >= 0.
        scores: (m,) the true reward there.
        kind: "bon" or "rl".
        baseline: the initial policy's true reward, subtracted so that R(0) = 0 as in the paper.

    Raises:
        SearchlabError: an unknown kind, mismatched or non-finite inputs, negative d, fewer
            than two points with d > 0, or a fit that does not converge.
    """
    if kind not in GAO_KINDS:
        raise SearchlabError(f"gao_fit kind is one of {', '.join(GAO_KINDS)}, got {kind!r}")
    d = np.asarray(d, dtype=float).reshape(-1)
    gains = np.asarray(scores, dtype=float).reshape(-1) - float(baseline)
    if d.shape != gains.shape or not np.isfinite(d).all() or not np.isfinite(gains).all() or (d < 0).any():
        raise SearchlabError(f"gao_fit needs finite d >= 0 and one score per d; got {d.size} d and {gains.size} scores")
    if (d > 0).sum() < 2:
        raise SearchlabError("gao_fit needs at least two measurements with d > 0")
    try:
        (alpha, beta), covariance = curve_fit(_gao_form(kind), d, gains, p0=(1.0, 0.1))
    except (RuntimeError, ValueError) as err:
        raise SearchlabError(f"gao_fit ({kind}) did not converge: {err}") from None
    errors = np.sqrt(np.clip(np.diag(covariance), 0, None)) if np.isfinite(covariance).all() else np.full(2, np.inf)
    if beta <= 0:
        peak = math.inf
    else:
        peak = alpha / (2 * beta) if kind == "bon" else math.exp(alpha / beta - 1)
    fitted = GaoFit(kind, float(alpha), float(beta), float(errors[0]), float(errors[1]), float(peak), math.nan)
    peak_score = float(fitted.predict(peak)) if math.isfinite(peak) else math.inf
    return GaoFit(kind, float(alpha), float(beta), float(errors[0]), float(errors[1]), float(peak), peak_score)
