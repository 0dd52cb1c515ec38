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
from typing import Any

import numpy as np
import torch

from searchlab.core import Budget, SquaredError, SupervisedProblem, jsonfile
from searchlab.core import run as run_search
from searchlab.core.device import resolve_device
from searchlab.core.errors import DivergedError, SearchlabError
from searchlab.core.files import write_json
from searchlab.core.optimizer import positive
from searchlab.core.seeding import spawn_seeds, torch_generator
from searchlab.core.trace import Trace
from searchlab.experiments.base import Experiment, RunContext, require
from searchlab.optimizers import OPTIMIZERS, make_optimizer
from searchlab.spaces import MLPSpace

SECTION = "Stochastic gradient descent"
# The optimizers compared, by the name used in rows and figures, and the registry optimizer behind each.
REGISTRY_NAME = {
    "local_search": "local_search",
    "evolution": "evolution",
    "random_search": "random_search",
    "sgd": "gradient",
    "adam": "gradient",
}
DEFAULT_OPTIMIZERS = ("local_search", "evolution", "sgd", "adam")
PERTURBATION = ("local_search", "evolution", "random_search")
GRADIENT = ("sgd", "adam")
# Child-seed slots, fixed per purpose.
SEED_SLOTS = ("data", "tune", "runs")
ACTIVATION = "tanh"  # a ReLU unit in a one-neuron layer can die for good, which no method could undo
CURVE_POINTS = 120  # steps kept per stage in metrics.jsonl and for the convergence figure


@dataclass(frozen=True)
class Config:
    """Settings of the perturbation experiment; the defaults are the full size.

    Attributes:
        seed: seeds the teacher, the inputs, the tuning runs and every measured run.
        device: "cpu", "cuda" or "auto".
        optimizers: what to compare: local_search, evolution, random_search, sgd, adam.
        inputs: input size of the teacher and every student.
        widths: hidden width of each student; every student has two hidden tanh layers
            of this width and one output, so it has width^2 + (inputs + 3) * width + 1 parameters.
        teacher_width: hidden width of the teacher (same shape of network).
        teacher_scale: the teacher's random weights are multiplied by this, to make it bend.
        examples: number of training inputs (every evaluation uses all of them).
        seeds: measured runs per size and optimizer; all optimizers start a seed from the same network.
        budget: forward-equivalents each run may spend before it counts as not reaching the target.
        target_fraction: the target loss as a fraction of the zero predictor's loss (mean squared target).
        sgd_lrs, adam_lrs: learning rates tried for SGD and Adam.
        local_search_steps: lengths of local search's whole random tweak vector tried
            (each weight moves by step / sqrt(parameters), so the tweak's length does not grow with size).
        population_size: K, tweaks local search (and random search) tries per step.
        evolution_lrs: learning rates (Adam on the mean) tried for the evolution strategy.
        evolution_population: the evolution strategy's perturbations per step (even).
        evolution_sigma: length of the evolution strategy's perturbation vector (per weight: / sqrt(parameters)).
    """

    seed: int = 0
    device: str = "cpu"
    optimizers: tuple[str, ...] = DEFAULT_OPTIMIZERS
    inputs: int = 4
    widths: tuple[int, ...] = (1, 3, 8, 16, 33, 70, 150, 313)
    teacher_width: int = 1
    teacher_scale: float = 3.0
    examples: int = 64
    seeds: int = 5
    budget: int = 1_000_000
    target_fraction: float = 0.02
    sgd_lrs: tuple[float, ...] = (0.03, 0.1, 0.3, 1.0)
    adam_lrs: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1)
    local_search_steps: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0)
    population_size: int = 16
    evolution_lrs: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1)
    evolution_population: int = 32
    evolution_sigma: float = 0.02

    def __post_init__(self) -> None:
        choices = ", ".join(REGISTRY_NAME)
        require(len(self.optimizers) > 0, f"--optimizers lists none; choose from {choices}")
        for name in self.optimizers:
            if name == "gradient":
                raise SearchlabError(
                    "--optimizers: name the gradient method as sgd or adam (both are the gradient optimizer)"
                )
            require(
                name in REGISTRY_NAME or name in OPTIMIZERS,
                f"unknown optimizer {name!r} in --optimizers; choose from {choices}",
            )
            if name not in REGISTRY_NAME:
                reason = make_optimizer(name).unsupported(_tiny_problem()) or "it is not part of this comparison"
                raise SearchlabError(f"--optimizers: {name} cannot be compared here ({reason}); choose from {choices}")
        repeated = sorted({name for name in self.optimizers if self.optimizers.count(name) > 1})
        require(not repeated, f"--optimizers lists {', '.join(repeated)} more than once; list each optimizer once")
        require(self.inputs >= 1, f"--inputs must be at least 1, got {self.inputs}")
        require(len(self.widths) >= 2, f"--widths needs at least 2 sizes to compare, got {len(self.widths)}")
        require(all(w >= 1 for w in self.widths), f"--widths must all be at least 1, got {self.widths}")
        require(
            list(self.widths) == sorted(set(self.widths)),
            f"--widths must increase, each listed once; got {self.widths}",
        )
        require(self.teacher_width >= 1, f"--teacher_width must be at least 1, got {self.teacher_width}")
        require(positive(self.teacher_scale), f"--teacher_scale must be a positive number, got {self.teacher_scale}")
        require(self.examples >= 2, f"--examples must be at least 2, got {self.examples}")
        require(self.seeds >= 1, f"--seeds must be at least 1, got {self.seeds}")
        require(self.budget > 0, f"--budget must be a positive number of forward-equivalents, got {self.budget}")
        require(
            0 < self.target_fraction < 1,
            f"--target_fraction must be between 0 and 1 (a fraction of the zero predictor's loss), got {self.target_fraction}",
        )
        for key in ("sgd_lrs", "adam_lrs", "local_search_steps", "evolution_lrs"):
            values = getattr(self, key)
            require(
                len(values) > 0 and all(positive(v) for v in values),
                f"--{key} must list one or more positive numbers, got {values}",
            )
        require(self.population_size >= 1, f"--population_size must be at least 1, got {self.population_size}")
        require(
            self.evolution_population >= 2 and self.evolution_population % 2 == 0,
            f"--evolution_population must be an even number >= 2 (antithetic pairs), got {self.evolution_population}",
        )
        require(
            positive(self.evolution_sigma), f"--evolution_sigma must be a positive number, got {self.evolution_sigma}"
        )


