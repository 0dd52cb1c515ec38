"""The networks experiment's figures and report prose (numbers in, words and pictures out)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from searchlab.experiments.base import RunContext
    from searchlab.experiments.networks import Config, NetworksData

# A wider net is drawn (lines, no names) when the count table has one with at most this many weights.
MAX_WEIGHTS_DRAWN = 1000
# Fits drawn over the target: at most this many widths, spread over the list.
MAX_FITS_DRAWN = 5


def figures(
    config: Config,
    data: NetworksData,
    result: dict,
    best_quantized,
    best_gradient,
    gradient_runs,
    fits,
    view,
    context: RunContext,
) -> list[dict]:
    """Draw every figure into the run folder; returns the report's figure entries."""
    from searchlab.experiments.networks import ESSAY_NAMES, SECTIONS, essay_space, parse_widths
    from searchlab.report.animation import write_gif
    from searchlab.report.graphs import mlp_graph_figure
    from searchlab.report.landscape import (
        approximation_figure,
        search_cost_figure,
        two_weight_figure,
        two_weight_frames,
    )

    space = essay_space()
    exhaustive = result["exhaustive"]
    entries = []
    graph = mlp_graph_figure(
        space.widths,
        output_activation="relu",
        title="the essay's network: 3 inputs, 2 hidden ReLU neurons, 2 outputs, ten weights, no biases",
    )
    entries.append(
        {
            "path": context.figure(graph, "network.png"),
            "caption": f'The 3-2-2 network as a computational graph, drawn as in the essay\'s "{SECTIONS[1]}" section: inputs grey, '
            "each weight a blue box named w(layer)input,neuron, red arrows for multiplying and adding, the ReLU as a dark "
            "purple arrow into each hidden neuron (light purple) and each output (green).",
        }
    )
    levels = ", ".join(f"{v:g}" for v in exhaustive["levels"])
    found = mlp_graph_figure(
        space.widths,
        output_activation="relu",
        values=best_quantized.tolist(),
        title=f"the best of all {exhaustive['candidates']:,} programs with weights in {{{levels}}} (loss {exhaustive['best_loss']:.3g})",
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
                "caption": f"The {widest} network from the count table, drawn the simplified way (weights as blue lines, names hidden): "
                f"its {_weights(parse_widths(widest)):,} weights are each one more blank to fill in.",
            }
        )

    cost = search_cost_figure(
        (exhaustive["trace"]["forward_equivalents"], exhaustive["trace"]["best_loss"]),
        [(r.trace["forward_equivalents"], r.trace["loss"]) for r in gradient_runs],
        title=f"3-2-2 network on {config.examples} teacher-labelled examples: loss against compute",
    )
    entries.append(
        {
            "path": context.figure(cost, "exhaustive_vs_gradient.png"),
            "caption": "Loss against forward-equivalents (log axes). Brown: the best program found so far while exhaustive search works "
            f"through all {exhaustive['candidates']:,} grid programs. Blue: full-batch gradient descent (Adam) on real-valued "
            f"weights, one line per random start.",
        }
    )

    dense_x = data.dense_x[:, 0].numpy()
    chosen = _spread(sorted(fits), MAX_FITS_DRAWN)
    approx = approximation_figure(
        dense_x,
        data.dense_y[:, 0].numpy(),
        {w: fits[w] for w in chosen},
        {row["width"]: row["error"] for row in result["approximation"]},
        title="one hidden layer of ReLU neurons, fitted by gradient descent to a wiggly function",
    )
    entries.append(
        {
            "path": context.figure(approx, "approximation.png"),
            "caption": f"Left: the target (thick grey) and the fits of networks with {', '.join(map(str, chosen))} hidden neurons. "
            "Right: mean squared error against the target on 1,001 points, against width (log axes); each width kept the "
            f"best of {config.approximation_restarts} random start(s), {config.approximation_steps} Adam steps each.",
        }
    )

    names = tuple(result["two_weights"]["weights"])
    paths = {name: (path.points.numpy(), path.losses) for name, path in view["paths"].items()}
    drawing = {
        "names": names,
        "marker": tuple(view["center"]),
        "title": f"changing two weights of the 3-2-2 network, the other {len(ESSAY_NAMES) - 2} fixed at the teacher's values",
    }
    still = two_weight_figure(view["xs"], view["ys"], view["surface"], paths, **drawing)
    entries.append(
        {
            "path": context.figure(still, "two_weights.png"),
            "caption": f"The loss over a grid of {config.view_resolution} x {config.view_resolution} values of {names[0]} and {names[1]} "
            "(the star: the teacher's values, where the loss is 0). From one common start (black circle), local search "
            f"(green: {config.view_population} random perturbations of the two weights per step, the best kept if it is better) "
            f"and plain gradient descent (blue, learning rate {result['two_weights']['sgd_lr']:.3g}) each take {config.view_steps} steps. "
            "Right: the loss at each point of each path.",
        }
    )
    frames = two_weight_frames(view["xs"], view["ys"], view["surface"], paths, **drawing)
    write_gif(context.out / "figures" / "two_weights.gif", frames)
    entries.append(
        {
            "path": "figures/two_weights.gif",
            "caption": f"The same picture as an animation, one frame per step ({len(frames)} frames).",
        }
    )
    return entries


