"""Neural networks as a model class: the essay's 3-2-2 network searched every way we can.

Essay: "Deep neural networks" and "Example of a simple neural network" (a network
is a computational graph whose ten weights pick one program out of a model
class), "Why use deep neural networks to define the model class?" (wide enough
networks can represent almost any function) and "Stochastic gradient descent"
(random perturbations against the gradient, pictured with two weights).

One run does five things on seeded data:
1. draws the 3-2-2 network (ten weights, no biases, ReLU after both layers);
2. enumerates every one of its programs with weights in {-1, 0, 1} (59,049) on a
   teacher task, timing it, and counts what the same search would cost for
   more levels and wider nets at the measured rate;
3. trains the same network by gradient descent (real-valued weights) on the same task;
4. fits one hidden layer of growing width to a wiggly 1-D function;
5. draws the loss over two of the weights, with the paths of local search and
   gradient descent from one common start (PNG and GIF).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from searchlab.core import Budget, SquaredError, SupervisedProblem
from searchlab.core import run as run_search
from searchlab.core.device import cpu_threads, resolve_device
from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import Optimizer
from searchlab.core.seeding import spawn_seeds, torch_generator
from searchlab.core.trace import Result
from searchlab.experiments.base import Experiment, RunContext, require
from searchlab.optimizers import make_optimizer
from searchlab.optimizers.exhaustive import human_duration
from searchlab.spaces import GridSpace, MLPSpace, PlaneSpace

SECTIONS = (
    "Deep neural networks",
    "Example of a simple neural network",
    "Why use deep neural networks to define the model class?",
    "Stochastic gradient descent",
)
# Child-seed slots, fixed per purpose so that changing one part leaves the others' numbers alone.
SEED_SLOTS = ("teacher", "inputs", "gradient", "target", "approximation", "view")
# A teacher is redrawn until every hidden neuron and output is active (> 0) on a share of
# the inputs inside this range: no dead or always-on unit, so every weight matters.
ACTIVE_SHARE = (0.2, 0.9)
TEACHER_TRIES = 1000
# The wiggly 1-D target lives on [-X_RANGE, X_RANGE] and is measured on this many points.
X_RANGE = 3.0
DENSE_POINTS = 1001
SECONDS_PER_DAY = 86_400.0
SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY
AGE_OF_UNIVERSE_YEARS = 1.38e10
AUTO = "auto"


def essay_space() -> MLPSpace:
    """The essay's network: 3 inputs, 2 hidden ReLU neurons, 2 ReLU outputs, ten weights, no biases."""
    return MLPSpace([3, 2, 2], bias=False, output_activation="relu")


ESSAY_NAMES = tuple(essay_space().parameter_names())


