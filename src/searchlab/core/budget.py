"""Budgets: how much search a run may spend before it stops."""

from __future__ import annotations

import math
from dataclasses import dataclass

from searchlab.core.errors import SearchlabError


@dataclass(frozen=True)
class Budget:
    """Stop at whichever limit is reached first; at least one must be set.

    Attributes:
        forward_equivalents: evaluations, counted as one candidate on one example
            (a backward pass adds two per example).
        seconds: wall-clock time.
        steps: optimizer steps (one ask/tell round each).
        target_loss: stop as soon as the best loss is at or below this.
    """

    forward_equivalents: int | None = None
    seconds: float | None = None
    steps: int | None = None
    target_loss: float | None = None

    def __post_init__(self) -> None:
        limits = {"forward_equivalents": self.forward_equivalents, "seconds": self.seconds, "steps": self.steps}
        if all(v is None for v in limits.values()) and self.target_loss is None:
            raise SearchlabError(
                "a budget needs at least one limit: forward_equivalents, seconds, steps or target_loss"
            )
        for name, value in limits.items():
            if value is not None and (not math.isfinite(value) or value <= 0):
                raise SearchlabError(f"budget {name} must be a positive number, got {value}")
        if self.target_loss is not None and not math.isfinite(self.target_loss):
            raise SearchlabError(f"budget target_loss must be a finite number, got {self.target_loss}")

    def exhausted(self, *, forward_equivalents: int, seconds: float, steps: int, best_loss: float) -> str | None:
        """The reason to stop, or None to go on."""
        if self.target_loss is not None and best_loss <= self.target_loss:
            return "target_loss"
        if self.forward_equivalents is not None and forward_equivalents >= self.forward_equivalents:
            return "forward_equivalents"
        if self.steps is not None and steps >= self.steps:
            return "steps"
        if self.seconds is not None and seconds >= self.seconds:
            return "seconds"
        return None
