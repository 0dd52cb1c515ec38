"""What `searchlab.games.neural` trains on: the decision positions as board vectors, the targets, the split.

The positions and their exact solution come from a `PositionIndex` (games.tables). A network either picks
a square (target: the optimal moves' shares plus the legal-move mask) or writes the next board (target:
the mean board after the optimal moves). Train and held-out sets are split by symmetry class.
"""

from __future__ import annotations

import numpy as np
import torch

from searchlab.core import checks
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import numpy_generator
from searchlab.encodings.board import BoardVector
from searchlab.games.tables import PositionIndex

OUTPUTS = ("moves", "board")


# ----- targets and the split -------------------------------------------------------------------


def board_vectors(index: PositionIndex) -> torch.Tensor:
    """The essay's encoding of every decision position: (decisions, 9) float32, X = 1, O = -1, blank = 0."""
    return BoardVector().encode_many(index.states[: index.decisions])


def mover_marks(index: PositionIndex) -> np.ndarray:
    """(decisions,) the mark of the player to move: +1 for X, -1 for O."""
    return np.where(index.player[: index.decisions] == 0, 1.0, -1.0)


def training_targets(index: PositionIndex, output: str) -> torch.Tensor:
    """What the network should answer in every decision position, as float32 rows.

    Args:
        index: the positions and their solution.
        output: "moves": (decisions, 18), the target probabilities (uniform over
            the optimal moves) then the legal-move mask, as `MaskedCrossEntropy`
            reads them; "board": (decisions, 9), the mean of the board vectors
            after each optimal move.
    """
    check_output(output)
    d = index.decisions
    optimal = index.optimal[:d].astype(np.float64)  # (d, 9)
    share = optimal / optimal.sum(axis=1, keepdims=True)  # every decision position has an optimal move
    if output == "moves":
        packed = np.concatenate([share, index.legal[:d].astype(np.float64)], axis=1)  # (d, 18)
        return torch.from_numpy(packed).to(torch.float32)
    # The board after move a is the board plus the mover's mark on square a, so the
    # mean over the optimal moves is the board plus the mark times their shares.
    boards = board_vectors(index).to(torch.float64).numpy()
    return torch.from_numpy(boards + mover_marks(index)[:, None] * share).to(torch.float32)


def symmetry_split(index: PositionIndex, holdout_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Decision positions split into train and held-out by symmetry class.

    All 8 images of a board (rotations, reflections) fall on the same side, so the
    held-out score measures play on boards the net has seen no version of.

    Args:
        index: the positions.
        holdout_fraction: share of the symmetry classes held out, 0 <= f < 1 (0: none).
        seed: seeds the shuffle of the classes.

    Returns:
        (train, heldout): sorted int64 arrays of position ids; heldout is empty when f = 0.
    """
    check_holdout(holdout_fraction)
    d = index.decisions
    canonical = [index.game.canonical(state) for state in index.states[:d]]
    classes = sorted(set(canonical))
    class_of = {key: i for i, key in enumerate(classes)}
    labels = np.array([class_of[key] for key in canonical])  # (d,) class number per position
    n_held = 0 if holdout_fraction == 0 else min(len(classes) - 1, max(1, round(holdout_fraction * len(classes))))
    held_classes = numpy_generator(seed).permutation(len(classes))[:n_held]
    held = np.isin(labels, held_classes)
    return np.flatnonzero(~held).astype(np.int64), np.flatnonzero(held).astype(np.int64)


def check_output(output: str) -> None:
    if output not in OUTPUTS:
        raise SearchlabError(f"unknown output {output!r}; choose one of {', '.join(OUTPUTS)}")


def check_holdout(fraction: float) -> None:
    if not checks.is_number(fraction) or not 0 <= fraction < 1:
        raise SearchlabError(
            "holdout_fraction must be a number from 0 (train on every position) up to but not including 1, got "
            f"{fraction!r}"
        )
