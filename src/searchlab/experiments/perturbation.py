"""Random perturbation against gradient descent as the number of weights grows.

Essay: "Stochastic gradient descent" (trying random tweaks and keeping the best
gets too expensive with many weights; the gradient tries every direction at
once) and its footnote 5 (the gradient's "tries" are implicit).

One seeded teacher-student task: a small random teacher network labels seeded
random inputs, and student networks from about 10 to about 100,000 weights are
searched by local search (K random tweaks per step), an evolution strategy, SGD
and Adam until their loss on the whole training set falls to a fixed fraction
of the zero predictor's loss, or a budget of forward-equivalents runs out. The
cost to reach that target is compared across sizes, and the ratio of
perturbation's cost to the gradient's is fitted against size on log-log axes.

The teacher has the smallest student's shape, so every student can represent it
exactly: what changes with size is only how many weights the search must set.
Each optimizer's one step-size setting is chosen per size from a small grid on
a separate tuning seed, so that no method is held back by a setting that suits
only some sizes. Every evaluation is full batch, so the target is always
checked on the same examples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from searchlab.core import Budget, SquaredError, SupervisedProblem, jsonfile, stages
from searchlab.core import run as run_search
from searchlab.core.device import resolve_device
from searchlab.core.errors import DivergedError, SearchlabError
from searchlab.core.seeding import spawn_seeds, torch_generator
from searchlab.core.trace import Trace
from searchlab.experiments.base import Experiment, RunContext, series_row
from searchlab.experiments.perturbation_config import (
    ACTIVATION,
    GRADIENT,
    PERTURBATION,
    REGISTRY_NAME,
    Config,
    parameter_counts,
    settings_grid,
    student_space,
)
from searchlab.experiments.perturbation_fits import forward_equivalents_to_target, per_size_medians, slopes
from searchlab.optimizers import make_optimizer
from searchlab.spaces import MLPSpace

SECTION = "Stochastic gradient descent"
# Child-seed slots, fixed per purpose.
SEED_SLOTS = ("data", "tune", "runs")
CURVE_POINTS = 120  # steps kept per stage in metrics.jsonl and for the convergence figure


@dataclass(frozen=True)
class TeacherTask:
    """Inputs (N, inputs) and the teacher's standardised outputs (N, 1), float32."""

    inputs: torch.Tensor
    targets: torch.Tensor
    zero_loss: float  # loss of the all-zero predictor: the mean squared target
    target_loss: float


def prepare(config: Config) -> TeacherTask:
    """Make the teacher's task from the seed; writes nothing."""
    resolve_device(config.device)
    generator = torch_generator(spawn_seeds(config.seed, len(SEED_SLOTS))[SEED_SLOTS.index("data")])
    teacher = MLPSpace([config.inputs, config.teacher_width, config.teacher_width, 1], activation=ACTIVATION)
    weights = teacher.sample(1, generator) * config.teacher_scale  # (1, d)
    inputs = torch.randn(config.examples, config.inputs, generator=generator)  # (N, inputs)
    outputs = teacher.forward(weights, inputs)[0].double()  # (N, 1)
    spread = float(outputs.std(unbiased=False))
    if not spread > 1e-9:
        raise SearchlabError(
            "the teacher network gives the same output for every input; "
            "choose another --seed or a larger --teacher_scale"
        )
    targets = ((outputs - outputs.mean()) / spread).float()
    zero_loss = float(targets.square().sum(dim=1).mean())
    return TeacherTask(inputs, targets, zero_loss, config.target_fraction * zero_loss)


# ----- the run ----------------------------------------------------------------


