"""Figures of what a search sees: a loss surface over two weights with the paths of
two searches across it, and functions fitted by networks of growing width.

The library computes the grid of losses and the paths; these functions only draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatterSciNotation, LogLocator
from PIL import Image

from searchlab.report.animation import render_frames
from searchlab.report.colors import color_of
from searchlab.report.graphs import weight_label

# Losses below this fraction of the surface's largest are drawn at it (log colours cannot show 0).
LOSS_FLOOR_FRACTION = 1e-5


def two_weight_figure(
    xs: Sequence[float],
    ys: Sequence[float],
    losses: np.ndarray,
    paths: Mapping[str, tuple[np.ndarray, Sequence[float]]],
    *,
    names: tuple[str, str],
    marker: tuple[float, float] | None = None,
    marker_label: str = "teacher's values",
    title: str | None = None,
) -> Figure:
    """The loss over a grid of two weights, with each search's path drawn over it.

    Args:
        xs, ys: the grid values of the two weights, (G,) and (H,).
        losses: (H, G) loss at (ys[r], xs[c]).
        paths: {optimizer name: ((T+1, 2) points visited, (T+1,) their losses)},
            all starting from the same point.
        names: the two weights' plain names, e.g. ("w(1)1,1", "w(1)2,1").
        marker: a point to mark with a star (e.g. where the loss is 0).
        marker_label: its legend text.
        title: the figure title.

    Returns:
        Left: filled contours of the loss (log colour scale) with the paths;
        right: the loss along each path against its step.
    """
    figure, _ = _draw(xs, ys, losses, paths, names, marker, marker_label, title)
    return figure


def two_weight_frames(
    xs: Sequence[float],
    ys: Sequence[float],
    losses: np.ndarray,
    paths: Mapping[str, tuple[np.ndarray, Sequence[float]]],
    *,
    names: tuple[str, str],
    marker: tuple[float, float] | None = None,
    marker_label: str = "teacher's values",
    title: str | None = None,
    dpi: float = 72,
) -> list[Image.Image]:
    """The frames of `two_weight_figure` growing step by step: frame i shows steps 0..i of every path."""
    figure, update = _draw(xs, ys, losses, paths, names, marker, marker_label, title)
    count = max(len(points) for points, _ in paths.values())
    frames = render_frames(figure, update, count, dpi=dpi)
    plt.close(figure)
    return frames


def _draw(xs, ys, losses, paths, names, marker, marker_label, title):
    xs, ys, losses = np.asarray(xs, float), np.asarray(ys, float), np.asarray(losses, float)
    floor = max(float(losses.max()) * LOSS_FLOOR_FRACTION, 1e-300)
    shown = np.maximum(losses, floor)
    figure, (left, right) = plt.subplots(1, 2, figsize=(11.5, 4.8), gridspec_kw={"width_ratios": [1.15, 1]})
    levels = np.geomspace(floor, shown.max() * 1.0001, 26)
    surface = left.contourf(xs, ys, shown, levels=levels, norm=LogNorm(vmin=floor, vmax=shown.max()), cmap="viridis_r")
    bar = figure.colorbar(
        surface, ax=left, fraction=0.046, pad=0.03, ticks=LogLocator(), format=LogFormatterSciNotation()
    )
    bar.set_label("loss (mean squared error), log scale")
    left.set_xlabel(f"weight {weight_label(names[0])}", fontsize=12)
    left.set_ylabel(f"weight {weight_label(names[1])}", fontsize=12)
    left.set_title("loss over two weights (the other weights fixed)", fontsize=10)
    if marker is not None:
        left.plot(
            *marker,
            marker="*",
            markersize=15,
            color="white",
            markeredgecolor="black",
            linestyle="none",
            label=marker_label,
            zorder=5,
        )
    start = next(iter(paths.values()))[0][0]
    left.plot(
        start[0],
        start[1],
        marker="o",
        markersize=9,
        markerfacecolor="none",
        markeredgecolor="black",
        markeredgewidth=2,
        linestyle="none",
        label="common start",
        zorder=6,
    )
    lines = {}
    longest = max(len(points) for points, _ in paths.values())
    for index, (name, (points, path_losses)) in enumerate(paths.items()):
        color = color_of(name, index)
        points = np.asarray(points, float)
        kept = np.concatenate([[True], np.any(np.diff(points, axis=0) != 0, axis=1)])  # steps that moved
        label = f"{name} ({len(points) - 1} steps, loss {path_losses[0]:.3g} → {path_losses[-1]:.3g})"
        (path_line,) = left.plot(points[:, 0], points[:, 1], color=color, linewidth=2.2, label=label, zorder=4)
        (dots,) = left.plot(points[kept, 0], points[kept, 1], "o", color=color, markersize=3.5, zorder=4)
        # The right panel shows the losses as they are (only exact zeros are lifted to a tiny floor).
        along = np.maximum(np.asarray(path_losses, float), 1e-300)
        (curve,) = right.plot(
            np.arange(len(points)), along, color=color, linewidth=2, marker="o", markersize=3, label=name
        )
        lines[name] = (points, along, kept, path_line, dots, curve)
    left.set_xlim(xs.min(), xs.max())
    left.set_ylim(ys.min(), ys.max())
    left.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    right.set_yscale("log")
    right.set_xlim(-0.5, longest - 0.5)
    every = np.concatenate([line[1] for line in lines.values()])
    right.set_ylim(every.min() / 2, every.max() * 2)
    right.set_xlabel("step")
    right.set_ylabel("loss at the path's point")
    right.grid(True, which="major", alpha=0.3)
    right.legend(fontsize=9)
    counter = right.set_title(f"loss along each path, steps 0-{longest - 1}", fontsize=10)
    if title:
        figure.suptitle(title, fontsize=11)
    figure.tight_layout()

    def update(step: int) -> None:
        for points, path_losses, kept, path_line, dots, curve in lines.values():
            upto = min(step, len(points) - 1) + 1
            path_line.set_data(points[:upto, 0], points[:upto, 1])
            dots.set_data(points[:upto][kept[:upto], 0], points[:upto][kept[:upto], 1])
            curve.set_data(np.arange(upto), path_losses[:upto])
        counter.set_text(f"loss along each path, step {step} of {longest - 1}")

    return figure, update


def approximation_figure(
    x: Sequence[float],
    target: Sequence[float],
    fits: Mapping[int, Sequence[float]],
    errors: Mapping[int, float],
    *,
    train_x: Sequence[float] | None = None,
    train_y: Sequence[float] | None = None,
    title: str | None = None,
) -> Figure:
    """Networks of growing width fitted to one function.

    Args:
        x, target: a dense grid and the target function on it.
        fits: {hidden width: the fitted network's outputs on x}, drawn over the target.
        errors: {hidden width: its error on the dense grid}, drawn against width (log-log).
        train_x, train_y: the training points, drawn faintly when given.
        title: the figure title.
    """
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1.35, 1]})
    if train_x is not None and train_y is not None:
        left.scatter(train_x, train_y, s=6, color="#bbbbbb", zorder=1, label="training points")
    left.plot(x, target, color="black", linewidth=3.2, alpha=0.35, label="target function", zorder=2)
    palette = plt.get_cmap("plasma")
    widths = sorted(fits)
    for rank, width in enumerate(widths):
        color = palette(0.85 * rank / max(1, len(widths) - 1))
        noun = "neuron" if width == 1 else "neurons"
        left.plot(x, fits[width], color=color, linewidth=1.6, label=f"{width} hidden {noun}", zorder=3)
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.set_title("fits of one hidden ReLU layer over the target", fontsize=10)
    left.legend(fontsize=8, loc="best", framealpha=0.85)
    left.grid(True, alpha=0.25)
    ordered = sorted(errors)
    right.plot(ordered, [errors[w] for w in ordered], color="#6a3d9a", marker="o", linewidth=2)
    right.set_xscale("log", base=2)
    right.set_yscale("log")
    right.set_xticks(ordered)
    right.set_xticklabels([str(w) for w in ordered])
    right.set_xlabel("hidden neurons (width of the one hidden layer)")
    right.set_ylabel("mean squared error against the target")
    right.set_title("error against width", fontsize=10)
    right.grid(True, which="major", alpha=0.3)
    if title:
        figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    return figure


def search_cost_figure(
    exhaustive: tuple[Sequence[float], Sequence[float]],
    gradient_runs: Sequence[tuple[Sequence[float], Sequence[float]]],
    *,
    exhaustive_label: str = "exhaustive search (best so far)",
    title: str | None = None,
) -> Figure:
    """Loss against forward-equivalents: exhaustive search's best so far and each gradient run (log axes).

    Args:
        exhaustive: (forward-equivalents, best loss so far) after each batch of the enumeration.
        gradient_runs: (forward-equivalents, loss) per step of each gradient-descent run.
    """
    figure, ax = plt.subplots(figsize=(8, 4.8))
    fe, best = (np.asarray(v, float) for v in exhaustive)
    ax.step(
        fe,
        best,
        where="post",
        color=color_of("exhaustive"),
        linewidth=2.4,
        marker="o",
        markersize=4,
        label=exhaustive_label,
    )
    ax.axhline(best[-1], color=color_of("exhaustive"), linestyle="--", linewidth=1, alpha=0.7)
    ax.annotate(
        f"best grid program: {best[-1]:.3g}",
        (0.01, best[-1]),
        xycoords=("axes fraction", "data"),
        fontsize=8,
        va="bottom",
        color=color_of("exhaustive"),
    )
    for index, (compute, loss) in enumerate(gradient_runs):
        ax.plot(
            compute,
            loss,
            color=color_of("gradient"),
            linewidth=1.4,
            alpha=0.75,
            label=f"gradient descent ({len(gradient_runs)} random starts)" if index == 0 else None,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("forward-equivalents (one program on one example = 1)")
    ax.set_ylabel("loss (mean squared error)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9)
    if title:
        ax.set_title(title, fontsize=10)
    figure.tight_layout()
    return figure
