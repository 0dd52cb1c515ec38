"""The perturbation experiment's settings: the optimizers it compares, the student networks of its two
tasks, and the step-size settings tried for each optimizer at each size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from searchlab.core import SquaredError, SupervisedProblem
from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import positive
from searchlab.experiments.base import require
from searchlab.optimizers import OPTIMIZERS, make_optimizer
from searchlab.spaces import MLPSpace

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
# The grid (a Config field) each method's tuned value is first tried on; evolution's sigma is tuned second.
GRIDS = {
    "sgd": "sgd_lrs",
    "adam": "adam_lrs",
    "local_search": "local_search_steps",
    "evolution": "evolution_lrs",
}
ACTIVATION = "tanh"  # a ReLU unit in a one-neuron layer can die for good, which no method could undo


@dataclass(frozen=True)
class Config:
    """Settings of the perturbation experiment; the defaults are the full size.

    Two tasks are measured. The fixed task: one small teacher (width `teacher_width`) labels `examples`
    inputs, the same for every student, so the loss can only curve along at most `examples` directions.
    The growing task: at each width w of `growing_widths` a teacher as large as the student labels
    `examples_per_weight` x (the student's weight count) inputs, so every weight matters.

    Time, measured on 2 cores shared with other work, one torch thread: the full size about 12 minutes (8 for the
    fixed task, most of it the 100,161-weight student; 3.5 for the growing task, most of it the 369-weight
    student); the tour about 2 minutes; --quick under half a minute.

    Attributes:
        seed: seeds the teachers, the inputs, the tuning runs and every measured run.
        device: "cpu", "cuda" or "auto".
        optimizers: what to compare: local_search, evolution, random_search, sgd, adam.
        inputs: input size of every teacher and every student.
        widths: hidden width of each fixed-task student; every student has two hidden tanh layers
            of this width and one output, so it has width^2 + (inputs + 3) * width + 1 parameters.
        teacher_width: hidden width of the fixed task's teacher (same shape of network).
        teacher_scale: the fixed teacher's random weights are multiplied by this, to make it bend.
        examples: number of fixed-task training inputs (every evaluation uses all of them).
        growing_widths: hidden widths of the growing task's students, each with a teacher of its own width.
        examples_per_weight: growing-task training inputs per student weight.
        growing_teacher_scale: the growing teachers' random weights are multiplied by this.
        growing_budget_factor: a growing-task run on a d-weight student may spend this times d^2
            forward-equivalents (perturbation's cost grows about as d^2 there: d times the gradient's, whose
            steps each cost a multiple of the d-proportional example count).
        seeds: measured runs per size and optimizer; all optimizers start a seed from the same network.
        budget: forward-equivalents each fixed-task run may spend before it counts as not reaching the target.
        target_fraction: the target loss as a fraction of the zero predictor's loss (mean squared target).
        sgd_lrs, adam_lrs: learning rates tried first for SGD and Adam.
        local_search_steps: lengths of local search's whole random tweak vector tried first
            (each weight moves by step / sqrt(parameters), so the tweak's length does not grow with size).
        population_size: K, tweaks local search (and random search) tries per step.
        evolution_lrs: learning rates (Adam on the mean) tried first for the evolution strategy.
        evolution_sigmas: lengths of the evolution strategy's perturbation vector tried (per weight:
            / sqrt(parameters)); tuned after the learning rate, at the chosen learning rate.
        evolution_population: the evolution strategy's perturbations per step (even).
        tune_extensions: how many times a grid may be extended past the edge where its best value sits
            (each time by the grid's own ratio between neighbours), so that chosen values are interior.
        dimension_fraction: the effective-dimension proxy counts Gauss-Newton eigenvalues above this
            fraction of the largest.
    """

    seed: int = 0
    device: str = "cpu"
    optimizers: tuple[str, ...] = DEFAULT_OPTIMIZERS
    inputs: int = 4
    widths: tuple[int, ...] = (1, 3, 8, 16, 33, 70, 150, 313)
    teacher_width: int = 1
    teacher_scale: float = 3.0
    examples: int = 64
    growing_widths: tuple[int, ...] = (1, 2, 4, 8, 16)
    examples_per_weight: float = 2.0
    growing_teacher_scale: float = 2.0
    growing_budget_factor: float = 1000.0
    seeds: int = 5
    budget: int = 1_000_000
    target_fraction: float = 0.02
    sgd_lrs: tuple[float, ...] = (0.03, 0.1, 0.3, 1.0)
    adam_lrs: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1)
    local_search_steps: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0)
    population_size: int = 16
    evolution_lrs: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1)
    evolution_sigmas: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3)
    evolution_population: int = 32
    tune_extensions: int = 3
    dimension_fraction: float = 1e-3

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
        for key in ("widths", "growing_widths"):
            values = getattr(self, key)
            require(len(values) >= 2, f"--{key} needs at least 2 sizes to compare, got {len(values)}")
            require(all(w >= 1 for w in values), f"--{key} must all be at least 1, got {values}")
            require(list(values) == sorted(set(values)), f"--{key} must increase, each listed once; got {values}")
        require(self.teacher_width >= 1, f"--teacher_width must be at least 1, got {self.teacher_width}")
        for key in ("teacher_scale", "growing_teacher_scale", "examples_per_weight"):
            require(positive(getattr(self, key)), f"--{key} must be a positive number, got {getattr(self, key)}")
        require(self.examples >= 2, f"--examples must be at least 2, got {self.examples}")
        require(self.seeds >= 1, f"--seeds must be at least 1, got {self.seeds}")
        require(self.budget > 0, f"--budget must be a positive number of forward-equivalents, got {self.budget}")
        require(
            positive(self.growing_budget_factor),
            f"--growing_budget_factor must be a positive number, got {self.growing_budget_factor}",
        )
        require(
            0 < self.target_fraction < 1,
            "--target_fraction must be between 0 and 1 (a fraction of the zero predictor's loss), "
            f"got {self.target_fraction}",
        )
        for key in (*GRIDS.values(), "evolution_sigmas"):
            values = getattr(self, key)
            require(
                len(values) >= 2 and all(positive(v) for v in values),
                f"--{key} must list two or more positive numbers (a grid to tune on), got {values}",
            )
            require(list(values) == sorted(set(values)), f"--{key} must increase, each value listed once; got {values}")
        require(0 <= self.tune_extensions <= 10, f"--tune_extensions must be 0 to 10, got {self.tune_extensions}")
        require(
            0 < self.dimension_fraction < 1,
            f"--dimension_fraction must lie strictly between 0 and 1, got {self.dimension_fraction}",
        )
        require(self.population_size >= 1, f"--population_size must be at least 1, got {self.population_size}")
        require(
            self.evolution_population >= 2 and self.evolution_population % 2 == 0,
            f"--evolution_population must be an even number >= 2 (antithetic pairs), got {self.evolution_population}",
        )


def _tiny_problem() -> SupervisedProblem:
    """A 1-1-1 network problem, only to ask optimizers whether they can search networks."""
    return SupervisedProblem(MLPSpace([1, 1, 1]), torch.zeros(2, 1), torch.zeros(2, 1), SquaredError())


def student_space(config: Config, width: int) -> MLPSpace:
    """The student with hidden width `width`: inputs -> width -> width -> 1, tanh."""
    return MLPSpace([config.inputs, width, width, 1], activation=ACTIVATION)


def parameter_counts(config: Config, widths: tuple[int, ...] | None = None) -> list[int]:
    """Weights of the students of `widths` (default: the fixed task's)."""
    return [student_space(config, width).dim for width in (config.widths if widths is None else widths)]


def growing_examples(config: Config, width: int) -> int:
    """Training inputs of the growing task at `width`: `examples_per_weight` per student weight (at least 2)."""
    return max(2, round(config.examples_per_weight * student_space(config, width).dim))


def growing_budget(config: Config, params: int) -> int:
    """Forward-equivalents a growing-task run on a `params`-weight student may spend."""
    return max(1, round(config.growing_budget_factor * params**2))


def settings_for(config: Config, method: str, params: int, value: float | None, sigma: float | None = None) -> dict:
    """The optimizer's settings for `method` at `params` weights with its tuned `value` (and evolution's sigma).

    Step lengths are of the whole vector and spread over the weights: each weight moves by value / sqrt(params).
    """
    per_weight = params**-0.5
    if method in GRADIENT:
        return {"algorithm": method, "lr": value}
    if method == "local_search":
        return {"population_size": config.population_size, "step_size": value * per_weight}
    if method == "evolution":
        sigma = sorted(config.evolution_sigmas)[len(config.evolution_sigmas) // 2] if sigma is None else sigma
        return {"population_size": config.evolution_population, "sigma": sigma * per_weight, "lr": value}
    return {"population_size": config.population_size}  # random search has nothing to tune


def settings_grid(config: Config, method: str, params: int) -> list[tuple[float | None, dict[str, Any]]]:
    """(the tuned value, the optimizer's settings) for each value first tried for `method` at `params` weights."""
    if method not in GRIDS:
        return [(None, settings_for(config, method, params, None))]
    return [(value, settings_for(config, method, params, value)) for value in getattr(config, GRIDS[method])]
