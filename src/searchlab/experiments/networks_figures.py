"""The networks experiment's figures, drawn from its result and what `networks.save_drawing` kept."""

from __future__ import annotations

import numpy as np

from searchlab.experiments.base import RunContext
from searchlab.experiments.networks import SECTIONS, Config
from searchlab.experiments.networks_claims import APPROXIMATES
from searchlab.experiments.networks_task import ESSAY_NAMES, essay_space, parse_widths

# A wider net is drawn (lines, no names) when the count table has one with at most this many weights.
MAX_WEIGHTS_DRAWN = 1000
# Fits drawn over the target: at most this many widths, spread over the list.
MAX_FITS_DRAWN = 5


def figures(config: Config, result: dict, drawing: dict, context: RunContext) -> list[dict]:
    """Draw every figure into the run folder; returns the report's figure entries."""
    return [
        *_graph_figures(config, result["exhaustive"], context),
        _cost_figure(config, result["exhaustive"], drawing["gradient_traces"], context),
        _approximation_figure(config, result, drawing, context),
        *_seeds_figure(result, context),
        *_view_figures(config, result, drawing, context),
    ]


def _graph_figures(config: Config, exhaustive: dict, context: RunContext) -> list[dict]:
    """The 3-2-2 net as a graph, filled in with the best grid program, and the widest net of the count table."""
    from searchlab.report.graphs import mlp_graph_figure

    space = essay_space()
    entries = []
    graph = mlp_graph_figure(
        space.widths,
        output_activation="relu",
        title="the essay's network: 3 inputs, 2 hidden ReLU neurons, 2 outputs, ten weights, no biases",
    )
    entries.append(
        {
            "path": context.figure(graph, "network.png"),
            "caption": f'The 3-2-2 network as a computational graph, drawn as in the essay\'s "{SECTIONS[1]}" '
            "section: inputs grey, each weight a blue box named w(layer)input,neuron, red arrows for multiplying and "
            "adding, the ReLU as a dark purple arrow into each hidden neuron (light purple) and each output (green).",
        }
    )
    levels = ", ".join(f"{v:g}" for v in exhaustive["levels"])
    found = mlp_graph_figure(
        space.widths,
        output_activation="relu",
        values=[exhaustive["best_weights"][name] for name in ESSAY_NAMES],
        title=f"the best of all {exhaustive['candidates']:,} programs with weights in {{{levels}}} (loss "
        f"{exhaustive['best_loss']:.3g})",
    )
    entries.append(
        {
            "path": context.figure(found, "network_best_grid.png"),
            "caption": "The same graph filled in with the weights of the best program exhaustive search found.",
        }
    )
    drawable = [
        net
        for net in config.count_nets
        if _weights(parse_widths(net)) <= MAX_WEIGHTS_DRAWN and parse_widths(net) != space.widths
    ]
    if drawable:
        widest = max(drawable, key=lambda net: _weights(parse_widths(net)))
        wide = mlp_graph_figure(
            parse_widths(widest), output_activation="relu", title=f"a wider net of the count table: {widest}"
        )
        entries.append(
            {
                "path": context.figure(wide, "network_wide.png"),
                "caption": f"The {widest} network from the count table, drawn the simplified way (weights as blue "
                f"lines, names hidden): its {_weights(parse_widths(widest)):,} weights are each one more blank to "
                "fill in.",
            }
        )
    return entries


def _cost_figure(config: Config, exhaustive: dict, gradient_traces: list, context: RunContext) -> dict:
    from searchlab.report.landscape import search_cost_figure

    cost = search_cost_figure(
        (exhaustive["trace"]["forward_equivalents"], exhaustive["trace"]["best_loss"]),
        gradient_traces,
        title=f"3-2-2 network on {config.examples} teacher-labelled examples: loss against compute",
    )
    return {
        "path": context.figure(cost, "exhaustive_vs_gradient.png"),
        "caption": "Loss against forward-equivalents (log axes). Brown: the best program found so far while "
        f"exhaustive search works through all {exhaustive['candidates']:,} grid programs. Blue: full-batch gradient "
        "descent (Adam) on real-valued weights, one line per random start.",
    }


