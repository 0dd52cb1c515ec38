"""Feedforward networks drawn as computational graphs, the way the essay draws its 3-2-2 example.

Hidden neurons are light purple, the nonlinearity a dark purple arrow, every weight a blue box named
w(l)i,j (`searchlab.report.graph_parts` draws the pieces); a large network is drawn in the essay's
simplified style instead, its weights thin blue lines.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from searchlab.report.graph_parts import (
    COLORS,
    NODE_RADIUS,
    OPERATION_RADIUS,
    arrow,
    circle,
    finish_graph,
    input_node,
    operation_node,
    output_node,
    parameter_node,
)

# More weights than this, or a layer wider than MAX_LABELLED_WIDTH, and the drawing
# switches to the essay's simplified style: weights as thin blue lines, no names.
MAX_LABELLED_WEIGHTS = 24
MAX_LABELLED_WIDTH = 6
# Layers wider than this show their first and last few neurons with a "⋮" between.
MAX_NODES_DRAWN = 14
_ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "tanh"}
# In the labelled style: from a node's column to its weight boxes, and to the "+" of the next layer.
BOX_DX, SUM_DX = 1.45, 3.15


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
    pitches = [
        max(1.35, widths[layer + 1] * box_pitch + 0.45) if layer < layers else 1.35 for layer in range(layers + 1)
    ]
    ys = [_column(n, p) for n, p in zip(widths, pitches)]
    step = 4.6  # from one column of nodes to the next
    figure_height = max(max(abs(y) for y in col) for col in ys) * 2 + 2.0
    figure, ax = plt.subplots(figsize=(1.05 * (step * layers + 1.6), max(3.6, 0.95 * figure_height)))
    _labelled_nodes(ax, ys, step)
    for layer in range(1, layers + 1):
        act = activation if layer < layers else output_activation
        _labelled_weights(ax, layer, widths[layer], ys, step, box_pitch, box_half, named)
        _labelled_sums(ax, layer, ys, step, box_pitch, box_half, named, bias, act)
    # The outermost boxes of each layer stick out beyond its nodes.
    reach = max(
        max(col) + ((widths[layer + 1] - 1) / 2 * box_pitch + box_half[1] if layer < layers else NODE_RADIUS)
        for layer, col in enumerate(ys)
    )
    top = max(reach, max(max(col) for col in ys[1:]) + (box_pitch * 0.9 + box_half[1] if bias else 0))
    ax.set_xlim(-0.7, layers * step + 0.7)
    ax.set_ylim(-reach - 0.25, top + 0.25)
    return finish_graph(figure, ax, title)


def _labelled_nodes(ax: Axes, ys: list[list[float]], step: float) -> None:
    """The inputs, hidden neurons and outputs, one column per layer."""
    layers = len(ys) - 1
    hidden_layers = layers - 1
    for layer in range(layers + 1):
        x = layer * step
        for i, y in enumerate(ys[layer], start=1):
            if layer == 0:
                input_node(ax, (x, y), _node_name("x", layer, i, hidden_layers))
            elif layer == layers:
                output_node(ax, (x, y), _node_name("y", layer, i, hidden_layers))
            else:
                circle(ax, (x, y), NODE_RADIUS, COLORS["hidden"], _node_name("h", layer, i, hidden_layers))


def _labelled_weights(ax: Axes, layer: int, fan_out: int, ys, step: float, box_pitch: float, box_half, named) -> None:
    """Layer `layer`'s weight boxes beside the nodes they read, each with its multiply and add arrows."""
    x0 = (layer - 1) * step
    for i, y_in in enumerate(ys[layer - 1], start=1):
        offsets = _column(fan_out, box_pitch)
        for j, dy in enumerate(offsets, start=1):
            name = f"w({layer}){i},{j}"
            at = (x0 + BOX_DX, y_in + dy)
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
                (x0 + SUM_DX, ys[layer][j - 1]),
                shrink_start=0.0,
                shrink_end=OPERATION_RADIUS,
                linewidth=1.4,
                mutation_scale=11,
            )


def _labelled_sums(ax: Axes, layer: int, ys, step: float, box_pitch: float, box_half, named, bias, act) -> None:
    """Each neuron's "+" (with its bias box) and the arrow from it into the neuron: the nonlinearity, if any."""
    x0 = (layer - 1) * step
    for j, y_out in enumerate(ys[layer], start=1):
        plus = (x0 + SUM_DX, y_out)
        operation_node(ax, plus, "+")
        if bias:
            name = f"b({layer}){j}"
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
            (layer * step, y_out),
            shrink_start=OPERATION_RADIUS,
            shrink_end=NODE_RADIUS,
            color=COLORS["nonlinearity"] if nonlinear else COLORS["operation"],
            linewidth=3.0 if nonlinear else 1.4,
            mutation_scale=16 if nonlinear else 11,
        )
        if nonlinear:
            ax.text(
                (plus[0] + layer * step - NODE_RADIUS) / 2,
                y_out + 0.1,
                _ACTIVATION_NAMES[act],
                ha="center",
                va="bottom",
                fontsize=8,
                color=COLORS["nonlinearity"],
                zorder=4,
            )


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
    for layer, indices in enumerate(shown):
        ys = _column(len(indices), pitch)
        column = {}
        for index, y in zip(indices, ys):
            if index is None:
                ax.text(layer * step, y, "⋮", ha="center", va="center", fontsize=14, color=COLORS["value"])
                continue
            color = COLORS["input"] if layer == 0 else COLORS["output"] if layer == layers else COLORS["hidden"]
            edge = (
                COLORS["nonlinearity"]
                if 0 < layer and (activation if layer < layers else output_activation) in _ACTIVATION_NAMES
                else "#444444"
            )
            ax.add_patch(Circle((layer * step, y), radius, facecolor=color, edgecolor=edge, linewidth=1.8, zorder=3))
            column[index] = (layer * step, y)
        positions.append(column)
    for layer in range(1, layers + 1):
        for j, end in positions[layer].items():
            for i, start in positions[layer - 1].items():
                value = named.get(f"w({layer}){i + 1},{j + 1}")
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
    for layer, n in enumerate(widths):
        kind = ("input" if layer == 0 else "output" if layer == layers else "hidden neuron") + ("s" if n != 1 else "")
        ax.text(
            layer * step,
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
    return finish_graph(figure, ax, title)


def _shown(count: int) -> list[int | None]:
    if count <= MAX_NODES_DRAWN:
        return list(range(count))
    head = MAX_NODES_DRAWN // 2
    tail = MAX_NODES_DRAWN - head - 1
    return [*range(head), None, *range(count - tail, count)]


def _fmt_short(value: float) -> str:
    return f"{value:.3g}"