def run(config: Config, data: TeacherTask, context: RunContext) -> dict:
    """Tune and run every optimizer at every size; fit how perturbation's extra cost grows.

    Each measured run keeps its outcome, with its loss curve, under checkpoints/`measured_stage(...)`
    (`stage_curve` reads it back for the report).
    """
    device = resolve_device(config.device)
    inputs, targets = data.inputs.to(device), data.targets.to(device)
    seeds = dict(zip(SEED_SLOTS, spawn_seeds(config.seed, len(SEED_SLOTS))))
    run_seeds = spawn_seeds(seeds["runs"], config.seeds)  # seed i starts every optimizer from the same network
    rows, stages, tuning, curves = [], [], [], {}
    for width in config.widths:
        space = student_space(config, width)
        problem = SupervisedProblem(space, inputs, targets, SquaredError())
        for method in config.optimizers:
            stage = f"p{space.dim}/{method}"
            value, settings, tried = _tune(config, data, problem, method, stage, seeds["tune"], context)
            tuning.append({"params": space.dim, "width": width, "optimizer": method, "chosen": value, "tried": tried})
            for index, seed in enumerate(run_seeds):
                name = measured_stage(space.dim, method, index)
                outcome = _stage(problem, method, settings, config.budget, data.target_loss, seed, name, context)
                rows.append(
                    {
                        "params": space.dim,
                        "optimizer": method,
                        "seed": index,
                        "forward_equivalents_to_target": outcome["forward_equivalents_to_target"],
                    }
                )
                stages.append(
                    {
                        "params": space.dim,
                        "width": width,
                        "optimizer": method,
                        "seed": index,
                        "setting": value,
                        **_without_curve(outcome),
                    }
                )
                curves[(space.dim, method, index)] = outcome["curve"]
    # The kept curve points carry no step number: `step` is null, forward-equivalents say how far each run got.
    context.write_metrics(
        [
            series_row({"params": p, "optimizer": m, "seed": s}, step=None, forward_equivalents=fe, loss=loss)
            for (p, m, s), curve in curves.items()
            for fe, loss in curve
        ]
    )
    fitted = slopes(
        rows,
        [m for m in config.optimizers if m in PERTURBATION],
        [m for m in config.optimizers if m in GRADIENT],
        config.budget,
    )
    return {
        "rows": rows,
        "slope_local_search_over_sgd": fitted["local_search/sgd"]["slope"],
        **{
            f"slope_{key.replace('/', '_over_')}": fit["slope"]
            for key, fit in fitted.items()
            if key != "local_search/sgd"
        },
        "slopes": fitted,
        "budget": config.budget,
        "target_loss": data.target_loss,
        "zero_predictor_loss": data.zero_loss,
        "target_fraction": config.target_fraction,
        "parameter_counts": parameter_counts(config),
        "medians": [
            {"params": p, "optimizer": m, "median_forward_equivalents_to_target": v}
            for (p, m), v in per_size_medians(rows).items()
        ],
        "tuning": tuning,
        "stages": stages,
    }


def _tune(
    config: Config,
    data: TeacherTask,
    problem: SupervisedProblem,
    method: str,
    stage: str,
    seed: int,
    context: RunContext,
):
    """Try each setting on the tuning seed; keep the one that reaches the target cheapest (else the lowest loss).

    A setting tried after another has reached the target gets only as much budget as that one
    needed: it can only win by needing less.
    """
    grid = settings_grid(config, method, problem.space.dim)
    if len(grid) == 1:
        return grid[0][0], grid[0][1], []
    tried, best = [], None
    for index, (value, settings) in enumerate(grid):
        cheapest = min(
            (t["forward_equivalents_to_target"] for t in tried if t["forward_equivalents_to_target"] is not None),
            default=None,
        )
        budget = config.budget if cheapest is None else min(config.budget, cheapest)
        outcome = _stage(problem, method, settings, budget, data.target_loss, seed, f"{stage}/tune{index}", context)
        tried.append({"value": value, **_without_curve(outcome)})
        key = (
            outcome["forward_equivalents_to_target"] is None,
            outcome["forward_equivalents_to_target"] or 0,
            outcome["best_loss"] if outcome["best_loss"] is not None else math.inf,
        )
        if best is None or key < best[0]:
            best = (key, value, settings)
    return best[1], best[2], tried


