"""The perturbation report's sentences about the claim, the growing task, the effective dimension and tuning.

Each function turns numbers `perturbation.run` returned into plain words; nothing is computed beyond
picking out and formatting.
"""

from __future__ import annotations

import math

from searchlab.core.intervals import RULE, Interval
from searchlab.experiments.perturbation_config import Config, growing_budget
from searchlab.experiments.perturbation_fits import per_size_medians


def claim_paragraphs(config: Config, result: dict) -> list[str]:
    """The verdict on `perturbation_too_expensive_at_scale`, its numbers and its caveats, first in the report."""
    fit = result["paired_slopes"]["growing"]
    claims = result.get("claims", [])
    if not claims:
        return [
            "Claim perturbation_too_expensive_at_scale: no verdict. No seed of the growing task gave a slope (a "
            "slope needs two sizes where a gradient method reached the target, and both kinds of method must be "
            "among --optimizers)."
        ]
    claim = claims[0]
    interval = Interval(claim["estimate"], claim["ci_low"], claim["ci_high"], claim["seeds"])
    per_seed = ", ".join("none" if s is None else f"{s:.2f}" for s in fit["slopes"])
    text = (
        f"Claim perturbation_too_expensive_at_scale: {claim['verdict'].upper()}. On the growing task, where every "
        "weight matters, the cheapest perturbation method's cost to the target over the cheapest gradient method's "
        f"grows with the weight count with a log-log slope of {interval.text(2)} (mean over {claim['seeds']} seeds "
        f"and its 95% bootstrap interval; per seed: {per_seed}). The claim predicts a slope above 0 (the gap widens "
        "as weights are added); zeroth-order theory (Nesterov & Spokoiny 2017) predicts about 1, i.e. ten times "
        f"more weights make perturbation ten times dearer relative to the gradient. Rule: {RULE}."
    )
    if interval.low is not None and interval.high is not None:
        inside = interval.low <= 1.0 <= interval.high
        text += f" A slope of 1 is {'inside' if inside else 'outside'} the interval."
    if claim["seeds"] <= 4:
        text += (
            f" With {claim['seeds']} seeds the percentile interval is weak: it covers the true mean at most "
            f"{100 * (1 - 2 / 2 ** claim['seeds']):.0f}% of the time, whatever it says."
        )
    return [text, *_caveats(fit)]


def _caveats(fit: dict) -> list[str]:
    """Which sizes were counted at the budget (lower bounds) or left out, per seed, and what that does."""
    notes = []
    censored = {seed: sizes for seed, sizes in enumerate(fit["censored"]) if sizes}
    dropped = {seed: sizes for seed, sizes in enumerate(fit["dropped"]) if sizes}
    if censored:
        where = "; ".join(f"seed {s}: {', '.join(f'{p:,}' for p in sizes)}" for s, sizes in censored.items())
        notes.append(
            f"No perturbation method reached the target within the budget at some sizes ({where} weights); those "
            "ratios count at the budget, which is below the true cost, so where they are the largest sizes the "
            "slope is a lower bound on the true one."
        )
    if fit.get("not_lower_bound"):
        seeds = ", ".join(map(str, fit["not_lower_bound"]))
        notes.append(
            f"For seed(s) {seeds} a size counted at the budget lies below a size that was reached, so the slope of "
            "those seeds may overstate the growth."
        )
    if dropped:
        where = "; ".join(f"seed {s}: {', '.join(f'{p:,}' for p in sizes)}" for s, sizes in dropped.items())
        notes.append(
            f"No gradient method reached the target at some sizes ({where} weights); the ratio is unknown there and "
            "those sizes are left out of that seed's slope."
        )
    return notes


def growing_paragraph(config: Config, result: dict) -> str:
    """The growing task's setup and costs, then the effective dimension of both tasks."""
    growing = result["growing"]
    tasks = growing["tasks"]
    medians = per_size_medians(growing["rows"])
    small, large = tasks[0]["params"], tasks[-1]["params"]
    costs = "; ".join(
        f"{m}: {_cost(medians.get((small, m)))} at {small:,} weights and {_cost(medians.get((large, m)))} at {large:,}"
        for m in config.optimizers
    )
    text = (
        "The growing task: at each width w in "
        f"{', '.join(map(str, config.growing_widths))} a random teacher of the student's own shape "
        f"({config.inputs}-w-w-1, tanh, weights times {config.growing_teacher_scale:g}) labels "
        f"{config.examples_per_weight:g} random inputs per student weight ("
        + ", ".join(f"{t['examples']:,} for {t['params']:,} weights" for t in tasks)
        + "), standardised as above, with the same target fraction. A run may spend "
        f"{config.growing_budget_factor:g} x weights^2 forward-equivalents ("
        + ", ".join(f"{growing_budget(config, t['params']):,}" for t in tasks)
        + f"). Median forward-equivalents to the target: {costs}."
    )
    return text + " " + _dimension_sentences(config, result)