def report(config: Config, result: dict, figures: list[dict]) -> dict:
    """The report section: prose, headline numbers and tables (every number from `result`)."""
    from searchlab.experiments.networks import ESSAY_NAMES, SECTIONS

    exhaustive, gradient, approximation, view = (
        result["exhaustive"],
        result["gradient"],
        result["approximation"],
        result["two_weights"],
    )
    rate = exhaustive["candidates_per_second"]
    infeasible = [row for row in result["count_table"] if not row["feasible"]]
    feasible = [row for row in result["count_table"] if row["feasible"]]
    first, last = approximation[0], approximation[-1]
    beat = gradient["fewest_forward_equivalents_to_beat_exhaustive"]
    local, descent = view["local_search"], view["gradient"]
    paragraphs = [
        f'The essay\'s sections "{SECTIONS[0]}" and "{SECTIONS[1]}" describe a network as a graph with blanks in it: the ten weights '
        f"of a network with 3 inputs, 2 hidden ReLU neurons and 2 outputs are the blanks, and each way of filling them in is one "
        f"program. Here a teacher network of that shape, with real-valued weights, labelled {config.examples} random inputs, and "
        "every search below was scored on those labels (squared error).",
        f"If each weight may only be one of {len(exhaustive['levels'])} values, the model class is finite: "
        f"{len(exhaustive['levels'])}^10 = {exhaustive['candidates']:,} programs. Exhaustive search tried all "
        f"{exhaustive['candidates_evaluated']:,} of them in {exhaustive['seconds']:.2f} s ({rate:,.0f} programs per second, batched) "
        f"and the best scored a loss of {exhaustive['best_loss']:.4g}; no grid program can do better, because the teacher's weights are not on the grid.",
        f"The count table shows why nobody trains networks this way. At the same rate, {len(feasible)} of the "
        f"{len(result['count_table'])} combinations of net and levels would finish within a day; the other {len(infeasible)} would not"
        + (
            f", the worst taking {max(infeasible, key=lambda row: row['log10_seconds'])['duration']}"
            if infeasible
            else ""
        )
        + ". These times are lower bounds: a wider net costs more per program than the 3-2-2 net that was timed.",
        f"Gradient descent (Adam, learning rate {gradient['lr']:g}, {gradient['steps']} full-batch steps) on the same net, with real-valued "
        f"weights, reached a loss of {gradient['best_loss']:.3g} at its best start after {gradient['forward_equivalents_per_restart']:,} "
        f"forward-equivalents, against {exhaustive['forward_equivalents']:,} for the enumeration; "
        f"{gradient['restarts_below_exhaustive']} of {config.gradient_restarts} random starts ended below the best grid program"
        + (f", the fastest passing it after {beat:,} forward-equivalents" if beat is not None else "")
        + f". Starts matter: the median ended at {gradient['median_final_loss']:.3g} and the worst at {gradient['worst_final_loss']:.3g}; "
        f"{gradient['restarts_with_silent_units']} of the {config.gradient_restarts} ended with a neuron that is 0 on every example, and a silent ReLU passes no gradient back.",
        f'"{SECTIONS[2]}" leans on the theorem that a large enough network can represent nearly any function. With one hidden layer '
        f"fitted by gradient descent to a wiggly curve, the error on the curve fell from {first['error']:.3g} with {first['width']} "
        f"hidden neuron{'s' if first['width'] != 1 else ''} to {last['error']:.3g} with {last['width']} "
        f"({first['error'] / max(last['error'], 1e-300):,.0f} times smaller); each hidden neuron adds one bend to a piecewise-linear curve."
        + _setbacks(approximation),
        f'"{SECTIONS[3]}" pictures local search by moving two weights. With {view["weights"][0]} and {view["weights"][1]} free and the '
        f"other eight at the teacher's values, both searches started at the same point (loss {local['start_loss']:.3g}). After "
        f"{local['steps']} steps local search, which tried {config.view_population} random perturbations per step and found a better "
        f"point on {local['moves_kept']} of its {local['steps']} steps, reached {local['final_loss']:.3g} for {local['forward_equivalents']:,} forward-equivalents; "
        f"gradient descent, one computed step at a time, reached {descent['final_loss']:.3g} for {descent['forward_equivalents']:,}. "
        "With two weights random tries still find the downhill direction; the count table above is what happens to trying when the weights are many.",
    ]
    headline = [
        {
            "label": "programs with 3-2-2 weights in {-1, 0, 1}"
            if len(exhaustive["levels"]) == 3
            else f"grid programs ({len(exhaustive['levels'])} levels)",
            "value": f"{exhaustive['candidates']:,}, all evaluated in {exhaustive['seconds']:.2f} s",
        },
        {
            "label": "exhaustive search: best loss",
            "value": f"{exhaustive['best_loss']:.4g} ({exhaustive['forward_equivalents']:,} forward-equivalents)",
        },
        {
            "label": "gradient descent: best loss",
            "value": f"{gradient['best_loss']:.3g} ({gradient['forward_equivalents_per_restart']:,} forward-equivalents per start)",
        },
        {
            "label": f"one hidden layer: error at width {first['width']} -> {last['width']}",
            "value": f"{first['error']:.3g} -> {last['error']:.3g}",
        },
        {
            "label": "two weights: final loss local search / gradient",
            "value": f"{local['final_loss']:.3g} / {descent['final_loss']:.3g}",
        },
    ]
    teacher, grid_best, descent_best = result["task"]["teacher"], exhaustive["best_weights"], gradient["best_weights"]
    tables = [
        {
            "title": f"Exhaustive search counts, and the time each would take at the {rate:,.0f} programs per second measured here (a lower bound for wider nets)",
            "columns": [
                "net",
                "weights",
                "levels per weight",
                "programs",
                "time to try them all",
                "feasible (under a day)",
            ],
            "rows": [
                [
                    row["net"],
                    row["weights"],
                    row["levels"],
                    _count(row),
                    row["duration"],
                    "yes" if row["feasible"] else "no",
                ]
                for row in result["count_table"]
            ],
        },
        {
            "title": "The ten weights: the teacher's, the best grid program's, and gradient descent's best",
            "columns": ["weight", "teacher", "best on the grid", "gradient descent"],
            "rows": [[name, teacher[name], grid_best[name], descent_best[name]] for name in ESSAY_NAMES],
        },
        {
            "title": "Gradient descent from each random start",
            "columns": [
                "start",
                "final loss",
                "silent neurons",
                "forward-equivalents",
                "forward-equivalents to pass the best grid program",
                "seconds",
            ],
            "rows": [
                [
                    row["restart"],
                    row["final_loss"],
                    row["silent_units"],
                    row["forward_equivalents"],
                    row["forward_equivalents_to_beat_exhaustive"],
                    row["seconds"],
                ]
                for row in gradient["restarts"]
            ],
        },
        {
            "title": "One hidden layer of growing width on the wiggly function",
            "columns": [
                "hidden neurons",
                "parameters",
                "training loss",
                "error on 1,001 points",
                "forward-equivalents",
                "seconds",
            ],
            "rows": [
                [
                    row["width"],
                    row["parameters"],
                    row["train_loss"],
                    row["error"],
                    row["forward_equivalents"],
                    row["seconds"],
                ]
                for row in approximation
            ],
        },
    ]
    return {"summary": "\n".join(paragraphs), "headline": headline, "figures": figures, "tables": tables}


