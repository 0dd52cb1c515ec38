"""The perturbation experiment's numbers turned into slopes, figures and prose.

The experiment module computes; this module only summarises and draws.
"""

from __future__ import annotations

import math

from searchlab.experiments.base import RunContext
from searchlab.experiments.perturbation import (
    GRADIENT,
    PERTURBATION,
    SECTION,
    Config,
    TeacherTask,
    per_size_medians,
    ratio_slope,
)

# sgd and adam are both the gradient optimizer; give them two colours, the rest keep their usual ones.
COLORS = {
    "local_search": "#2ca02c",
    "evolution": "#9467bd",
    "random_search": "#ff7f0e",
    "sgd": "#1f77b4",
    "adam": "#d62728",
}


def slopes(rows: list[dict], config: Config) -> dict[str, dict]:
    """{"perturbation/gradient": fit over sizes where both medians reached the target, plus the
    same fit with not-reached medians counted as the budget ("with_not_reached_at_budget")}."""
    fitted = {}
    for top in (m for m in config.optimizers if m in PERTURBATION):
        for bottom in (m for m in config.optimizers if m in GRADIENT):
            fit = ratio_slope(rows, top, bottom)
            fit["with_not_reached_at_budget"] = ratio_slope(rows, top, bottom, censored_at=config.budget)
            fitted[f"{top}/{bottom}"] = fit
    fitted.setdefault(
        "local_search/sgd",
        {"slope": None, "points": 0, "params": [], "ratios": [], "lower_bound": [], "intercept": None},
    )
    return fitted


def _series(config: Config, rows: list[dict]) -> dict[str, dict]:
    """Per optimizer and size: median, cheapest and dearest run (not reached = budget), runs reached."""
    medians = per_size_medians(rows)
    series = {}
    for method in config.optimizers:
        s = {"params": [], "median": [], "low": [], "high": [], "reached": [], "runs": []}
        for size in sorted({row["params"] for row in rows}):
            values = [
                row["forward_equivalents_to_target"]
                for row in rows
                if row["params"] == size and row["optimizer"] == method
            ]
            capped = [config.budget if v is None else v for v in values]
            s["params"].append(size)
            s["median"].append(medians[(size, method)])
            s["low"].append(min(capped))
            s["high"].append(max(capped))
            s["reached"].append(sum(v is not None for v in values))
            s["runs"].append(len(values))
        series[method] = s
    return series


def figures(
    config: Config, data: TeacherTask, rows: list[dict], fitted: dict, curves: dict, context: RunContext
) -> list[dict]:
    from searchlab.report.figures import censored_scaling_figure, convergence_figure, ratio_slope_figure

    drawn = []
    scaling = censored_scaling_figure(
        _series(config, rows),
        budget=config.budget,
        colors=COLORS,
        xlabel="parameters of the student network",
        ylabel="forward-equivalents to reach the target loss",
        title=f"Cost to reach {config.target_fraction:g} x the zero predictor's loss, by network size",
    )
    drawn.append(
        {
            "path": context.figure(scaling, "cost_vs_parameters.png"),
            "caption": f"Forward-equivalents each optimizer spent before the loss on all {config.examples} training examples reached the target, "
            f"against the student's parameter count (log-log). Dots: median over {config.seeds} seeds; bars: cheapest to dearest run. "
            f"Hollow triangles on the dashed budget line ({config.budget:,}): the median run never reached the target, so its true cost is higher; "
            "k/n counts the runs that did.",
        }
    )
    panels = {}
    for bottom in (m for m in config.optimizers if m in GRADIENT):
        panel = {}
        for key, fit in fitted.items():
            top, under = key.split("/")
            if under != bottom or fit.get("with_not_reached_at_budget") is None:
                continue
            shown = fit[
                "with_not_reached_at_budget"
            ]  # every size, with lower bounds hollow; the line is the reached-only fit
            panel[top] = {**shown, "slope": fit["slope"], "intercept": fit["intercept"], "points": fit["points"]}
        if panel:
            panels[f"perturbation's cost / {bottom}'s cost"] = panel
    if panels:
        ratio = ratio_slope_figure(
            panels,
            colors=COLORS,
            xlabel="parameters of the student network",
            ylabel="ratio of median forward-equivalents to target",
            title="How much more perturbation costs than the gradient, by size (straight line: fit on log-log axes)",
        )
        drawn.append(
            {
                "path": context.figure(ratio, "ratio_vs_parameters.png"),
                "caption": "The median cost of each perturbation method divided by that of a gradient method, per size (log-log), with a straight "
                "line fitted where both reached the target; its slope says how the ratio grows: 10 times more weights multiply it by 10^slope. "
                "Hollow triangles are lower bounds (the perturbation method's median run did not reach the target; drawn at the budget) and are not in the fit.",
            }
        )
    largest = max(size for size, _, _ in curves)
    lines = {
        method: ([p[0] for p in curves[(largest, method, 0)]], [p[1] for p in curves[(largest, method, 0)]])
        for method in config.optimizers
        if curves.get((largest, method, 0))
    }
    if lines:
        convergence = convergence_figure(lines, ylabel="mean squared error on all training examples")
        ax = convergence.axes[0]
        ax.set_title(f"The largest student ({largest:,} parameters), seed 0: loss against compute spent", fontsize=10)
        ax.axhline(
            data.target_loss, color="#777777", linestyle="--", linewidth=1.1, label=f"target ({data.target_loss:.3g})"
        )
        for line in ax.get_lines():
            if line.get_label() in COLORS:
                line.set_color(COLORS[line.get_label()])
        ax.legend(fontsize=8, loc="best")
        drawn.append(
            {
                "path": context.figure(convergence, "convergence_largest.png"),
                "caption": f"Loss on all training examples against forward-equivalents for the {largest:,}-parameter student, one run per optimizer "
                "(seed 0, each with its tuned setting); each run stops at the target (dashed) or at the budget.",
            }
        )
    return drawn


