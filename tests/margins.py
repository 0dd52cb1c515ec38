"""Thresholds on trained or searched quantities, each with a measured margin.

A seeded training run is reproducible only on one machine with one thread count:
another CPU or another torch thread count orders float reductions differently, and
the run becomes, in effect, a fresh draw. So a test of a trained quantity must hold
for the spread of draws, not for the one value this machine produced.

A test writes the quantity as a function of a seed and registers its bounds:

    @margin(seed=0, accuracy=(">", 0.4), loss_ratio=("<", 0.5))
    def tiny_model(seed: int) -> dict[str, float]:
        ...train with `seed`...
        return {"accuracy": ..., "loss_ratio": ...}

    def test_model_learns():
        check(tiny_model)            # asserts every bound at the registered seed

`scripts/measure_margins.py` runs every registered function over many seeds with 1
and with 2 torch threads, and reports how far the worst value sits from each
threshold. The rule a threshold must meet (`clear`): the worst measured value lies on
the passing side, at least `SIGMAS` standard deviations (over the measured draws)
away from the threshold. A threshold that cannot meet it while still failing for
broken code needs a better test design, not a looser number.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field

SIGMAS = 3.0  # the worst of many draws must still sit this many standard deviations clear of the threshold
OPERATORS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}

Quantity = Callable[[int], dict[str, float]]


@dataclass(frozen=True)
class Margin:
    """A quantity's function, the seed its test uses, and a bound per named value."""

    function: Quantity
    seed: int
    bounds: dict[str, tuple[str, float]]
    name: str = field(default="")


REGISTRY: dict[str, Margin] = {}


def margin(seed: int, **bounds: tuple[str, float]) -> Callable[[Quantity], Quantity]:
    """Register `function(seed) -> {name: value}` with a bound `(op, threshold)` for each name."""
    for name, (op, threshold) in bounds.items():
        if op not in OPERATORS or not isinstance(threshold, (int, float)):
            raise ValueError(f"bound {name}={(op, threshold)!r}: expected (one of {list(OPERATORS)}, a number)")

    def register(function: Quantity) -> Quantity:
        name = f"{function.__module__}.{function.__qualname__}"
        REGISTRY[name] = Margin(function, seed, dict(bounds), name)
        function.margin = REGISTRY[name]  # type: ignore[attr-defined]
        return function

    return register


def check(function: Quantity, seed: int | None = None) -> dict[str, float]:
    """Compute the quantity at the registered seed (or `seed`), assert every bound, return the values."""
    registered: Margin = function.margin  # type: ignore[attr-defined]
    values = function(registered.seed if seed is None else seed)
    missing = set(registered.bounds) - set(values)
    assert not missing, f"{registered.name} returned no {sorted(missing)}"
    failed = {
        name: (values[name], op, threshold)
        for name, (op, threshold) in registered.bounds.items()
        if not OPERATORS[op](values[name], threshold)
    }
    assert not failed, f"{registered.name}: " + "; ".join(
        f"{name} = {v:.6g}, expected {op} {t}" for name, (v, op, t) in failed.items()
    )
    return values


def clear(values: list[float], op: str, threshold: float, sigmas: float = SIGMAS) -> dict[str, float | bool]:
    """How far the worst of `values` sits from `threshold` on the passing side, in standard deviations.

    Returns worst, mean, std, the distance `clearance = |worst - threshold|` signed
    positive on the passing side, `sigmas_clear = clearance / std` (inf when every draw
    gave the same value and it passes), and `ok`: every value passes and
    `sigmas_clear >= sigmas`.
    """
    above = op in (">", ">=")
    worst = min(values) if above else max(values)
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / max(len(values) - 1, 1))
    clearance = (worst - threshold) if above else (threshold - worst)
    passes = all(OPERATORS[op](v, threshold) for v in values)
    sigmas_clear = math.inf if std == 0 and passes else (clearance / std if std > 0 else -math.inf)
    return {
        "worst": worst,
        "mean": mean,
        "std": std,
        "clearance": clearance,
        "sigmas_clear": sigmas_clear,
        "ok": bool(passes and sigmas_clear >= sigmas),
    }
