"""Uncertainty over seeds: bootstrap intervals, paired comparisons, and verdicts computed from them.

A number measured once says little: another seed moves it. Every headline number in searchlab is a
statistic over several seeds with a 95% bootstrap interval (Efron & Tibshirani 1993; computed by
`scipy.stats.bootstrap`, percentile method, because with three to ten seeds the bias correction of
BCa is itself too noisy to trust). Two methods run on the same seeds (or scored on the same
positions) are compared *paired*: the interval is over the per-seed differences, which removes what
the seeds share and is often far narrower than comparing two separate intervals.

Few seeds buy a weak interval, and the report should say so: the percentile interval of n values
never reaches past their smallest and largest, so for a symmetric spread it covers the true
mean at most 1 - 2 / 2**n of the time: 75% with 3 seeds, 94% with 5. Full-size runs use at least 5.

A claim's verdict is never typed by hand; `verdict` computes it from the interval by one rule:

- "supported" when the whole interval lies on the side of the threshold the claim predicts;
- "contradicted" when the whole interval lies on the other side;
- "inconclusive" otherwise, including when there are too few values for an interval: fewer than
  `MIN_VALUES` (3). Two seeds that happen to agree give an interval of zero width, which says nothing
  about a third.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from searchlab.core.errors import SearchlabError

CONFIDENCE = 0.95
MIN_VALUES = 3  # fewer values than this give no verdict, whatever their interval
VERDICTS = ("supported", "contradicted", "inconclusive")
RULE = (
    "supported: the whole 95% interval lies on the side of the threshold the claim predicts; "
    "contradicted: the whole interval lies on the other side; inconclusive: the interval straddles "
    "the threshold, or there were fewer than 3 seeds (or positions) behind it"
)


@dataclass(frozen=True)
class Interval:
    """A statistic over `n` values and its bootstrap interval (None bounds when `n` < 2 or all values agree
    to the last bit: then the bounds are the estimate itself)."""

    estimate: float
    low: float | None
    high: float | None
    n: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self, digits: int = 3) -> str:
        """`estimate [low, high]`, or the estimate alone without an interval."""
        if self.low is None or self.high is None:
            return f"{self.estimate:.{digits}g} (n={self.n}, no interval)"
        return f"{self.estimate:.{digits}g} [{self.low:.{digits}g}, {self.high:.{digits}g}]"


def bootstrap_interval(
    values: Sequence[float],
    statistic: Callable[[np.ndarray], float] = np.mean,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = 9999,
    seed: int = 0,
) -> Interval:
    """The statistic of `values` (one per seed) with its percentile-bootstrap interval.

    Args:
        values: one measurement per seed (or per position); NaN is refused.
        statistic: what to estimate (mean by default; np.median works too).
        confidence: the interval's coverage.
        resamples: bootstrap resamples.
        seed: seeds the resampling, so a report's interval is reproducible.

    Raises:
        SearchlabError: no values, a NaN or infinite value, or a confidence outside (0, 1).
    """
    data = np.asarray(values, dtype=float).reshape(-1)
    if data.size == 0 or not np.isfinite(data).all():
        raise SearchlabError(f"an interval needs at least one finite value, got {data.tolist()}")
    if not 0 < confidence < 1:
        raise SearchlabError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    estimate = float(statistic(data))
    if data.size < 2:
        return Interval(estimate, None, None, int(data.size))
    if np.all(data == data[0]):
        return Interval(estimate, estimate, estimate, int(data.size))  # every resample is the same
    from scipy.stats import bootstrap

    result = bootstrap(
        (data,),
        lambda sample, axis: np.apply_along_axis(statistic, axis, sample),
        confidence_level=confidence,
        n_resamples=resamples,
        method="percentile",
        rng=np.random.default_rng(seed),
        vectorized=True,
    )
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    return Interval(estimate, min(low, estimate), max(high, estimate), int(data.size))


def paired_difference(
    first: Sequence[float], second: Sequence[float], *, confidence: float = CONFIDENCE, seed: int = 0
) -> Interval:
    """Mean of `first[i] - second[i]` over shared seeds (or positions), with its bootstrap interval.

    Raises:
        SearchlabError: the two lists differ in length (they must pair up seed by seed).
    """
    a, b = np.asarray(first, dtype=float).reshape(-1), np.asarray(second, dtype=float).reshape(-1)
    if a.shape != b.shape:
        raise SearchlabError(f"a paired comparison needs one value of each per seed, got {a.size} and {b.size}")
    return bootstrap_interval(a - b, confidence=confidence, seed=seed)


def verdict(interval: Interval, threshold: float, *, predicts: str = "above") -> str:
    """The verdict on a claim that the measured quantity lies `predicts` ("above" or "below") `threshold`.

    See the module docstring for the rule (also `RULE`, which a report prints beside its verdicts).
    """
    if predicts not in ("above", "below"):
        raise SearchlabError(f"a claim predicts 'above' or 'below' its threshold, not {predicts!r}")
    if interval.low is None or interval.high is None or interval.n < MIN_VALUES or not math.isfinite(threshold):
        return "inconclusive"
    above, below = interval.low > threshold, interval.high < threshold
    if above or below:
        return "supported" if above == (predicts == "above") else "contradicted"
    return "inconclusive"


CLAIM_KEYS = ("id", "claim", "measure", "estimate", "ci_low", "ci_high", "baseline", "verdict", "seeds", "section")


def claim_row(
    id: str,
    claim: str,
    measure: str,
    interval: Interval,
    *,
    threshold: float,
    predicts: str = "above",
    baseline: str | float | None = None,
    section: str,
    seeds: int | None = None,
) -> dict[str, Any]:
    """One row of a result's `claims` list: what is claimed, what was measured, and the computed verdict.

    Args:
        id: a stable identifier (`self_play_finds_strong_play`).
        claim: the claim in a sentence, as the report shows it.
        measure: what `interval` measures and what the threshold means, in words.
        interval: the measurement over seeds (or positions).
        threshold: the value the claim says the measure lies `predicts` of.
        predicts: "above" or "below".
        baseline: the trivial reference beside the estimate (chance, majority class, the untrained model).
        section: the essay's section the claim comes from.
        seeds: the independent runs behind the measurement, when the interval's values are not one per
            seed (an interval over positions scored by one trained network: seeds=1); default `interval.n`.

    Returns:
        A dict with exactly `CLAIM_KEYS`; `verdict` is `verdict(interval, threshold, predicts=predicts)`.
    """
    return {
        "id": id,
        "claim": claim,
        "measure": measure,
        "estimate": interval.estimate,
        "ci_low": interval.low,
        "ci_high": interval.high,
        "baseline": baseline,
        "verdict": verdict(interval, threshold, predicts=predicts),
        "seeds": interval.n if seeds is None else seeds,
        "section": section,
    }
