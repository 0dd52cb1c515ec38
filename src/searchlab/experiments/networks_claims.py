"""The networks experiment's claim that a wide enough network approximates any function, over seeds.

Repeating the whole networks run per seed would mostly repeat what the claim does not need (the
enumeration of 59,049 programs, the two-weight view), so only the approximation stage is repeated: on
each seed a new wiggly target is drawn and one hidden layer of every width is fitted to it again from new
starts (`approximation_repeat`). Two claims are measured on those repeats (`claims`):

* `width_approximates_any_function`: the widest network's error on the dense held-out grid, over the error
  of the best constant (the mean of the training points), per seed; predicted below `APPROXIMATES`
  (the network leaves less than that share of the target's variation unexplained).
* `approximation_error_falls_with_width`: the slope of log10(error) against log10(width), fitted per
  seed by least squares; predicted below 0.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.intervals import bootstrap_interval, claim_row
from searchlab.core.jsonfile import NUMBER
from searchlab.experiments.networks_stages import approximation_stage
from searchlab.experiments.networks_task import DENSE_POINTS, X_RANGE, evaluate_wiggle, wiggly_function

APPROXIMATES = 0.05  # the widest network's error must fall below 5% of the best constant's
STAGE = "approximation_over_seeds"  # the repeats' checkpoints and metrics series
_FIELDS = {
    "seed": int,
    "widths": list,
    "errors": list,
    "train_losses": list,
    "constant_error": NUMBER,
    "forward_equivalents": int,
    "metrics": list,
}


def target_curves(data: Any, seed: int, points: int) -> Any:
    """`data` with a new wiggly target drawn from `seed`: its training points and its dense held-out grid."""
    wiggle = wiggly_function(seed)
    curve_x = torch.linspace(-X_RANGE, X_RANGE, points, dtype=torch.float64).reshape(-1, 1)  # (P, 1)
    dense_x = torch.linspace(-X_RANGE, X_RANGE, DENSE_POINTS, dtype=torch.float64).reshape(-1, 1)
    return dataclasses.replace(
        data,
        wiggle=wiggle,
        curve_x=curve_x,
        curve_y=evaluate_wiggle(wiggle, curve_x),
        dense_x=dense_x,
        dense_y=evaluate_wiggle(wiggle, dense_x),
    )


def constant_error(data: Any) -> float:
    """Mean squared error on the dense grid of the best constant fitted to the training points (their mean)."""
    return float((data.dense_y - data.curve_y.mean()).square().mean())


def approximation_repeat(config, data, seeds: tuple[int, int, int], index: int, device, context, metrics) -> dict:
    """One seed's approximation stage, kept as a stage (read back on --resume once finished).

    Args:
        config: the run's settings (widths, points, steps, restarts, learning rate).
        data: the run's data; only its 1-D target is replaced.
        seeds: (the repeat's seed, its target seed, its approximation seed).
        index: the repeat's position (names its checkpoints and metrics series).
        device, context, metrics: where tensors live, the run's context and its metrics rows.

    Returns:
        {"seed", "widths", "errors", "train_losses", "constant_error", "forward_equivalents"}; the stage's
        metrics rows (kept with its record) are appended to `metrics`.
    """
    seed, target_seed, approximation_seed = seeds
    where = f"{STAGE}/seed-{index}"

    def compute() -> dict:
        rows_metrics: list[dict] = []
        curves = target_curves(data, target_seed, config.approximation_points)
        parts = {"stage": STAGE, "seed": seed}
        rows, _ = approximation_stage(
            config, curves, approximation_seed, device, context, rows_metrics, where=where, parts=parts
        )
        return {
            "seed": seed,
            "widths": [row["width"] for row in rows],
            "errors": [row["error"] for row in rows],
            "train_losses": [row["train_loss"] for row in rows],
            "constant_error": constant_error(curves),
            "forward_equivalents": sum(row["forward_equivalents"] for row in rows),
            "metrics": rows_metrics,  # kept with the outcome, so that a resumed run writes the same rows
        }

    def check(outcome: dict, record: Path) -> None:
        if outcome["seed"] != seed or outcome["widths"] != list(config.widths):
            raise SearchlabError(
                f"{record} holds seed {outcome['seed']} at widths {outcome['widths']}, not seed {seed} at "
                f"{list(config.widths)}; delete it to run that seed again"
            )

    outcome = context.stage(context.checkpoint_dir(where) / "outcome.json", compute, _FIELDS, check)
    metrics.extend(outcome["metrics"])
    return {key: value for key, value in outcome.items() if key != "metrics"}


def error_ratio(outcome: dict) -> float:
    """The widest network's held-out error over the best constant's."""
    widest = int(np.argmax(outcome["widths"]))
    return outcome["errors"][widest] / outcome["constant_error"]


def error_slope(outcome: dict) -> float | None:
    """Least-squares slope of log10(error) against log10(width); None with fewer than two widths."""
    if len(outcome["widths"]) < 2:
        return None
    slope, _ = np.polyfit(np.log10(outcome["widths"]), np.log10(outcome["errors"]), 1)
    return float(slope)


def claims(outcomes: list[dict], section: str) -> list[dict[str, Any]]:
    """The claim rows from the per-seed outcomes (`approximation_repeat`); none without outcomes."""
    if not outcomes:
        return []
    widest = max(outcomes[0]["widths"])
    baseline = f"best constant (mean of the training points): ratio 1 by definition, error {_mean_constant(outcomes)}"
    rows = [
        claim_row(
            "width_approximates_any_function",
            "A wide enough network can approximate any function.",
            f"held-out error (dense grid) of one hidden layer of {widest} neurons fitted by Adam to a new random "
            "wiggly function per seed (the training budget of the approximation stage), over the error of the best "
            f"constant; the claim predicts below {APPROXIMATES:g}",
            bootstrap_interval([error_ratio(outcome) for outcome in outcomes]),
            threshold=APPROXIMATES,
            predicts="below",
            baseline=baseline,
            section=section,
        )
    ]
    slopes = [error_slope(outcome) for outcome in outcomes]
    if all(slope is not None for slope in slopes):
        rows.append(
            claim_row(
                "approximation_error_falls_with_width",
                "The wider the network, the smaller its approximation error.",
                f"slope of log10(held-out error) against log10(width) over widths {outcomes[0]['widths']}, fitted "
                "per seed; the claim predicts below 0",
                bootstrap_interval(slopes),
                threshold=0.0,
                predicts="below",
                baseline="0: error that does not change with width",
                section=section,
            )
        )
    return rows


def _mean_constant(outcomes: list[dict]) -> str:
    return f"{np.mean([outcome['constant_error'] for outcome in outcomes]):.3g} on average"