def _stage(
    problem, method: str, settings: dict, budget: int, target_loss: float, seed: int, name: str, context: RunContext
) -> dict:
    """One run to the target or the budget, checkpointed; its outcome is kept so a resumed run skips it."""
    folder = context.checkpoint_dir(name)

    def measure() -> dict:
        optimizer = make_optimizer(REGISTRY_NAME[method], **settings)
        try:
            result = run_search(
                problem,
                optimizer,
                Budget(forward_equivalents=budget, target_loss=target_loss),
                seed,
                checkpoint_dir=folder,
                resume=context.resume,
                progress=context.bar_label(f"perturbation/{name}"),
            )
        except DivergedError:  # a diverging loss is an outcome of this setting; any other error is raised
            return {
                "forward_equivalents_to_target": None,
                "best_loss": None,
                "forward_equivalents": problem.forward_equivalents,
                "steps": None,
                "seconds": None,
                "stopped_because": "diverged",
                "curve": [],
            }
        return {
            "forward_equivalents_to_target": forward_equivalents_to_target(result.trace, target_loss),
            "best_loss": result.best_loss,
            "forward_equivalents": result.forward_equivalents,
            "steps": result.steps,
            "seconds": round(result.seconds, 3),
            "stopped_because": result.stopped_because,
            "curve": _curve(result.trace),
        }

    return context.stage(folder / stages.RECORD, measure, _OUTCOME_FIELDS, _check_curve)


# What `_stage` keeps of a finished stage, read back by a resumed run: key -> kinds of its value.
_OUTCOME_FIELDS = {
    "forward_equivalents_to_target": (int, type(None)),
    "best_loss": (*jsonfile.NUMBER, type(None)),
    "forward_equivalents": jsonfile.NUMBER,
    "steps": (int, type(None)),
    "seconds": (*jsonfile.NUMBER, type(None)),
    "stopped_because": str,
    "curve": list,
}


def _check_curve(outcome: dict, record: Path) -> None:
    """Refuse a kept outcome whose curve is not a list of [forward-equivalents, loss] pairs (names `record`)."""
    for number, point in enumerate(outcome["curve"]):
        if not (
            isinstance(point, list) and len(point) == 2 and all(jsonfile.is_kind(v, jsonfile.NUMBER) for v in point)
        ):
            raise SearchlabError(
                f"{record} 'curve' item {number} is {jsonfile.describe(point)}, "
                "not a [forward-equivalents, loss] pair; "
                f"delete {record} to run that stage again"
            )


def _curve(trace: Trace) -> list[list[float]]:
    """At most CURVE_POINTS (forward-equivalents, loss) pairs, log-spaced over the steps, always with the last."""
    n = len(trace)
    if n == 0:
        return []
    keep = sorted({int(i) for i in np.geomspace(1, n, CURVE_POINTS)} | {n}) if n > CURVE_POINTS else range(1, n + 1)
    return [[int(trace["forward_equivalents"][i - 1]), float(trace["loss"][i - 1])] for i in keep]


def measured_stage(params: int, method: str, seed_index: int) -> str:
    """The stage (checkpoint folder) of one measured run: `method` on the `params`-weight student, seed i."""
    return f"p{params}/{method}/seed{seed_index}"


def stage_curve(context: RunContext, params: int, method: str, seed_index: int) -> list[list[float]]:
    """The [forward-equivalents, loss] pairs a finished measured run kept (empty when it diverged)."""
    record = context.checkpoint_dir(measured_stage(params, method, seed_index)) / stages.RECORD
    return stages.read(record, fields=_OUTCOME_FIELDS, check=_check_curve)["curve"]


def _without_curve(outcome: dict) -> dict:
    return {key: value for key, value in outcome.items() if key != "curve"}


EXPERIMENT = Experiment(
    name="perturbation",
    title="Random perturbation against gradient descent, from 10 to 100,000 weights",
    essay_section=SECTION,
    config=Config,
    prepare=prepare,
    run=run,
    tour={"widths": (1, 5, 16, 45, 120, 313), "seeds": 3, "budget": 400_000},
    quick={"widths": (1, 5, 16, 45, 120), "seeds": 2, "budget": 300_000},
)
