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


def ratio_slope(
    rows: list[dict], numerator: str, denominator: str, *, censored_at: float | dict[int, float] | None = None
) -> dict:
    """Fit log10(median cost of `numerator` / median cost of `denominator`) = slope * log10(params) + c.

    Args:
        rows: dicts with params, optimizer, seed, forward_equivalents_to_target (None: not reached).
        numerator, denominator: optimizer names.
        censored_at: when given, a size where `numerator`'s median did not reach the target
            counts as reaching it at this cost (a lower bound on its ratio); a dict gives it per size.

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
        cap = censored_at.get(size) if isinstance(censored_at, dict) else censored_at
        ratios.append((cap if bound else top) / bottom)
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


def slopes(
    rows: list[dict], numerators: list[str], denominators: list[str], budget: float | dict[int, float]
) -> dict[str, dict]:
    """{"numerator/denominator": `ratio_slope` over sizes where both medians reached the target, plus the
    same fit with not-reached medians counted as the budget ("with_not_reached_at_budget"; a dict: per
    size)}, for every pair; "local_search/sgd" is always there (an empty fit when it was not measured)."""
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


def loglog_fit(xs: list[float], ys: list[float]) -> tuple[float | None, float | None]:
    """Least-squares (slope, intercept) of log10(ys) on log10(xs); (None, None) with fewer than 2 distinct xs."""
    if len(set(xs)) < 2:
        return None, None
    slope, intercept = np.polyfit(np.log10(xs), np.log10(ys), 1)
    return float(slope), float(intercept)


def loglog_slope(xs: list[float], ys: list[float]) -> float | None:
    """The slope of `loglog_fit`."""
    return loglog_fit(xs, ys)[0]


def best_of(rows: list[dict], methods: list[str], params: int, seed: int) -> int | None:
    """The cheapest cost to target among `methods` at one size and seed (None: none of them reached it)."""
    reached = [
        row["forward_equivalents_to_target"]
        for row in rows
        if row["params"] == params
        and row["seed"] == seed
        and row["optimizer"] in methods
        and row["forward_equivalents_to_target"] is not None
    ]
    return min(reached, default=None)


def seed_slopes(
    rows: list[dict], numerators: list[str], denominators: list[str], budget: float | dict[int, float]
) -> dict:
    """Per seed, the log-log slope against weights of (cheapest of `numerators`) / (cheapest of `denominators`).

    Seed i starts every optimizer from the same network, so each seed gives one paired slope. A size where
    no denominator reached the target is left out for that seed (its ratio is unknown); a size where no
    numerator reached it counts at `budget` (a dict: per size), a lower bound on its cost, and is listed in
    `censored`.

    Returns:
        {"slopes": one slope per seed (None: fewer than 2 usable sizes), "intercepts": the fits' intercepts
        (log10 ratio at one weight), "params": per seed the sizes used,
        "ratios": per seed the ratios, "censored": per seed the sizes counted at the budget,
        "dropped": per seed the sizes left out, "not_lower_bound": seeds where a size counted at the budget
        lies below a size reached (that lower bound raises the slope, so the slope is no lower bound)}.
    """
    out: dict[str, list] = {"slopes": [], "intercepts": [], "params": [], "ratios": [], "censored": [], "dropped": []}
    out["not_lower_bound"] = []
    sizes = sorted({row["params"] for row in rows})
    for seed in sorted({row["seed"] for row in rows}):
        used, ratios, censored, dropped = [], [], [], []
        for size in sizes:
            bottom = best_of(rows, denominators, size, seed)
            if bottom is None:
                dropped.append(size)
                continue
            top = best_of(rows, numerators, size, seed)
            if top is None:
                censored.append(size)
            used.append(size)
            cap = budget[size] if isinstance(budget, dict) else budget
            ratios.append((cap if top is None else top) / bottom)
        slope, intercept = loglog_fit(used, ratios)
        out["slopes"].append(slope)
        out["intercepts"].append(intercept)
        reached = [size for size in used if size not in censored]
        if censored and reached and min(censored) < max(reached):
            out["not_lower_bound"].append(seed)
        for key, value in (("params", used), ("ratios", ratios), ("censored", censored), ("dropped", dropped)):
            out[key].append(value)
    return out


def slope_interval(fit: dict):
    """The mean of the per-seed slopes of a `seed_slopes` fit with its bootstrap interval over seeds, or None
    when no seed gave a slope."""
    from searchlab.core.intervals import bootstrap_interval

    values = [s for s in fit["slopes"] if s is not None]
    return bootstrap_interval(values) if values else None


def ratio_vs_dimension(rows: list[dict], dimensions: list[dict], perturb: list[str], gradient: list[str]) -> dict:
    """Per size: the median over seeds of (cheapest perturbation cost / cheapest gradient cost), beside the
    median effective dimension measured there (`dimensions`: rows with params and effective_dimension);
    seeds where either side did not reach the target are left out. Also the log-log slope of the median
    ratio against the effective dimension ("slope_against_effective_dimension", None with < 2 points)."""
    points = []
    for params in sorted({row["params"] for row in rows}):
        seeds = sorted({row["seed"] for row in rows})
        ratios = []
        for seed in seeds:
            top, bottom = best_of(rows, perturb, params, seed), best_of(rows, gradient, params, seed)
            if top is not None and bottom is not None:
                ratios.append(top / bottom)
        dims = [d["effective_dimension"] for d in dimensions if d["params"] == params]
        points.append(
            {
                "params": params,
                "effective_dimension": float(np.median(dims)) if dims else None,
                "median_ratio": float(np.median(ratios)) if ratios else None,
                "seeds_with_ratio": len(ratios),
            }
        )
    usable = [p for p in points if p["effective_dimension"] and p["median_ratio"]]
    slope = loglog_slope([p["effective_dimension"] for p in usable], [p["median_ratio"] for p in usable])
    return {"points": points, "slope_against_effective_dimension": slope}
