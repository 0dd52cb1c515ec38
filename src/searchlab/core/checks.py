"""The value checks every layer needs, written once: whole numbers, real numbers, probabilities.

Each returns the value (as a plain int or float) or raises `SearchlabError` with one line of the form
"NAME must be ..., got VALUE", so a settings error reads the same wherever it is raised. Booleans are
refused as numbers (`True` is an int to Python, never a sensible count), and so are NaN and infinities.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from searchlab.core.errors import SearchlabError


def is_whole(value: Any) -> bool:
    """An int (Python's or numpy's), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A finite real number (int or float, Python's or numpy's), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def whole(name: str, value: Any, low: int | None = 0, high: int | None = None) -> int:
    """`value` as an int, checked to be a whole number in [low, high] (None: unbounded on that side)."""
    if not is_whole(value) or (low is not None and value < low) or (high is not None and value > high):
        raise SearchlabError(f"{name} must be a whole number {_bounds(low, high, False, False)}, got {value!r}")
    return int(value)


def optional_whole(name: str, value: Any, low: int | None = 0, high: int | None = None, none: str = "") -> int | None:
    """Like `whole`, but None passes; `none` says what None means (shown in the message)."""
    if value is None:
        return None
    if not is_whole(value) or (low is not None and value < low) or (high is not None and value > high):
        meaning = f", or None {none}" if none else ", or None"
        bounds = _bounds(low, high, False, False)
        raise SearchlabError(f"{name} must be a whole number {bounds}{meaning}; got {value!r}")
    return int(value)


def number(
    name: str,
    value: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    open_low: bool = False,
    open_high: bool = False,
) -> float:
    """`value` as a float, checked to be a finite number between `low` and `high` (open ends when asked)."""
    ok = is_number(value)
    if ok and low is not None:
        ok = value > low if open_low else value >= low
    if ok and high is not None:
        ok = value < high if open_high else value <= high
    if not ok:
        raise SearchlabError(f"{name} must be a number {_bounds(low, high, open_low, open_high)}, got {value!r}")
    return float(value)


def probability(name: str, value: Any, *, open_low: bool = False, open_high: bool = False) -> float:
    """A number in [0, 1] (either end open when asked)."""
    return number(name, value, 0.0, 1.0, open_low=open_low, open_high=open_high)


def _bounds(low: float | None, high: float | None, open_low: bool, open_high: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if open_low else '>='} {low}")
    if high is not None:
        parts.append(f"{'<' if open_high else '<='} {high}")
    return " and ".join(parts) if parts else "(finite)"
