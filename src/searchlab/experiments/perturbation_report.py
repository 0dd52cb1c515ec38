"""The perturbation experiment's numbers turned into figures and prose.

`perturbation.run` computes (the slopes too, with `perturbation_fits`); this module only summarises and draws.
"""

from __future__ import annotations

from searchlab.experiments.base import RunContext
from searchlab.experiments.perturbation import SECTION, stage_curve
from searchlab.experiments.perturbation_config import GRADIENT, Config
from searchlab.experiments.perturbation_figures import dimension_figure, growing_cost_figure, growing_ratio_figure
from searchlab.experiments.perturbation_fits import per_size_medians
from searchlab.experiments.perturbation_prose import (
    claim_paragraphs,
    fixed_verdict,
    growing_paragraph,
    tuning_paragraph,
)

# sgd and adam are both the gradient optimizer; give them two colours, the rest keep their usual ones.
COLORS = {
    "local_search": "#2ca02c",
    "evolution": "#9467bd",
    "random_search": "#ff7f0e",
    "sgd": "#1f77b4",
    "adam": "#d62728",
}


def report(config: Config, result: dict, context: RunContext) -> dict:
    """The report section: prose, headline numbers, the figures (drawn into the run folder) and tables."""
    rows, fitted = result["rows"], result["slopes"]
    medians = per_size_medians(rows)
    sizes = sorted({row["params"] for row in rows})
    growing = result["growing"]
    drawn = [
        _scaling_figure(config, rows, context),
        *_ratio_figure(config, fitted, context),
        *_convergence_figure(config, result, context),
        growing_cost_figure(_growing_series(config, growing["rows"]), config.growing_budget_factor, COLORS, context),
        *growing_ratio_figure(result["paired_slopes"]["growing"], context),
        *dimension_figure(result, config.dimension_fraction, config.examples, context),
    ]
    paragraphs = [
        *claim_paragraphs(config, result),
        *_paragraphs(config, result, medians, sizes),
        growing_paragraph(config, result),
        tuning_paragraph(result),
    ]
    return {
        "summary": "\n".join(paragraphs),
        "headline": _headline(config, result, medians, sizes[-1]),
        "figures": drawn,
        "tables": _tables(config, result, medians, sizes),
    }


def _growing_series(config: Config, rows: list[dict]) -> dict[str, dict]:
    """`_series` of the growing task, every cost divided by parameters^2 (its budget is a constant there)."""
    scaled = [
        {
            **row,
            "forward_equivalents_to_target": None
            if row["forward_equivalents_to_target"] is None
            else row["forward_equivalents_to_target"] / row["params"] ** 2,
        }
        for row in rows
    ]
    return _series(config, scaled, lambda params: config.growing_budget_factor)


def _series(config: Config, rows: list[dict], budget=None) -> dict[str, dict]:
    """Per optimizer and size: median, cheapest and dearest run (not reached = budget(params)), runs reached."""
    budget = budget or (lambda params: config.budget)
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
            capped = [budget(size) if v is None else v for v in values]
            s["params"].append(size)
            s["median"].append(medians[(size, method)])
            s["low"].append(min(capped))
            s["high"].append(max(capped))
            s["reached"].append(sum(v is not None for v in values))
            s["runs"].append(len(values))
        series[method] = s
    return series


def _scaling_figure(config: Config, rows: list[dict], context: RunContext) -> dict:
    from searchlab.report.figures import censored_scaling_figure

    scaling = censored_scaling_figure(
        _series(config, rows),
        budget=config.budget,
        colors=COLORS,
        xlabel="parameters of the student network",
        ylabel="forward-equivalents to reach the target loss",
        title=f"Cost to reach {config.target_fraction:g} x the zero predictor's loss, by network size",
    )
    return {
        "path": context.figure(scaling, "cost_vs_parameters.png"),
        "caption": f"Forward-equivalents each optimizer spent before the loss on all {config.examples} training "
        "examples reached the target, against the student's parameter count (log-log). Dots: median over "
        f"{config.seeds} seeds; bars: cheapest to dearest run. Hollow triangles on the dashed budget line "
        f"({config.budget:,}): the median run never reached the target, so its true cost is higher; k/n counts the "
        "runs that did.",
    }


