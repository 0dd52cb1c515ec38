"""Computational-graph drawings (report/graphs.py) and the generic figures (report/figures.py)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_hex
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from searchlab.report import graphs
from searchlab.report.figures import EXCESS_FLOOR, candidate_cloud_figure, color_of, convergence_figure


def texts(figure) -> list[str]:
    return [text.get_text() for ax in figure.axes for text in ax.texts]


def test_linear_graph_has_the_essays_nodes_in_the_essays_colours():
    figure = graphs.linear_graph_figure()
    ax = figure.axes[0]
    labels = texts(figure)
    for node in ("x", "a", "b", "y", "×", "+"):
        assert labels.count(node) == 1, (node, labels)
    fills = [to_hex(p.get_facecolor()) for p in ax.patches if isinstance(p, Circle)]
    assert fills.count(graphs.COLORS["input"]) == 1  # x
    assert fills.count(graphs.COLORS["output"]) == 1  # y
    assert fills.count(graphs.COLORS["operation"]) == 2  # multiply, add
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == 2 and all(to_hex(b.get_facecolor()) == graphs.COLORS["parameter"] for b in boxes)
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 5  # x->*, a->*, *->+, b->+, +->y
    assert all(to_hex(a.get_edgecolor()) == graphs.COLORS["operation"] for a in arrows)
    assert not any("=" in label for label in labels)  # the bare template shows no values
    plt.close(figure)


def test_linear_graph_writes_the_fitted_values_and_one_example_through_it():
    figure = graphs.linear_graph_figure(2.5, -1.25, x_value=4.0, x_label="temperature", y_label="sales")
    labels = texts(figure)
    assert "a = 2.5" in labels and "b = -1.25" in labels
    assert "temperature = 4" in labels
    assert "a·x = 10" in labels
    assert "sales = 8.75" in labels  # 2.5 * 4 - 1.25
    plt.close(figure)


def test_convergence_figure_has_log_axes_optimum_line_and_a_relative_panel():
    compute = np.array([10, 100, 1000, 10000])
    figure = convergence_figure(
        {"gradient": (compute, [50.0, 12.0, 10.5, 10.0]), "least_squares": ([10], [10.0])},
        optimum=10.0,
        optimum_label="closed form",
        within=0.01,
    )
    left, right = figure.axes
    assert left.get_xscale() == "log" and left.get_yscale() == "log"
    assert right.get_xscale() == "log" and right.get_yscale() == "log"
    horizontal = [line for line in left.lines if list(line.get_ydata()) == [10.0, 10.0]]
    assert horizontal, "the optimum is drawn as a horizontal line"
    gradient_gap = right.lines[0].get_ydata()
    np.testing.assert_allclose(gradient_gap, [4.0, 0.2, 0.05, EXCESS_FLOOR])  # a gap of 0 sits on the floor
    assert right.lines[0].get_color() == color_of("gradient")
    legend_texts = [t.get_text() for t in figure.legends[0].get_texts()]
    assert legend_texts == ["gradient", "least_squares", "closed form"]
    plt.close(figure)


def test_convergence_figure_without_optimum_is_one_panel():
    figure = convergence_figure({"mine": ([1, 2, 3], [3.0, 2.0, 1.0])}, title="t")
    assert len(figure.axes) == 1
    assert color_of("mine", 0) != color_of("gradient")
    plt.close(figure)


def test_candidate_cloud_draws_every_candidate_and_the_fitted_line():
    x = np.linspace(0, 10, 20)
    figure = candidate_cloud_figure(x, 2 * x + 1, [(1.0, 0.0), (-1.0, 5.0), (0.5, 2.0)], (2.0, 1.0), labels=2)
    ax = figure.axes[0]
    assert len(ax.lines) == 4  # three candidates and the fitted line
    assert np.allclose(ax.lines[-1].get_ydata(), 2 * ax.lines[-1].get_xdata() + 1)
    assert sum(1 for t in ax.texts if t.get_text().startswith("(")) == 2
    plt.close(figure)
