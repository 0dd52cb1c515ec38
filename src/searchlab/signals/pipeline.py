"""The staged pipeline, for every task: generic demonstrations -> expert demonstrations -> approval -> outcomes.

A task lists its stages (a name, and a training path that takes a seed and the model to start
from); `pipeline` runs them in order, each from the model the one before trained, and returns
one `PathResult` per stage, named by the stage, so the true performance after each is measured
the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from searchlab.signals.result import PathResult

Stage = tuple[str, Callable[[int, Any], PathResult]]


def pipeline(stages: Sequence[Stage], seeds: Sequence[int]) -> list[PathResult]:
    """Run `stages` in order, stage i seeded by `seeds[i]`: the first from scratch, each next from the last's model."""
    results: list[PathResult] = []
    model = None
    for (name, train), seed in zip(stages, seeds, strict=True):
        results.append(replace(train(seed, model), name=name))
        model = results[-1].model
    return results