def _tiny_problem() -> SupervisedProblem:
    """A 1-1-1 network problem, only to ask optimizers whether they can search networks."""
    return SupervisedProblem(MLPSpace([1, 1, 1]), torch.zeros(2, 1), torch.zeros(2, 1), SquaredError())


def student_space(config: Config, width: int) -> MLPSpace:
    """The student with hidden width `width`: inputs -> width -> width -> 1, tanh."""
    return MLPSpace([config.inputs, width, width, 1], activation=ACTIVATION)


def parameter_counts(config: Config) -> list[int]:
    return [student_space(config, width).dim for width in config.widths]


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
            "the teacher network gives the same output for every input; choose another --seed or a larger --teacher_scale"
        )
    targets = ((outputs - outputs.mean()) / spread).float()
    zero_loss = float(targets.square().sum(dim=1).mean())
    return TeacherTask(inputs, targets, zero_loss, config.target_fraction * zero_loss)


def settings_grid(config: Config, method: str, params: int) -> list[tuple[float | None, dict[str, Any]]]:
    """(the tuned value, the optimizer's settings) for each setting tried for `method` at `params` weights."""
    per_weight = params**-0.5  # a vector of length L has entries of about L / sqrt(params)
    if method in GRADIENT:
        lrs = config.sgd_lrs if method == "sgd" else config.adam_lrs
        return [(lr, {"algorithm": method, "lr": lr}) for lr in lrs]
    if method == "local_search":
        return [
            (step, {"population_size": config.population_size, "step_size": step * per_weight})
            for step in config.local_search_steps
        ]
    if method == "evolution":
        sigma = config.evolution_sigma * per_weight
        return [
            (lr, {"population_size": config.evolution_population, "sigma": sigma, "lr": lr})
            for lr in config.evolution_lrs
        ]
    return [(None, {"population_size": config.population_size})]  # random search has nothing to tune


def forward_equivalents_to_target(trace: Trace, target_loss: float) -> int | None:
    """Forward-equivalents spent by the end of the first step whose loss is at or below the target; None if none is."""
    for spent, loss in zip(trace["forward_equivalents"], trace["loss"]):
        if loss <= target_loss:
            return int(spent)
    return None


def median_to_target(values: list[int | None]) -> float | None:
    """Median over seeds, where a run that never reached the target counts as infinitely costly.

    None when the median itself is a run that did not reach it (more than half of them, or half with an even count).
    """
    ordered = sorted(math.inf if v is None else float(v) for v in values)
    n = len(ordered)
    middle = ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2
    return None if math.isinf(middle) else middle