def _ratio_figure(config: Config, fitted: dict, context: RunContext) -> list[dict]:
    """Each perturbation method's cost over a gradient method's, by size, with the fitted line (if any)."""
    from searchlab.report.figures import ratio_slope_figure

    panels = {}
    for bottom in (m for m in config.optimizers if m in GRADIENT):
        panel = {}
        for key, fit in fitted.items():
            top, under = key.split("/")
            if under != bottom or fit.get("with_not_reached_at_budget") is None:
                continue
            # every size, with lower bounds hollow; the line is the reached-only fit
            shown = fit["with_not_reached_at_budget"]
            panel[top] = {**shown, "slope": fit["slope"], "intercept": fit["intercept"], "points": fit["points"]}
        if panel:
            panels[f"perturbation's cost / {bottom}'s cost"] = panel
    if not panels:
        return []
    ratio = ratio_slope_figure(
        panels,
        colors=COLORS,
        xlabel="parameters of the student network",
        ylabel="ratio of median forward-equivalents to target",
        title="How much more perturbation costs than the gradient, by size (straight line: fit on log-log axes)",
    )
    return [
        {
            "path": context.figure(ratio, "ratio_vs_parameters.png"),
            "caption": "The median cost of each perturbation method divided by that of a gradient method, per size "
            "(log-log), with a straight line fitted where both reached the target; its slope says how the ratio "
            "grows: 10 times more weights multiply it by 10^slope. Hollow triangles are lower bounds (the "
            "perturbation method's median run did not reach the target; drawn at the budget) and are not in the fit.",
        }
    ]


def _convergence_figure(config: Config, result: dict, context: RunContext) -> list[dict]:
    """Loss against compute for the largest student, seed 0, one line per optimizer (from the stage records)."""
    from searchlab.report.figures import convergence_figure

    largest = max(row["params"] for row in result["rows"])
    curves = {method: stage_curve(context, largest, method, 0) for method in config.optimizers}
    lines = {method: ([p[0] for p in curve], [p[1] for p in curve]) for method, curve in curves.items() if curve}
    if not lines:
        return []
    target_loss = result["target_loss"]
    convergence = convergence_figure(lines, ylabel="mean squared error on all training examples")
    ax = convergence.axes[0]
    ax.set_title(f"The largest student ({largest:,} parameters), seed 0: loss against compute spent", fontsize=10)
    ax.axhline(target_loss, color="#777777", linestyle="--", linewidth=1.1, label=f"target ({target_loss:.3g})")
    for line in ax.get_lines():
        if line.get_label() in COLORS:
            line.set_color(COLORS[line.get_label()])
    ax.legend(fontsize=8, loc="best")
    return [
        {
            "path": context.figure(convergence, "convergence_largest.png"),
            "caption": f"Loss on all training examples against forward-equivalents for the {largest:,}-parameter "
            "student, one run per optimizer (seed 0, each with its tuned setting); each run stops at the target "
            "(dashed) or at the budget.",
        }
    ]


def _cost(value: float | None, budget: int) -> str:
    return f"more than {budget:,} (not reached)" if value is None else f"{value:,.0f}"


def _paragraphs(config: Config, result: dict, medians: dict, sizes: list[int]) -> list[str]:
    rows = result["rows"]
    small, large = sizes[0], sizes[-1]
    paragraphs = [*_setup(config, result, sizes)]
    parts = []
    for method in config.optimizers:
        reached = sum(
            1 for row in rows if row["optimizer"] == method and row["forward_equivalents_to_target"] is not None
        )
        total = sum(1 for row in rows if row["optimizer"] == method)
        parts.append(
            f"{method} needed {_cost(medians[(small, method)], config.budget)} at {small:,} parameters and "
            f"{_cost(medians[(large, method)], config.budget)} at {large:,} (median; {reached} of {total} runs "
            "reached the target)"
        )
    paragraphs.append("Forward-equivalents to the target: " + "; ".join(parts) + ".")
    for key, fit in result["slopes"].items():
        top, bottom = key.split("/")
        if top in config.optimizers and bottom in config.optimizers:
            paragraphs.append(_slope_paragraph(top, bottom, fit))
    paragraphs.append(fixed_verdict(result["slopes"]))
    return paragraphs


