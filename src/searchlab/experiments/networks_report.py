"""The networks experiment's report prose and tables (numbers in, words out); `networks_figures` draws."""

from __future__ import annotations

import math

from searchlab.core.intervals import bootstrap_interval
from searchlab.experiments.base import RunContext
from searchlab.experiments.networks import SECTIONS, Config, load_drawing
from searchlab.experiments.networks_claims import APPROXIMATES, error_ratio, error_slope
from searchlab.experiments.networks_figures import figures
from searchlab.experiments.networks_task import ESSAY_NAMES


def report(config: Config, result: dict, context: RunContext) -> dict:
    """The report section: prose, headline numbers, the figures (drawn into the run folder) and tables."""
    drawn = figures(config, result, load_drawing(context), context)
    return {
        "summary": "\n".join(_paragraphs(config, result)),
        "headline": _headline(result) + _seed_headline(result),
        "figures": drawn,
        "tables": _tables(result) + _seed_tables(result),
    }


def _paragraphs(config: Config, result: dict) -> list[str]:
    exhaustive, gradient = result["exhaustive"], result["gradient"]
    rate = exhaustive["candidates_per_second"]
    infeasible = [row for row in result["count_table"] if not row["feasible"]]
    feasible = [row for row in result["count_table"] if row["feasible"]]
    beat = gradient["fewest_forward_equivalents_to_beat_exhaustive"]
    return [
        f'The essay\'s sections "{SECTIONS[0]}" and "{SECTIONS[1]}" describe a network as a graph with blanks in '
        "it: the ten weights of a network with 3 inputs, 2 hidden ReLU neurons and 2 outputs are the blanks, and "
        "each way of filling them in is one program. Here a teacher network of that shape, with real-valued weights, "
        f"labelled {config.examples} random inputs, and every search below was scored on those labels (squared error).",
        f"If each weight may only be one of {len(exhaustive['levels'])} values, the model class is finite: "
        f"{len(exhaustive['levels'])}^10 = {exhaustive['candidates']:,} programs. Exhaustive search tried all "
        f"{exhaustive['candidates_evaluated']:,} of them in {exhaustive['seconds']:.2f} s ({rate:,.0f} programs per "
        f"second, batched) and the best scored a loss of {exhaustive['best_loss']:.4g}; no grid program can do "
        "better, because the teacher's weights are not on the grid.",
        f"The count table shows why nobody trains networks this way. At the same rate, {len(feasible)} of the "
        f"{len(result['count_table'])} combinations of net and levels would finish within a day; the other "
        f"{len(infeasible)} would not"
        + (
            f", the worst taking {max(infeasible, key=lambda row: row['log10_seconds'])['duration']}"
            if infeasible
            else ""
        )
        + ". These times are lower bounds: a wider net costs more per program than the 3-2-2 net that was timed.",
        f"Gradient descent (Adam, learning rate {gradient['lr']:g}, {gradient['steps']} full-batch steps) on the same "
        f"net, with real-valued weights, reached a loss of {gradient['best_loss']:.3g} at its best start after "
        f"{gradient['forward_equivalents_per_restart']:,} forward-equivalents, against "
        f"{exhaustive['forward_equivalents']:,} for the enumeration; {gradient['restarts_below_exhaustive']} of "
        f"{config.gradient_restarts} random starts ended below the best grid program"
        + (f", the fastest passing it after {beat:,} forward-equivalents" if beat is not None else "")
        + f". Starts matter: the median ended at {gradient['median_final_loss']:.3g} and the worst at "
        f"{gradient['worst_final_loss']:.3g}; {gradient['restarts_with_silent_units']} of the "
        f"{config.gradient_restarts} ended with a neuron that is 0 on every example, and a silent ReLU passes no "
        "gradient back.",
        _approximation_paragraph(result["approximation"]) + _seed_sentences(result),
        _view_paragraph(config, result["two_weights"]),
    ]


def _approximation_paragraph(approximation: list[dict]) -> str:
    first, last = approximation[0], approximation[-1]
    return (
        f'"{SECTIONS[2]}" leans on the theorem that a large enough network can represent nearly any function. With '
        "one hidden layer fitted by gradient descent to a wiggly curve, the error on the curve fell from "
        f"{first['error']:.3g} with {first['width']} hidden neuron{'s' if first['width'] != 1 else ''} to "
        f"{last['error']:.3g} with {last['width']} ({first['error'] / max(last['error'], 1e-300):,.0f} times "
        "smaller); each hidden neuron adds one bend to a "
        "piecewise-linear curve." + _setbacks(approximation)
    )


