"""What a run records: a `Trace` of every step and the `Result` at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

COLUMNS = ("step", "forward_equivalents", "examples_seen", "seconds", "loss", "best_loss")


class Trace:
    """One row per optimizer step, kept as columns (cheap to append, cheap to checkpoint)."""

    def __init__(self) -> None:
        self.columns: dict[str, list[float]] = {name: [] for name in COLUMNS}

    def record(self, **row: float) -> None:
        for name in COLUMNS:
            self.columns[name].append(row[name])

    def __len__(self) -> int:
        return len(self.columns["step"])

    def __getitem__(self, name: str) -> list[float]:
        return self.columns[name]

    def rows(self) -> list[dict[str, float]]:
        ints = {"step", "forward_equivalents", "examples_seen"}
        return [
            {name: (int(self.columns[name][i]) if name in ints else self.columns[name][i]) for name in COLUMNS}
            for i in range(len(self))
        ]

    def state(self) -> dict[str, torch.Tensor]:
        return {name: torch.tensor(values, dtype=torch.float64) for name, values in self.columns.items()}

    @classmethod
    def from_state(cls, state: dict[str, torch.Tensor]) -> Trace:
        """The trace that `state()` saved.

        Raises:
            ValueError: `state` is not such a record (a column missing, not a 1-D tensor, or of another length).
        """
        if not isinstance(state, dict):
            raise ValueError(f"a trace is a dict of columns, not a {type(state).__name__}")
        trace = cls()
        for name in COLUMNS:
            column = state.get(name)
            if not isinstance(column, torch.Tensor) or column.dim() != 1:
                raise ValueError(f"the trace's {name!r} column is missing or not a 1-D tensor")
            trace.columns[name] = column.tolist()
        if len({len(values) for values in trace.columns.values()}) > 1:
            raise ValueError(
                f"the trace's columns differ in length ({', '.join(f'{k} {len(v)}' for k, v in trace.columns.items())})"
            )
        return trace


@dataclass
class Result:
    """The outcome of one `run`.

    Attributes:
        optimizer: registry name of the optimizer.
        candidate: the optimizer's answer, a flat (d,) tensor.
        final_loss: that answer's loss on the full training data (not counted as search cost).
        best_loss: lowest loss evaluated during the search (on whatever batches were used).
        forward_equivalents, examples_seen, seconds, steps: what the search spent.
        stopped_because: the budget limit that ended the run, or "finished".
        trace: the per-step record.
    """

    optimizer: str
    candidate: torch.Tensor
    final_loss: float
    best_loss: float
    forward_equivalents: int
    examples_seen: int
    seconds: float
    steps: int
    stopped_because: str
    trace: Trace = field(repr=False)

    def summary(self) -> dict[str, Any]:
        """The numbers, JSON-ready (no tensors, no trace)."""
        return {
            "final_loss": self.final_loss,
            "best_loss": self.best_loss,
            "forward_equivalents": self.forward_equivalents,
            "examples_seen": self.examples_seen,
            "seconds": round(self.seconds, 4),
            "steps": self.steps,
            "stopped_because": self.stopped_because,
        }