def _dimension_sentences(config: Config, result: dict) -> str:
    """The effective dimension on both tasks, and how the cost ratio follows it."""
    dims = result["effective_dimension"]
    if not dims:
        return "No gradient method ran, so the effective dimension was not measured."
    parts = []
    for axis, name in (("fixed", "fixed task"), ("growing", "growing task")):
        by_size: dict[int, list[int]] = {}
        for d in dims:
            if d["axis"] == axis:
                by_size.setdefault(d["params"], []).append(d["effective_dimension"])
        shown = ", ".join(f"{max(v)} at {p:,} weights" for p, v in sorted(by_size.items()))
        slope = result["ratio_vs_dimension"][axis]["slope_against_effective_dimension"]
        slope_text = "" if slope is None else f"; the median cost ratio's log-log slope against it is {slope:.2f}"
        parts.append(f"on the {name} {shown}{slope_text}")
    slopes = {axis: result["paired_slopes"][axis].get("interval") for axis in ("fixed", "growing")}
    compared = ""
    if slopes["fixed"] is not None and slopes["growing"] is not None:
        compared = (
            f" Against the weight count the ratio's slope is {Interval(**slopes['fixed']).text(2)} on the fixed "
            f"task and {Interval(**slopes['growing']).text(2)} on the growing one."
        )
    return (
        "Effective dimension (the number of Gauss-Newton eigenvalues above "
        f"{config.dimension_fraction:g} of the largest, at the network each gradient method's seed-0 run ended on; "
        "the larger of the two methods shown): " + "; ".join(parts) + ". On the fixed task it can never exceed its "
        f"{config.examples} examples however many weights are added, so a random tweak there only has to find "
        "directions among those few the loss can feel: that is when random perturbation is cheap. On the growing "
        "task every weight matters and the count rises with the weights." + compared + " The proxy is rough (it "
        "depends on the fraction chosen and on the network it is measured at), so read the slopes against it as a "
        "description of these runs, not a law."
    )


def tuning_paragraph(result: dict) -> str:
    """Which tuned values stayed at an edge of their widened grids, if any."""
    edges = result["grid_edges"]
    total = len(result["tuning"])
    if not edges:
        return (
            f"Tuning: all {total} tuned values (every method, size and task) ended inside their grids after "
            "widening, so no method was held back by a grid that stopped too soon."
        )
    listed = "; ".join(
        f"{e['optimizer']} {e['setting']} {e['value']:g} at {e['params']:,} weights ({e['axis']} task, the "
        f"{e['edge']} value tried)"
        for e in edges
    )
    return (
        f"Tuning: {len(edges)} of {total} tuned values stayed at an edge of their grid after widening: {listed}. "
        "The best setting for those may lie further out, so their costs may be overstated."
    )


def _cost(value: float | None) -> str:
    return "not reached (median)" if value is None else f"{value:,.0f}"


def fixed_verdict(fitted: dict) -> str:
    """How the fixed task's fitted slopes compare with the essay's claim, in words."""
    fit = fitted.get("local_search/sgd", {})
    slope = fit.get("slope")
    if slope is None:
        return (
            "With too few sizes where both local search and SGD reached the target, this run cannot say how their gap "
            "scales."
        )
    factor = 10 ** (slope * math.log10(fit["params"][-1] / fit["params"][0]))
    if slope > 0.1:
        verdict = (
            "This agrees with the essay in direction: trying random tweaks falls further behind SGD as weights are "
            f"added (the ratio grows by a factor of {factor:.3g} across the fitted sizes)."
        )
    elif slope < -0.1:
        verdict = (
            "This disagrees with the essay on this task: relative to SGD, random tweaks got cheaper as weights were "
            f"added (the ratio shrinks by a factor of {1 / factor:.3g} across the fitted sizes)."
        )
    else:
        verdict = (
            "On this task the cost of random tweaks relative to SGD hardly changes with size (a factor of "
            f"{factor:.3g} across {fit['params'][0]:,} to {fit['params'][-1]:,} parameters): perturbation is dearer "
            "at every size, but it does not become hopeless as weights are added, which is weaker than the essay's "
            "claim, at least up to these sizes."
        )
    adam = fitted.get("local_search/adam", {}).get("slope")
    if adam is not None and abs(adam - slope) > 0.1:
        verdict += f" Against Adam the picture differs: the local_search / adam slope is {adam:.2f}."
    if slope < 0.8:
        verdict += (
            " If every weight mattered equally, the useful part of a random tweak would shrink as the weights "
            "multiply and the slope would be near 1; the measured slope is well below that, so on this task the raw "
            "number of weights is not what limits random tweaks: the loss can curve along at most as many "
            "directions as there are examples (see the effective dimension below), and the growing task, where "
            "every weight matters, is the test of the essay's claim."
        )
    if any(fit.get("with_not_reached_at_budget", {}).get("lower_bound", [])):
        verdict += (
            " Because some perturbation runs never reached the target, the fitted slope is a lower bound on the true "
            "one."
        )
    return verdict