def _approximation_figure(config: Config, result: dict, drawing: dict, context: RunContext) -> dict:
    from searchlab.report.landscape import approximation_figure

    fits = drawing["fits"]
    chosen = _spread(sorted(fits), MAX_FITS_DRAWN)
    approx = approximation_figure(
        drawing["dense_x"],
        drawing["dense_y"],
        {w: fits[w] for w in chosen},
        {row["width"]: row["error"] for row in result["approximation"]},
        title="one hidden layer of ReLU neurons, fitted by gradient descent to a wiggly function",
    )
    return {
        "path": context.figure(approx, "approximation.png"),
        "caption": f"Left: the target (thick grey) and the fits of networks with {', '.join(map(str, chosen))} hidden "
        "neurons. Right: mean squared error against the target on 1,001 points, against width (log axes); each width "
        f"kept the best of {config.approximation_restarts} random start(s), {config.approximation_steps} Adam steps "
        "each.",
    }


def _seeds_figure(result: dict, context: RunContext) -> list[dict]:
    """Each seed's held-out error over its best constant's, against width; none without repeats."""
    import matplotlib.pyplot as plt

    runs = result["approximation_over_seeds"]["runs"]
    if not runs:
        return []
    figure, axes = plt.subplots(figsize=(6.4, 4.4))
    widths = runs[0]["widths"]
    ratios = np.array([[error / run["constant_error"] for error in run["errors"]] for run in runs])  # (seeds, widths)
    for row in ratios:
        axes.plot(widths, row, color="#1c7ed6", alpha=0.35, linewidth=1, marker="o", markersize=3)
    axes.plot(widths, ratios.mean(axis=0), color="#1c7ed6", linewidth=2.4, marker="o", label="mean over seeds")
    axes.axhline(1.0, color="#868e96", linestyle="-", linewidth=1.2, label="best constant (the baseline)")
    axes.axhline(APPROXIMATES, color="#e8590c", linestyle="--", linewidth=1.2, label="the claim's threshold")
    axes.set_xscale("log", base=2)
    axes.set_xticks(widths, [str(width) for width in widths])
    axes.set_yscale("log")
    axes.set_xlabel("hidden neurons")
    axes.set_ylabel("held-out error / the best constant's")
    axes.set_title(f"one hidden layer on {len(runs)} random wiggly functions (one per seed)")
    axes.legend(fontsize=8)
    return [
        {
            "path": context.figure(figure, "approximation_over_seeds.png"),
            "caption": "The approximation stage repeated on new seeds, each with its own target: held-out error on "
            "1,001 points divided by that of predicting the training points' mean, against width (log axes); one "
            f"thin line per seed, their mean bold, and the claim's threshold ({APPROXIMATES:g}) dashed.",
        }
    ]


def _view_figures(config: Config, result: dict, drawing: dict, context: RunContext) -> list[dict]:
    """The two-weight view as a still (PNG) and as an animation (GIF), one frame per step."""
    from searchlab.report.animation import write_gif
    from searchlab.report.landscape import two_weight_figure, two_weight_frames

    names = tuple(result["two_weights"]["weights"])
    surface = (drawing["xs"], drawing["ys"], drawing["surface"], drawing["paths"])
    settings = {
        "names": names,
        "marker": tuple(drawing["center"]),
        "title": f"changing two weights of the 3-2-2 network, the other {len(ESSAY_NAMES) - 2} fixed at the teacher's "
        "values",
    }
    still = two_weight_figure(*surface, **settings)
    entries = [
        {
            "path": context.figure(still, "two_weights.png"),
            "caption": f"The loss over a grid of {config.view_resolution} x {config.view_resolution} values of "
            f"{names[0]} and {names[1]} (the star: the teacher's values, where the loss is 0). From one common start "
            f"(black circle), local search (green: {config.view_population} random perturbations of the two weights "
            "per step, the best kept if it is better) and plain gradient descent (blue, learning rate "
            f"{result['two_weights']['sgd_lr']:.3g}) each take {config.view_steps} steps. Right: the loss at each "
            "point of each path.",
        }
    ]
    frames = two_weight_frames(*surface, **settings)
    write_gif(context.out / "figures" / "two_weights.gif", frames)
    entries.append(
        {
            "path": "figures/two_weights.gif",
            "caption": f"The same picture as an animation, one frame per step ({len(frames)} frames).",
        }
    )
    return entries


def _weights(widths: list[int]) -> int:
    return sum(a * b for a, b in zip(widths[:-1], widths[1:]))


def _spread(items: list[int], count: int) -> list[int]:
    """At most `count` items, evenly spread, always the first and the last."""
    if len(items) <= count:
        return items
    picks = np.round(np.linspace(0, len(items) - 1, count)).astype(int)
    return [items[i] for i in sorted(set(picks.tolist()))]
