"""Will the digits experiment's two trainings fit? Its memory check, made before anything is allocated."""

from __future__ import annotations

from typing import Any

import torch

from searchlab.core.optimizer import Optimizer
from searchlab.spaces.mlp import MLPSpace

# Bytes per weight. searchlab trains in float32: the weights, their gradient and Adam's two
# moments (4 numbers), and an optimizer that draws a population holds 2 more per candidate
# (the candidate and its noise). scikit-learn then trains in float64 beside it: the weights,
# their gradients and Adam's two moments (4 numbers).
SEARCHLAB_BYTES_PER_WEIGHT = 4 * 4
SEARCHLAB_BYTES_PER_CANDIDATE_WEIGHT = 4 * 2
SKLEARN_BYTES_PER_WEIGHT = 8 * 4
# Bytes per neuron of each image in a forward pass (the hidden and output values, the ReLU's
# output, their gradients): float32 in searchlab, float64 in scikit-learn.
SEARCHLAB_BYTES_PER_ACTIVATION = 4 * 3
SKLEARN_BYTES_PER_ACTIVATION = 8 * 3


def check_memory(config: Any, space: MLPSpace, images: int, optimizer: Optimizer, device: torch.device) -> None:
    """Refuse, in one line, a network whose two trainings would not fit in the memory available.

    The check comes before anything is allocated.
    """
    from searchlab.lm.memory import require_memory

    population = int(getattr(optimizer, "population_size", 1))
    weights = space.dim
    neurons = sum(space.widths[1:])
    rows = max(
        population * min(config.batch_size, images), images
    )  # a population's batch, or every image at once when scored
    ours_per_weight = SEARCHLAB_BYTES_PER_WEIGHT + population * SEARCHLAB_BYTES_PER_CANDIDATE_WEIGHT
    ours = weights * ours_per_weight + rows * neurons * SEARCHLAB_BYTES_PER_ACTIVATION
    theirs = weights * SKLEARN_BYTES_PER_WEIGHT + images * neurons * SKLEARN_BYTES_PER_ACTIVATION
    setting = f"--hidden {config.hidden}" + (
        f" with --images at --image_size {config.image_size}" if config.images is not None else ""
    )
    per_weight = ours_per_weight + SKLEARN_BYTES_PER_WEIGHT
    how = (
        f"{weights:,} weights x {per_weight} bytes for both models' weights, gradients and optimizer state, plus the "
        f"activations of {rows:,} images"
    )
    advice = "use a smaller --hidden" + (" or --image_size" if config.images is not None else "")
    if device.type == "cuda":  # searchlab's network on the GPU, scikit-learn's on the CPU
        require_memory(ours, setting, how, advice, device)
        require_memory(theirs, setting, how, advice, "cpu")
    else:
        require_memory(ours + theirs, setting, how, advice, "cpu")
