"""What a run records: a `Trace` of every step and the `Result` at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

COLUMNS = ("step", "forward_equivalents", "examples_seen", "labels", "seconds", "loss", "best_loss")
_WHOLE = frozenset({"step", "forward_equivalents", "examples_seen", "labels"})


# The columns of every run folder's metrics.jsonl, in every experiment: which curve a row belongs to
# (`series`), the step, what had been spent by then in both currencies (compute in forward-equivalents,
# human signal in labels), the clock, the loss being minimised, and `values`, a dict of the experiment's
# own measurements at that point (a validation loss, a win rate, an accuracy). A column an experiment
# does not measure holds null; the set of columns never changes.
METRICS_COLUMNS = ("series", "step", "forward_equivalents", "examples_seen", "labels", "seconds", "loss", "values")


def metrics_row(
    series: str,
    *,
    step: int | None,
    forward_equivalents: int,
    examples_seen: int | None = None,
    labels: int = 0,
    seconds: float | None = None,
    loss: float | None = None,
    **values: Any,
) -> dict[str, Any]:
    """One metrics.jsonl row with exactly `METRICS_COLUMNS`; keyword arguments beyond them go into `values`."""
    return {
        "series": series,
        "step": step,
        "forward_equivalents": forward_equivalents,
        "examples_seen": examples_seen,
        "labels": labels,
        "seconds": seconds,
        "loss": loss,
        "values": values,
    }


def check_metrics_rows(rows: list[dict[str, Any]]) -> None:
    """Raise TypeError naming the first row whose columns are not `METRICS_COLUMNS` (a bug in the caller)."""
    for index, row in enumerate(rows):
        if tuple(row) != METRICS_COLUMNS or not isinstance(row["values"], dict):
            raise TypeError(f"metrics row {index} has columns {list(row)}, not {list(METRICS_COLUMNS)}: {row}")


class Trace:
    """One row per optimizer step, kept as columns (cheap to append, cheap to checkpoint)."""

    def __init__(self) -> None:
        self.columns: dict[str, list[float]] = {name: [] for name in COLUMNS}

    def record(self, **row: float) -> None:
        """Append a row; `labels` (human signal bought so far) defaults to 0 for searches that buy none."""
        for name in COLUMNS:
            self.columns[name].append(row.get(name, 0) if name == "labels" else row[name])

    def __len__(self) -> int:
        return len(self.columns["step"])

    def __getitem__(self, name: str) -> list[float]:
        return self.columns[name]

    def rows(self) -> list[dict[str, float]]:
        return [
            {name: (int(self.columns[name][i]) if name in _WHOLE else self.columns[name][i]) for name in COLUMNS}
            for i in range(len(self))
        ]

    def metrics_rows(self, series: str, every: int = 1, **values: Any) -> list[dict[str, Any]]:
        """Every `every`-th row (and the last) as metrics.jsonl rows of `series`; `values` added to each."""
        rows = self.rows()
        kept = [row for i, row in enumerate(rows) if i % every == every - 1 or i == len(rows) - 1]
        return [
            metrics_row(
                series,
                step=row["step"],
                forward_equivalents=row["forward_equivalents"],
                examples_seen=row["examples_seen"],
                labels=row["labels"],
                seconds=row["seconds"],
                loss=row["loss"],
                best_loss=row["best_loss"],
                **values,
            )
            for row in kept
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
            if column is None and name == "labels" and isinstance(state.get("step"), torch.Tensor):
                column = torch.zeros_like(state["step"])  # a checkpoint from before human signal was counted
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
        labels: human signal the search bought (demonstrations, labels, checks); 0 for most searches.
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
    labels: int = 0

    def summary(self) -> dict[str, Any]:
        """The numbers, JSON-ready (no tensors, no trace)."""
        return {
            "final_loss": self.final_loss,
            "best_loss": self.best_loss,
            "forward_equivalents": self.forward_equivalents,
            "examples_seen": self.examples_seen,
            "labels": self.labels,
            "seconds": round(self.seconds, 4),
            "steps": self.steps,
            "stopped_because": self.stopped_because,
        }
