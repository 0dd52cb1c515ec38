"""The scaling experiment's claims, each measured per seed and paired across model sizes.

Every cell (N, D) of a task's grid is trained once per seed, and seed i of one cell is seed i of every
other (`scaling.prepare` gives cell seeds seed, seed + 1, ...), so two model sizes compare on the same
seeds. The essay's two claims about size become:

- `bigger_nets_max_out_higher`: with the most data the grid has, the largest model's held-out loss
  minus the smallest model's, per seed. The claim predicts a difference below 0.
- `bigger_nets_need_fewer_examples`: per seed, the target is the higher of the two models' losses with
  the most data (so both reach it inside the grid, whichever model is better); the measure is log10 of
  the examples the largest model needs to reach it over the examples the smallest needs
  (`scaling.grid.examples_to_target`, interpolated in log-log). The claim predicts below 0; a larger model
  that is the worse one needs more data than the smaller to reach the target, and the ratio comes out above 0.

The rows come from the first task run (the MLP task when both run): its trials can be trained to the
end, while the language-model trials stop after a fixed number of steps.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from searchlab.core.intervals import bootstrap_interval, claim_row
from searchlab.scaling import grid

SECTION = "How big would these models need to be?"
TASK_WORDS = {"mlp": "the MLP task", "charlm": "the character language model"}


def claims(outcomes: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The two claim rows from the first task's trials (each row: params, examples, loss, seed)."""
    task, rows = next(iter(outcomes.items()))
    by_seed = _by_seed(rows)
    words = TASK_WORDS.get(task, task)
    smallest, largest = min(r["params"] for r in rows), max(r["params"] for r in rows)
    sizes = f"{largest:,} against {smallest:,} weights on {words}"
    data_sizes = [r["examples"] for r in rows]
    return [
        claim_row(
            "bigger_nets_max_out_higher",
            "Given plenty of data, a bigger network tops out at a better performance.",
            f"held-out loss of the largest model minus the smallest's, both with the most data ({sizes}), "
            "per seed (threshold 0)",
            bootstrap_interval([ceiling_gap(seed_rows) for seed_rows in by_seed.values()]),
            threshold=0.0,
            predicts="below",
            baseline=f"the smallest model's loss with the most data: {_smallest_at_most(by_seed):.4g}",
            section=SECTION,
        ),
        claim_row(
            "bigger_nets_need_fewer_examples",
            "A bigger network reaches a given performance after fewer training examples.",
            "log10 of the examples the largest model needs to reach the worse of the two models' losses with the "
            f"most data over the examples the smallest needs ({sizes}), per seed (threshold 0)",
            bootstrap_interval([examples_ratio_log10(seed_rows) for seed_rows in by_seed.values()]),
            threshold=0.0,
            predicts="below",
            baseline=f"the grid's data sizes: {min(data_sizes):,} to {max(data_sizes):,}",
            section=SECTION,
        ),
    ]


def ceiling_gap(rows: list[dict[str, Any]]) -> float:
    """One seed's loss of the largest model minus the smallest's, both at the largest data size."""
    most = max(r["examples"] for r in rows)
    at_most = {r["params"]: r["loss"] for r in rows if r["examples"] == most}
    return float(at_most[max(at_most)] - at_most[min(at_most)])


def examples_ratio_log10(rows: list[dict[str, Any]]) -> float:
    """One seed's log10(examples the largest model needs / examples the smallest needs) to reach the higher of
    their two losses at the largest data size."""
    smallest, largest = min(r["params"] for r in rows), max(r["params"] for r in rows)
    most = max(r["examples"] for r in rows)
    small = [r for r in rows if r["params"] == smallest]
    big = [r for r in rows if r["params"] == largest]
    target = max(r["loss"] for r in small + big if r["examples"] == most)
    needed_small = grid.examples_to_target([r["examples"] for r in small], [r["loss"] for r in small], target)
    needed_big = grid.examples_to_target([r["examples"] for r in big], [r["loss"] for r in big], target)
    # The model whose loss is the target reaches it at the most data at the latest; interpolation can land a
    # rounding error short of it, which must not read as a difference between the models.
    ratio = math.log10((needed_big or most) / (needed_small or most))
    return round(ratio, 9)


def _by_seed(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    groups: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[int(row["seed"])].append(row)
    return dict(sorted(groups.items()))


def _smallest_at_most(by_seed: dict[int, list[dict[str, Any]]]) -> float:
    values = []
    for rows in by_seed.values():
        most, smallest = max(r["examples"] for r in rows), min(r["params"] for r in rows)
        values += [r["loss"] for r in rows if r["examples"] == most and r["params"] == smallest]
    return float(np.mean(values))


def floor_check(rows: list[dict], huber: dict) -> dict | None:
    """The loss floor the task is built with (the teacher's label noise on the test set) beside the robust fit's E.

    None for tasks without a known floor (digits, the language model) or without a robust fit.
    """
    floors = [row.get("noise_floor") for row in rows]
    if not floors or any(floor is None for floor in floors) or huber.get("params") is None:
        return None
    known, fitted = float(np.mean(floors)), huber["params"]["E"]
    low, high = huber.get("intervals", {}).get("E", (None, None))
    inside = None if low is None else bool(low <= known <= high)
    return {"known": known, "fitted": fitted, "low": low, "high": high, "inside": inside}
