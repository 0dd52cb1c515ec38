"""Random perturbation against gradient descent as the number of weights grows.

Essay: "Stochastic gradient descent" (trying random tweaks and keeping the best
gets too expensive with many weights; the gradient tries every direction at
once) and its footnote 5 (the gradient's "tries" are implicit).

Two teacher-student tasks, each searched by local search (K random tweaks per
step), an evolution strategy, SGD and Adam until the loss on the whole training
set falls to a fixed fraction of the zero predictor's loss, or a budget of
forward-equivalents runs out:

- the growing task: at every size a random teacher as large as the student
  labels a number of inputs proportional to the student's weights, so every
  weight matters. Zeroth-order theory (Nesterov & Spokoiny 2017) predicts that
  perturbation's cost over the gradient's grows about linearly with the weights;
  the claim `perturbation_too_expensive_at_scale` is the log-log slope of that
  ratio, per seed, with its bootstrap interval over seeds.
- the fixed task: one small teacher labels the same few inputs for students
  from about 10 to about 100,000 weights. The loss can curve along at most as
  many directions as there are examples, so random search pays for that
  effective dimension, not for the weights; a proxy of it (Gauss-Newton
  eigenvalues above a fraction of the largest, at the network a gradient method
  found) is measured on both tasks, to show when perturbation is cheap.

Every method's step-size settings are tuned by one rule (`perturbation_tuning`)
on a separate seed, per size. Every evaluation is full batch, so the target is
always checked on the same examples.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from searchlab.core import SquaredError, SupervisedProblem
from searchlab.core.device import resolve_device
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import spawn_seeds, torch_generator
from searchlab.experiments.base import Experiment, RunContext, series_row
from searchlab.experiments.perturbation_config import (
    ACTIVATION,
    GRADIENT,
    GRIDS,
    PERTURBATION,
    Config,
    growing_budget,
    growing_examples,
    parameter_counts,
    settings_for,
    student_space,
)
from searchlab.experiments.perturbation_fits import (
    per_size_medians,
    ratio_vs_dimension,
    seed_slopes,
    slope_interval,
    slopes,
)
from searchlab.experiments.perturbation_stages import (
    AXES,
    measured_stage,
    run_stage,
    stage_curve,
    without_curve,
)
from searchlab.experiments.perturbation_tuning import tune_value
from searchlab.spaces import MLPSpace

__all__ = ["AXES", "EXPERIMENT", "SECTION", "Config", "measured_stage", "prepare", "run", "stage_curve"]

SECTION = "Stochastic gradient descent"
# Child-seed slots, fixed per purpose (a slot's seed does not depend on how many slots there are).
SEED_SLOTS = ("data", "tune", "runs", "growing")
CLAIM_THRESHOLD = 0.0  # the claim: the ratio grows with the weights, i.e. its log-log slope is above 0


@dataclass(frozen=True)
class TeacherTask:
    """Inputs (N, inputs) and the teacher's standardised outputs (N, 1), float32."""

    inputs: torch.Tensor
    targets: torch.Tensor
    zero_loss: float  # loss of the all-zero predictor: the mean squared target
    target_loss: float


def _teacher_task(config: Config, width: int, examples: int, scale: float, seed: int) -> TeacherTask:
    """A random teacher of hidden width `width` (weights times `scale`) labels `examples` random inputs."""
    generator = torch_generator(seed)
    teacher = MLPSpace([config.inputs, width, width, 1], activation=ACTIVATION)
    weights = teacher.sample(1, generator) * scale  # (1, d)
    inputs = torch.randn(examples, config.inputs, generator=generator)  # (N, inputs)
    outputs = teacher.forward(weights, inputs)[0].double()  # (N, 1)
    spread = float(outputs.std(unbiased=False))
    if not spread > 1e-9:
        raise SearchlabError(
            "a teacher network gives the same output for every input; choose another --seed or a larger teacher scale"
        )
    targets = ((outputs - outputs.mean()) / spread).float()
    zero_loss = float(targets.square().sum(dim=1).mean())
    return TeacherTask(inputs, targets, zero_loss, config.target_fraction * zero_loss)


def prepare(config: Config) -> TeacherTask:
    """Make the fixed task's teacher data from the seed; writes nothing."""
    resolve_device(config.device)
    seed = spawn_seeds(config.seed, len(SEED_SLOTS))[SEED_SLOTS.index("data")]
    return _teacher_task(config, config.teacher_width, config.examples, config.teacher_scale, seed)


def growing_task(config: Config, width: int) -> TeacherTask:
    """The growing task at `width`: a teacher of the student's own shape, `growing_examples` inputs."""
    slot = spawn_seeds(config.seed, len(SEED_SLOTS))[SEED_SLOTS.index("growing")]
    seed = spawn_seeds(slot, width)[width - 1]  # child `width - 1` is the same whatever else is listed
    return _teacher_task(config, width, growing_examples(config, width), config.growing_teacher_scale, seed)


# ----- the run ----------------------------------------------------------------


