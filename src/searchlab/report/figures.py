"""Generic figures: functions that take numbers and return a matplotlib Figure.

The library computes; these functions only draw. Experiments save the result
with `RunContext.figure`. Each optimizer keeps one colour in every figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from searchlab.report.colors import color_of
from searchlab.report.cost_figures import censored_scaling_figure, ratio_slope_figure

# Cost-against-size figures are in `cost_figures`; they stay importable from here.
__all__ = [
    "EXCESS_FLOOR",
    "candidate_cloud_figure",
    "censored_scaling_figure",
    "color_of",
    "convergence_figure",
    "ratio_slope_figure",
]

# Relative excess losses below this are drawn at this floor (log axes cannot show 0).
EXCESS_FLOOR = 1e-12


def convergence_figure(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    optimum: float | None = None,
    optimum_label: str = "optimum",
    within: float | None = None,
    relative_to: float | None = None,
    xlabel: str = "forward-equivalents (one candidate on one example = 1)",
    ylabel: str = "loss",
    title: str | None = None,
) -> Figure:
    """Loss against compute spent, log axes, one line per optimizer.

    Args:
        curves: {label: (compute, loss)}, e.g. forward-equivalents and loss per step.
            A curve with a single point is drawn as a marker.
        optimum: the best possible loss, drawn as a horizontal line. When it is
            positive (or `relative_to` is) a second panel shows each curve's loss
            above it, relative to it, so that small gaps near the optimum become visible.
        optimum_label: legend text of the optimum line.
        within: a relative gap (e.g. 0.01) to mark as a dotted line on that second panel.
        relative_to: what the gaps are divided by (default: the optimum itself; give a
            positive scale when the optimum is 0 or nearly so).
        xlabel, ylabel, title: axis labels and the figure title.

    Returns:
        The figure (one panel, or two when `optimum` is positive).
    """
    denominator = relative_to if relative_to is not None else optimum
    relative = optimum is not None and denominator is not None and denominator > 0
    figure, axes = plt.subplots(1, 2 if relative else 1, figsize=(12.5 if relative else 7, 4.6), squeeze=False)
    left = axes[0, 0]
    for index, (label, (compute, loss)) in enumerate(curves.items()):
        compute, loss = np.asarray(compute, dtype=float), np.asarray(loss, dtype=float)
        style = _line_style(label, index, len(compute))
        left.plot(compute, loss, label=label, **style)
        if relative:
            excess = np.maximum((loss - optimum) / denominator, EXCESS_FLOOR)
            axes[0, 1].plot(compute, excess, label=label, **style)
    if optimum is not None:
        left.axhline(optimum, color="#d62728", linestyle="--", linewidth=1.2, label=optimum_label, zorder=0)
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel(xlabel)
    left.set_ylabel(ylabel)
    if relative or not title:  # a single panel with a title shows it once, as the figure's title
        left.set_title("loss")
    left.grid(True, which="major", alpha=0.3)
    if relative:
        right = axes[0, 1]
        right.set_xscale("log")
        right.set_yscale("log")
        right.set_xlabel(xlabel)
        below = optimum_label if denominator == optimum else f"{denominator:.3g}"
        right.set_ylabel(f"(loss - {optimum_label}) / {below}")
        right.set_title(f"distance above the {optimum_label} (floor {EXCESS_FLOOR:g})")
        right.grid(True, which="major", alpha=0.3)
        if within is not None:
            right.axhline(within, color="#777777", linestyle=":", linewidth=1.2, zorder=0)
            right.annotate(
                f"within {within:.0%}",
                (0.01, within),
                xycoords=("axes fraction", "data"),
                fontsize=8,
                color="#555555",
                va="bottom",
            )
    handles, labels = left.get_legend_handles_labels()
    if title:
        figure.suptitle(title)
    if relative:
        # One legend for both panels, below them, so that no curve hides behind it.
        figure.legend(handles, labels, loc="lower center", ncol=min(len(labels), 7), fontsize=9, frameon=False)
        figure.tight_layout(rect=(0, 0.07, 1, 1))
    else:
        left.legend(fontsize=8, loc="best")
        figure.tight_layout()
    return figure


def candidate_cloud_figure(
    x: Sequence[float],
    y: Sequence[float],
    candidates: Sequence[tuple[float, float]],
    fitted: tuple[float, float] | None = None,
    *,
    xlabel: str = "x",
    ylabel: str = "y",
    title: str | None = None,
    fitted_label: str = "fitted",
    labels: int = 6,
) -> Figure:
    """The data with a cloud of candidate lines y = a*x + b drawn over it.

    Args:
        x, y: the data points.
        candidates: (a, b) pairs, drawn as thin light lines.
        fitted: the (a, b) of the chosen line, drawn bold; None draws none.
        xlabel, ylabel, title: labels.
        fitted_label: legend text of the fitted line.
        labels: how many candidates get a small "(a, b)" label at their line.

    Returns:
        The figure. The y-range follows the data, so steep candidates leave the frame.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    figure, ax = plt.subplots(figsize=(7.5, 5.2))
    x_low, x_high = _padded(x.min(), x.max(), 0.04)
    y_low, y_high = _padded(y.min(), y.max(), 0.25)
    grid = np.array([x_low, x_high])
    ax.scatter(x, y, s=12, color="#555555", alpha=0.65, zorder=3, label=f"data ({len(x)} points)")
    for index, (a, b) in enumerate(candidates):
        ax.plot(
            grid,
            a * grid + b,
            color="#9ecae1",
            linewidth=1.1,
            alpha=0.9,
            zorder=1,
            label="candidate models (a, b)" if index == 0 else None,
        )
        if index < labels:
            _label_line(ax, a, b, x_low, x_high, y_low, y_high, index)
    if fitted is not None:
        a, b = fitted
        ax.plot(
            grid,
            a * grid + b,
            color="#08306b",
            linewidth=2.6,
            zorder=4,
            label=f"{fitted_label}: y = {a:.4g}*x {_signed(b)}",
        )
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.25)
    ax.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    return figure


def _line_style(label: str, index: int, points: int) -> dict:
    style = {"color": color_of(label, index), "linewidth": 1.8}
    if points == 1:
        style.update(marker="o", markersize=7, linestyle="none")
    return style


def _padded(low: float, high: float, fraction: float) -> tuple[float, float]:
    span = high - low if high > low else max(abs(high), 1.0)
    return low - fraction * span, high + fraction * span


def _signed(value: float) -> str:
    return f"- {abs(value):.4g}" if value < 0 else f"+ {value:.4g}"


def _short(value: float) -> str:
    """Three significant digits, without an exponent for everyday sizes: 1040, 22.2, 0.0512."""
    return f"{value:.0f}" if 1000 <= abs(value) < 1e7 else f"{value:.3g}"


def _label_line(ax, a: float, b: float, x_low: float, x_high: float, y_low: float, y_high: float, index: int) -> None:
    """Put "(a, b)" on the line where it is inside the frame, staggered along x."""
    positions = np.linspace(x_low, x_high, 41)[4:-4]
    inside = [p for p in positions if y_low < a * p + b < y_high]
    if not inside:
        return
    where = inside[(index * 7) % len(inside)]
    ax.annotate(
        f"({_short(a)}, {_short(b)})",
        (where, a * where + b),
        fontsize=7,
        color="#3b6e99",
        ha="center",
        va="bottom",
        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.7},
        zorder=5,
    )
