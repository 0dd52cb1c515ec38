"""Figures for classifiers: confusion matrix, mistakes with their probabilities, inputs as vectors.

The experiment computes the numbers; these functions only draw them and return
a matplotlib Figure (Agg backend, nothing shown on screen). Save it with
`RunContext.figure`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

RIGHT = "#2b8a3e"  # the true label
WRONG = "#c92a2a"  # a wrong prediction
NEUTRAL = "#adb5bd"


def confusion_matrix(true: Sequence[int], predicted: Sequence[int], n_labels: int) -> np.ndarray:
    """Counts of (true label, predicted label) pairs: an (n_labels, n_labels) int64 array, rows = true."""
    true = np.asarray(true, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    matrix = np.zeros((n_labels, n_labels), dtype=np.int64)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def confusion_figure(matrix: np.ndarray, label_names: Sequence[str], *, title: str | None = None) -> Figure:
    """Heat map of a confusion matrix with every count written in its cell (zeros left blank)."""
    n = len(label_names)
    side = min(11.0, max(4.2, 0.5 * n + 2.2))
    fig, ax = plt.subplots(figsize=(side, side * 0.9))
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(1, int(matrix.max())))
    dark = 0.55 * max(1, int(matrix.max()))
    font = 10 if n <= 12 else max(5, 10 - (n - 12) // 3)
    for i in range(n):
        for j in range(n):
            count = int(matrix[i, j])
            if count:
                color = "white" if count > dark else ("black" if i == j else WRONG)
                ax.text(
                    j,
                    i,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=font,
                    color=color,
                    fontweight="bold" if i != j else None,
                )
    ax.set_xticks(
        range(n),
        label_names,
        rotation=0 if max(len(s) for s in label_names) <= 3 else 45,
        ha="center" if max(len(s) for s in label_names) <= 3 else "right",
    )
    ax.set_yticks(range(n), label_names)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    total = int(matrix.sum())
    right = int(np.trace(matrix))
    heading = title or "Confusion matrix"
    ax.set_title(
        f"{heading}\n{right} of {total} test images right ({right / max(total, 1):.1%}); off-diagonal cells are "
        "mistakes",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def misclassified_figure(
    images: np.ndarray,
    true: Sequence[int],
    predicted: Sequence[int],
    probabilities: np.ndarray,
    label_names: Sequence[str],
    *,
    ink_is_high: bool = True,
    columns: int = 4,
    total_wrong: int | None = None,
) -> Figure:
    """A grid of wrongly classified images, each beside a bar chart of the network's probabilities.

    Args:
        images: (M, s, s) gray levels of the images to show (already chosen).
        true, predicted: (M,) label positions.
        probabilities: (M, C) predicted probabilities.
        label_names: the C labels.
        ink_is_high: draw 1 as dark (digits) rather than as white (photos).
        columns: images per row.
        total_wrong: how many mistakes there were in all (for the title; default M).
    """
    m = len(images)
    total_wrong = m if total_wrong is None else total_wrong
    if m == 0:
        fig, ax = plt.subplots(figsize=(6, 1.6))
        ax.axis("off")
        ax.text(0.5, 0.5, "No test image was misclassified.", ha="center", va="center", fontsize=12)
        return fig
    columns = min(columns, m)
    rows = math.ceil(m / columns)
    n_labels = probabilities.shape[1]
    bar_width = max(1.6, 0.2 * n_labels)
    height = rows * 1.9 + 0.9
    fig = plt.figure(figsize=(columns * (1.5 + bar_width + 0.3), height))
    # Leave room above the first row's titles for the figure's title.
    grid = fig.add_gridspec(
        rows, 2 * columns, width_ratios=[1.3, bar_width] * columns, wspace=0.25, hspace=0.75, top=1 - 0.85 / height
    )
    cmap = "gray_r" if ink_is_high else "gray"
    ticks = list(range(n_labels))
    for k in range(m):
        r, c = divmod(k, columns)
        image_ax = fig.add_subplot(grid[r, 2 * c])
        image_ax.imshow(images[k], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        image_ax.set_xticks([])
        image_ax.set_yticks([])
        image_ax.set_title(
            f"true: {label_names[true[k]]}\nnetwork: {label_names[predicted[k]]}", fontsize=9, color=WRONG
        )
        bar_ax = fig.add_subplot(grid[r, 2 * c + 1])
        colors = [NEUTRAL] * n_labels
        colors[true[k]] = RIGHT
        colors[predicted[k]] = WRONG
        bar_ax.bar(ticks, probabilities[k], color=colors, width=0.8)
        bar_ax.set_ylim(0, 1)
        bar_ax.set_yticks([0, 0.5, 1])
        bar_ax.tick_params(labelsize=7)
        _label_ticks(bar_ax, label_names)
        gap = ", " if max(len(s) for s in label_names) <= 3 else "\n"
        bar_ax.set_title(
            f"p({label_names[predicted[k]]}) = {probabilities[k][predicted[k]]:.2f}{gap}p({label_names[true[k]]}) "
            f"= {probabilities[k][true[k]]:.2f}",
            fontsize=8,
        )
        for side in ("top", "right"):
            bar_ax.spines[side].set_visible(False)
    shown = f"{m} of {total_wrong}" if m < total_wrong else f"all {m}"
    fig.suptitle(
        f"Misclassified test images ({shown}) and the network's probabilities: red = its answer, green = the true "
        "label",
        fontsize=11,
        y=1 - 0.1 / height,
    )
    return fig


def vectors_figure(
    images: np.ndarray,
    labels: Sequence[int],
    onehots: np.ndarray,
    label_names: Sequence[str],
    *,
    ink_is_high: bool = True,
) -> Figure:
    """Each example three ways: the image, its pixels as one long vector, its label as a one-hot vector.

    Args:
        images: (M, s, s) gray levels in [0, 1].
        labels: (M,) label positions.
        onehots: (M, C) one-hot vectors of the labels.
        label_names: the C labels.
        ink_is_high: draw 1 as dark (digits) rather than as white (photos).
    """
    m, side = images.shape[0], images.shape[1]
    n_pixels = side * side
    n_labels = onehots.shape[1]
    cmap = "gray_r" if ink_is_high else "gray"
    fig = plt.figure(figsize=(13.5, 1.9 * m + 0.7))
    grid = fig.add_gridspec(m, 3, width_ratios=[1.3, 8.5, 2.6], wspace=0.15, hspace=0.6)
    annotate = n_pixels <= 64
    for k in range(m):
        image_ax = fig.add_subplot(grid[k, 0])
        image_ax.imshow(images[k], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        image_ax.set_xticks([])
        image_ax.set_yticks([])
        image_ax.set_title(f"image: {side}x{side}", fontsize=9)
        image_ax.set_ylabel(f"label {label_names[labels[k]]}", fontsize=10)

        vector = images[k].reshape(-1)
        # Two rows of pixels so that each cell is wide enough to print its value.
        per_row = math.ceil(n_pixels / 2) if annotate else n_pixels
        rows = math.ceil(n_pixels / per_row)
        padded = np.full(rows * per_row, np.nan)
        padded[:n_pixels] = vector
        vector_ax = fig.add_subplot(grid[k, 1])
        vector_ax.imshow(
            padded.reshape(rows, per_row), cmap=cmap, vmin=0, vmax=1, aspect="auto", interpolation="nearest"
        )
        if annotate:
            for index, value in enumerate(vector):
                r, c = divmod(index, per_row)
                text = "1" if value >= 0.995 else ("0" if value <= 0.005 else f"{value:.1f}".lstrip("0"))
                vector_ax.text(
                    c,
                    r,
                    text,
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if (value > 0.5) == ink_is_high else "black",
                )
        vector_ax.set_yticks(
            range(rows), [f"{r * per_row + 1}-{min((r + 1) * per_row, n_pixels)}" for r in range(rows)], fontsize=7
        )
        vector_ax.set_xticks([])
        wrapped = f", wrapped onto {rows} lines" if rows > 1 else ""
        vector_ax.set_title(
            f"the same image as one vector of {n_pixels} numbers (pixels read row by row{wrapped})", fontsize=9
        )

        onehot_ax = fig.add_subplot(grid[k, 2])
        onehot_ax.imshow(onehots[k].reshape(1, -1), cmap="Greens", vmin=0, vmax=1.4, aspect="auto")
        for j in range(n_labels):
            onehot_ax.text(j, 0, f"{onehots[k][j]:g}", ha="center", va="center", fontsize=8)
        _label_ticks(onehot_ax, label_names)
        onehot_ax.set_yticks([])
        onehot_ax.set_title(f"label {label_names[labels[k]]} as a one-hot vector", fontsize=9)
    fig.suptitle("Everything becomes a vector: pixels in, one-hot label out", fontsize=12)
    return fig


def training_curve_figure(
    curves: Sequence[dict], *, title: str, ylabel: str = "training loss (cross-entropy)"
) -> Figure:
    """Loss against compute spent, one line per curve, loss on a log axis.

    Args:
        curves: dicts with "label", "x" (forward-equivalents), "y" (loss), and
            optionally "faint": True to draw a thin, light line (e.g. per-batch noise).
        title: the figure's title.
        ylabel: the loss axis label.
    """
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    for curve in curves:
        x = np.asarray(curve["x"], dtype=float)
        y = np.asarray(curve["y"], dtype=float)
        if curve.get("faint"):
            ax.plot(x, y, lw=0.6, alpha=0.35, color=curve.get("color"), label=curve["label"])
        else:
            ax.plot(
                x, y, lw=1.8, color=curve.get("color"), label=curve["label"], marker=curve.get("marker"), markersize=3
            )
    ax.set_yscale("log")
    ax.set_xlabel("compute spent (forward-equivalents: 1 per example evaluated, +2 per backward pass)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def _label_ticks(ax, label_names: Sequence[str]) -> None:
    """Label names under the positions: upright when short, slanted when long, positions when too many."""
    n = len(label_names)
    longest = max(len(s) for s in label_names)
    if longest <= 3:
        ax.set_xticks(range(n), label_names, fontsize=7)
    elif n <= 12:
        ax.set_xticks(range(n), label_names, fontsize=7, rotation=35, ha="right")
    else:
        ax.set_xticks(range(n), [str(i) for i in range(n)], fontsize=7)