def run(config: Config, data: TeacherTask, context: RunContext) -> dict:
    """Tune and run every optimizer at every size of both tasks; fit how perturbation's extra cost grows.

    Each measured run keeps its outcome, with its loss curve, under checkpoints/`measured_stage(...)`
    (`stage_curve` reads it back for the report).
    """
    device = resolve_device(config.device)
    seeds = dict(zip(SEED_SLOTS, spawn_seeds(config.seed, len(SEED_SLOTS))))
    run_seeds = spawn_seeds(seeds["runs"], config.seeds)  # seed i starts every optimizer from the same network
    tasks = {
        "fixed": [(width, data) for width in config.widths],
        "growing": [(width, growing_task(config, width)) for width in config.growing_widths],
    }
    budgets = {
        "fixed": {student_space(config, w).dim: config.budget for w in config.widths},
        "growing": {
            student_space(config, w).dim: growing_budget(config, student_space(config, w).dim)
            for w in config.growing_widths
        },
    }
    axes = {
        axis: _measure_axis(config, axis, tasks[axis], budgets[axis], seeds["tune"], run_seeds, context, device)
        for axis in AXES
    }
    _write_curves(context, axes)
    perturb = [m for m in config.optimizers if m in PERTURBATION]
    gradient = [m for m in config.optimizers if m in GRADIENT]
    fixed, growing = axes["fixed"], axes["growing"]
    fitted = slopes(fixed["rows"], perturb, gradient, config.budget)
    paired = {axis: seed_slopes(axes[axis]["rows"], perturb, gradient, budgets[axis]) for axis in AXES}
    for fit in paired.values():
        interval = slope_interval(fit)
        fit["interval"] = None if interval is None else interval.as_dict()
    return {
        "rows": fixed["rows"],
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
        "medians": _medians(fixed["rows"]),
        "growing": _growing_result(config, tasks["growing"], growing["rows"], budgets["growing"]),
        "paired_slopes": paired,
        "effective_dimension": fixed["dimensions"] + growing["dimensions"],
        "ratio_vs_dimension": {
            axis: ratio_vs_dimension(axes[axis]["rows"], axes[axis]["dimensions"], perturb, gradient) for axis in AXES
        },
        "tuning": fixed["tuning"] + growing["tuning"],
        "grid_edges": [
            {**{key: t[key] for key in ("axis", "params", "optimizer", "setting", "edge")}, "value": t["chosen"]}
            for t in fixed["tuning"] + growing["tuning"]
            if t["edge"] is not None
        ],
        "stages": fixed["stages"] + growing["stages"],
        "claims": growth_claims(config, paired),
    }


def _write_curves(context: RunContext, axes: dict) -> None:
    """metrics.jsonl: the kept curve points of every measured run, one series per task, size, optimizer and seed.

    The points carry no step number: `step` is null, forward-equivalents say how far each run got.
    """
    context.write_metrics(
        [
            series_row(
                {"axis": axis, "params": p, "optimizer": m, "seed": s}, step=None, forward_equivalents=fe, loss=v
            )
            for axis in AXES
            for (p, m, s), curve in axes[axis]["curves"].items()
            for fe, v in curve
        ]
    )


def _growing_result(config: Config, tasks: list, rows: list[dict], budgets: dict[int, int]) -> dict:
    """The growing task's rows, per-pair slopes of median ratios, medians, and its tasks (size, examples, budget)."""
    perturb = [m for m in config.optimizers if m in PERTURBATION]
    gradient = [m for m in config.optimizers if m in GRADIENT]
    return {
        "rows": rows,
        "slopes": slopes(rows, perturb, gradient, budgets),
        "medians": _medians(rows),
        "tasks": [
            {
                "width": width,
                "params": student_space(config, width).dim,
                "examples": len(task.targets),
                "target_loss": task.target_loss,
                "budget": budgets[student_space(config, width).dim],
            }
            for width, task in tasks
        ],
    }


def _medians(rows: list[dict]) -> list[dict]:
    return [
        {"params": p, "optimizer": m, "median_forward_equivalents_to_target": v}
        for (p, m), v in per_size_medians(rows).items()
    ]


