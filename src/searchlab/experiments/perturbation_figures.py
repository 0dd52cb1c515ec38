"""The perturbation experiment's figures for its two tasks: the growing task's costs and per-seed ratios, and
the cost ratio of both tasks against the weight count and against the effective dimension.

The report (`perturbation_report`) calls these with the numbers `perturbation.run` returned; nothing is
measured here.
"""

from __future__ import annotations

from searchlab.experiments.base import RunContext

AXIS_STYLE = {  # task -> (colour, marker, name in legends)
    "fixed": ("#1f77b4", "o", "fixed task (the same small teacher and examples at every size)"),
    "growing": ("#d62728", "s", "growing task (teacher as large as the student)"),
}


def growing_cost_figure(series: dict, factor: float, colors: dict, context: RunContext) -> dict:
    """Cost / weights^2 against weights on the growing task (its budget is factor x weights^2, one line)."""
    from searchlab.report.figures import censored_scaling_figure

    figure = censored_scaling_figure(
        series,
        budget=factor,
        colors=colors,
        xlabel="parameters of the student (and of its teacher)",
        ylabel="forward-equivalents to the target / parameters^2",
        title="Growing task: cost to reach the target, divided by parameters^2",
    )
    return {
        "path": context.figure(figure, "growing_cost_vs_parameters.png"),
        "caption": "The growing task (a teacher of the student's own shape, examples proportional to the weights): "
        "forward-equivalents each optimizer spent to reach the target, divided by the square of the weight count so "
        f"that the budget ({factor:g} x parameters^2) is one dashed line. Zeroth-order theory expects perturbation to "
        "stay about level here (its cost grows as parameters^2: parameters times the gradient's) and the gradient "
        "methods to fall. Dots: median over seeds; bars: cheapest to dearest run; hollow triangles: the median run "
        "did not reach the target.",
    }


def growing_ratio_figure(paired: dict, context: RunContext) -> list[dict]:
    """Per seed, the growing task's ratio (cheapest perturbation / cheapest gradient) with its fitted line."""
    from searchlab.report.figures import ratio_slope_figure

    panel = {}
    for seed, slope in enumerate(paired["slopes"]):
        params = paired["params"][seed]
        panel[f"seed {seed}"] = {
            "params": params,
            "ratios": paired["ratios"][seed],
            "lower_bound": [p in paired["censored"][seed] for p in params],
            "slope": slope,
            "intercept": paired["intercepts"][seed],
            "points": len(params),
        }
    if not any(s["params"] for s in panel.values()):
        return []
    figure = ratio_slope_figure(
        {"growing task: cheapest perturbation method / cheapest gradient method": panel},
        xlabel="parameters of the student (and of its teacher)",
        ylabel="ratio of forward-equivalents to the target",
        title="Growing task: how much more perturbation costs, per seed (line: log-log fit; slope 1 = linear)",
    )
    return [
        {
            "path": context.figure(figure, "growing_ratio_vs_parameters.png"),
            "caption": "Per seed, the cheapest perturbation method's cost over the cheapest gradient method's on the "
            "growing task, with a straight line fitted on log-log axes; the claim is the mean of these slopes. A "
            "hollow marker is a lower bound (no perturbation method reached the target; counted at the budget).",
        }
    ]


def dimension_figure(result: dict, fraction: float, examples: int, context: RunContext) -> list[dict]:
    """Two panels: the median cost ratio of both tasks against weights, and against the effective dimension
    (`fraction`: the proxy's eigenvalue fraction; `examples`: the fixed task's example count)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator

    points = {axis: [p for p in v["points"] if p["median_ratio"]] for axis, v in result["ratio_vs_dimension"].items()}
    if not any(p["effective_dimension"] for ps in points.values() for p in ps):
        return []
    figure, axes = plt.subplots(1, 2, figsize=(12.4, 4.9), sharey=True)
    for ax, key, label in (
        (axes[0], "params", "parameters of the student"),
        (axes[1], "effective_dimension", "effective dimension (Gauss-Newton eigenvalues above the fraction)"),
    ):
        for axis, ps in points.items():
            usable = [p for p in ps if p[key]]
            if not usable:
                continue
            color, marker, name = AXIS_STYLE[axis]
            xs, ys = [p[key] for p in usable], [p["median_ratio"] for p in usable]
            ax.plot(xs, ys, marker=marker, color=color, linewidth=1.4, markersize=6, label=name)
            for p, x, y in zip(usable, xs, ys):
                if key == "effective_dimension":
                    ax.annotate(f"{p['params']:,}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
        ax.set_xscale("log")
        ax.set_yscale("log")
        plain = FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 else f"{value:g}")
        for axis_ in (ax.xaxis, ax.yaxis):  # plain numbers at 1, 2, 3, 5 x 10^k: the values span a decade or two
            axis_.set_minor_locator(LogLocator(base=10, subs=(2.0, 3.0, 5.0)))
            axis_.set_major_formatter(plain)
            wide = axis_ is ax.xaxis and key == "params"  # weights span decades: label the powers of ten only
            axis_.set_minor_formatter(FuncFormatter(lambda *_: "") if wide else plain)
        ax.set_xlabel(label)
        ax.grid(True, which="minor", alpha=0.12)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("median ratio: perturbation's cost / gradient's")
    axes[0].set_title("against the weight count", fontsize=10)
    axes[1].set_title("against the effective dimension (labels: weight count)", fontsize=10)
    axes[0].legend(fontsize=8, loc="upper left")
    figure.suptitle(
        "How much more perturbation costs than the gradient, against weights and against effective dimension"
    )
    figure.tight_layout()
    return [
        {
            "path": context.figure(figure, "ratio_vs_effective_dimension.png"),
            "caption": "The median over seeds of the cheapest perturbation method's cost over the cheapest gradient "
            "method's, per size, for both tasks: left against the weight count, right against the effective "
            "dimension (how many Gauss-Newton eigenvalues, at the network a gradient method found, exceed "
            f"{fraction:g} of the largest). On the fixed task the effective dimension cannot exceed its {examples} "
            "examples, however many weights there are.",
        }
    ]