def _cost(value: float | None, budget: int) -> str:
    return f"more than {budget:,} (not reached)" if value is None else f"{value:,.0f}"


def report(
    config: Config,
    data: TeacherTask,
    rows: list[dict],
    fitted: dict,
    tuning: list[dict],
    stages: list[dict],
    drawn: list[dict],
) -> dict:
    medians = per_size_medians(rows)
    sizes = sorted({row["params"] for row in rows})
    small, large = sizes[0], sizes[-1]
    grids = {
        "sgd": ("learning rate", config.sgd_lrs),
        "adam": ("learning rate", config.adam_lrs),
        "local_search": ("tweak length", config.local_search_steps),
        "evolution": ("learning rate", config.evolution_lrs),
    }
    tried = "; ".join(
        f"{m}: {grids[m][0]} from {', '.join(f'{v:g}' for v in grids[m][1])}" for m in config.optimizers if m in grids
    )
    paragraphs = [
        f"Measured: how many forward-equivalents random-perturbation search and gradient descent spend before a network fits a task, "
        f'as the network grows from {small:,} to {large:,} parameters (essay: "{SECTION}", and its footnote 5 on the gradient\'s implicit tries). '
        f"A teacher network ({config.inputs}-{config.teacher_width}-{config.teacher_width}-1, tanh, random weights times {config.teacher_scale:g}) labels "
        f"{config.examples} random inputs; the labels are standardised, so the zero predictor's loss (the mean squared target) is {data.zero_loss:.3g}. "
        f"The target is {config.target_fraction:g} times that, a mean squared error of {data.target_loss:.3g}. Students are {config.inputs}-w-w-1 tanh networks "
        f"with w in {', '.join(map(str, config.widths))}: {', '.join(f'{s:,}' for s in sizes)} parameters. The teacher has the smallest student's shape, "
        "so every student can represent it exactly; only the number of weights to set changes.",
        f"Each optimizer ran {config.seeds} seeds per size (seed i starts every optimizer from the same random network), each with at most "
        f"{config.budget:,} forward-equivalents. One setting per optimizer and size was picked on a separate tuning seed, the cheapest to reach "
        f"the target ({tried}; local search tries K = {config.population_size} tweaks per step, the evolution strategy {config.evolution_population} "
        "perturbations; tweak lengths are of the whole vector, spread over all weights). Every evaluation uses all training examples: with minibatches the loss "
        "an optimizer reports is measured on different examples at each step, so a run could stop on one lucky batch and the methods would be checked "
        'on different sets. Full batch checks everyone on the same fixed set, which makes "sgd" here plain gradient descent (no sampling). '
        "A gradient step costs 3 forward-equivalents per example, a perturbation step 1 per candidate per example.",
    ]
    parts = []
    for method in config.optimizers:
        reached = sum(
            1 for row in rows if row["optimizer"] == method and row["forward_equivalents_to_target"] is not None
        )
        total = sum(1 for row in rows if row["optimizer"] == method)
        parts.append(
            f"{method} needed {_cost(medians[(small, method)], config.budget)} at {small:,} parameters and "
            f"{_cost(medians[(large, method)], config.budget)} at {large:,} (median; {reached} of {total} runs reached the target)"
        )
    paragraphs.append("Forward-equivalents to the target: " + "; ".join(parts) + ".")
    for key, fit in fitted.items():
        top, bottom = key.split("/")
        if top not in config.optimizers or bottom not in config.optimizers:
            continue
        if fit["slope"] is None:
            paragraphs.append(
                f"{top} / {bottom}: both medians reached the target at {fit['points']} size(s) only, too few to fit a slope."
            )
            continue
        text = (
            f"{top} / {bottom}: the ratio of median costs went from {fit['ratios'][0]:.3g} at {fit['params'][0]:,} parameters to "
            f"{fit['ratios'][-1]:.3g} at {fit['params'][-1]:,}; the fitted log-log slope is {fit['slope']:.2f} (on {fit['points']} sizes), "
            f"i.e. 10 times more weights multiply the ratio by {10 ** fit['slope']:.3g}."
        )
        censored = fit["with_not_reached_at_budget"]
        bounds = [p for p, b in zip(censored["params"], censored["lower_bound"]) if b]
        if bounds:
            text += (
                f" At {', '.join(f'{p:,}' for p in bounds)} parameters the median {top} run never reached the target, so the ratio there is only "
                f"known to be above {min(r for r, b in zip(censored['ratios'], censored['lower_bound']) if b):.3g}; those sizes are left out of the fit, and "
                f"counting them as reaching the target at the budget gives a slope of {censored['slope']:.2f}. Both numbers understate how fast the gap grows."
            )
        paragraphs.append(text)
    paragraphs.append(_verdict(fitted))
    headline = [
        {
            "label": f"slope of {key.replace('/', ' / ')} cost ratio (log-log)",
            "value": "not fitted (fewer than 2 sizes)"
            if fit["slope"] is None
            else f"{fit['slope']:.2f} on {fit['points']} sizes",
        }
        for key, fit in fitted.items()
        if set(key.split("/")) <= set(config.optimizers)
    ]
    headline += [
        {
            "label": f"{m}: median forward-equivalents at {large:,} parameters",
            "value": _cost(medians[(large, m)], config.budget),
        }
        for m in config.optimizers
    ]
    chosen = {(t["params"], t["optimizer"]): t["chosen"] for t in tuning}
    table_rows = []
    for size in sizes:
        for method in config.optimizers:
            values = [
                row["forward_equivalents_to_target"]
                for row in rows
                if row["params"] == size and row["optimizer"] == method
            ]
            table_rows.append(
                [
                    size,
                    method,
                    chosen[(size, method)],
                    medians[(size, method)],
                    f"{sum(v is not None for v in values)}/{len(values)}",
                    ", ".join("-" if v is None else f"{v:,}" for v in values),
                ]
            )
    slope_rows = [
        [
            key,
            fit["slope"],
            fit["points"],
            fit["with_not_reached_at_budget"]["slope"] if "with_not_reached_at_budget" in fit else None,
        ]
        for key, fit in fitted.items()
        if set(key.split("/")) <= set(config.optimizers)
    ]
    return {
        "summary": "\n".join(paragraphs),
        "headline": headline,
        "figures": drawn,
        "tables": [
            {
                "title": f"Forward-equivalents to the target loss {data.target_loss:.3g} (budget {config.budget:,}; - = not reached)",
                "columns": ["parameters", "optimizer", "tuned setting", "median", "reached", "per seed"],
                "rows": table_rows,
            },
            {
                "title": "Fitted log-log slopes of cost ratios against parameters",
                "columns": [
                    "ratio",
                    "slope (sizes where both reached)",
                    "sizes in fit",
                    "slope counting not reached as the budget",
                ],
                "rows": slope_rows,
            },
        ],
    }


