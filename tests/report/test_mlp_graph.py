"""The computational graph of a feedforward network, drawn in the essay's colours."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.colors import to_hex
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from searchlab.report import graphs
from searchlab.spaces import MLPSpace


def weight_labels(figure) -> list[str]:
    return [text.get_gid() for ax in figure.axes for text in ax.texts if text.get_gid()]


def test_the_essay_network_has_its_ten_named_weights_in_the_essays_colours():
    figure = graphs.mlp_graph_figure([3, 2, 2], output_activation="relu")
    ax = figure.axes[0]
    assert sorted(weight_labels(figure)) == sorted(MLPSpace([3, 2, 2], bias=False).parameter_names())
    assert len(weight_labels(figure)) == 10
    texts = {text.get_gid(): text.get_text() for text in ax.texts if text.get_gid()}
    assert texts["w(1)3,2"] == "$w^{(1)}_{3,2}$"  # the layer as a superscript, as the essay writes it
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 10 and all(to_hex(b.get_facecolor()) == graphs.COLORS["parameter"] for b in boxes)
    fills = [to_hex(p.get_facecolor()) for p in ax.patches if isinstance(p, Circle)]
    assert fills.count(graphs.COLORS["input"]) == 3
    assert fills.count(graphs.COLORS["hidden"]) == 2
    assert fills.count(graphs.COLORS["output"]) == 2
    assert fills.count(graphs.COLORS["operation"]) == 4  # one "+" per neuron
    arrows = [to_hex(p.get_edgecolor()) for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert arrows.count(graphs.COLORS["nonlinearity"]) == 4  # ReLU into h1, h2, y1, y2
    assert arrows.count(graphs.COLORS["operation"]) == 2 * 10  # into and out of every weight
    plt.close(figure)


def test_an_identity_output_has_no_purple_arrow_and_values_are_written_in_the_boxes():
    values = [0.5, -1.0, 2.0, 0.0, 1.25, -0.75, 1.0, 1.0, -1.0, 0.125]
    figure = graphs.mlp_graph_figure([3, 2, 2], values=values)
    ax = figure.axes[0]
    arrows = [to_hex(p.get_edgecolor()) for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert arrows.count(graphs.COLORS["nonlinearity"]) == 2
    texts = {text.get_gid(): text.get_text() for text in ax.texts if text.get_gid()}
    assert texts["w(1)1,1"].endswith("\n0.5") and texts["w(2)2,2"].endswith("\n0.125")
    plt.close(figure)


def test_biases_get_boxes_of_their_own():
    figure = graphs.mlp_graph_figure([2, 3, 1], bias=True)
    assert sorted(weight_labels(figure)) == sorted(MLPSpace([2, 3, 1]).parameter_names())
    plt.close(figure)


def test_a_large_network_hides_the_names_and_draws_weights_as_lines():
    figure = graphs.mlp_graph_figure([10, 32, 1])
    ax = figure.axes[0]
    assert weight_labels(figure) == []
    assert not [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    shown = graphs.MAX_NODES_DRAWN - 1  # one slot holds the "⋮"
    assert len(ax.lines) == 10 * shown + shown * 1  # lines between the drawn neurons
    assert any("352 weights" in text.get_text() for text in ax.texts)
    assert any(text.get_text() == "⋮" for text in ax.texts)
    plt.close(figure)
    small = graphs.mlp_graph_figure([3, 4, 2])  # 20 weights: still named
    assert len(weight_labels(small)) == 20
    plt.close(small)
    forced = graphs.mlp_graph_figure([3, 2, 2], labels=False)
    assert weight_labels(forced) == []
    plt.close(forced)