def ratio_slope(rows: list[dict], numerator: str, denominator: str, *, censored_at: float | None = None) -> dict:
    """Fit log10(median cost of `numerator` / median cost of `denominator`) = slope * log10(params) + c.

    Args:
        rows: dicts with params, optimizer, seed, forward_equivalents_to_target (None: not reached).
        numerator, denominator: optimizer names.
        censored_at: when given, a size where `numerator`'s median did not reach the target
            counts as reaching it at this cost (a lower bound on its ratio).

    Returns:
        {"slope", "intercept", "points", "params", "ratios", "lower_bound"}: slope and intercept are
        None with fewer than 2 usable sizes; `lower_bound` flags the ratios that are only lower bounds.
    """
    medians = per_size_medians(rows)
    params, ratios, bounds = [], [], []
    for size in sorted({row["params"] for row in rows}):
        top, bottom = medians.get((size, numerator)), medians.get((size, denominator))
        if bottom is None or (size, numerator) not in medians:
            continue
        bound = top is None
        if bound and censored_at is None:
            continue
        params.append(size)
        ratios.append((censored_at if bound else top) / bottom)
        bounds.append(bound)
    slope = intercept = None
    if len(params) >= 2:
        slope, intercept = (float(v) for v in np.polyfit(np.log10(params), np.log10(ratios), 1))
    return {
        "slope": slope,
        "intercept": intercept,
        "points": len(params),
        "params": params,
        "ratios": ratios,
        "lower_bound": bounds,
    }


def per_size_medians(rows: list[dict]) -> dict[tuple[int, str], float | None]:
    """{(params, optimizer): median forward-equivalents to target over seeds (None: not reached)}."""
    grouped: dict[tuple[int, str], list[int | None]] = {}
    for row in rows:
        grouped.setdefault((row["params"], row["optimizer"]), []).append(row["forward_equivalents_to_target"])
    return {key: median_to_target(values) for key, values in grouped.items()}


# ----- the run ----------------------------------------------------------------


def run(config: Config, data: TeacherTask, context: RunContext) -> dict:
    """Tune and run every optimizer at every size; fit how perturbation's extra cost grows."""
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
                outcome = _stage(
                    problem, method, settings, config.budget, data.target_loss, seed, f"{stage}/seed{index}", context
                )
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
    context.write_metrics(
        [
            {"params": p, "optimizer": m, "seed": s, "forward_equivalents": fe, "loss": loss}
            for (p, m, s), curve in curves.items()
            for fe, loss in curve
        ]
    )
    from searchlab.experiments.perturbation_report import figures, report, slopes

    fitted = slopes(rows, config)
    drawn = figures(config, data, rows, fitted, curves, context)
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
        "report": report(config, data, rows, fitted, tuning, stages, drawn),
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
    done = folder / "outcome.json"
    saved = _saved_outcome(done, context)
    if saved is not None:
        return saved
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
        outcome = {
            "forward_equivalents_to_target": None,
            "best_loss": None,
            "forward_equivalents": problem.forward_equivalents,
            "steps": None,
            "seconds": None,
            "stopped_because": "diverged",
            "curve": [],
        }
    else:
        outcome = {
            "forward_equivalents_to_target": forward_equivalents_to_target(result.trace, target_loss),
            "best_loss": result.best_loss,
            "forward_equivalents": result.forward_equivalents,
            "steps": result.steps,
            "seconds": round(result.seconds, 3),
            "stopped_because": result.stopped_because,
            "curve": _curve(result.trace),
        }
    write_json(done, outcome)
    return outcome


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


def _saved_outcome(done: Path, context: RunContext) -> dict | None:
    """The outcome a finished stage kept in `done`, checked for shape, or None when the stage must run.

    Raises:
        SearchlabError: naming `done`, when it is truncated or not an outcome `_stage` writes.
    """
    saved = context.saved(done, _OUTCOME_FIELDS)
    if saved is not None:
        for number, point in enumerate(saved["curve"]):
            if not (
                isinstance(point, list) and len(point) == 2 and all(jsonfile.is_kind(v, jsonfile.NUMBER) for v in point)
            ):
                raise SearchlabError(
                    f"{done} 'curve' item {number} is {jsonfile.describe(point)}, not a [forward-equivalents, loss] pair; "
                    f"delete {done} to run that stage again"
                )
    return saved


def _curve(trace: Trace) -> list[list[float]]:
    """At most CURVE_POINTS (forward-equivalents, loss) pairs, log-spaced over the steps, always with the last."""
    n = len(trace)
    if n == 0:
        return []
    keep = sorted({int(i) for i in np.geomspace(1, n, CURVE_POINTS)} | {n}) if n > CURVE_POINTS else range(1, n + 1)
    return [[int(trace["forward_equivalents"][i - 1]), float(trace["loss"][i - 1])] for i in keep]


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
