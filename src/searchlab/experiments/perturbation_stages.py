"""One run of the perturbation experiment as a stage: searched to the target or the budget, its outcome kept.

A finished stage's outcome (cost to the target, loss curve, and for the runs that measure it the effective
dimension of the network found) is kept by `context.stage`, so a resumed run reads it back instead of
searching again; an unfinished one resumes from its checkpoint through `core.run`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from searchlab.core import Budget, SupervisedProblem, jsonfile, stages
from searchlab.core import run as run_search
from searchlab.core.errors import DivergedError, SearchlabError
from searchlab.core.trace import Trace
from searchlab.experiments.base import RunContext
from searchlab.experiments.perturbation_config import REGISTRY_NAME
from searchlab.experiments.perturbation_dimension import network_effective_dimension
from searchlab.experiments.perturbation_fits import forward_equivalents_to_target
from searchlab.optimizers import make_optimizer

CURVE_POINTS = 120  # steps kept per stage in metrics.jsonl and for the convergence figure
AXES = ("fixed", "growing")  # the fixed small task and the task that grows with the student


def run_stage(
    problem: SupervisedProblem,
    method: str,
    settings: dict,
    budget: int,
    target_loss: float,
    seed: int,
    name: str,
    context: RunContext,
    dimension_fraction: float | None = None,
) -> dict:
    """One run to the target or the budget, checkpointed; its outcome is kept so a resumed run skips it.

    Args:
        problem, method, settings: what is searched, by which method of the comparison, with which settings.
        budget, target_loss: forward-equivalents allowed, and the loss that ends the run early.
        seed: the run's seed; name: its stage (checkpoint folder under checkpoints/).
        context: the run's folder and resume flag.
        dimension_fraction: when given, the outcome's effective_dimension is the proxy
            (`perturbation_dimension`) at the network the run ended on; else None.
    """
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
                "effective_dimension": None,
                "curve": [],
            }
        dimension = None
        if dimension_fraction is not None:
            dimension = network_effective_dimension(problem.space, result.candidate, problem.inputs, dimension_fraction)
        return {
            "forward_equivalents_to_target": forward_equivalents_to_target(result.trace, target_loss),
            "best_loss": result.best_loss,
            "forward_equivalents": result.forward_equivalents,
            "steps": result.steps,
            "seconds": round(result.seconds, 3),
            "stopped_because": result.stopped_because,
            "effective_dimension": dimension,
            "curve": _curve(result.trace),
        }

    return context.stage(folder / stages.RECORD, measure, OUTCOME_FIELDS, _check_curve)


# What `run_stage` keeps of a finished stage, read back by a resumed run: key -> kinds of its value.
OUTCOME_FIELDS = {
    "forward_equivalents_to_target": (int, type(None)),
    "best_loss": (*jsonfile.NUMBER, type(None)),
    "forward_equivalents": jsonfile.NUMBER,
    "steps": (int, type(None)),
    "seconds": (*jsonfile.NUMBER, type(None)),
    "stopped_because": str,
    "curve": list,
}
# Kept too, but optional on reading (a record written before the proxy was measured has none): checked if there.
OPTIONAL_FIELDS = {"effective_dimension": (int, type(None))}


def _check_curve(outcome: dict, record: Path) -> None:
    """Refuse a kept outcome whose curve is not a list of [forward-equivalents, loss] pairs, or whose optional
    entries are of the wrong kind (names `record`)."""
    for key, kinds in OPTIONAL_FIELDS.items():
        if key in outcome and not jsonfile.is_kind(outcome[key], kinds):
            raise SearchlabError(
                f"{record} {key!r} is {jsonfile.describe(outcome[key])}, not one of the kinds expected; "
                f"delete {record} to run that stage again"
            )
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


def measured_stage(params: int, method: str, seed_index: int, axis: str = "fixed") -> str:
    """The stage (checkpoint folder) of one measured run: `method` on the `params`-weight student of `axis`'s
    task, seed i (the fixed task's stages keep the names they had before the growing task was added)."""
    name = f"p{params}/{method}/seed{seed_index}"
    return name if axis == "fixed" else f"{axis}/{name}"


def stage_curve(context: RunContext, params: int, method: str, seed_index: int, axis: str = "fixed") -> list:
    """The [forward-equivalents, loss] pairs a finished measured run kept (empty when it diverged)."""
    record = context.checkpoint_dir(measured_stage(params, method, seed_index, axis)) / stages.RECORD
    return stages.read(record, fields=OUTCOME_FIELDS, check=_check_curve)["curve"]


def without_curve(outcome: dict) -> dict:
    return {key: value for key, value in outcome.items() if key != "curve"}
