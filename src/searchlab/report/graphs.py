"""Computational graphs drawn with matplotlib, in the essay's colours.

Inputs are grey circles, parameters blue rounded rectangles, outputs green
circles, and the arithmetic operations red (small red nodes joined by red
arrows). The primitives (`input_node`, `parameter_node`, `operation_node`,
`output_node`, `arrow`) draw on any axes in data coordinates, so that bigger
graphs (a feedforward network) can reuse them; `linear_graph_figure` draws
y = a*x + b, with fitted values when it is given them.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch  # noqa: E402

COLORS = {
    "input": "#9e9e9e",  # grey
    "parameter": "#4a90d9",  # blue
    "output": "#3aa856",  # green
    "operation": "#d9412b",  # red
    "value": "#333333",
}
NODE_RADIUS = 0.38
OPERATION_RADIUS = 0.24
BOX_HALF = (0.42, 0.32)  # half width and half height of a parameter box


def input_node(ax: Axes, center: tuple[float, float], label: str) -> tuple[float, float]:
    """A grey circle with `label` (an input); returns its center."""
    return _circle(ax, center, NODE_RADIUS, COLORS["input"], label)


def output_node(ax: Axes, center: tuple[float, float], label: str) -> tuple[float, float]:
    """A green circle with `label` (an output); returns its center."""
    return _circle(ax, center, NODE_RADIUS, COLORS["output"], label)


def operation_node(ax: Axes, center: tuple[float, float], symbol: str) -> tuple[float, float]:
    """A small red circle with an arithmetic `symbol` such as '×' or '+'; returns its center."""
    return _circle(ax, center, OPERATION_RADIUS, COLORS["operation"], symbol, fontsize=15, italic=False)


def parameter_node(ax: Axes, center: tuple[float, float], label: str) -> tuple[float, float]:
    """A blue rounded rectangle with `label` (a parameter); returns its center."""
    half_w, half_h = BOX_HALF
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
    ax.text(*center, label, ha="center", va="center", fontsize=17, color="white", fontstyle="italic", fontweight="bold", zorder=4)
    return center


def arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], *, shrink_start: float, shrink_end: float, label: str | None = None) -> None:
    """A red arrow from `start` to `end`, stopping `shrink_*` data units short of each center.

    `label`, when given, is written above the arrow's middle (a value flowing along it).
    """
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = (dx * dx + dy * dy) ** 0.5
    ux, uy = dx / length, dy / length
    tail = (start[0] + ux * shrink_start, start[1] + uy * shrink_start)
    head = (end[0] - ux * shrink_end, end[1] - uy * shrink_end)
    ax.add_patch(
        FancyArrowPatch(tail, head, arrowstyle="-|>", mutation_scale=16, color=COLORS["operation"], linewidth=2.0, zorder=2)
    )
    if label:
        middle = ((tail[0] + head[0]) / 2, (tail[1] + head[1]) / 2)
        ax.text(middle[0], middle[1] + 0.14, label, ha="center", va="bottom", fontsize=10, color=COLORS["value"], zorder=4)


def linear_graph_figure(
    a: float | None = None,
    b: float | None = None,
    *,
    x_value: float | None = None,
    x_label: str = "x",
    y_label: str = "y",
    title: str | None = None,
) -> Figure:
    """The computational graph of y = a*x + b.

    x and a meet at a multiply node, its result and b meet at an add node, and
    the sum is y. Given fitted values, each parameter shows its value; given
    also an input `x_value`, the values flowing along the graph are written on
    it (a*x after the multiply, y at the output).

    Args:
        a, b: fitted parameter values to show, or None for the bare template.
        x_value: an example input to push through the graph (needs a and b).
        x_label, y_label: what the input and output stand for (e.g. "temperature");
            shown under the nodes when they are not just "x" and "y".
        title: the figure title.

    Returns:
        The figure; its node labels are text artists 'x', 'a', 'b', 'y', '×', '+'.
    """
    figure, ax = plt.subplots(figsize=(7.2, 3.6))
    x_at, a_at, times_at, b_at, plus_at, y_at = (0.0, 1.0), (0.0, -0.9), (1.7, 0.05), (2.2, -0.9), (3.9, 0.05), (5.5, 0.05)
    input_node(ax, x_at, "x")
    parameter_node(ax, a_at, "a")
    operation_node(ax, times_at, "×")
    parameter_node(ax, b_at, "b")
    operation_node(ax, plus_at, "+")
    output_node(ax, y_at, "y")

    showing = a is not None and b is not None and x_value is not None
    product = f"a·x = {_fmt(a * x_value)}" if showing else None
    arrow(ax, x_at, times_at, shrink_start=NODE_RADIUS, shrink_end=OPERATION_RADIUS)
    arrow(ax, a_at, times_at, shrink_start=BOX_HALF[1] + 0.1, shrink_end=OPERATION_RADIUS)
    arrow(ax, times_at, plus_at, shrink_start=OPERATION_RADIUS, shrink_end=OPERATION_RADIUS, label=product)
    arrow(ax, b_at, plus_at, shrink_start=BOX_HALF[1] + 0.08, shrink_end=OPERATION_RADIUS)
    arrow(ax, plus_at, y_at, shrink_start=OPERATION_RADIUS, shrink_end=NODE_RADIUS)

    below = BOX_HALF[1] + 0.12
    if a is not None:
        _note(ax, (a_at[0], a_at[1] - below), f"a = {_fmt(a)}")
    if b is not None:
        _note(ax, (b_at[0], b_at[1] - below), f"b = {_fmt(b)}")
    x_note = x_label if x_label != "x" else None
    if showing:
        x_note = f"{x_label} = {_fmt(x_value)}" if x_label != "x" else f"x = {_fmt(x_value)}"
    if x_note:
        _note(ax, (x_at[0], x_at[1] + NODE_RADIUS + 0.12), x_note, va="bottom")
    y_note = y_label if y_label != "y" else None
    if showing:
        y_value = _fmt(a * x_value + b)
        y_note = f"{y_label} = {y_value}" if y_label != "y" else f"y = {y_value}"
    if y_note:
        _note(ax, (y_at[0], y_at[1] + NODE_RADIUS + 0.12), y_note, va="bottom")

    ax.set_xlim(-0.9, 6.3)
    ax.set_ylim(-1.75, 1.95)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11, wrap=True)
    figure.tight_layout()
    return figure


def _circle(ax: Axes, center, radius: float, color: str, label: str, *, fontsize: int = 17, italic: bool = True):
    ax.add_patch(Circle(center, radius, facecolor=color, edgecolor="#444444", linewidth=1.2, zorder=3))
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
    return center


def _note(ax: Axes, at, text: str, *, va: str = "top") -> None:
    ax.text(*at, text, ha="center", va=va, fontsize=10, color=COLORS["value"], zorder=4)


def _fmt(value: float) -> str:
    return f"{value:.4g}"
