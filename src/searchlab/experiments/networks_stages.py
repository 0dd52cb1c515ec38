"""The networks experiment's searches of the 3-2-2 network and of one hidden layer of growing width.

`exhaustive_stage` tries every program on a grid of weights, `gradient_stage` trains the real-valued
network from random starts, `counts` prices exhaustive search for bigger nets at the measured rate, and
`approximation_stage` fits one hidden layer of each width to the wiggly 1-D target. Each appends its
trace rows to the run's metrics.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from searchlab.core import Budget, SquaredError, SupervisedProblem
from searchlab.core import run as run_search
from searchlab.core.seeding import spawn_seeds
from searchlab.core.trace import Result
from searchlab.experiments.base import series_name, series_row
from searchlab.experiments.networks_task import ESSAY_NAMES, active_shares, parse_widths
from searchlab.optimizers import make_optimizer
from searchlab.optimizers.exhaustive import human_duration
from searchlab.spaces import GridSpace, MLPSpace

SECONDS_PER_DAY = 86_400.0
SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY
AGE_OF_UNIVERSE_YEARS = 1.38e10


def exhaustive_stage(config, space, inputs, targets, context, metrics) -> tuple[dict, torch.Tensor]:
    """Every program on the grid of weights: the summary, and the best program's weights."""
    levels = np.linspace(-1.0, 1.0, config.levels)
    grid = GridSpace(space, levels)
    problem = SupervisedProblem(grid, inputs, targets, SquaredError())
    optimizer = make_optimizer(
        "exhaustive", candidates_per_step=config.candidates_per_step, max_seconds=config.max_seconds
    )
    result = run_search(
        problem,
        optimizer,
        Budget(steps=math.ceil(grid.size / config.candidates_per_step)),
        0,
        checkpoint_dir=context.checkpoint_dir("exhaustive"),
        resume=context.resume,
        progress=context.bar_label("networks/exhaustive"),
    )
    evaluated = result.forward_equivalents // problem.n_examples
    metrics.extend(result.trace.metrics_rows(series_name({"stage": "exhaustive"}), stage="exhaustive"))
    summary = {
        "levels": [float(v) for v in levels],
        "candidates": grid.size,
        "candidates_evaluated": evaluated,
        "seconds": round(result.seconds, 4),
        "candidates_per_second": evaluated / max(result.seconds, 1e-9),
        "best_loss": result.best_loss,
        "best_weights": dict(zip(ESSAY_NAMES, result.candidate.tolist())),
        "forward_equivalents": result.forward_equivalents,
        "trace": {"forward_equivalents": result.trace["forward_equivalents"], "best_loss": result.trace["best_loss"]},
    }
    return summary, result.candidate


def gradient_stage(
    config, space, inputs, targets, seed, exhaustive_best, context, metrics
) -> tuple[dict, torch.Tensor, list[Result]]:
    """Adam from `gradient_restarts` random starts: the summary, the best weights and every run."""
    problem = SupervisedProblem(space, inputs, targets, SquaredError())
    runs, rows = [], []
    for restart, restart_seed in enumerate(spawn_seeds(seed, config.gradient_restarts), start=1):
        optimizer = make_optimizer("gradient", algorithm="adam", lr=config.gradient_lr)
        result = run_search(
            problem,
            optimizer,
            Budget(steps=config.gradient_steps),
            restart_seed,
            checkpoint_dir=context.checkpoint_dir(f"gradient/restart-{restart}"),
            resume=context.resume,
            progress=context.bar_label(f"networks/gradient {restart}/{config.gradient_restarts}"),
        )
        beat = next(
            (
                fe
                for fe, loss in zip(result.trace["forward_equivalents"], result.trace["loss"])
                if loss <= exhaustive_best
            ),
            None,
        )
        silent = sum(share == 0 for share in active_shares(space, result.candidate.to(inputs), inputs))
        runs.append(result)
        rows.append(
            {
                "restart": restart,
                "final_loss": result.final_loss,
                "silent_units": silent,
                "forward_equivalents": result.forward_equivalents,
                "forward_equivalents_to_beat_exhaustive": None if beat is None else int(beat),
                "seconds": round(result.seconds, 4),
            }
        )
        parts = {"stage": "gradient", "restart": restart}
        metrics.extend(result.trace.metrics_rows(series_name(parts), **parts))
    best = min(range(len(runs)), key=lambda i: runs[i].final_loss)
    beaten = [
        row["forward_equivalents_to_beat_exhaustive"]
        for row in rows
        if row["forward_equivalents_to_beat_exhaustive"] is not None
    ]
    summary = {
        "algorithm": "adam",
        "lr": config.gradient_lr,
        "steps": config.gradient_steps,
        "best_loss": runs[best].final_loss,
        "best_restart": best + 1,
        "best_weights": dict(zip(ESSAY_NAMES, runs[best].candidate.tolist())),
        "median_final_loss": float(np.median([row["final_loss"] for row in rows])),
        "worst_final_loss": max(row["final_loss"] for row in rows),
        "restarts_with_silent_units": sum(row["silent_units"] > 0 for row in rows),
        "restarts_below_exhaustive": sum(row["final_loss"] < exhaustive_best for row in rows),
        "forward_equivalents_per_restart": runs[best].forward_equivalents,
        "forward_equivalents_all_restarts": sum(r.forward_equivalents for r in runs),
        "fewest_forward_equivalents_to_beat_exhaustive": min(beaten) if beaten else None,
        "seconds": round(sum(r.seconds for r in runs), 4),
        "restarts": rows,
    }
    return summary, runs[best].candidate, runs