def _setup(config: Config, result: dict, sizes: list[int]) -> list[str]:
    """What was measured and how: the task, the students, the seeds, budgets and tuning."""
    grids = {
        "sgd": ("learning rate", config.sgd_lrs),
        "adam": ("learning rate", config.adam_lrs),
        "local_search": ("tweak length", config.local_search_steps),
        "evolution": ("learning rate", config.evolution_lrs),
    }
    tried = "; ".join(
        f"{m}: {grids[m][0]} from {', '.join(f'{v:g}' for v in grids[m][1])}" for m in config.optimizers if m in grids
    )
    if "evolution" in config.optimizers:
        tried += f"; then evolution's sigma from {', '.join(f'{v:g}' for v in config.evolution_sigmas)}"
    return [
        "The fixed task: how many forward-equivalents random-perturbation search and gradient "
        f"descent spend before a network fits it, as the network grows from {sizes[0]:,} to {sizes[-1]:,} "
        f'parameters (essay: "{SECTION}", and its footnote 5 on the gradient\'s implicit tries). A teacher network '
        f"({config.inputs}-{config.teacher_width}-{config.teacher_width}-1, tanh, random weights times "
        f"{config.teacher_scale:g}) labels {config.examples} random inputs; the labels are standardised, so the zero "
        f"predictor's loss (the mean squared target) is {result['zero_predictor_loss']:.3g}. The target is "
        f"{config.target_fraction:g} times that, a mean squared error of {result['target_loss']:.3g}. Students are "
        f"{config.inputs}-w-w-1 tanh networks with w in {', '.join(map(str, config.widths))}: "
        f"{', '.join(f'{s:,}' for s in sizes)} parameters. The teacher has the smallest student's shape, so every "
        "student can represent it exactly; only the number of weights to set changes.",
        f"Each optimizer ran {config.seeds} seeds per size (seed i starts every optimizer from the same random "
        f"network), each with at most {config.budget:,} forward-equivalents on the fixed task. One setting per "
        "optimizer and size was picked on a separate tuning seed, the cheapest to reach the target "
        f"({tried}, each grid widened up to {config.tune_extensions} times past the edge where its best value sat; "
        "local search tries K = "
        f"{config.population_size} tweaks per step, the evolution strategy {config.evolution_population} "
        "perturbations; tweak lengths are of the whole vector, spread over all weights). Every evaluation uses all "
        "training examples: with minibatches the loss an optimizer reports is measured on different examples at each "
        "step, so a run could stop on one lucky batch and the methods would be checked on different sets. Full batch "
        'checks everyone on the same fixed set, which makes "sgd" here plain gradient descent (no sampling). A '
        "gradient step costs 3 forward-equivalents per example, a perturbation step 1 per candidate per example.",
    ]


def _slope_paragraph(top: str, bottom: str, fit: dict) -> str:
    if fit["slope"] is None:
        return (
            f"{top} / {bottom}: both medians reached the target at {fit['points']} size(s) only, too few to fit a "
            "slope."
        )
    text = (
        f"{top} / {bottom}: the ratio of median costs went from {fit['ratios'][0]:.3g} at {fit['params'][0]:,} "
        f"parameters to {fit['ratios'][-1]:.3g} at {fit['params'][-1]:,}; the fitted log-log slope is "
        f"{fit['slope']:.2f} (on {fit['points']} sizes), i.e. 10 times more weights multiply the ratio by "
        f"{10 ** fit['slope']:.3g}."
    )
    censored = fit["with_not_reached_at_budget"]
    bounds = [p for p, b in zip(censored["params"], censored["lower_bound"]) if b]
    if bounds:
        lowest = min(r for r, b in zip(censored["ratios"], censored["lower_bound"]) if b)
        text += (
            f" At {', '.join(f'{p:,}' for p in bounds)} parameters the median {top} run never reached the target, so "
            f"the ratio there is only known to be above {lowest:.3g}; those sizes are left out of the fit, and "
            f"counting them as reaching the target at the budget gives a slope of {censored['slope']:.2f}. Both "
            "numbers understate how fast the gap grows."
        )
    return text


def _headline(config: Config, result: dict, medians: dict, large: int) -> list[dict]:
    from searchlab.core.intervals import Interval

    fitted = result["slopes"]
    headline = []
    for claim in result.get("claims", []):
        text = Interval(claim["estimate"], claim["ci_low"], claim["ci_high"], claim["seeds"]).text(2)
        headline.append(
            {"label": f"{claim['id']} (growing task, slope over seeds)", "value": f"{text}: {claim['verdict']}"}
        )
    fixed = result["paired_slopes"]["fixed"].get("interval")
    if fixed is not None:
        headline.append({"label": "fixed task: the same slope", "value": Interval(**fixed).text(2)})
    headline += [
        {
            "label": f"fixed task: slope of {key.replace('/', ' / ')} cost ratio (log-log)",
            "value": "not fitted (fewer than 2 sizes)"
            if fit["slope"] is None
            else f"{fit['slope']:.2f} on {fit['points']} sizes",
        }
        for key, fit in fitted.items()
        if set(key.split("/")) <= set(config.optimizers)
    ]
    headline += [
        {
            "label": f"fixed task, {m}: median forward-equivalents at {large:,} parameters",
            "value": _cost(medians[(large, m)], config.budget),
        }
        for m in config.optimizers
    ]
    return headline


def _tables(config: Config, result: dict, medians: dict, sizes: list[int]) -> list[dict]:
    rows, fitted = result["rows"], result["slopes"]
    chosen = {
        (t["params"], t["optimizer"]): t["chosen"]
        for t in result["tuning"]
        if t["axis"] == "fixed" and t["setting"] != "sigma"
    }
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
                    chosen.get((size, method)),
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
    return [
        {
            "title": f"Forward-equivalents to the target loss {result['target_loss']:.3g} (budget {config.budget:,}; - "
            "= not reached)",
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
    ]
