"""Computational graphs drawn with matplotlib, in the essay's colours.

Inputs are grey circles, parameters blue rounded rectangles, outputs green
circles, and the arithmetic operations red (small red nodes joined by red
arrows). The primitives (`input_node`, `parameter_node`, `operation_node`,
`output_node`, `arrow`) draw on any axes in data coordinates, so that bigger
graphs reuse them. `linear_graph_figure` draws y = a*x + b, with fitted values
when it is given them; `mlp_graph_figure` draws any small feedforward network
the way the essay draws its 3-2-2 example: hidden neurons light purple, the
nonlinearity a dark purple arrow, every weight a blue box named w(l)i,j.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
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
    return _circle(ax, center, NODE_RADIUS, COLORS["input"], label)


def output_node(ax: Axes, center: tuple[float, float], label: str) -> tuple[float, float]:
    """A green circle with `label` (an output); returns its center."""
    return _circle(ax, center, NODE_RADIUS, COLORS["output"], label)


def operation_node(ax: Axes, center: tuple[float, float], symbol: str) -> tuple[float, float]:
    """A small red circle with an arithmetic `symbol` such as '×' or '+'; returns its center."""
    return _circle(ax, center, OPERATION_RADIUS, COLORS["operation"], symbol, fontsize=15, italic=False)


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
    ax.text(
        *center,
        label,
        ha="center",
        va="center",
        fontsize=fontsize,
        color="white",
        fontstyle="italic",
        fontweight="bold",
        zorder=4,
    )
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


# ----- feedforward networks ----------------------------------------------------

# More weights than this, or a layer wider than MAX_LABELLED_WIDTH, and the drawing
# switches to the essay's simplified style: weights as thin blue lines, no names.
MAX_LABELLED_WEIGHTS = 24
MAX_LABELLED_WIDTH = 6
# Layers wider than this show their first and last few neurons with a "⋮" between.
MAX_NODES_DRAWN = 14
_ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "tanh"}


def mlp_graph_figure(
    widths: list[int] | tuple[int, ...],
    *,
    bias: bool = False,
    activation: str = "relu",
    output_activation: str = "identity",
    values: list[float] | None = None,
    names: list[str] | None = None,
    labels: bool | None = None,
    title: str | None = None,
) -> Figure:
    """The computational graph of a feedforward network, in the essay's style.

    Inputs x_i are grey, hidden neurons light purple, outputs green. With labels,
    each weight is a blue box named w(l)i,j (layer l, from input i of the layer
    to its neuron j): a red arrow carries x_i into the box (multiply), red arrows
    carry the products into a red "+" per neuron (add), and a dark purple arrow
    is the nonlinearity that turns the sum into the neuron. Without labels (the
    default for a large net) the weights are thin blue lines, as in the essay's
    simplified graph.

    Args:
        widths: [inputs, hidden..., outputs], e.g. [3, 2, 2].
        bias: the network has a bias b(l)j per neuron (drawn as a box above its "+").
        activation, output_activation: "relu", "tanh" or "identity" (no purple arrow).
        values: the flat parameter vector in `MLPSpace` order, to write in the boxes
            (or, without labels, to set each line's width); None draws the template.
        names: one name per parameter, default `MLPSpace(widths, bias=bias).parameter_names()`.
        labels: draw named boxes (True), lines (False), or decide from the size (None).
        title: the figure title.

    Returns:
        The figure. Each weight's label is a text artist whose gid is its plain
        name ("w(1)1,1"); its text is the same name in mathtext.
    """
    from searchlab.spaces.mlp import MLPSpace

    widths = [int(w) for w in widths]
    if names is None:
        names = MLPSpace(widths, bias=bias).parameter_names()
    n_weights = sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    if labels is None:
        labels = n_weights <= MAX_LABELLED_WEIGHTS and max(widths) <= MAX_LABELLED_WIDTH
    named = dict(zip(names, values)) if values is not None else {}
    if labels:
        return _labelled_mlp(widths, bias, activation, output_activation, named, title)
    return _lined_mlp(widths, bias, activation, output_activation, named, n_weights, title)


def weight_label(name: str) -> str:
    """'w(1)2,3' -> mathtext with the layer as a superscript, as the essay writes it."""
    kind, rest = name[0], name[1:]
    layer, _, index = rest.partition(")")
    return f"${kind}^{{{layer[1:]}}}_{{{index}}}$" if kind == "b" else f"${kind}^{{({layer[1:]})}}_{{{index}}}$"


def _node_name(kind: str, layer: int, index: int, n_hidden_layers: int) -> str:
    if kind == "h" and n_hidden_layers > 1:
        return f"$h^{{({layer})}}_{{{index}}}$"
    return f"${kind}_{{{index}}}$"


def _column(count: int, pitch: float) -> list[float]:
    """Vertical positions of `count` nodes `pitch` apart, first at the top, centred on 0."""
    return [(count - 1) / 2 * pitch - i * pitch for i in range(count)]


def _labelled_mlp(widths, bias, activation, output_activation, named, title) -> Figure:
    layers = len(widths) - 1
    box_pitch = 0.95 if named else 0.66
    box_half = (0.52, 0.41 if named else 0.28)
    # A node's pitch leaves room for the boxes of its outgoing weights, stacked beside it.
    pitches = [max(1.35, widths[l + 1] * box_pitch + 0.45) if l < layers else 1.35 for l in range(layers + 1)]
    ys = [_column(n, p) for n, p in zip(widths, pitches)]
    step = 4.6  # from one column of nodes to the next
    box_dx, sum_dx = 1.45, 3.15
    figure_height = max(max(abs(y) for y in col) for col in ys) * 2 + 2.0
    figure, ax = plt.subplots(figsize=(1.05 * (step * layers + 1.6), max(3.6, 0.95 * figure_height)))
    hidden_layers = layers - 1
    for l in range(layers + 1):
        x = l * step
        for i, y in enumerate(ys[l], start=1):
            if l == 0:
                input_node(ax, (x, y), _node_name("x", l, i, hidden_layers))
            elif l == layers:
                output_node(ax, (x, y), _node_name("y", l, i, hidden_layers))
            else:
                _circle(ax, (x, y), NODE_RADIUS, COLORS["hidden"], _node_name("h", l, i, hidden_layers))
    for l in range(1, layers + 1):
        x0 = (l - 1) * step
        act = activation if l < layers else output_activation
        fan_out = widths[l]
        for i, y_in in enumerate(ys[l - 1], start=1):
            offsets = _column(fan_out, box_pitch)
            for j, dy in enumerate(offsets, start=1):
                name = f"w({l}){i},{j}"
                at = (x0 + box_dx, y_in + dy)
                _weight_box(ax, at, name, box_half, named.get(name))
                # Into the box's left edge (multiply), out of its right edge into neuron j's sum (add).
                arrow(
                    ax,
                    (x0, y_in),
                    (at[0] - box_half[0], at[1]),
                    shrink_start=NODE_RADIUS,
                    shrink_end=0.03,
                    linewidth=1.4,
                    mutation_scale=11,
                )
                arrow(
                    ax,
                    (at[0] + box_half[0], at[1]),
                    (x0 + sum_dx, ys[l][j - 1]),
                    shrink_start=0.0,
                    shrink_end=OPERATION_RADIUS,
                    linewidth=1.4,
                    mutation_scale=11,
                )
        for j, y_out in enumerate(ys[l], start=1):
            plus = (x0 + sum_dx, y_out)
            operation_node(ax, plus, "+")
            if bias:
                name = f"b({l}){j}"
                at = (plus[0] - 0.35, plus[1] + box_pitch * 0.9)
                _weight_box(ax, at, name, box_half, named.get(name))
                arrow(
                    ax,
                    at,
                    plus,
                    shrink_start=box_half[1] + 0.02,
                    shrink_end=OPERATION_RADIUS,
                    linewidth=1.4,
                    mutation_scale=11,
                )
            nonlinear = act in _ACTIVATION_NAMES
            arrow(
                ax,
                plus,
                (l * step, y_out),
                shrink_start=OPERATION_RADIUS,
                shrink_end=NODE_RADIUS,
                color=COLORS["nonlinearity"] if nonlinear else COLORS["operation"],
                linewidth=3.0 if nonlinear else 1.4,
                mutation_scale=16 if nonlinear else 11,
            )
            if nonlinear:
                ax.text(
                    (plus[0] + l * step - NODE_RADIUS) / 2,
                    y_out + 0.1,
                    _ACTIVATION_NAMES[act],
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color=COLORS["nonlinearity"],
                    zorder=4,
                )
    # The outermost boxes of each layer stick out beyond its nodes.
    reach = max(
        max(col) + ((widths[l + 1] - 1) / 2 * box_pitch + box_half[1] if l < layers else NODE_RADIUS)
        for l, col in enumerate(ys)
    )
    top = max(reach, max(max(col) for col in ys[1:]) + (box_pitch * 0.9 + box_half[1] if bias else 0))
    ax.set_xlim(-0.7, layers * step + 0.7)
    ax.set_ylim(-reach - 0.25, top + 0.25)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11)
    figure.tight_layout()
    return figure


def _weight_box(ax: Axes, at, name: str, half, value: float | None) -> None:
    label = weight_label(name)
    if value is not None:
        label = f"{label}\n{_fmt_short(value)}"
    parameter_node(ax, at, label, half=half, fontsize=12)
    ax.texts[-1].set_gid(name)
    ax.texts[-1].set_fontstyle("normal")


def _lined_mlp(widths, bias, activation, output_activation, named, n_weights, title) -> Figure:
    layers = len(widths) - 1
    shown = [_shown(n) for n in widths]  # per layer: indices drawn (None marks the "⋮")
    tallest = max(len(s) for s in shown)
    pitch = 0.55
    step = max(3.0, tallest * pitch * 0.55)
    radius = 0.2
    figure, ax = plt.subplots(figsize=(1.1 * (step * layers + 1.5), max(3.2, 0.75 * tallest * pitch + 1.6)))
    positions: list[dict[int, tuple[float, float]]] = []
    magnitude = max((abs(v) for v in named.values()), default=0.0) or 1.0
    for l, indices in enumerate(shown):
        ys = _column(len(indices), pitch)
        column = {}
        for index, y in zip(indices, ys):
            if index is None:
                ax.text(l * step, y, "⋮", ha="center", va="center", fontsize=14, color=COLORS["value"])
                continue
            color = COLORS["input"] if l == 0 else COLORS["output"] if l == layers else COLORS["hidden"]
            edge = (
                COLORS["nonlinearity"]
                if 0 < l and (activation if l < layers else output_activation) in _ACTIVATION_NAMES
                else "#444444"
            )
            ax.add_patch(Circle((l * step, y), radius, facecolor=color, edgecolor=edge, linewidth=1.8, zorder=3))
            column[index] = (l * step, y)
        positions.append(column)
    for l in range(1, layers + 1):
        for j, end in positions[l].items():
            for i, start in positions[l - 1].items():
                value = named.get(f"w({l}){i + 1},{j + 1}")
                width = 0.5 if value is None else 0.15 + 1.6 * abs(value) / magnitude
                ax.plot(
                    [start[0] + radius, end[0] - radius],
                    [start[1], end[1]],
                    color=COLORS["parameter"],
                    linewidth=width,
                    alpha=0.55,
                    linestyle="-" if value is None or value >= 0 else "--",
                    zorder=1,
                )
    for l, n in enumerate(widths):
        kind = ("input" if l == 0 else "output" if l == layers else "hidden neuron") + ("s" if n != 1 else "")
        ax.text(
            l * step,
            -(tallest - 1) / 2 * pitch - 0.55,
            f"{n} {kind}",
            ha="center",
            va="top",
            fontsize=9,
            color=COLORS["value"],
        )
    note = f"{n_weights:,} weights (blue lines{'; dashed: negative, width: size' if named else ''})"
    if activation in _ACTIVATION_NAMES:
        note += f", {_ACTIVATION_NAMES[activation]} neurons ringed in dark purple"
    note += f"{' and ' + str(sum(widths[1:])) + ' biases' if bias else ''}; names hidden at this size"
    ax.text(
        layers * step / 2,
        (tallest - 1) / 2 * pitch + 0.45,
        note,
        ha="center",
        va="bottom",
        fontsize=9,
        color=COLORS["value"],
    )
    ax.set_xlim(-0.6, layers * step + 0.6)
    ax.set_ylim(-(tallest - 1) / 2 * pitch - 1.0, (tallest - 1) / 2 * pitch + 0.9)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11)
    figure.tight_layout()
    return figure


def _shown(count: int) -> list[int | None]:
    if count <= MAX_NODES_DRAWN:
        return list(range(count))
    head = MAX_NODES_DRAWN // 2
    tail = MAX_NODES_DRAWN - head - 1
    return [*range(head), None, *range(count - tail, count)]


def _fmt_short(value: float) -> str:
    return f"{value:.3g}"
