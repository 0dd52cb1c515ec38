"""What every training path of every task returns: one `PathResult`, and one shape for over-optimisation.

Both tasks fill the same fields, so the experiment collects them without knowing the task:
`performance` and `start` are dicts whose "score" is the task's headline true performance
(the exact expected score against the pool on Tic-Tac-Toe, the greedy exact accuracy on the
held-out problems on arithmetic), beside task-specific numbers; `queries` counts the signal
spent by kind; each `curve` point has "step" and "score".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PathResult:
    """What one training path produced.

    Attributes:
        name: the path (or the pipeline stage).
        model: the trained network.
        start: true performance of the model it started from ({"score", ...}).
        performance: true performance after training ({"score", ...}).
        queries: signal spent by kind ("demonstrations", "rater labels", "games", "exact checks", ...). Where
            the path trains through `core.run`, the counts are its `Result`'s: the labels its problems
            billed (demonstrations when a fit begins, one rater label per action approval rewarded), the
            actions an outcome checked (`examples_seen`); a reward model's labels are those its fit used.
        curve: [{"step", "score", ...}] during training, the starting point first; policy steps' points
            also hold "forward_equivalents" spent so far (`reinforce.PolicyGradient` says what is counted).
        extra: path-specific numbers (reward-model accuracy, exploit rates, overseer mistakes, ...).
        seconds: wall time.
    """

    name: str
    model: Any
    start: dict
    performance: dict
    queries: dict[str, int]
    curve: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def score(self) -> float:
        """The headline true performance after training."""
        return self.performance["score"]

    @property
    def labels(self) -> int:
        """Every query the path made, whatever its kind."""
        return sum(self.queries.values())

    def summary(self) -> dict:
        """JSON-ready numbers, without the model."""
        keys = ("name", "start", "performance", "queries", "curve", "extra", "seconds")
        return {key: getattr(self, key) for key in keys}


def arm(rows: list[dict], fit: dict | None, peak_knob: int) -> dict:
    """One arm of an over-optimisation study: rows of {"knob", "d", "proxy", "true", ...}, the Gao fit
    (None when it could not be fitted) and the knob where the true reward peaked."""
    return {"rows": rows, "fit": fit, "peak_knob": peak_knob}
