"""The regression experiment's figures and report prose (numbers in, words and pictures out).

`regression.run` computes; `report` reads its result, the steps it wrote to metrics.jsonl, and the
pairs `regression.prepare` makes again from the same config (the seeded synthetic data or the CSV file).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from searchlab.core import jsonfile
from searchlab.core.intervals import bootstrap_interval
from searchlab.core.seeding import spawn_seeds, torch_generator
from searchlab.experiments.base import RunContext
from searchlab.experiments.regression import (
    SECTIONS,
    SEED_SLOTS,
    WITHIN,
    Config,
    RegressionData,
    Standardiser,
    gap_reference,
    prepare,
)
from searchlab.experiments.regression_claims import COST_RATIO, ROUNDING, cost_ratios
from searchlab.spaces import LinearSpace


def report(config: Config, result: dict, context: RunContext) -> dict[str, Any]:
    """The report section: prose, headline numbers, the figures (drawn into the run folder) and the table."""
    data = prepare(config)
    closed, summaries = result["closed_form"], result["optimizers"]
    reference = gap_reference(closed["loss"], data.y)
    figures = _figures(config, data, result, reference, context)
    return {
        "summary": "\n".join(_paragraphs(config, data, closed, reference, summaries) + _seed_paragraphs(result)),
        "headline": _headline(data, closed, summaries) + _seed_headline(result),
        "figures": figures,
        "tables": [
            {
                "title": f"Every optimizer on the same {len(data.x)} points (losses in the data's units)",
                "columns": [
                    "optimizer",
                    "a",
                    "b",
                    "mean squared error",
                    "above optimum (%)",
                    "forward-equivalents",
                    "forward-equivalents to within 1%",
                    "steps",
                    "seconds",
                    "stopped because",
                ],
                "rows": [_table_row(name, s) for name, s in summaries.items()],
            }
        ]
        + _seed_tables(result),
    }


def _curves(result: dict, context: RunContext) -> dict[str, tuple[list[int], list[float]]]:
    """Each optimizer's (forward-equivalents, loss in the data's units) per step, as `run` wrote them."""
    path, fix = context.out / "metrics.jsonl", "run the experiment again"
    rows = jsonfile.read_lines(
        path, fix=fix, fields={"forward_equivalents": int, "loss": jsonfile.NUMBER, "values": dict}
    )
    curves: dict[str, tuple[list[int], list[float]]] = {name: ([], []) for name in result["optimizers"]}
    for number, row in enumerate(rows, start=1):
        values = jsonfile.check_object(row["values"], {"optimizer": str}, where=f"{path} line {number}", fix=fix)
        spent, losses = curves[values["optimizer"]]
        spent.append(row["forward_equivalents"])
        losses.append(row["loss"])
    return curves


def _figures(config: Config, data: RegressionData, result: dict, reference: float, context: RunContext) -> list[dict]:
    from searchlab.report.figures import candidate_cloud_figure, convergence_figure
    from searchlab.report.graphs import linear_graph_figure

    closed = result["closed_form"]
    scale = Standardiser(**result["data"]["standardisation"])
    units = f"mean squared error ({data.y_name} squared)"
    convergence = convergence_figure(
        _curves(result, context),
        optimum=closed["loss"],
        optimum_label="closed form",
        within=WITHIN,
        relative_to=reference,
        ylabel=units,
        title=f"y = a*x + b on {len(data.x)} points: loss against compute spent",
    )
    example_x = float(np.round(np.median(data.x), 1))
    graph = linear_graph_figure(
        closed["a"],
        closed["b"],
        x_value=example_x,
        x_label=data.x_name,
        y_label=data.y_name,
        title=f"y = a*x + b as a computational graph\nfilled in with the closed-form a and b, for {data.x_name} = "
        f"{example_x:g}",
    )
    cloud_seed = spawn_seeds(config.seed, len(SEED_SLOTS))[SEED_SLOTS.index("cloud")]
    sampled = LinearSpace(1, 1).sample(config.cloud, torch_generator(cloud_seed)).to(torch.float64)  # (cloud, 2)
    candidates = [scale.to_original(float(a), float(b)) for a, b in sampled.tolist()]
    cloud = candidate_cloud_figure(
        data.x,
        data.y,
        candidates,
        (closed["a"], closed["b"]),
        xlabel=data.x_name,
        ylabel=data.y_name,
        fitted_label="closed form",
        title=f"the model class: {config.cloud} random lines (a, b) and the best one",
    )
    return [
        {
            "path": context.figure(convergence, "convergence.png"),
            "caption": "Loss (mean squared error, original units) against forward-equivalents spent, one line per "
            "optimizer; the dashed line is the closed-form optimum. Right: how far above the optimum each optimizer "
            "is, relative to it.",
        },
        {
            "path": context.figure(graph, "computational_graph.png"),
            "caption": "The computational graph of y = a*x + b: input x (grey), parameters a and b (blue), output y "
            "(green), multiply and add (red), filled in with the closed-form a and b for one example input.",
        },
        {
            "path": context.figure(cloud, "candidate_cloud.png"),
            "caption": "Candidate models: lines with (a, b) drawn at random from the search space (light, labelled "
            "with (a, b)), and the closed-form line (bold) through the data.",
        },
    ]


def _paragraphs(config: Config, data: RegressionData, closed: dict, reference: float, summaries: dict) -> list[str]:
    searched = {name: s for name, s in summaries.items() if name != "least_squares"}
    paragraphs = [
        f"Measured: how much compute each optimizer spends to find the line y = a*x + b that fits {data.source}, "
        f'compared with the exact least-squares answer (essay: "{SECTIONS[0]}"). Every optimizer searched the same '
        "problem (the same data, squared error, forward-equivalents counted the same way). Internally x and y were "
        "standardised to mean 0 and standard deviation 1, so that one set of step sizes suits any data; a, b and the "
        "losses here are converted back to the data's units.",
        f"The closed form needs no search: {_line(data, closed)}, with mean squared error {closed['loss']:.4g}."
        + (
            f" The pairs were drawn around a = {data.truth[0]:g}, b = {data.truth[1]:g}; with noise of standard "
            f"deviation {config.noise:g} the best achievable error is about {config.noise**2:.4g}."
            if data.truth
            else ""
        ),
    ]
    if reference > closed["loss"]:
        paragraphs.append(
            f"The points lie on a line (the closed form's error is {closed['loss']:.3g}), so a gap to the optimum "
            f"cannot be a percentage of it; here gaps are percentages of {reference:.3g}, a millionth of the variance "
            f"of {data.y_name}."
        )
    if searched:
        paragraphs.append(_race(config, searched))
        if "exhaustive" in searched:
            s = searched["exhaustive"]
            paragraphs.append(
                f"Exhaustive search tried {s['grid_candidates_evaluated']:,} of the {s['grid_candidates']:,} lines on "
                f"a grid of {config.grid_levels} levels per parameter; its answer can only be as good as the grid is "
                "fine."
            )
    paragraphs.append(
        f'The computational-graph figure draws y = a*x + b as the essay\'s "{SECTIONS[1]}" section does, with the '
        f"fitted numbers on it; the cloud figure shows {config.cloud} lines drawn at random from the same model "
        "class, each one a different candidate program."
    )
    return paragraphs


def _race(config: Config, searched: dict) -> str:
    """How far each search got, and which reached the optimum first."""
    parts = []
    for name, s in searched.items():
        if s["forward_equivalents_to_within_1_percent"] is not None:
            parts.append(
                f"{name} came within 1% of the closed-form loss after {s['forward_equivalents_to_within_1_percent']:,} "
                f"forward-equivalents and ended {_above(s['excess_percent'])}"
            )
        else:
            parts.append(
                f"{name} never came within 1% (it ended {_above(s['excess_percent'])}, after "
                f"{s['forward_equivalents']:,})"
            )
    ranked = sorted(
        searched,
        key=lambda n: (
            searched[n]["forward_equivalents_to_within_1_percent"] is None,
            searched[n]["forward_equivalents_to_within_1_percent"] or 0,
        ),
    )
    return (
        f"With up to {config.budget:,} forward-equivalents each: "
        + "; ".join(parts)
        + ". "
        + (
            f"Fastest to the optimum: {ranked[0]}."
            if searched[ranked[0]]["forward_equivalents_to_within_1_percent"] is not None
            else "None reached it within the budget."
        )
    )


def _headline(data: RegressionData, closed: dict, summaries: dict) -> list[dict]:
    headline = [
        {"label": "closed-form line", "value": _line(data, closed)},
        {"label": "closed-form mean squared error", "value": f"{closed['loss']:.4g}"},
    ]
    for name, s in summaries.items():
        if name == "least_squares":
            continue
        reached = s["forward_equivalents_to_within_1_percent"]
        headline.append(
            {
                "label": f"{name}: forward-equivalents to within 1% of optimum",
                "value": f"{reached:,}"
                if reached is not None
                else f"not reached (ended {_above(s['excess_percent'])})",
            }
        )
    return headline


def _table_row(name: str, s: dict) -> list:
    return [
        name,
        s["a"],
        s["b"],
        s["final_loss"],
        s["excess_percent"],
        s["forward_equivalents"],
        s["forward_equivalents_to_within_1_percent"],
        s["steps"],
        s["seconds"],
        s["stopped_because"],
    ]


def _line(data: RegressionData, closed: dict) -> str:
    return f"{data.y_name} = {closed['a']:.4g} * {data.x_name} {_signed(closed['b'])}"


def _above(percent: float) -> str:
    """How far above the closed-form loss, in words: '0.26% above it' or 'level with it'."""
    if percent < 1e-6:
        return "level with it (less than 1e-6% above)"
    return f"{percent:.2g}% above it"


def _signed(value: float) -> str:
    return f"- {abs(value):.4g}" if value < 0 else f"+ {value:.4g}"


# ----- over seeds ---------------------------------------------------------------


def _over(values: list[float], digits: int = 4) -> str:
    """`estimate [low, high] over n seeds`: the mean and its 95% bootstrap interval."""
    return f"{bootstrap_interval(values).text(digits)} over {len(values)} seeds"


def _seed_headline(result: dict) -> list[dict]:
    """The repeated measurement's numbers with their intervals (nothing when no seeds were repeated)."""
    runs = result["over_seeds"]["runs"]
    if not runs:
        return []
    headline = [
        {
            "label": "closed-form mean squared error (each seed's own data)",
            "value": _over([row["closed_form_loss"] for row in runs])
            + "; predicting the mean of y: "
            + _over([row["mean_loss"] for row in runs]),
        }
    ]
    if all(row["best_search_loss"] is not None for row in runs):
        gaps = [1 - row["best_search_loss"] / row["closed_form_loss"] for row in runs]
        headline.append(
            {"label": "closed form minus best search, fraction of its loss (paired)", "value": _over(gaps, 3)}
        )
    ratios = cost_ratios(runs)
    if ratios is not None:
        headline.append(
            {"label": "gradient descent's compute to within 1% / the closed form's", "value": _over(ratios, 3)}
        )
    return headline


