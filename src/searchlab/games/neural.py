"""Tic-Tac-Toe played by a neural network, trained on the solver's answers.

Essay: "Basics of machine learning: search over programs" searches lookup tables;
"Why use deep neural networks to define the model class?" reads a board as a
vector instead, so a network can play. The board goes in as the
essay's nine numbers (X = 1, O = -1, blank = 0) and the network answers in one of
two ways:

* "moves": nine scores, one per square. Squares that are taken are masked out,
  the rest go through a softmax, and the loss is the cross-entropy against the
  solver's choice (uniform over the minimax-optimal moves). The net plays its
  highest-scoring legal square.
* "board": nine numbers that draw the board as it should look after the move
  (the essay's "draw a picture of what the board should look like next"),
  trained with squared error to the mean of the boards after the optimal moves.
  The net plays the legal move whose resulting board is nearest (L2) to its picture.

Either way a trained network becomes a lookup table over every decision
position (`table_from_network`), so the exact scores of `PositionIndex` apply:
the fraction of optimal moves, the expected losses against the perfect and the
random player, and whether anything can beat it.

Training reuses the core: an `MLPSpace`, a `SupervisedProblem`, the gradient
optimizer and the `run` driver (budget, checkpoints, progress bar). Held-out
positions are whole symmetry classes, so a held-out position's mirror image or
rotation is never in the training set.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file

from searchlab.core import Budget, SquaredError, SupervisedProblem, checks, jsonfile
from searchlab.core import run as run_search
from searchlab.core.device import cpu_threads, resolve_device
from searchlab.core.errors import SearchlabError
from searchlab.core.files import write_json, write_tensors
from searchlab.core.metric import MaskedCrossEntropy
from searchlab.core.seeding import check_seed, spawn_seeds
from searchlab.games.neural_data import (  # noqa: F401 (OUTPUTS and symmetry_split: part of this module's API)
    OUTPUTS,
    board_vectors,
    check_holdout,
    check_output,
    mover_marks,
    symmetry_split,
    training_targets,
)
from searchlab.games.tables import PositionIndex
from searchlab.games.tictactoe import NUM_SQUARES
from searchlab.optimizers.gradient import GradientDescent
from searchlab.spaces.mlp import MLPSpace

NETWORK_FILE = "network.safetensors"
METRICS_FILE = "metrics.json"
_FORMAT = "searchlab-tictactoe-net/1"
_CURVE_POINTS = 20  # points in the learning curve kept in the metrics
_NUMBER, _NONE = jsonfile.NUMBER, type(None)
# The metrics `train_strategy` records, key -> kinds of its value; metrics.json holds them all, or {} when unknown.
METRICS_FIELDS = {
    "output": str,
    "optimal_fraction": _NUMBER,
    "optimal_fraction_train": (*_NUMBER, _NONE),
    "optimal_fraction_heldout": (*_NUMBER, _NONE),
    "losses_vs_perfect": _NUMBER,
    "losses_vs_random": _NUMBER,
    "can_be_beaten": bool,
    "params": int,
    "network": list,
    "seconds": _NUMBER,
    "steps": int,
    "final_loss": (*_NUMBER, _NONE),
    "learning_curve": list,
    "train_positions": int,
    "heldout_positions": int,
}


# ----- from network outputs to moves ------------------------------------------


def nearest_board_moves(
    boards: torch.Tensor, outputs: torch.Tensor, legal: torch.Tensor, marks: torch.Tensor
) -> torch.Tensor:
    """The legal move whose resulting board vector is nearest (L2) to the drawn board.

    Args:
        boards: (N, 9) board vectors before the move.
        outputs: (N, 9) the network's picture of the board after it.
        legal: (N, 9) bool, the legal moves.
        marks: (N,) the mark of the player to move, +1 (X) or -1 (O).

    Returns:
        (N,) int64 moves (ties: the lowest square).
    """
    eye = torch.eye(NUM_SQUARES, dtype=boards.dtype, device=boards.device)
    after = boards[:, None, :] + marks[:, None, None].to(boards.dtype) * eye  # (N, 9 moves, 9 squares)
    distance = (after - outputs[:, None, :].to(boards.dtype)).square().sum(dim=-1)  # (N, 9)
    return distance.masked_fill(~legal, math.inf).argmin(dim=-1)


def table_from_network(index: PositionIndex, space: MLPSpace, parameters: torch.Tensor, output: str) -> np.ndarray:
    """The network's move in every decision position: a (decisions,) int8 lookup table.

    "moves" networks play their highest-scoring legal square; "board" networks the
    legal move nearest to the board they draw (`nearest_board_moves`).
    """
    check_output(output)
    d = index.decisions
    device = parameters.device
    boards = board_vectors(index).to(device=device, dtype=parameters.dtype)
    legal = torch.from_numpy(index.legal[:d]).to(device)
    with torch.no_grad():
        outputs = space.forward(parameters.detach().reshape(1, -1), boards)[0]  # (d, 9)
        if output == "moves":
            moves = outputs.masked_fill(~legal, -math.inf).argmax(dim=-1)
        else:
            marks = torch.from_numpy(mover_marks(index)).to(device)
            moves = nearest_board_moves(boards, outputs, legal, marks)
    return moves.cpu().numpy().astype(np.int8)


# ----- the trained strategy ---------------------------------------------------


@dataclass
class NeuralStrategy:
    """A trained network and the lookup table it plays.

    Attributes:
        output: "moves" or "board", how the network's answer becomes a move.
        space: the network's `MLPSpace` (widths 9, hidden..., 9).
        parameters: the flat (d,) parameter tensor, on the CPU.
        table: (decisions,) int8, the move in every decision position.
        metrics: how it plays and what training cost (see `train_strategy`); {} if unknown.
    """

    output: str
    space: MLPSpace
    parameters: torch.Tensor
    table: np.ndarray
    metrics: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_parameters(
        cls, index: PositionIndex, space: MLPSpace, parameters: torch.Tensor, output: str
    ) -> NeuralStrategy:
        """Rebuild the strategy (its table) from a space and a flat parameter vector."""
        check_output(output)
        parameters = torch.as_tensor(parameters).detach().reshape(-1)
        if parameters.shape[0] != space.dim:
            raise SearchlabError(
                f"{space.describe()} takes {space.dim} parameters, got {parameters.shape[0]}; the parameters belong "
                "to another network"
            )
        return cls(output, space, parameters.cpu(), table_from_network(index, space, parameters, output))

    def save(self, directory: str | Path) -> Path:
        """Write the network (safetensors, with its shape as metadata) and the metrics (JSON) to `directory`."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        metadata = {
            "format": _FORMAT,
            "output": self.output,
            "widths": json.dumps(self.space.widths),
            "activation": self.space.activation,
            "bias": json.dumps(self.space.bias),
        }
        tensors = {"parameters": self.parameters.detach().cpu().contiguous()}
        path = write_tensors(directory / NETWORK_FILE, tensors, metadata)
        write_json(directory / METRICS_FILE, self.metrics)
        return path

    @classmethod
    def load(cls, directory: str | Path, index: PositionIndex) -> NeuralStrategy:
        """Read a strategy that `save` wrote; the table is recomputed from the parameters."""
        path = Path(directory) / NETWORK_FILE
        if not path.is_file():
            raise SearchlabError(f"no trained network in {directory} (expected {NETWORK_FILE}); train one first")
        try:
            with safe_open(str(path), framework="pt") as handle:
                metadata = handle.metadata() or {}
            parameters = load_file(str(path))["parameters"]
            if metadata.get("format") != _FORMAT:
                raise ValueError(f"format {metadata.get('format')!r}, expected {_FORMAT!r}")
            space = MLPSpace(
                json.loads(metadata["widths"]), activation=metadata["activation"], bias=json.loads(metadata["bias"])
            )
            output = metadata["output"]
        except (OSError, ValueError, KeyError, TypeError, SafetensorError) as err:
            raise SearchlabError(f"{path} is not a readable Tic-Tac-Toe network ({err}); train it again") from err
        strategy = cls.from_parameters(index, space, parameters, output)
        metrics_path = Path(directory) / METRICS_FILE
        if metrics_path.exists():
            strategy.metrics = read_metrics(metrics_path)
        return strategy