def _measure_axis(config, axis, tasks, budgets, tune_seed, run_seeds, context, device) -> dict:
    """Tune and run every optimizer on every (width, task) of one axis.

    Returns:
        {"rows", "stages", "tuning", "curves", "dimensions"}: rows as `perturbation_fits` reads them; the
        effective dimension is measured at the end of each gradient method's seed-0 run.
    """
    out = {"rows": [], "stages": [], "tuning": [], "curves": {}, "dimensions": []}
    for width, task in tasks:
        space = student_space(config, width)
        budget = budgets[space.dim]
        problem = SupervisedProblem(space, task.inputs.to(device), task.targets.to(device), SquaredError())
        for method in config.optimizers:
            prefix = measured_stage(space.dim, method, 0, axis).rsplit("/", 1)[0]
            settings, tuned = _tune(config, task, problem, method, budget, prefix, tune_seed, context)
            out["tuning"] += [
                {"axis": axis, "params": space.dim, "width": width, "optimizer": method, **t} for t in tuned
            ]
            for index, seed in enumerate(run_seeds):
                fraction = config.dimension_fraction if method in GRADIENT and index == 0 else None
                name = measured_stage(space.dim, method, index, axis)
                outcome = run_stage(problem, method, settings, budget, task.target_loss, seed, name, context, fraction)
                cost = outcome["forward_equivalents_to_target"]
                out["rows"].append(
                    {"params": space.dim, "optimizer": method, "seed": index, "forward_equivalents_to_target": cost}
                )
                out["stages"].append(
                    {
                        "axis": axis,
                        "params": space.dim,
                        "width": width,
                        "optimizer": method,
                        "seed": index,
                        "setting": tuned[0]["chosen"] if tuned else None,
                        **without_curve(outcome),
                    }
                )
                out["curves"][(space.dim, method, index)] = outcome["curve"]
                if fraction is not None and outcome.get("effective_dimension") is not None:
                    out["dimensions"].append(
                        {
                            "axis": axis,
                            "params": space.dim,
                            "examples": len(task.targets),
                            "optimizer": method,
                            "effective_dimension": outcome["effective_dimension"],
                            "reached_target": cost is not None,
                        }
                    )
    return out


def _tune(config, task, problem, method, budget, prefix, seed, context) -> tuple[dict, list[dict]]:
    """Tune `method` by `tune_value` on the tuning seed: its grid value, then (evolution) sigma at that value.

    Returns:
        (the chosen settings, one record per tuned setting: {"setting", "chosen", "tried", "edge"}).
    """
    params = problem.space.dim
    if method not in GRIDS:
        return settings_for(config, method, params, None), []

    def attempt(stage: str, make):
        def one(value: float, index: int, cap: int | None) -> dict:
            spend = budget if cap is None else min(budget, cap)
            name = f"{prefix}/{stage}{index}"
            return without_curve(run_stage(problem, method, make(value), spend, task.target_loss, seed, name, context))

        return one

    name = {"local_search": "tweak length", "evolution": "learning rate"}.get(method, "learning rate")
    first = tune_value(
        getattr(config, GRIDS[method]),
        attempt("tune", lambda v: settings_for(config, method, params, v)),
        config.tune_extensions,
    )
    records = [{"setting": name, **first}]
    if method != "evolution":
        return settings_for(config, method, params, first["chosen"]), records
    middle = sorted(config.evolution_sigmas)[len(config.evolution_sigmas) // 2]  # the sigma the first tuning used
    lr = first["chosen"]
    chosen_run = next(t for t in first["tried"] if t["value"] == lr)
    second = tune_value(
        config.evolution_sigmas,
        attempt("tune_sigma", lambda s: settings_for(config, method, params, lr, s)),
        config.tune_extensions,
        known={middle: {k: v for k, v in chosen_run.items() if k != "value"}},
    )
    records.append({"setting": "sigma", **second})
    return settings_for(config, method, params, lr, second["chosen"]), records


def growth_claims(config: Config, paired: dict) -> list[dict]:
    """The essay's claim, measured on the growing task: perturbation's extra cost grows with the weights."""
    from searchlab.core.intervals import Interval, claim_row

    fit = paired["growing"]
    if fit.get("interval") is None:
        return []
    sizes = parameter_counts(config, config.growing_widths)
    fixed = paired["fixed"].get("interval")
    baseline = None if fixed is None else f"fixed {config.examples}-example task: {Interval(**fixed).text()}"
    return [
        claim_row(
            "perturbation_too_expensive_at_scale",
            "Trying random tweaks and keeping the best gets more expensive, relative to the gradient, the more "
            "weights a network has.",
            "per seed, the log-log slope against the weight count of (forward-equivalents the cheapest perturbation "
            "method needed to reach the target) / (the cheapest gradient method's), on the growing task (teacher as "
            f"large as the student, {config.examples_per_weight:g} examples per weight, {sizes[0]:,} to "
            f"{sizes[-1]:,} weights); mean over seeds, bootstrap interval over seeds. Threshold 0: above it the "
            "ratio grows with the weights (zeroth-order theory predicts about 1). A perturbation run that did not "
            "reach the target counts at the budget, a lower bound on its cost.",
            Interval(**fit["interval"]),
            threshold=CLAIM_THRESHOLD,
            predicts="above",
            baseline=baseline,
            section=SECTION,
        )
    ]


EXPERIMENT = Experiment(
    name="perturbation",
    title="Random perturbation against gradient descent, from 10 to 100,000 weights",
    essay_section=SECTION,
    config=Config,
    prepare=prepare,
    run=run,
    tour={
        "widths": (1, 5, 16, 45, 120),
        "growing_widths": (1, 2, 4, 8),
        "seeds": 3,
        "budget": 400_000,
    },
    quick={
        "widths": (1, 5, 16, 45),
        "growing_widths": (1, 2, 4),
        "seeds": 2,
        "budget": 300_000,
    },
)
