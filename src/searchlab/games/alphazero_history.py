"""An AlphaZero run's history: its records and replay window, its rows in metrics.jsonl, and checking it on resume.

The run keeps one record per iteration (see `_RECORD_FIELDS`). `Spent` counts what part of an iteration
spends, in forward-equivalents: one per position a network evaluates at a search leaf (self-play and the
arena) and 3 per example of training (forward and backward). `metrics_rows` turns the records into rows of
the one metrics.jsonl schema (`core.METRICS_COLUMNS`), with everything spent counted up from the start.

The run's checkpoints are `searchlab.core.run`'s; their problem state (`alphazero_problem.SelfPlayProblem`)
holds the run's identity (format, game, settings, seed), one record per iteration and the replay window of
examples (made by `replay_tensors`); the optimizer's candidate is the current network. `check_resumable`
says in one line why a checkpoint cannot be resumed (none, another run's, an older format); `check_history`
checks what is read back to be what the loop appends to and trains on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from searchlab.core import checkpoint, jsonfile
from searchlab.core.errors import SearchlabError
from searchlab.core.trace import metrics_row


@dataclass
class Spent:
    """What one iteration spent so far: forward-equivalents and training examples seen.

    Attributes:
        forward_equivalents: network evaluations of positions at search leaves (1 each) plus 3 per
            training example (a forward and a backward pass).
        examples_seen: training examples the optimizer drew.
    """

    forward_equivalents: int = 0
    examples_seen: int = 0

    def counting(self, evaluator):
        """`evaluator` (states -> priors, values) that also counts a forward-equivalent per state it evaluates."""

        def evaluate(states: list[Any]):
            self.forward_equivalents += len(states)
            return evaluator(states)

        return evaluate


def metrics_rows(records: list[dict[str, Any]], series: str = "alphazero", **values: Any) -> list[dict[str, Any]]:
    """The records as metrics.jsonl rows of `series`, one per iteration, `values` added to each.

    `step` counts iterations done; forward_equivalents, examples_seen and seconds are totals from the
    start of the run; `loss` is the candidate's mean training loss (policy plus value); the rest of the
    record (the arena's outcome, whether the candidate was kept) is in `values`.
    """
    rows, spent, seen, seconds = [], 0, 0, 0.0
    for record in records:
        spent += record["forward_equivalents"]
        seen += record["examples_seen"]
        seconds += record["seconds"]
        rest = {k: v for k, v in record.items() if k not in ("forward_equivalents", "examples_seen", "seconds")}
        rows.append(
            metrics_row(
                series,
                step=record["iteration"] + 1,
                forward_equivalents=spent,
                examples_seen=seen,
                seconds=round(seconds, 3),
                loss=record["policy_loss"] + record["value_loss"],
                **rest,
                **values,
            )
        )
    return rows


def replay_tensors(game: Any, examples: list[tuple[Any, np.ndarray, float]], augment: bool) -> dict[str, torch.Tensor]:
    """(state, policy, value) triples -> the replay window's example tensors, with every symmetric image if `augment`.

    `check_history` checks a checkpoint's replay window against what this makes.
    """
    symmetries = range(game.num_symmetries) if augment else range(1)
    observations, policies, legal, values = [], [], [], []
    for state, policy, value in examples:
        for k in symmetries:
            image = game.transform_state(state, k)
            moved = np.zeros(game.num_actions, dtype=np.float32)
            mask = np.zeros(game.num_actions, dtype=bool)
            for action in game.legal_actions(state):
                moved[game.transform_action(action, k)] = policy[action]
                mask[game.transform_action(action, k)] = True
            observations.append(game.observation(image))
            policies.append(moved)
            legal.append(mask)
            values.append(value)
    return {
        "observations": torch.from_numpy(np.stack(observations).astype(np.float32)),
        "policies": torch.from_numpy(np.stack(policies)),
        "legal": torch.from_numpy(np.stack(legal)),
        "values": torch.tensor(values, dtype=torch.float32),
    }


def check_resumable(checkpoint_dir: Path, identity: dict[str, Any], iterations: int) -> None:
    """Check that the checkpoint in `checkpoint_dir` is this run's, in this format, with at most `iterations` done.

    The loop (`searchlab.core.run`) restores the checkpoint itself; this says first, in one line, why one
    cannot be resumed at all. The problem's `load_state` checks the records and replay window.

    Args:
        checkpoint_dir: the run's checkpoints.
        identity: format, game, settings and seed of the run resuming; all but the iteration count must match.
        iterations: how many iterations the resumed run asks for (at least as many as it has done).

    Raises:
        SearchlabError: naming the checkpoint: none there, another run's, an older format's, or further along.
    """
    state = checkpoint.load(checkpoint_dir)
    pointer = checkpoint_dir / checkpoint.POINTER
    problem = state.get("problem")
    saved = problem.get("identity") if isinstance(problem, dict) else None
    if not isinstance(saved, dict):
        found = state.get("format") if isinstance(state.get("format"), str) else "none"
        raise SearchlabError(
            f"the checkpoint {pointer} is not one this searchlab can resume (format {found}, this version writes "
            f"{identity['format']}); delete {checkpoint_dir} to start afresh or train into a new folder"
        )
    if saved.get("format") != identity["format"]:
        raise SearchlabError(
            f"the checkpoint {pointer} has format {jsonfile.describe(saved.get('format'))}, this version resumes "
            f"{identity['format']} only; delete {checkpoint_dir} to start afresh or train into a new folder"
        )
    with checkpoint.restoring(checkpoint_dir):
        # Everything but the number of iterations must match: a finished run may be extended.
        if without_iterations(saved) != without_iterations(identity):
            raise SearchlabError(
                f"the checkpoint {pointer} is of another run (game, settings or seed differ); resume "
                "with the same ones or use a new folder"
            )
        done = problem["records"]
        if isinstance(done, list) and len(done) > iterations:
            raise SearchlabError(
                f"the run in {checkpoint_dir.parent} has done {len(done)} iterations, more than the {iterations} "
                "asked for; ask for at least as many"
            )


# An iteration's record, key -> kinds of its value (see `searchlab.core.jsonfile`).
_RECORD_FIELDS = {
    "iteration": int,
    "examples": int,
    "replay_examples": int,
    "policy_loss": jsonfile.NUMBER,
    "value_loss": jsonfile.NUMBER,
    "arena_wins": int,
    "arena_draws": int,
    "arena_losses": int,
    "arena_score": jsonfile.NUMBER,
    "accepted": bool,
    "forward_equivalents": int,
    "examples_seen": int,
    "seconds": jsonfile.NUMBER,
}


def check_history(game: Any, records: Any, replay: Any) -> tuple[list[dict[str, Any]], list[dict[str, torch.Tensor]]]:
    """A checkpoint's records and replay window, checked to be what the loop appends to and trains on.

    Raises:
        ValueError: they are not (inside `checkpoint.restoring`, one line naming the checkpoint).
    """
    if not isinstance(records, list):
        raise ValueError("'records' is not a list")
    for number, record in enumerate(records):
        if not (
            isinstance(record, dict)
            and all(key in record and jsonfile.is_kind(record[key], kinds) for key, kinds in _RECORD_FIELDS.items())
        ):
            raise ValueError(f"'records' item {number} is not the record of an iteration")
    if not isinstance(replay, list) or len(replay) > max(len(records), 1):
        raise ValueError("'replay' is not a list of at most one chunk of examples per iteration")
    # What `replay_tensors` makes: key -> (dtype, shape of one example).
    kinds = {
        "observations": (torch.float32, tuple(game.observation_shape)),
        "policies": (torch.float32, (game.num_actions,)),
        "legal": (torch.bool, (game.num_actions,)),
        "values": (torch.float32, ()),
    }
    for number, chunk in enumerate(replay):
        if not (
            isinstance(chunk, dict)
            and chunk.keys() == kinds.keys()
            and all(isinstance(t, torch.Tensor) for t in chunk.values())
        ):
            raise ValueError(f"replay chunk {number} is not the tensors {sorted(kinds)}")
        rows = chunk["values"].shape[0] if chunk["values"].dim() == 1 else 0
        if rows < 1 or any(
            chunk[key].dtype != dtype or tuple(chunk[key].shape) != (rows, *shape)
            for key, (dtype, shape) in kinds.items()
        ):
            raise ValueError(f"replay chunk {number} holds tensors whose types or shapes do not fit {game.name}")
    return records, replay


def without_iterations(identity: dict[str, Any]) -> dict[str, Any]:
    """The run's identity with its iteration count left out (a finished run may be extended).

    Raises:
        TypeError, ValueError: the settings are not a mapping (inside `checkpoint.restoring`, one line).
    """
    settings = dict(identity.get("settings") or {})
    settings.pop("iterations", None)
    return {**identity, "settings": settings}