def read_metrics(path: str | Path) -> dict[str, Any]:
    """The metrics `NeuralStrategy.save` wrote to `path`: every one of `METRICS_FIELDS`, or {} when they were unknown.

    Raises:
        SearchlabError: naming `path`: it is truncated, not an object, or lacks a metric or holds one of the wrong kind.
    """
    fix = "train the network again"
    metrics = jsonfile.read_object(path, fix=fix)
    return jsonfile.check_object(metrics, METRICS_FIELDS, where=str(path), fix=fix) if metrics else metrics


# ----- training ---------------------------------------------------------------


def train_strategy(
    index: PositionIndex,
    *,
    output: str = "moves",
    hidden: Sequence[int] = (64, 64),
    steps: int = 3000,
    lr: float = 0.01,
    batch_size: int | None = 256,
    holdout_fraction: float = 0.0,
    seed: int = 0,
    device: str = "cpu",
    threads: int = 1,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    progress: str | None = None,
) -> NeuralStrategy:
    """Train a network to play like the solver, and score the table it plays.

    Args:
        index: the positions, the solution and the scorers.
        output: "moves" (masked softmax over squares) or "board" (the next board, nearest legal one).
        hidden: widths of the hidden ReLU layers.
        steps, lr: Adam's steps and learning rate.
        batch_size: positions per step; None for the whole training set every step.
        holdout_fraction: share of the symmetry classes kept out of training (0: train on all).
        seed: seeds the split, the initial weights and the batches.
        device: "cpu", "cuda" or "auto".
        threads: CPU threads while training (0: leave torch's setting); one is fastest for nets this small.
        checkpoint_dir: where the run keeps checkpoints (None: none).
        resume: continue from the checkpoint in `checkpoint_dir`.
        progress: label of a progress bar on stderr (None: none).

    Returns:
        The `NeuralStrategy`; its metrics hold the `score_table` numbers (optimal fractions on train,
        held-out (None without a holdout) and all positions; expected losses per 1,000 games against
        the perfect and the random player), `params`, `seconds`, `steps`, `final_loss` (training set)
        and `learning_curve`: (step, mean training loss since the previous point) pairs.

    Raises:
        SearchlabError: a bad setting, with what to choose instead.
    """
    hidden = _check_settings(output, hidden, steps, batch_size, holdout_fraction, seed)
    torch_device = resolve_device(device)
    split_seed, run_seed = spawn_seeds(seed, 2)
    train, heldout = symmetry_split(index, holdout_fraction, split_seed)

    space = MLPSpace([NUM_SQUARES, *hidden, NUM_SQUARES])
    inputs = board_vectors(index)[train].to(torch_device)
    targets = training_targets(index, output)[train].to(torch_device)
    metric = MaskedCrossEntropy() if output == "moves" else SquaredError()
    problem = SupervisedProblem(space, inputs, targets, metric)
    optimizer = GradientDescent(algorithm="adam", lr=lr, batch_size=batch_size)
    start = time.perf_counter()
    with cpu_threads(threads if torch_device.type == "cpu" else 0):
        result = run_search(
            problem,
            optimizer,
            Budget(steps=int(steps)),
            run_seed,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
            progress=progress,
        )
    seconds = time.perf_counter() - start

    strategy = NeuralStrategy.from_parameters(index, space, result.candidate, output)
    strategy.metrics = {
        "output": output,
        **score_table(index, strategy.table, train, heldout),
        "params": space.dim,
        "network": space.widths,
        "seconds": round(seconds, 3),
        "steps": result.steps,
        "final_loss": result.final_loss,
        "learning_curve": _learning_curve(result.trace["step"], result.trace["loss"]),
        "train_positions": int(train.size),
        "heldout_positions": int(heldout.size),
    }
    return strategy