@dataclass(frozen=True)
class Config:
    """Settings of the networks experiment; the defaults are the full size.

    Attributes:
        seed: seeds the teacher, the inputs, every optimizer and the 1-D target.
        device: "cpu", "cuda" or "auto".
        threads: CPU threads torch may use during the run (0: leave its setting). These
            networks are tiny, so extra threads only add synchronisation, which costs
            dearly when other programs share the cores; restored afterwards.
        examples: inputs the teacher labels (the task every 3-2-2 search is scored on).
        levels: values each weight may take in the exhaustive search, spread evenly over
            [-1, 1] (3 gives {-1, 0, 1}: 3^10 = 59,049 programs).
        candidates_per_step: programs evaluated per batched call.
        max_seconds: exhaustive search refuses grids it estimates to take longer.
        gradient_steps, gradient_restarts, gradient_lr: full-batch Adam on the real-valued
            3-2-2 network, from this many random starts.
        count_nets: network shapes ("3-16-2") whose grids the count table sizes.
        count_levels: levels per weight in the count table.
        widths: hidden widths of the one-hidden-layer networks fitted to the 1-D function.
        approximation_points: training points of the 1-D function on [-3, 3].
        approximation_steps, approximation_restarts, approximation_lr: Adam per width;
            the restart with the lowest training loss is kept.
        weight_x, weight_y: the two weights of the "changing two weights" view (essay names),
            or "auto": the two largest first-layer weights of the teacher's most influential
            hidden neuron (the one with the largest outgoing weights).
        view_radius: half-width of that view's window around the teacher's values.
        view_resolution: grid points per side of the loss surface.
        view_steps: steps of each search drawn over it (the GIF has view_steps + 1 frames).
        view_population, view_step_size: local search's perturbations per step and their size.
        view_lr: plain SGD's learning rate in the view; None uses 1 / (the largest curvature
            of the loss at the teacher's values), a step that is stable near the minimum.
    """

    seed: int = 0
    device: str = "cpu"
    threads: int = 1
    examples: int = 256
    levels: int = 3
    candidates_per_step: int = 4096
    max_seconds: float = 600.0
    gradient_steps: int = 1500
    gradient_restarts: int = 5
    gradient_lr: float = 0.02
    count_nets: tuple[str, ...] = ("3-2-2", "3-4-2", "3-8-2", "3-16-2", "10-32-1", "64-256-10")
    count_levels: tuple[int, ...] = (3, 5, 9)
    widths: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256)
    approximation_points: int = 256
    approximation_steps: int = 2000
    approximation_restarts: int = 2
    approximation_lr: float = 0.01
    weight_x: str = "auto"
    weight_y: str = "auto"
    view_radius: float = 2.0
    view_resolution: int = 121
    view_steps: int = 40
    view_population: int = 8
    view_step_size: float = 0.25
    view_lr: float | None = None

    def __post_init__(self) -> None:
        for name in (
            "examples",
            "candidates_per_step",
            "gradient_steps",
            "gradient_restarts",
            "approximation_steps",
            "approximation_restarts",
            "view_steps",
            "view_population",
        ):
            value = getattr(self, name)
            require(value > 0, f"--{name} must be a positive whole number, got {value}")
        require(
            self.threads >= 0,
            f"--threads must be 0 (leave torch's setting) or a positive number of threads, got {self.threads}",
        )
        require(self.levels >= 2, f"--levels must be at least 2 values per weight, got {self.levels}")
        for name in ("max_seconds", "gradient_lr", "approximation_lr", "view_radius", "view_step_size"):
            value = getattr(self, name)
            require(math.isfinite(value) and value > 0, f"--{name} must be a positive number, got {value}")
        require(
            self.approximation_points >= 2,
            f"--approximation_points must be at least 2, got {self.approximation_points}",
        )
        require(
            self.view_resolution >= 3,
            f"--view_resolution must be at least 3 grid points per side, got {self.view_resolution}",
        )
        require(
            len(self.widths) > 0 and all(w > 0 for w in self.widths),
            f"--widths must list positive hidden widths, got {self.widths}",
        )
        require(len(set(self.widths)) == len(self.widths), f"--widths lists a width twice: {self.widths}")
        require(
            len(self.count_levels) > 0 and all(n >= 2 for n in self.count_levels),
            f"--count_levels must list numbers >= 2, got {self.count_levels}",
        )
        require(len(self.count_nets) > 0, "--count_nets lists no network; give shapes such as 3-2-2,3-16-2")
        for net in self.count_nets:
            parse_widths(net)
        for name in ("weight_x", "weight_y"):
            value = getattr(self, name)
            require(
                value == AUTO or value in ESSAY_NAMES,
                f"--{name} {value!r} is not a weight of the 3-2-2 network; choose {AUTO} or one of {', '.join(ESSAY_NAMES)}",
            )
        require(
            (self.weight_x == AUTO) == (self.weight_y == AUTO),
            "--weight_x and --weight_y must both be auto or both name a weight",
        )
        require(
            self.weight_x == AUTO or self.weight_x != self.weight_y,
            f"--weight_x and --weight_y are both {self.weight_x}; choose two different weights",
        )
        require(
            self.view_lr is None or (math.isfinite(self.view_lr) and self.view_lr > 0),
            f"--view_lr must be a positive number, or none to derive it from the curvature, got {self.view_lr}",
        )


def parse_widths(text: str) -> list[int]:
    """'3-16-2' -> [3, 16, 2]; a clear error for anything else."""
    try:
        widths = [int(part) for part in text.split("-")]
    except ValueError:
        widths = []
    require(
        len(widths) >= 2 and all(w > 0 for w in widths),
        f"--count_nets entry {text!r} is not a network shape; write widths joined by '-', e.g. 3-16-2",
    )
    return widths


@dataclass(frozen=True)
class NetworksData:
    """Everything the run needs, made from the seed."""

    teacher: torch.Tensor  # (10,) float32, the teacher's real-valued weights
    inputs: torch.Tensor  # (N, 3)
    targets: torch.Tensor  # (N, 2), the teacher's outputs
    teacher_tries: int  # draws until the teacher had no dead or always-on unit
    wiggle: dict  # amplitudes, frequencies, phases of the 1-D target
    curve_x: torch.Tensor  # (P, 1) float64 training points on [-3, 3]
    curve_y: torch.Tensor  # (P, 1)
    dense_x: torch.Tensor  # (DENSE_POINTS, 1)
    dense_y: torch.Tensor  # (DENSE_POINTS, 1)


