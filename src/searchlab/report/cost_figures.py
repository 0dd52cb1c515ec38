"""Cost against size: how much each optimizer spent to reach a target, and ratios of two such costs.

Like `searchlab.report.figures`, these functions take numbers and return a matplotlib Figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from searchlab.report.colors import color_of


def censored_scaling_figure(
    series: Mapping[str, Mapping[str, Sequence]],
    *,
    budget: float,
    colors: Mapping[str, str] | None = None,
    xlabel: str = "parameters",
    ylabel: str = "forward-equivalents to reach the target",
    title: str | None = None,
) -> Figure:
    """Cost against size on log-log axes, one line per optimizer, with runs cut off by a budget marked.

    Args:
        series: {label: {"params": sizes, "median": median cost per size (None where the median
            run did not finish within the budget), "low", "high": the cheapest and dearest run per
            size (runs that did not finish count as the budget), "reached": runs that finished,
            "runs": runs per size}}.
        budget: the cost at which runs were stopped, drawn as a dashed line; medians that did
            not finish are drawn there as hollow up-triangles (the true cost is higher).
        colors: {label: colour}; labels not in it take `color_of`.
        xlabel, ylabel, title: labels.

    Returns:
        The figure. Series are nudged a little sideways so that their error bars do not overlap.
    """
    colors = colors or {}
    figure, ax = plt.subplots(figsize=(8.2, 5.4))
    for index, (label, s) in enumerate(series.items()):
        _censored_series(ax, label, s, colors.get(label, color_of(label, index)), index, len(series), budget)
    ax.axhline(budget, color="#777777", linestyle="--", linewidth=1.1, zorder=0)
    ax.annotate(
        f"budget {budget:,.0f}",
        (0.99, budget),
        xycoords=("axes fraction", "data"),
        textcoords="offset points",
        xytext=(0, 4),
        fontsize=8,
        color="#555555",
        ha="right",
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    _, top = ax.get_ylim()
    ax.set_ylim(top=max(top, budget * 3))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    _censored_legend(figure, ax, max((max(s["runs"]) for s in series.values()), default=0))
    return figure


def _censored_series(ax, label: str, s: Mapping[str, Sequence], color: str, index: int, count: int, budget: float):
    """One optimizer's medians, cheapest-to-dearest bars, unfinished medians at the budget and k/n counts."""
    nudge = 10 ** (0.035 * (index - (count - 1) / 2))
    params = np.asarray(s["params"], dtype=float) * nudge
    median = np.array([np.nan if v is None else v for v in s["median"]], dtype=float)
    low, high = np.asarray(s["low"], dtype=float), np.asarray(s["high"], dtype=float)
    finished = ~np.isnan(median)
    shown = np.where(finished, median, budget)
    ax.errorbar(
        params,
        shown,
        yerr=[shown - low, high - shown],
        fmt="none",
        ecolor=color,
        elinewidth=1.2,
        capsize=3,
        alpha=0.7,
    )
    ax.plot(params[finished], median[finished], color=color, marker="o", markersize=6, linewidth=1.8, label=label)
    if (~finished).any():
        ax.plot(
            params[~finished],
            np.full((~finished).sum(), budget),
            linestyle="none",
            marker="^",
            markersize=10,
            markerfacecolor="white",
            markeredgecolor=color,
            markeredgewidth=1.8,
        )
    for x, y, reached, runs in zip(params, shown, s["reached"], s["runs"]):
        if reached < runs:
            ax.annotate(
                f"{reached}/{runs}",
                (x, y),
                textcoords="offset points",
                xytext=(7, -12 - 9 * index),
                fontsize=7,
                color=color,
            )


def _censored_legend(figure: Figure, ax, runs: int) -> None:
    """The legend below the axes (so that no point hides behind it), with the hollow triangle explained."""
    ax.plot(
        [],
        [],
        linestyle="none",
        marker="^",
        markersize=9,
        markerfacecolor="white",
        markeredgecolor="#555555",
        label="median run did not reach the target (drawn at the budget)",
    )
    figure.legend(
        *ax.get_legend_handles_labels(),
        loc="lower center",
        ncol=3,
        fontsize=8,
        frameon=False,
        title=f"dots: median of {runs} runs; bars: cheapest to dearest run; k/n: runs that reached the target",
        title_fontsize=8,
    )
    figure.tight_layout(rect=(0, 0.13, 1, 1))


def ratio_slope_figure(
    panels: Mapping[str, Mapping[str, Mapping]],
    *,
    colors: Mapping[str, str] | None = None,
    xlabel: str = "parameters",
    ylabel: str = "cost ratio",
    title: str | None = None,
) -> Figure:
    """Ratios of two costs against size, log-log, with a fitted straight line per series; one panel each.

    Args:
        panels: {panel title: {label: {"params", "ratios", "lower_bound" (bools: the ratio is only
            a lower bound, drawn hollow), "slope", "intercept" (the fit of log10 ratio on log10
            params, drawn over the sizes that are not lower bounds; None when not fitted),
            "points" (sizes the fit used)}}}.
        colors: {label: colour}; labels not in it take `color_of`.
        xlabel, ylabel, title: labels.

    Returns:
        The figure; a dotted line marks a ratio of 1 (both cost the same).
    """
    colors = colors or {}
    figure, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 4.9), squeeze=False)
    for ax, (panel, series) in zip(axes[0], panels.items()):
        if not any(len(s["params"]) for s in series.values()):  # nothing to put on log axes (a tiny budget, say)
            ax.text(
                0.5,
                0.5,
                "no size where the gradient method reached the target:\nno ratio to draw",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
            ax.set_title(panel, fontsize=10)
            ax.set_axis_off()
            continue
        for index, (label, s) in enumerate(series.items()):
            color = colors.get(label, color_of(label, index))
            params, ratios = np.asarray(s["params"], dtype=float), np.asarray(s["ratios"], dtype=float)
            bound = np.asarray(s.get("lower_bound", [False] * len(params)), dtype=bool)
            nudge = 10 ** (0.03 * (index - (len(series) - 1) / 2))  # lower bounds at the same budget would coincide
            if s["slope"] is not None and len(params):
                span = params[~bound] if (~bound).any() else params  # the fit covers the sizes it used
                grid = np.geomspace(span.min(), span.max(), 50)
                fitted = 10 ** (s["intercept"] + s["slope"] * np.log10(grid))
                name = f"{label}: slope {s['slope']:.2f} (fit on {s['points']} sizes)"
                ax.plot(grid, fitted, color=color, linewidth=1.6, label=name)
            else:
                ax.plot([], [], color=color, label=f"{label}: no slope (fewer than 2 sizes)")
            ax.plot(params[~bound] * nudge, ratios[~bound], linestyle="none", marker="o", markersize=7, color=color)
            if bound.any():
                ax.plot(
                    params[bound] * nudge,
                    ratios[bound],
                    linestyle="none",
                    marker="^",
                    markersize=9,
                    markerfacecolor="white",
                    markeredgecolor=color,
                    markeredgewidth=1.8,
                )
        ax.axhline(1.0, color="#777777", linestyle=":", linewidth=1.1, zorder=0)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.set_title(panel, fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=1, frameon=False)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