def _check_settings(
    output: str, hidden: Sequence[int], steps: int, batch_size: int | None, holdout_fraction: float, seed: int
) -> tuple[int, ...]:
    """`train_strategy`'s settings checked (SearchlabError naming the bad one); the hidden widths as a tuple."""
    check_output(output)
    check_holdout(holdout_fraction)
    check_seed(seed)
    checks.whole("steps", steps, 1)
    hidden = tuple(hidden)
    if not hidden or any(not checks.is_whole(w) or w < 1 for w in hidden):
        raise SearchlabError(f"hidden must list one or more layer widths, each a whole number >= 1, got {hidden!r}")
    checks.optional_whole("batch_size", batch_size, 1, none="for full batches")
    return hidden


def score_table(
    index: PositionIndex, table: np.ndarray, train: np.ndarray | None = None, heldout: np.ndarray | None = None
) -> dict[str, Any]:
    """How a lookup table plays: optimal fractions (all, train, held-out) and exact losses per 1,000 games."""
    table = index.check_tables(table)[0]
    hits = index.optimal[np.arange(index.decisions), table.astype(np.int64)]  # (decisions,) bool
    part = lambda ids: None if ids is None or ids.size == 0 else float(hits[ids].mean())  # noqa: E731
    return {
        "optimal_fraction": float(hits.mean()),
        "optimal_fraction_train": part(train),
        "optimal_fraction_heldout": part(heldout),
        "losses_vs_perfect": float(index.losses_vs(table, "perfect")[0] * 1000),
        "losses_vs_random": float(index.losses_vs(table, "random")[0] * 1000),
        "can_be_beaten": bool(index.can_be_beaten(table)[0]),
    }


def _learning_curve(steps: list[float], losses: list[float]) -> list[tuple[int, float]]:
    """About `_CURVE_POINTS` (step, mean loss of the window ending at that step) pairs."""
    n = len(losses)
    if n == 0:
        return []
    ends = sorted({max(1, round(n * (i + 1) / _CURVE_POINTS)) for i in range(_CURVE_POINTS)})
    curve, begin = [], 0
    for end in ends:
        curve.append((int(steps[end - 1]), float(np.mean(losses[begin:end]))))
        begin = end
    return curve