def prepare(config: Config) -> NetworksData:
    """Make the teacher task and the 1-D target from the seed; writes nothing."""
    resolve_device(config.device)
    seeds = dict(zip(SEED_SLOTS, spawn_seeds(config.seed, len(SEED_SLOTS))))
    space = essay_space()
    inputs = torch.randn(config.examples, 3, generator=torch_generator(seeds["inputs"]))  # (N, 3)
    teacher, tries = make_teacher(space, inputs, seeds["teacher"])
    with torch.no_grad():
        targets = space.forward(teacher.unsqueeze(0), inputs)[0]  # (N, 2)
    wiggle = wiggly_function(seeds["target"])
    curve_x = torch.linspace(-X_RANGE, X_RANGE, config.approximation_points, dtype=torch.float64).reshape(-1, 1)
    dense_x = torch.linspace(-X_RANGE, X_RANGE, DENSE_POINTS, dtype=torch.float64).reshape(-1, 1)
    return NetworksData(
        teacher,
        inputs,
        targets,
        tries,
        wiggle,
        curve_x,
        evaluate_wiggle(wiggle, curve_x),
        dense_x,
        evaluate_wiggle(wiggle, dense_x),
    )


def make_teacher(space: MLPSpace, inputs: torch.Tensor, seed: int) -> tuple[torch.Tensor, int]:
    """Standard-normal weights, redrawn until every unit is active on a share of inputs within ACTIVE_SHARE.

    Returns:
        The (d,) weights and the number of draws it took.
    """
    generator = torch_generator(seed)
    low, high = ACTIVE_SHARE
    for tries in range(1, TEACHER_TRIES + 1):
        weights = torch.randn(space.dim, generator=generator)
        shares = active_shares(space, weights, inputs)
        if all(low <= share <= high for share in shares):
            return weights, tries
    raise SearchlabError(
        f"no teacher with every unit active on {low:.0%}-{high:.0%} of inputs in {TEACHER_TRIES} draws; use more --examples"
    )


def active_shares(space: MLPSpace, weights: torch.Tensor, inputs: torch.Tensor) -> list[float]:
    """Share of inputs on which each neuron (every layer, in order) is above 0."""
    named = space.unflatten(weights.unsqueeze(0))
    shares, h = [], inputs
    for layer in range(1, space.n_layers + 1):
        h = torch.relu(h @ named[f"weight{layer}"][0].T)  # (N, width)
        shares.extend((h > 0).double().mean(dim=0).tolist())
    return shares


def wiggly_function(seed: int, components: int = 5) -> dict:
    """A seeded sum of sines, y = sum_k a_k sin(f_k x + p_k), scaled so that sum |a_k| = 1.5."""
    generator = torch_generator(seed)
    frequencies = 1.0 + 3.0 * torch.rand(components, generator=generator, dtype=torch.float64)
    phases = 2 * math.pi * torch.rand(components, generator=generator, dtype=torch.float64)
    amplitudes = torch.randn(components, generator=generator, dtype=torch.float64)
    amplitudes = 1.5 * amplitudes / amplitudes.abs().sum()
    return {"amplitudes": amplitudes.tolist(), "frequencies": frequencies.tolist(), "phases": phases.tolist()}


def evaluate_wiggle(wiggle: dict, x: torch.Tensor) -> torch.Tensor:
    """The target at (M, 1) points: (M, 1)."""
    a, f, p = (torch.tensor(wiggle[key], dtype=x.dtype) for key in ("amplitudes", "frequencies", "phases"))
    return (a * torch.sin(f * x + p)).sum(dim=1, keepdim=True)


@dataclass
class SearchPath:
    """Where one search went: the points it stood on, their losses, and what it spent."""

    points: torch.Tensor  # (T+1, 2), points[0] is the start
    losses: list[float]  # (T+1,) the loss the optimizer reported at each point
    forward_equivalents: int


def follow(problem: SupervisedProblem, optimizer: Optimizer, steps: int, seed: int) -> SearchPath:
    """Run `optimizer` for `steps` ask/tell rounds, recording its current candidate after each.

    A gradient method reports the loss of the point it stood on before stepping;
    a perturbation search reports the loss of the point it keeps. Either way the
    path's losses are the optimizer's own reports, put next to the points they
    belong to; the one point no report covers (the start, or the gradient's
    final point) is measured with the problem's loss function.
    """
    problem.load_counters({"forward_equivalents": 0, "examples_seen": 0})
    optimizer.start(problem, torch_generator(seed))
    points = [optimizer.candidate_.detach().to("cpu", torch.float64).clone()]
    reported = []
    for _ in range(steps):
        reported.append(optimizer.step(problem))
        points.append(
            optimizer.candidate_.detach().to("cpu", torch.float64).clone()
        )  # the gradient's is a live view: copy
    spent = problem.forward_equivalents
    if optimizer.uses_gradient:
        losses = [*reported, problem.full_loss(points[-1].to(problem.inputs.dtype))]
    else:
        losses = [problem.full_loss(points[0].to(problem.inputs.dtype)), *reported]
    return SearchPath(torch.stack(points), losses, spent)


