"""One tuning rule for every method of the perturbation experiment: try a grid, widen it until the best is interior.

A value chosen at the edge of its grid says only that the best setting may lie beyond it, and a method
held at a poor setting looks more costly than it is. So every tuned value (a learning rate, a tweak
length, evolution's sigma) is chosen the same way, on a tuning seed of its own: try every value of the
grid, take the one that reaches the target cheapest (else the lowest loss), and while that one is the
smallest or the largest value tried, try one more value beyond it (the grid's own ratio between
neighbours further out), at most `extensions` times. A value still at an edge after that is reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

# attempt(value, index, cap): run the setting `value` (the `index`-th tried) with its budget capped at `cap`
# forward-equivalents (None: no cap); returns an outcome with forward_equivalents_to_target and best_loss.
Attempt = Callable[[float, int, "int | None"], dict[str, Any]]


def ranking_key(outcome: Mapping[str, Any]) -> tuple[bool, float, float]:
    """Reached the target first, then cheaper to reach it, then a lower best loss (None: diverged, last)."""
    spent = outcome["forward_equivalents_to_target"]
    loss = outcome["best_loss"]
    return (spent is None, 0.0 if spent is None else float(spent), math.inf if loss is None else float(loss))


def tune_value(
    values: Sequence[float],
    attempt: Attempt,
    extensions: int,
    known: Mapping[float, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Choose one value by the rule in the module docstring.

    Args:
        values: the grid first tried, increasing, at least two values.
        attempt: runs one value (see `Attempt`). A value tried after another has reached the target is
            capped at what that one spent: it can only win by needing less.
        extensions: how many values may be added beyond the edges, in all.
        known: outcomes already measured for some values with the same settings and seed (not run again).

    Returns:
        {"chosen": the value, "tried": [{"value", **outcome} in the order tried],
        "edge": None when the chosen value is interior, else "smallest" or "largest"}.
    """
    outcomes: dict[float, dict[str, Any]] = dict(known or {})
    order: list[float] = list(outcomes)

    def run(value: float) -> None:
        if value in outcomes:
            return
        reached = [o["forward_equivalents_to_target"] for o in outcomes.values()]
        cap = min((spent for spent in reached if spent is not None), default=None)
        outcomes[value] = attempt(value, len(order), cap)
        order.append(value)

    for value in values:
        run(value)
    added = 0
    while True:
        tried = sorted(outcomes)
        chosen = min(tried, key=lambda v: ranking_key(outcomes[v]))  # ties go to the smaller value
        position = tried.index(chosen)
        edge = None if 0 < position < len(tried) - 1 else ("smallest" if position == 0 else "largest")
        if edge is None or added == extensions:
            break
        beyond = tried[0] ** 2 / tried[1] if edge == "smallest" else tried[-1] ** 2 / tried[-2]
        run(float(f"{beyond:.3g}"))  # three digits: a readable value in tables
        added += 1
    return {"chosen": chosen, "tried": [{"value": v, **outcomes[v]} for v in order], "edge": edge}