def _seed_paragraphs(result: dict) -> list[str]:
    runs = result["over_seeds"]["runs"]
    if not runs:
        return ["No seeds were repeated (--seeds 0), so no claim is measured."]
    return [
        f"One run proves little, so the whole fit was repeated on {len(runs)} seeds, each with new data and new "
        "starting points for every search. The claims are measured on those: the closed form's loss minus the lowest "
        f"loss any search reached (paired by seed; the claim is that it stays below {ROUNDING:g} of the loss, i.e. "
        "no search ever does better), and the compute gradient descent needs to come within 1% of the closed form, "
        f"over the closed form's one pass through the data (the claim is a ratio above {COST_RATIO:g}). Intervals are "
        "95% bootstrap intervals over the seeds; with few seeds they are wide and may miss."
    ]


def _seed_tables(result: dict) -> list[dict]:
    runs = result["over_seeds"]["runs"]
    if not runs:
        return []
    return [
        {
            "title": f"The repeated fit on {len(runs)} seeds (losses in the data's units)",
            "columns": [
                "seed",
                "closed-form loss",
                "predicting the mean",
                "best search",
                "its loss",
                "gradient descent: forward-equivalents to within 1%",
            ],
            "rows": [
                [
                    row["seed"],
                    row["closed_form_loss"],
                    row["mean_loss"],
                    row["best_search"],
                    row["best_search_loss"],
                    row["gradient_forward_equivalents_to_within_1_percent"]
                    if row["gradient_reached_1_percent"] is not False
                    else f"not reached in {row['gradient_forward_equivalents_to_within_1_percent']:,}",
                ]
                for row in runs
            ],
        }
    ]