def plane_losses(problem: SupervisedProblem, points: torch.Tensor) -> torch.Tensor:
    """The loss function the two-weight picture shows, at (M, 2) points: (M,) (uncounted)."""
    with torch.no_grad():
        return problem.score(points.to(problem.inputs.dtype), problem.inputs, problem.targets, problem.metric)


def run(config: Config, data: NetworksData, context: RunContext) -> dict:
    """All five parts; see the module docstring."""
    with cpu_threads(config.threads):
        return _run(config, data, context)


def _run(config: Config, data: NetworksData, context: RunContext) -> dict:
    from searchlab.experiments.networks_report import figures, report

    device = resolve_device(config.device)
    seeds = dict(zip(SEED_SLOTS, spawn_seeds(config.seed, len(SEED_SLOTS))))
    space = essay_space()
    inputs, targets = data.inputs.to(device), data.targets.to(device)
    metrics: list[dict] = []

    exhaustive, best_quantized = _exhaustive(config, space, inputs, targets, context, metrics)
    gradient, best_gradient, gradient_runs = _gradient(
        config, space, inputs, targets, seeds["gradient"], exhaustive["best_loss"], context, metrics
    )
    count_table = counts(config.count_nets, config.count_levels, exhaustive["candidates_per_second"])
    approximation, fits = _approximation(config, data, seeds["approximation"], device, context, metrics)
    view, view_drawing = _two_weights(config, data, seeds["view"], device)
    for name, path in view_drawing["paths"].items():
        metrics.extend(
            {"stage": f"two_weights/{name}", "step": t, "point": path.points[t].tolist(), "loss": loss}
            for t, loss in enumerate(path.losses)
        )
    context.write_metrics(metrics)

    result = {
        "network": {
            "widths": space.widths,
            "weights": space.dim,
            "names": list(ESSAY_NAMES),
            "bias": False,
            "activation": "relu",
            "output_activation": "relu",
        },
        "task": {
            "examples": config.examples,
            "teacher": dict(zip(ESSAY_NAMES, data.teacher.tolist())),
            "teacher_draws": data.teacher_tries,
            "loss": "squared error summed over the 2 outputs, averaged over examples",
        },
        "exhaustive": exhaustive,
        "gradient": gradient,
        "count_table": count_table,
        "approximation": approximation,
        "two_weights": view,
    }
    drawn = figures(config, data, result, best_quantized, best_gradient, gradient_runs, fits, view_drawing, context)
    result["report"] = report(config, result, drawn)
    return result


def _exhaustive(config, space, inputs, targets, context, metrics) -> tuple[dict, torch.Tensor]:
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
    metrics.extend({"stage": "exhaustive", **row} for row in result.trace.rows())
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


def _gradient(
    config, space, inputs, targets, seed, exhaustive_best, context, metrics
) -> tuple[dict, torch.Tensor, list[Result]]:
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
        metrics.extend({"stage": "gradient", "restart": restart, **row} for row in result.trace.rows())
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


def _approximation(config, data, seed, device, context, metrics) -> tuple[list[dict], dict]:
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
                    checkpoint_dir=context.checkpoint_dir(f"approximation/width-{width}/restart-{restart}"),
                    resume=context.resume,
                    progress=context.bar_label(f"networks/width {width} ({restart})"),
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
        metrics.append({"stage": "approximation", **rows[-1]})
    return rows, fits


def view_weights(config: Config, teacher: torch.Tensor) -> tuple[str, str]:
    """The two weights the view frees: the config's, or for "auto" the two largest first-layer
    weights (in size) into the hidden neuron whose outgoing weights are largest."""
    if config.weight_x != AUTO:
        return config.weight_x, config.weight_y
    named = essay_space().unflatten(teacher.unsqueeze(0))
    first, second = named["weight1"][0], named["weight2"][0]  # (2, 3) and (2, 2): (neuron, input)
    neuron = int(second.abs().sum(dim=0).argmax())
    inputs = sorted(first[neuron].abs().argsort(descending=True)[:2].tolist())
    return f"w(1){inputs[0] + 1},{neuron + 1}", f"w(1){inputs[1] + 1},{neuron + 1}"


