"""The perturbation experiment's arithmetic: the cost of reaching a target, medians over seeds, and the
log-log fit of how one optimizer's cost grows against another's as the network grows."""

from __future__ import annotations

import math

import numpy as np

from searchlab.core.trace import Trace


def forward_equivalents_to_target(trace: Trace, target_loss: float) -> int | None:
    """Forward-equivalents spent by the end of the first step whose loss is at or below the target; None if none is."""
    for spent, loss in zip(trace["forward_equivalents"], trace["loss"]):
        if loss <= target_loss:
            return int(spent)
    return None


def median_to_target(values: list[int | None]) -> float | None:
    """Median over seeds, where a run that never reached the target counts as infinitely costly.

    None when the median itself is a run that did not reach it (more than half of them, or half with an even count).
    """
    ordered = sorted(math.inf if v is None else float(v) for v in values)
    n = len(ordered)
    middle = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return None if math.isinf(middle) else middle


def ratio_slope(rows: list[dict], numerator: str, denominator: str, *, censored_at: float | None = None) -> dict:
    """Fit log10(median cost of `numerator` / median cost of `denominator`) = slope * log10(params) + c.

    Args:
        rows: dicts with params, optimizer, seed, forward_equivalents_to_target (None: not reached).
        numerator, denominator: optimizer names.
        censored_at: when given, a size where `numerator`'s median did not reach the target
            counts as reaching it at this cost (a lower bound on its ratio).

    Returns:
        {"slope", "intercept", "points", "params", "ratios", "lower_bound"}: slope and intercept are
        None with fewer than 2 usable sizes; `lower_bound` flags the ratios that are only lower bounds.
    """
    medians = per_size_medians(rows)
    params, ratios, bounds = [], [], []
    for size in sorted({row["params"] for row in rows}):
        top, bottom = medians.get((size, numerator)), medians.get((size, denominator))
        if bottom is None or (size, numerator) not in medians:
            continue
        bound = top is None
        if bound and censored_at is None:
            continue
        params.append(size)
        ratios.append((censored_at if bound else top) / bottom)
        bounds.append(bound)
    slope = intercept = None
    if len(params) >= 2:
        slope, intercept = (float(v) for v in np.polyfit(np.log10(params), np.log10(ratios), 1))
    return {
        "slope": slope,
        "intercept": intercept,
        "points": len(params),
        "params": params,
        "ratios": ratios,
        "lower_bound": bounds,
    }


def per_size_medians(rows: list[dict]) -> dict[tuple[int, str], float | None]:
    """{(params, optimizer): median forward-equivalents to target over seeds (None: not reached)}."""
    grouped: dict[tuple[int, str], list[int | None]] = {}
    for row in rows:
        grouped.setdefault((row["params"], row["optimizer"]), []).append(row["forward_equivalents_to_target"])
    return {key: median_to_target(values) for key, values in grouped.items()}


def slopes(rows: list[dict], numerators: list[str], denominators: list[str], budget: float) -> dict[str, dict]:
    """{"numerator/denominator": `ratio_slope` over sizes where both medians reached the target, plus the
    same fit with not-reached medians counted as the budget ("with_not_reached_at_budget")}, for every pair;
    "local_search/sgd" is always there (an empty fit when it was not measured)."""
    fitted = {}
    for top in numerators:
        for bottom in denominators:
            fit = ratio_slope(rows, top, bottom)
            fit["with_not_reached_at_budget"] = ratio_slope(rows, top, bottom, censored_at=budget)
            fitted[f"{top}/{bottom}"] = fit
    fitted.setdefault(
        "local_search/sgd",
        {"slope": None, "points": 0, "params": [], "ratios": [], "lower_bound": [], "intercept": None},
    )
    return fitted
