"""The networks experiment's task: the essay's 3-2-2 network, its teacher and the wiggly 1-D target.

Everything here is made from seeds and shared by the experiment's stages (`networks_stages`,
`networks_view`) and its report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import torch_generator
from searchlab.experiments.base import require
from searchlab.spaces import MLPSpace

# A teacher is redrawn until every hidden neuron and output is active (> 0) on a share of
# the inputs inside this range: no dead or always-on unit, so every weight matters.
ACTIVE_SHARE = (0.2, 0.9)
TEACHER_TRIES = 1000
# The wiggly 1-D target lives on [-X_RANGE, X_RANGE] and is measured on this many points.
X_RANGE = 3.0
DENSE_POINTS = 1001
AUTO = "auto"


def essay_space() -> MLPSpace:
    """The essay's network: 3 inputs, 2 hidden ReLU neurons, 2 ReLU outputs, ten weights, no biases."""
    return MLPSpace([3, 2, 2], bias=False, output_activation="relu")


ESSAY_NAMES = tuple(essay_space().parameter_names())


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
        f"no teacher with every unit active on {low:.0%}-{high:.0%} of inputs in {TEACHER_TRIES} draws; "
        "use more --examples"
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