def stable_lr(problem: SupervisedProblem, point: torch.Tensor) -> float:
    """1 / the largest eigenvalue of the loss's Hessian at `point` (plain SGD is stable below 2 / that)."""

    def loss(pair: torch.Tensor) -> torch.Tensor:
        return problem.score({"pair": pair}, problem.inputs, problem.targets, problem.metric)[0]

    hessian = torch.autograd.functional.hessian(loss, point.to(problem.inputs))
    largest = float(torch.linalg.eigvalsh(hessian).max())
    if not math.isfinite(largest) or largest <= 0:
        raise SearchlabError(
            "the loss is flat at the teacher's values for these two weights; choose others with --weight_x and --weight_y, or set --view_lr"
        )
    return 1.0 / largest


def _two_weights(config, data, seed, device) -> tuple[dict, dict]:
    base = essay_space()
    names = view_weights(config, data.teacher)
    indices = (ESSAY_NAMES.index(names[0]), ESSAY_NAMES.index(names[1]))
    teacher = data.teacher.to(torch.float64)
    center = teacher[list(indices)]
    plane = PlaneSpace(base, teacher.to(device), indices, center.to(device), config.view_radius)
    # float64, so that the grid and the searches' own reports agree to rounding.
    problem = SupervisedProblem(
        plane, data.inputs.to(device, torch.float64), data.targets.to(device, torch.float64), SquaredError()
    )
    offsets = torch.linspace(-config.view_radius, config.view_radius, config.view_resolution, dtype=torch.float64)
    xs, ys = center[0] + offsets, center[1] + offsets
    mesh_y, mesh_x = torch.meshgrid(ys, xs, indexing="ij")  # (R, R) each, row = y
    surface = (
        plane_losses(problem, torch.stack([mesh_x.reshape(-1), mesh_y.reshape(-1)], dim=1))
        .reshape(len(ys), len(xs))
        .cpu()
    )
    lr = config.view_lr if config.view_lr is not None else stable_lr(problem, center.to(device))
    searches = {
        "local_search": make_optimizer(
            "local_search", population_size=config.view_population, step_size=config.view_step_size
        ),
        "gradient": make_optimizer("gradient", algorithm="sgd", lr=lr),
    }
    # One seed for both: each draws its start first from an identically seeded generator.
    paths = {name: follow(problem, optimizer, config.view_steps, seed) for name, optimizer in searches.items()}
    if not torch.equal(paths["local_search"].points[0], paths["gradient"].points[0]):
        raise SearchlabError("the two searches in the two-weight view did not start from the same point")
    view = {
        "weights": list(names),
        "sgd_lr": lr,
        "others_fixed_at": "the teacher's values",
        "center": center.tolist(),
        "radius": config.view_radius,
        "resolution": config.view_resolution,
        "start": paths["gradient"].points[0].tolist(),
        "surface_min": float(surface.min()),
        "surface_max": float(surface.max()),
    }
    for name, path in paths.items():
        view[name] = {
            "final_loss": path.losses[-1],
            "start_loss": path.losses[0],
            "steps": config.view_steps,
            "forward_equivalents": path.forward_equivalents,
            "final_point": path.points[-1].tolist(),
            "distance_to_teacher": float(torch.linalg.norm(path.points[-1] - center.cpu())),
        }
    view["local_search"]["moves_kept"] = int((paths["local_search"].points.diff(dim=0).abs().sum(dim=1) > 0).sum())
    drawing = {
        "xs": xs.numpy(),
        "ys": ys.numpy(),
        "surface": surface.numpy(),
        "paths": paths,
        "center": center.tolist(),
        "problem": problem,
    }
    return view, drawing


EXPERIMENT = Experiment(
    name="networks",
    title="Neural networks as a model class: every program of the essay's 3-2-2 net, and what gradient descent does instead",
    essay_section=SECTIONS[1],
    config=Config,
    prepare=prepare,
    run=run,
    tour={
        "gradient_restarts": 3,
        "gradient_steps": 1000,
        "approximation_steps": 1200,
        "approximation_restarts": 1,
        "view_resolution": 81,
    },
    quick={
        "examples": 64,
        "gradient_restarts": 2,
        "gradient_steps": 400,
        "widths": (1, 4, 16, 64),
        "approximation_points": 128,
        "approximation_steps": 300,
        "view_resolution": 41,
        "view_steps": 20,
    },
)
