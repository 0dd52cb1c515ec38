"""The perturbation experiment's settings: the optimizers it compares, the student networks, and the
step-size settings tried for each optimizer at each size."""

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
ACTIVATION = "tanh"  # a ReLU unit in a one-neuron layer can die for good, which no method could undo


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
            "--target_fraction must be between 0 and 1 (a fraction of the zero predictor's loss), "
            f"got {self.target_fraction}",
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
