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
   gradient descent from one common start (PNG and GIF);
6. repeats step 4 on `seeds` seeds (a new target each) for the claims' intervals
   (`networks_claims`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from searchlab.core import stages
from searchlab.core.device import cpu_threads, resolve_device
from searchlab.core.seeding import spawn_seeds, torch_generator
from searchlab.experiments.base import Experiment, RunContext, require, series_row
from searchlab.experiments.networks_claims import approximation_repeat, claims
from searchlab.experiments.networks_stages import approximation_stage, counts, exhaustive_stage, gradient_stage
from searchlab.experiments.networks_task import (
    AUTO,
    DENSE_POINTS,
    ESSAY_NAMES,
    X_RANGE,
    NetworksData,
    essay_space,
    evaluate_wiggle,
    make_teacher,
    parse_widths,
    wiggly_function,
)
from searchlab.experiments.networks_view import two_weights

SECTIONS = (
    "Deep neural networks",
    "Example of a simple neural network",
    "Why use deep neural networks to define the model class?",
    "Stochastic gradient descent",
)
# Child-seed slots, fixed per purpose so that changing one part leaves the others' numbers alone.
SEED_SLOTS = ("teacher", "inputs", "gradient", "target", "approximation", "view")
DRAWING = "report"  # checkpoints/report: what the report's figures need beyond the result


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
        seeds: repeats of the approximation stage (a new target and new starts each) behind the claim
            that width approximates any function; seed i is the i-th child of `seed`
            (`core.seeding.spawn_seeds`); 0 measures no claims. Only that stage is repeated.
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
    seeds: int = 5

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
        require(self.seeds >= 0, f"--seeds must be 0 or more repeats, got {self.seeds}")
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
                f"--{name} {value!r} is not a weight of the 3-2-2 network; "
                f"choose {AUTO} or one of {', '.join(ESSAY_NAMES)}",
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


def run(config: Config, data: NetworksData, context: RunContext) -> dict:
    """All five parts; see the module docstring."""
    with cpu_threads(config.threads):
        return _run(config, data, context)


def _run(config: Config, data: NetworksData, context: RunContext) -> dict:
    device = resolve_device(config.device)
    seeds = dict(zip(SEED_SLOTS, spawn_seeds(config.seed, len(SEED_SLOTS))))
    space = essay_space()
    inputs, targets = data.inputs.to(device), data.targets.to(device)
    metrics: list[dict] = []

    exhaustive, _ = exhaustive_stage(config, space, inputs, targets, context, metrics)
    gradient, _, gradient_runs = gradient_stage(
        config, space, inputs, targets, seeds["gradient"], exhaustive["best_loss"], context, metrics
    )
    count_table = counts(config.count_nets, config.count_levels, exhaustive["candidates_per_second"])
    approximation, fits = approximation_stage(config, data, seeds["approximation"], device, context, metrics)
    repeats = [
        approximation_repeat(config, data, repeat, index, device, context, metrics)
        for index, repeat in enumerate(repeat_seeds(config))
    ]
    view, view_drawing = two_weights(config, data, seeds["view"], device)
    for name, path in view_drawing["paths"].items():
        metrics.extend(
            series_row(
                {"stage": f"two_weights/{name}"},
                step=t,
                forward_equivalents=int(spent),
                loss=loss,
                point=path.points[t].tolist(),
            )
            for t, (loss, spent) in enumerate(zip(path.losses, path.spent))
        )
    context.write_metrics(metrics)
    save_drawing(context, data, gradient_runs, fits, view_drawing)

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
        "approximation_over_seeds": {
            "seeds": len(repeats),
            "note": "only the approximation stage is repeated per seed (a new wiggly target and new starts); "
            "the rest of the run is the single run at --seed",
            "runs": repeats,
        },
        "claims": claims(repeats, SECTIONS[2]),
    }
    return result


def repeat_seeds(config: Config) -> list[tuple[int, int, int]]:
    """Per repeat: its seed (the i-th child of `config.seed`), and the target and approximation seeds it gives,
    derived from it as a run at that seed derives its own."""
    repeats = []
    for seed in spawn_seeds(config.seed, config.seeds):
        slots = dict(zip(SEED_SLOTS, spawn_seeds(seed, len(SEED_SLOTS))))
        repeats.append((seed, slots["target"], slots["approximation"]))
    return repeats


def save_drawing(context: RunContext, data: NetworksData, gradient_runs, fits: dict, view_drawing: dict) -> None:
    """Keep what the report draws and the result does not hold, in checkpoints/report (read by `load_drawing`):
    every gradient start's trace, the 1-D target and each width's fit on the dense points, and the
    two-weight view's grid, loss surface and search paths."""
    state = {
        "gradient_traces": [
            {
                "forward_equivalents": torch.tensor(r.trace["forward_equivalents"], dtype=torch.float64),
                "loss": torch.tensor(r.trace["loss"], dtype=torch.float64),
            }
            for r in gradient_runs
        ],
        "dense_x": data.dense_x[:, 0],
        "dense_y": data.dense_y[:, 0],
        "fits": {width: torch.from_numpy(fit) for width, fit in fits.items()},
        "view": {
            "xs": torch.from_numpy(view_drawing["xs"]),
            "ys": torch.from_numpy(view_drawing["ys"]),
            "surface": torch.from_numpy(view_drawing["surface"]),
            "center": view_drawing["center"],
            "paths": {
                name: {"points": path.points, "losses": torch.tensor(path.losses, dtype=torch.float64)}
                for name, path in view_drawing["paths"].items()
            },
        },
    }
    stages.keep_tensors(context.checkpoint_dir(DRAWING), state)


def load_drawing(context: RunContext) -> dict:
    """What `save_drawing` kept, tensors back as numpy arrays and lists as the figures take them."""
    state = stages.kept_tensors(
        context.checkpoint_dir(DRAWING), keys=("gradient_traces", "dense_x", "dense_y", "fits", "view")
    )
    view = state["view"]
    return {
        "gradient_traces": [
            (trace["forward_equivalents"].tolist(), trace["loss"].tolist()) for trace in state["gradient_traces"]
        ],
        "dense_x": state["dense_x"].numpy(),
        "dense_y": state["dense_y"].numpy(),
        "fits": {width: fit.numpy() for width, fit in state["fits"].items()},
        "xs": view["xs"].numpy(),
        "ys": view["ys"].numpy(),
        "surface": view["surface"].numpy(),
        "center": view["center"],
        "paths": {name: (path["points"].numpy(), path["losses"].tolist()) for name, path in view["paths"].items()},
    }


EXPERIMENT = Experiment(
    name="networks",
    title="Neural networks as a model class: every program of the essay's 3-2-2 net, "
    "and what gradient descent does instead",
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
        "seeds": 3,
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
        "seeds": 2,
    },
)
