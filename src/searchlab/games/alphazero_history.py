"""Reading an AlphaZero run back for `searchlab.games.alphazero.train(resume=True)`: its records and replay window.

A checkpoint holds the run's identity (format, game, settings, seed), the current network, one record per
iteration and the replay window of examples. Everything read back is checked to be what the loop appends
to and trains on, so a damaged or foreign checkpoint fails with one line naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from searchlab.core import checkpoint, jsonfile
from searchlab.core.errors import SearchlabError


def resume_history(
    game: Any, iterations: int, checkpoint_dir: Path, identity: dict[str, Any], net: torch.nn.Module
) -> tuple[list[dict[str, Any]], list[dict[str, torch.Tensor]]]:
    """Load the run's last checkpoint into `net`; return its records and replay window, checked to be this run's.

    Args:
        game: the rules (the replay's tensor shapes follow from them).
        iterations: how many iterations the resumed run asks for (at least as many as it has done).
        checkpoint_dir: the run's checkpoints.
        identity: format, game, settings and seed of the run resuming; all but the iteration count must match.
        net: the fresh network, loaded in place.

    Raises:
        SearchlabError: naming the checkpoint, when it is another run's, unreadable or of the wrong shape.
    """
    state = checkpoint.load(checkpoint_dir, keys=("net", "records", "replay"))
    with checkpoint.restoring(checkpoint_dir):
        # Everything but the number of iterations must match: a finished run may be extended.
        saved = {key: state.get(key) for key in identity}
        if _without_iterations(saved) != _without_iterations(identity):
            raise SearchlabError(
                f"the checkpoint in {checkpoint_dir} is of another run (game, settings or seed differ); resume "
                "with the same ones or use a new folder"
            )
        records, replay = _check_history(game, state["records"], state["replay"])
        if len(records) > iterations:
            raise SearchlabError(
                f"the run in {checkpoint_dir.parent} has done {len(records)} iterations, more than the {iterations} "
                "asked for; ask for at least as many"
            )
        net.load_state_dict(state["net"])
    return records, replay


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
    "seconds": jsonfile.NUMBER,
}


def _check_history(game: Any, records: Any, replay: Any) -> tuple[list[dict[str, Any]], list[dict[str, torch.Tensor]]]:
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
    # What `_tensors` makes: key -> (dtype, shape of one example).
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


def _without_iterations(identity: dict[str, Any]) -> dict[str, Any]:
    settings = dict(identity.get("settings") or {})
    settings.pop("iterations", None)
    return {**identity, "settings": settings}
