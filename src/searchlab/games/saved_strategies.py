"""Where a Tic-Tac-Toe run keeps the strategies it found, so that `searchlab play` can load them.

A run folder holds them under `strategies/`: the best local-search lookup table as a
safetensors file (one int8 entry per decision position, see `games.tables.PositionIndex`)
with its variant, seed and losses as metadata, and the network trained to imitate the
solver in the folder `net/` (written and read by `games.neural.NeuralStrategy`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.core.files import write_tensors

STRATEGIES = "strategies"  # folder of the run with the strategies `searchlab play` can load
LOCAL_FILE = "local_search.safetensors"
NET_FOLDER = "net"


def save_local_strategy(run_folder: str | Path, table: np.ndarray, metadata: dict[str, str]) -> str:
    """Write a local-search lookup table (int8) with its metadata, atomically; returns its path in the run folder."""
    write_tensors(Path(run_folder) / STRATEGIES / LOCAL_FILE, {"table": table}, metadata)
    return f"{STRATEGIES}/{LOCAL_FILE}"


def load_local_strategy(run_folder: str | Path) -> tuple[np.ndarray, dict]:
    """The local-search strategy a tictactoe run saved: (table, metadata).

    Raises:
        SearchlabError: the run folder holds no such file, or one that is not a readable strategy.
    """
    from safetensors import SafetensorError, safe_open

    path = Path(run_folder) / STRATEGIES / LOCAL_FILE
    if not path.is_file():
        raise SearchlabError(
            f"no local-search strategy in {run_folder} (expected {STRATEGIES}/{LOCAL_FILE}); "
            "run `searchlab run tictactoe` first"
        )
    try:
        with safe_open(str(path), framework="numpy") as handle:
            return handle.get_tensor("table"), handle.metadata() or {}
    except (OSError, SafetensorError, KeyError) as err:
        raise SearchlabError(f"{path} is not a readable strategy ({err}); run `searchlab run tictactoe` again") from err
