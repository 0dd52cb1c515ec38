"""A sweep's grid from `searchlab sweep --grid` text, each value typed by the experiment's config.

lr=0.01,0.1          a list of values
width=log:4:256:7    7 log-spaced values from 4 to 256 (ints rounded, repeats dropped)
lr=lin:0.1:0.5:5     5 evenly spaced values from 0.1 to 0.5
widths=1,4;16,64     a setting that is itself a list: `;` separates the grid's values
"""

from __future__ import annotations

import math
import typing
from collections.abc import Sequence
from typing import Any

from searchlab.core.errors import SearchlabError
from searchlab.core.trials import MAX_TRIALS
from searchlab.runner.config import config_fields, parse_value


def parse_grid(config_cls: type, specs: Sequence[str]) -> dict[str, tuple]:
    """`["lr=0.01,0.1", "width=log:4:256:7"]` -> `{"lr": (0.01, 0.1), "width": (4, 8, ..., 256)}`.

    Raises:
        SearchlabError: a spec without `=`, an unknown or repeated key, `seed` (use
            --seeds), an empty value list, or a value the key's type refuses.
    """
    fields = config_fields(config_cls)
    hints = typing.get_type_hints(config_cls)
    grid: dict[str, tuple] = {}
    for spec in specs:
        key, sep, text = spec.partition("=")
        name = key.strip().lstrip("-").replace("-", "_")
        if not sep or not name:
            raise SearchlabError(f"--grid {spec!r} is not KEY=VALUES; write it like --grid lr=0.01,0.1")
        if name == "seed":
            raise SearchlabError("seed cannot be a grid key; give the seeds with --seeds 0,1,2")
        if name not in fields:
            raise SearchlabError(
                f"unknown grid key {name!r}; valid keys are {', '.join(f for f in fields if f != 'seed')}"
            )
        if name in grid:
            raise SearchlabError(f"grid key {name!r} is given twice; list all its values in one --grid {name}=A,B,C")
        try:
            values = _values(name, text.strip(), hints[name])
        except SearchlabError as err:
            raise SearchlabError(f"--grid {spec!r}: {err}") from None
        if not values:
            raise SearchlabError(f"--grid {spec!r} lists no values; give at least one, as in --grid {name}=A,B")
        grid[name] = values
    return grid


def _values(name: str, text: str, hint: Any) -> tuple:
    if text.startswith(("log:", "lin:")):
        return _spaced(name, text, hint)
    is_list = typing.get_origin(hint) is tuple or tuple in (typing.get_origin(a) for a in typing.get_args(hint))
    items = text.split(";") if is_list or ";" in text else text.split(",")
    values = [parse_value(name, item.strip(), hint) for item in items if item.strip()]
    if len(set(map(repr, values))) != len(values):
        raise SearchlabError("a value is listed twice; list each value once")
    return tuple(values)


def _spaced(name: str, text: str, hint: Any) -> tuple:
    """`log:LOW:HIGH:COUNT` or `lin:LOW:HIGH:COUNT` over an int or float setting."""
    kind, *parts = text.split(":")
    numeric = {int, float} & {hint, *typing.get_args(hint)}
    if not numeric:
        raise SearchlabError(f"{kind}: spacing needs a number setting, and {name} is not one; list its values instead")
    try:
        low, high, count = float(parts[0]), float(parts[1]), int(parts[2])
        if len(parts) != 3:
            raise ValueError
    except (ValueError, IndexError):
        raise SearchlabError(f"write the spacing as {kind}:LOW:HIGH:COUNT, e.g. {name}={kind}:1:100:5") from None
    if count < 1 or not (math.isfinite(low) and math.isfinite(high)):
        raise SearchlabError(f"{kind}: needs finite LOW and HIGH and a COUNT of at least 1")
    if count > MAX_TRIALS:
        raise SearchlabError(f"{kind}: takes a COUNT of at most {MAX_TRIALS:,} (a sweep's most trials), got {count:,}")
    if kind == "log" and (low <= 0 or high <= 0):
        raise SearchlabError("log: spacing needs LOW and HIGH above 0; use lin: to include 0 or negatives")
    if count == 1:
        points = [low]
    elif kind == "log":
        points = [math.exp(math.log(low) + (math.log(high) - math.log(low)) * i / (count - 1)) for i in range(count)]
    else:
        points = [low + (high - low) * i / (count - 1) for i in range(count)]
    if int in numeric and float not in numeric:
        return tuple(dict.fromkeys(round(p) for p in points))  # rounding can repeat small ints: keep each once
    return tuple(dict.fromkeys(float(f"{p:.6g}") for p in points))  # 0.01, not 0.009999999999999998
