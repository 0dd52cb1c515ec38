"""Computational graphs drawn with matplotlib, in the essay's colours.

Inputs are grey circles, parameters blue rounded rectangles, outputs green
circles, and the arithmetic operations red (small red nodes joined by red
arrows). The primitives (`input_node`, `parameter_node`, `operation_node`,
`output_node`, `arrow`, in `graph_parts`) draw on any axes in data coordinates,
so that bigger graphs reuse them. `linear_graph_figure` draws y = a*x + b, with
fitted values when it is given them; `mlp_graph_figure` (in `mlp_graphs`, and
importable from here) draws any small feedforward network the way the essay
draws its 3-2-2 example: hidden neurons light purple, the nonlinearity a dark
purple arrow, every weight a blue box named w(l)i,j.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from searchlab.report.graph_parts import (
    BOX_HALF,
    COLORS,
    NODE_RADIUS,
    OPERATION_RADIUS,
    arrow,
    finish_graph,
    input_node,
    operation_node,
    output_node,
    parameter_node,
)
from searchlab.report.mlp_graphs import (
    MAX_LABELLED_WEIGHTS,
    MAX_LABELLED_WIDTH,
    MAX_NODES_DRAWN,
    mlp_graph_figure,
    weight_label,
)

__all__ = [
    "BOX_HALF",
    "COLORS",
    "MAX_LABELLED_WEIGHTS",
    "MAX_LABELLED_WIDTH",
    "MAX_NODES_DRAWN",
    "NODE_RADIUS",
    "OPERATION_RADIUS",
    "arrow",
    "input_node",
    "linear_graph_figure",
    "mlp_graph_figure",
    "operation_node",
    "output_node",
    "parameter_node",
    "weight_label",
]


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
    x_at, a_at, times_at, b_at, plus_at, y_at = (
        (0.0, 1.0),
        (0.0, -0.9),
        (1.7, 0.05),
        (2.2, -0.9),
        (3.9, 0.05),
        (5.5, 0.05),
    )
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
    return finish_graph(figure, ax, title, wrap=True)


def _note(ax: Axes, at, text: str, *, va: str = "top") -> None:
    ax.text(*at, text, ha="center", va=va, fontsize=10, color=COLORS["value"], zorder=4)


def _fmt(value: float) -> str:
    return f"{value:.4g}"
