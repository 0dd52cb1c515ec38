"""The primitives of the computational graphs, in the essay's colours.

Inputs are grey circles, parameters blue rounded rectangles, outputs green
circles, and the arithmetic operations red (small red nodes joined by red
arrows). Each primitive draws on any axes in data coordinates, so that every
graph (`searchlab.report.graphs`, `searchlab.report.mlp_graphs`) reuses them.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

COLORS = {
    "input": "#9e9e9e",  # grey
    "parameter": "#4a90d9",  # blue
    "output": "#3aa856",  # green
    "operation": "#d9412b",  # red
    "hidden": "#b48fdc",  # light purple
    "nonlinearity": "#4a1e78",  # dark purple
    "value": "#333333",
}
NODE_RADIUS = 0.38
OPERATION_RADIUS = 0.24
BOX_HALF = (0.42, 0.32)  # half width and half height of a parameter box


def input_node(ax: Axes, center: tuple[float, float], label: str) -> tuple[float, float]:
    """A grey circle with `label` (an input); returns its center."""
    return circle(ax, center, NODE_RADIUS, COLORS["input"], label)


def output_node(ax: Axes, center: tuple[float, float], label: str) -> tuple[float, float]:
    """A green circle with `label` (an output); returns its center."""
    return circle(ax, center, NODE_RADIUS, COLORS["output"], label)


def operation_node(ax: Axes, center: tuple[float, float], symbol: str) -> tuple[float, float]:
    """A small red circle with an arithmetic `symbol` such as '×' or '+'; returns its center."""
    return circle(ax, center, OPERATION_RADIUS, COLORS["operation"], symbol, fontsize=15, italic=False)


def parameter_node(
    ax: Axes, center: tuple[float, float], label: str, *, half: tuple[float, float] = BOX_HALF, fontsize: float = 17
) -> tuple[float, float]:
    """A blue rounded rectangle with `label` (a parameter) of half-size `half`; returns its center."""
    half_w, half_h = half
    box = FancyBboxPatch(
        (center[0] - half_w, center[1] - half_h),
        2 * half_w,
        2 * half_h,
        boxstyle="round,pad=0.02,rounding_size=0.14",
        facecolor=COLORS["parameter"],
        edgecolor="#2b5f99",
        linewidth=1.5,
        zorder=3,
    )
    ax.add_patch(box)
    _white_label(ax, center, label, fontsize, italic=True)
    return center


def arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    *,
    shrink_start: float,
    shrink_end: float,
    label: str | None = None,
    color: str = COLORS["operation"],
    linewidth: float = 2.0,
    mutation_scale: float = 16,
) -> None:
    """An arrow (red unless `color` says otherwise) from `start` to `end`, stopping `shrink_*` short of each center.

    `label`, when given, is written above the arrow's middle (a value flowing along it).
    """
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = (dx * dx + dy * dy) ** 0.5
    ux, uy = dx / length, dy / length
    tail = (start[0] + ux * shrink_start, start[1] + uy * shrink_start)
    head = (end[0] - ux * shrink_end, end[1] - uy * shrink_end)
    ax.add_patch(
        FancyArrowPatch(
            tail, head, arrowstyle="-|>", mutation_scale=mutation_scale, color=color, linewidth=linewidth, zorder=2
        )
    )
    if label:
        middle = ((tail[0] + head[0]) / 2, (tail[1] + head[1]) / 2)
        ax.text(
            middle[0], middle[1] + 0.14, label, ha="center", va="bottom", fontsize=10, color=COLORS["value"], zorder=4
        )


def circle(ax: Axes, center, radius: float, color: str, label: str, *, fontsize: int = 17, italic: bool = True):
    """A circle of `color` with a white `label` in it; returns its center."""
    ax.add_patch(Circle(center, radius, facecolor=color, edgecolor="#444444", linewidth=1.2, zorder=3))
    _white_label(ax, center, label, fontsize, italic=italic)
    return center


def _white_label(ax: Axes, center, label: str, fontsize: float, *, italic: bool) -> None:
    """A node's bold white label, centred on it and drawn above its shape."""
    ax.text(
        *center,
        label,
        ha="center",
        va="center",
        fontsize=fontsize,
        color="white",
        fontweight="bold",
        fontstyle="italic" if italic else "normal",
        zorder=4,
    )


def finish_graph(figure, ax: Axes, title: str | None, *, wrap: bool = False):
    """Square units, no axes, the title if any, a tight layout: how every graph figure ends; returns `figure`."""
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11, wrap=wrap)
    figure.tight_layout()
    return figure