def counts(nets: tuple[str, ...], levels: tuple[int, ...], candidates_per_second: float) -> list[dict]:
    """How many programs an exhaustive search over each net and number of levels must try, and how long
    that takes at `candidates_per_second` (a lower bound for nets wider than the one timed)."""
    rows = []
    log_rate = math.log10(candidates_per_second)
    for net in nets:
        widths = parse_widths(net)
        weights = sum(a * b for a, b in zip(widths[:-1], widths[1:]))
        for n_levels in levels:
            log_candidates = weights * math.log10(n_levels)
            log_seconds = log_candidates - log_rate
            exact = n_levels**weights
            seconds = 10**log_seconds if log_seconds < 300 else None
            rows.append(
                {
                    "net": net,
                    "weights": weights,
                    "levels": n_levels,
                    "candidates": exact if exact < 10**30 else None,  # exact Python int; None when astronomically long
                    "candidates_power": f"{n_levels}^{weights}",
                    "log10_candidates": log_candidates,
                    "seconds": seconds,
                    "log10_seconds": log_seconds,
                    "duration": duration(log_seconds),
                    "feasible": log_seconds <= math.log10(SECONDS_PER_DAY),
                }
            )
    return rows


def duration(log10_seconds: float) -> str:
    """A time given as log10(seconds), in words, however large."""
    if log10_seconds < 300:
        words = human_duration(10**log10_seconds)
    else:
        words = f"10^{log10_seconds - math.log10(SECONDS_PER_YEAR):,.0f} years"
    if log10_seconds - math.log10(SECONDS_PER_YEAR) > math.log10(AGE_OF_UNIVERSE_YEARS):
        words += " (longer than the age of the universe)"
    return words


def approximation_stage(
    config, data, seed, device, context, metrics, *, where: str = "approximation", parts: dict | None = None
) -> tuple[list[dict], dict]:
    """One hidden layer per width: a row each, and each width's fit on the dense points (width -> array).

    Args:
        config, data, seed, device, context: the run's settings, its 1-D target (`curve_x`, `curve_y`,
            `dense_x`, `dense_y`), the stage's seed, where tensors live, and the run's context.
        metrics: the run's metrics rows, extended with one row per width.
        where: the checkpoint folder (under checkpoints/) and progress label of this stage.
        parts: what names the stage's metrics series besides the width (default {"stage": "approximation"}).
    """
    parts = {"stage": "approximation"} if parts is None else parts
    curve_x, curve_y = data.curve_x.to(device), data.curve_y.to(device)
    dense_x, dense_y = data.dense_x.to(device), data.dense_y.to(device)
    rows, fits = [], {}
    for width, width_seed in zip(config.widths, spawn_seeds(seed, len(config.widths))):
        space = MLPSpace([1, width, 1])
        problem = SupervisedProblem(space, curve_x, curve_y, SquaredError())
        results = []
        for restart, restart_seed in enumerate(spawn_seeds(width_seed, config.approximation_restarts), start=1):
            optimizer = make_optimizer("gradient", algorithm="adam", lr=config.approximation_lr)
            results.append(
                run_search(
                    problem,
                    optimizer,
                    Budget(steps=config.approximation_steps),
                    restart_seed,
                    checkpoint_dir=context.checkpoint_dir(f"{where}/width-{width}/restart-{restart}"),
                    resume=context.resume,
                    progress=context.bar_label(f"networks/{where} width {width} ({restart})"),
                )
            )
        best = min(results, key=lambda r: r.final_loss)
        with torch.no_grad():
            fitted = space.forward(best.candidate.unsqueeze(0).to(dense_x), dense_x)[0]  # (DENSE_POINTS, 1)
        error = float((fitted - dense_y).square().mean())
        fits[width] = fitted[:, 0].cpu().numpy()
        rows.append(
            {
                "width": width,
                "parameters": space.dim,
                "train_loss": best.final_loss,
                "error": error,
                "forward_equivalents": sum(r.forward_equivalents for r in results),
                "seconds": round(sum(r.seconds for r in results), 4),
            }
        )
        metrics.append(
            series_row(
                {**parts, "width": width},
                step=None,  # one row for all restarts: what they spent together, and the best one's loss
                forward_equivalents=rows[-1]["forward_equivalents"],
                examples_seen=sum(r.examples_seen for r in results),
                seconds=rows[-1]["seconds"],
                loss=best.final_loss,
                parameters=space.dim,
                error=error,
            )
        )
    return rows, fits