def _view_paragraph(config: Config, view: dict) -> str:
    local, descent = view["local_search"], view["gradient"]
    return (
        f'"{SECTIONS[3]}" pictures local search by moving two weights. With {view["weights"][0]} and '
        f"{view['weights'][1]} free and the "
        f"other eight at the teacher's values, both searches started at the same point (loss "
        f"{local['start_loss']:.3g}). After {local['steps']} steps local search, which tried "
        f"{config.view_population} random perturbations per step and found a better point on "
        f"{local['moves_kept']} of its {local['steps']} steps, reached {local['final_loss']:.3g} for "
        f"{local['forward_equivalents']:,} forward-equivalents; gradient descent, one computed step at a time, "
        f"reached {descent['final_loss']:.3g} for {descent['forward_equivalents']:,}. With two weights random tries "
        "still find the downhill direction; the count table above is what happens to trying when the weights are many."
    )


def _headline(result: dict) -> list[dict]:
    exhaustive, gradient, approximation = result["exhaustive"], result["gradient"], result["approximation"]
    first, last = approximation[0], approximation[-1]
    local, descent = result["two_weights"]["local_search"], result["two_weights"]["gradient"]
    return [
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
            "value": f"{gradient['best_loss']:.3g} ({gradient['forward_equivalents_per_restart']:,} "
            "forward-equivalents per start)",
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


def _tables(result: dict) -> list[dict]:
    exhaustive, gradient = result["exhaustive"], result["gradient"]
    teacher, grid_best, descent_best = result["task"]["teacher"], exhaustive["best_weights"], gradient["best_weights"]
    return [
        {
            "title": "Exhaustive search counts, and the time each would take at the "
            f"{exhaustive['candidates_per_second']:,.0f} programs per second measured here (a lower bound for wider "
            "nets)",
            "columns": [
                "net",
                "weights",
                "levels per weight",
                "programs",
                "time to try them all",
                "feasible (under a day)",
            ],
            "rows": [
                [row["net"], row["weights"], row["levels"], _count(row), row["duration"], _yes(row["feasible"])]
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
                for row in result["approximation"]
            ],
        },
    ]


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _setbacks(approximation: list[dict]) -> str:
    """A sentence about the first width whose error is above a narrower one's, or nothing."""
    for index, row in enumerate(approximation):
        narrower = min(approximation[:index], key=lambda r: r["error"], default=None)
        if narrower is not None and row["error"] > narrower["error"]:
            return (
                f" The fall is not steady: width {row['width']} ended at {row['error']:.3g}, above width "
                f"{narrower['width']}'s {narrower['error']:.3g}. A width only bounds what can be represented; with a "
                "fixed number of steps gradient descent does not always find the best setting that width allows."
            )
    return ""


def _count(row: dict) -> str:
    """'59,049' for everyday sizes, '3^352 (about 1e168)' beyond."""
    if row["candidates"] is not None and row["candidates"] < 10**15:
        return f"{row['candidates']:,}"
    exponent = math.floor(row["log10_candidates"])
    mantissa = 10 ** (row["log10_candidates"] - exponent)
    return f"{row['candidates_power']} (about {mantissa:.1f}e{exponent:,})"


# ----- the approximation stage over seeds ---------------------------------------------


def _over(values: list[float]) -> str:
    """`estimate [low, high] over n seeds`: the mean and its 95% bootstrap interval."""
    return f"{bootstrap_interval(values).text(3)} over {len(values)} seeds"


def _seed_headline(result: dict) -> list[dict]:
    runs = result["approximation_over_seeds"]["runs"]
    if not runs:
        return []
    widest = max(runs[0]["widths"])
    headline = [
        {
            "label": f"width {widest}: held-out error / the best constant's (a new target per seed)",
            "value": _over([error_ratio(run) for run in runs]),
        }
    ]
    slopes = [error_slope(run) for run in runs]
    if all(slope is not None for slope in slopes):
        headline.append({"label": "slope of log error against log width", "value": _over(slopes)})
    return headline


def _seed_sentences(result: dict) -> str:
    runs = result["approximation_over_seeds"]["runs"]
    if not runs:
        return " The stage was not repeated over seeds (--seeds 0), so no claim is measured."
    widest = max(runs[0]["widths"])
    return (
        f" One target proves little, so the stage was repeated on {len(runs)} seeds, each with a new wiggly function "
        f"and new starts: the widest network's held-out error was {_over([error_ratio(run) for run in runs])} times "
        f"that of the best constant (the mean of the training points; the claim is that width {widest} brings it "
        f"below {APPROXIMATES:g}), with 95% bootstrap intervals over the seeds."
    )


def _seed_tables(result: dict) -> list[dict]:
    runs = result["approximation_over_seeds"]["runs"]
    if not runs:
        return []
    widths = runs[0]["widths"]
    return [
        {
            "title": f"Held-out error per width on {len(runs)} seeds (a new target each), and the best constant's",
            "columns": ["seed", "best constant", *[f"width {width}" for width in widths], "widest / constant"],
            "rows": [[run["seed"], run["constant_error"], *run["errors"], error_ratio(run)] for run in runs],
        }
    ]