def _verdict(fitted: dict) -> str:
    """How the fitted slopes compare with the essay's claim, in words."""
    fit = fitted.get("local_search/sgd", {})
    slope = fit.get("slope")
    if slope is None:
        return "With too few sizes where both local search and SGD reached the target, this run cannot say how their gap scales."
    factor = 10 ** (slope * math.log10(fit["params"][-1] / fit["params"][0]))
    if slope > 0.1:
        verdict = (
            f"This agrees with the essay in direction: trying random tweaks falls further behind SGD as weights are added "
            f"(the ratio grows by a factor of {factor:.3g} across the fitted sizes)."
        )
    elif slope < -0.1:
        verdict = (
            f"This disagrees with the essay on this task: relative to SGD, random tweaks got cheaper as weights were added "
            f"(the ratio shrinks by a factor of {1 / factor:.3g} across the fitted sizes)."
        )
    else:
        verdict = (
            f"On this task the cost of random tweaks relative to SGD hardly changes with size (a factor of {factor:.3g} across "
            f"{fit['params'][0]:,} to {fit['params'][-1]:,} parameters): perturbation is dearer at every size, but it does not become "
            "hopeless as weights are added, which is weaker than the essay's claim, at least up to these sizes."
        )
    adam = fitted.get("local_search/adam", {}).get("slope")
    if adam is not None and abs(adam - slope) > 0.1:
        verdict += f" Against Adam the picture differs: the local_search / adam slope is {adam:.2f}."
    if slope < 0.8:
        verdict += (
            " If every weight mattered equally, the useful part of a random tweak would shrink as the weights multiply and the slope "
            "would be near 1; the measured slope is well below that, so on this task the raw number of weights is not what limits random tweaks. "
            "This run does not test why; a task whose solution needs more independent directions may behave differently."
        )
    if any(fit.get("with_not_reached_at_budget", {}).get("lower_bound", [])):
        verdict += " Because some perturbation runs never reached the target, the fitted slope is a lower bound on the true one."
    return verdict
