"""The settings checks every scaling trial uses, and where a learning curve is measured.

A trial takes its settings as a dict (`params`), from a sweep's grid or from the
command line; these checks turn a bad key or value into one SearchlabError that
names the trial's task and the setting.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from searchlab.core import checks
from searchlab.core.errors import SearchlabError


def check_settings(task: str, params: dict, defaults: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    """`params` over `defaults`, checked: every key known, every required key present.

    Raises:
        SearchlabError: an unknown or missing key.
    """
    if not isinstance(params, dict):
        raise SearchlabError(f"{task}: params must be a dict of settings, got {type(params).__name__}")
    unknown = sorted(set(params) - set(defaults) - set(required))
    if unknown:
        raise SearchlabError(
            f"{task}: unknown setting {', '.join(map(repr, unknown))}; known: "
            f"{', '.join(sorted([*required, *defaults]))}"
        )
    missing = [key for key in required if key not in params]
    if missing:
        raise SearchlabError(
            f"{task}: missing setting {', '.join(map(repr, missing))}; every trial needs {', '.join(required)}"
        )
    return {**defaults, **params}


def check_whole(task: str, settings: dict[str, Any], *names: str, minimum: int = 1) -> None:
    """Each named setting must be a whole number >= `minimum` (stored back as an int); else SearchlabError."""
    for name in names:
        settings[name] = checks.whole(f"{task}: {name}", settings[name], minimum)


def check_number(
    task: str, settings: dict[str, Any], name: str, low: float, high: float = math.inf, *, low_open: bool = True
) -> None:
    """The setting must be a finite number above `low` (or at it, unless `low_open`) and below `high`.

    It is stored back as a float.

    Raises:
        SearchlabError: the setting is not such a number.
    """
    value = settings[name]
    ok = checks.is_number(value)
    ok = ok and (value > low if low_open else value >= low) and value < high
    if not ok:
        bound = f"{'>' if low_open else '>='} {low}" + (f" and < {high}" if math.isfinite(high) else "")
        raise SearchlabError(f"{task}: {name} must be a number {bound}, got {value!r}")
    settings[name] = float(value)


def curve_steps(max_steps: int, points: int) -> list[int]:
    """About `points` distinct steps from 1 to `max_steps`, log-spaced: where a learning curve is measured."""
    return sorted({int(s) for s in np.rint(np.geomspace(1, max_steps, num=max(points, 2)))})