def _setbacks(approximation: list[dict]) -> str:
    """A sentence about the first width whose error is above a narrower one's, or nothing."""
    for index, row in enumerate(approximation):
        narrower = min(approximation[:index], key=lambda r: r["error"], default=None)
        if narrower is not None and row["error"] > narrower["error"]:
            return (
                f" The fall is not steady: width {row['width']} ended at {row['error']:.3g}, above width {narrower['width']}'s "
                f"{narrower['error']:.3g}. A width only bounds what can be represented; with a fixed number of steps gradient "
                "descent does not always find the best setting that width allows."
            )
    return ""


def _weights(widths: list[int]) -> int:
    return sum(a * b for a, b in zip(widths[:-1], widths[1:]))


def _count(row: dict) -> str:
    """'59,049' for everyday sizes, '3^352 (about 1e168)' beyond."""
    if row["candidates"] is not None and row["candidates"] < 10**15:
        return f"{row['candidates']:,}"
    exponent = math.floor(row["log10_candidates"])
    mantissa = 10 ** (row["log10_candidates"] - exponent)
    return f"{row['candidates_power']} (about {mantissa:.1f}e{exponent:,})"


def _spread(items: list[int], count: int) -> list[int]:
    """At most `count` items, evenly spread, always the first and the last."""
    if len(items) <= count:
        return items
    picks = np.round(np.linspace(0, len(items) - 1, count)).astype(int)
    return [items[i] for i in sorted(set(picks.tolist()))]
