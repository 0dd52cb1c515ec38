"""Training signals: imitation, approval and outcomes, head to head, on tasks where the truth is known.

The essay's "How we might produce superhuman models with deep learning" sketches
three kinds of training data ("what would a human do", "what would a human
approve of", "what would actually work"), a reward model that learns a person's
judgements from a small share of cases, models that ask where feedback is most
informative, and a staged pipeline. Here each becomes a number, because the
people are simulated with known accuracies and the truth is computed exactly.

`--task tictactoe`: the policy picks moves in every Tic-Tac-Toe decision position.
The demonstrator plays an optimal move with probability p, else a plausible
mistake; the rater judges a move correctly with probability q; the outcome is
the exact expected score against a fixed pool of opponents (the perfect player,
a random player and a greedy one), playing both sides. True performance is that
score; see `signals_tictactoe`. The library code is in `searchlab.signals` (the task
and its people, the policy, the paths, the reward model and its limits); this module
collects the numbers of either task into one schema, `signals_report` draws them.

`--task arithmetic`: a tiny transformer writes the answers to 1-2 digit sums one character
at a time; see `signals_arithmetic`. The tour runs both tasks (`EXPERIMENT.variants`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from searchlab.core.device import resolve_device
from searchlab.experiments.base import Experiment, RunContext, require, series_row, settle_variant_settings

SECTION = "How we might produce superhuman models with deep learning"
TASKS = ("tictactoe", "arithmetic")
FRACTIONS = (1.0, 0.1, 0.01, 0.001)
# Full-size settings that differ by task: the arithmetic model is a transformer learning
# 1-2 digit sums, slower to imitate than the Tic-Tac-Toe policy.
BY_TASK = {"imitation_steps": {"tictactoe": 1500, "arithmetic": 3000}}


@dataclass(frozen=True)
class Config:
    """Settings of the training-signals experiment; the defaults are the full size.

    Attributes:
        seed: seeds the people, every path and every reward model.
        device: "cpu" (the networks are tiny; one CPU thread is fastest).
        task: "tictactoe" (moves) or "arithmetic" (answers written one character at a time).
        p: (tictactoe) the demonstrator's chance of playing an optimal move.
        q: (tictactoe) the rater's chance of judging a move correctly (the essay: recognising
            is easier than demonstrating, so q > p).
        fractions: shares of the rater's labels the reward models see.
        imitation_steps: Adam steps of behaviour cloning (DAgger spends as many in all);
            default 1500 for tictactoe, 3000 for arithmetic.
        rl_steps: policy-gradient steps of every approval and outcome path.
        demonstration_games: (tictactoe) games the demonstrator plays to show its moves.
        label_counts: labels bought at each point of the active-vs-random curves.
        overoptimization_steps: policy steps of the over-optimisation run.
        rm_steps: Adam steps of every reward-model fit (each member of the ensemble).
        digits: (arithmetic) the difficulties problems are drawn from: operands of 1, 2 or 3 digits.
        demonstrations: (arithmetic) demonstrator answers behaviour cloning learns from.
        base_error, per_digit_error: (arithmetic) the demonstrator errs with probability
            base_error + per_digit_error * (digits - 1).
        noise: (arithmetic) the rater's chance of judging an answer wrongly.
        bias: (arithmetic) the rater's chance of approving a round answer (ending in 0) outright.
        best_of_problems: (arithmetic) held-out problems best-of-n (n up to 1024) is measured on.
    """

    seed: int = 0
    device: str = "cpu"
    task: str = "tictactoe"
    p: float = 0.7
    q: float = 0.9
    fractions: tuple[float, ...] = FRACTIONS
    imitation_steps: int | None = None
    rl_steps: int = 300
    demonstration_games: int = 600
    label_counts: tuple[int, ...] = (100, 200, 400, 800, 1600, 3200)
    overoptimization_steps: int = 600
    rm_steps: int = 600
    digits: tuple[int, ...] = (1, 2)
    demonstrations: int = 20_000
    base_error: float = 0.05
    per_digit_error: float = 0.1
    noise: float = 0.1
    bias: float = 0.5
    best_of_problems: int = 200

    def __post_init__(self) -> None:
        require(self.task in TASKS, f"--task must be one of {', '.join(TASKS)}, got {self.task!r}")
        settle_variant_settings(self, self.task, BY_TASK)  # the sizes in EXPERIMENT give some settings per task
        require(self.seed >= 0, f"--seed must be 0 or more, got {self.seed}")
        require(
            self.device in ("cpu", "auto"),
            f"--device {self.device}: these networks are tiny and run on the CPU; use --device cpu",
        )
        require(
            0.0 <= self.p <= 1.0 and 0.0 <= self.q <= 1.0,
            f"--p and --q are probabilities in [0, 1], got {self.p} and {self.q}",
        )
        require(
            len(self.fractions) > 0 and all(0.0 < f <= 1.0 for f in self.fractions),
            f"--fractions must be shares in (0, 1], got {self.fractions}",
        )
        require(len(set(self.fractions)) == len(self.fractions), "--fractions lists a share twice; list each once")
        for name in ("base_error", "per_digit_error", "noise", "bias"):
            require(
                0.0 <= getattr(self, name) <= 1.0, f"--{name} is a probability in [0, 1], got {getattr(self, name)}"
            )
        require(
            len(self.digits) > 0
            and len(set(self.digits)) == len(self.digits)
            and all(d in (1, 2, 3) for d in self.digits),
            f"--digits must list distinct difficulties from 1, 2 and 3 (operand digits), got {self.digits}",
        )
        for name in (
            "imitation_steps",
            "rl_steps",
            "demonstration_games",
            "overoptimization_steps",
            "rm_steps",
            "demonstrations",
            "best_of_problems",
        ):
            require(getattr(self, name) >= 1, f"--{name} must be at least 1, got {getattr(self, name)}")
        require(
            len(self.label_counts) >= 2
            and list(self.label_counts) == sorted(set(self.label_counts))
            and self.label_counts[0] >= 2,
            f"--label_counts must be at least 2 increasing counts from 2 up, got {self.label_counts}",
        )


def prepare(config: Config) -> None:
    """Nothing to load: the tasks and people are made from the seed. Checks the device and the task's settings."""
    resolve_device(config.device)
    if config.task == "arithmetic":
        from searchlab.experiments import signals_arithmetic

        signals_arithmetic.people(config)
        signals_arithmetic.settings(config)


def run(config: Config, data: None, context: RunContext) -> dict:
    """Measure the people, train every path, probe the reward model, run the pipeline; the numbers only.

    The task's module (`signals_tictactoe` or `signals_arithmetic`) runs the library and hands back
    its pieces, of the same types for both tasks; they are gathered here into one schema. The figures
    and prose are `signals_report.report`, attached by the registry.
    """
    if config.task == "arithmetic":
        from searchlab.experiments import signals_arithmetic as task
    else:
        from searchlab.experiments import signals_tictactoe as task
    pieces = task.study(config, context)
    runs, stages, curves, over = pieces["runs"], pieces["stages"], pieces["curves"], pieces["over"]
    context.write_metrics([_metrics_row(r.name, point) for r in runs + stages for point in r.curve])
    title = {"tictactoe": "on Tic-Tac-Toe", "arithmetic": "on arithmetic"}[config.task]
    result = {
        "task": config.task,
        "title": f"Training signals {title}: imitation, approval and outcomes, with a reward model and its limits",
        **pieces["header"],
        "paths": {r.name: r.score for r in runs},
        "path_details": [r.summary() for r in runs],
        "reward_model": {
            "by_fraction": [_fraction_row(r.extra["reward_model"]) for r in runs if "reward_model" in r.extra],
            "active": {
                "counts": curves["active"].counts,
                "accuracy": curves["active"].accuracy,
                "picked_disagreement": curves["active"].picked_disagreement,
                "pool_median_disagreement": curves["active"].pool_median_disagreement,
            },
            "random": {"counts": curves["random"].counts, "accuracy": curves["random"].accuracy},
        },
        "overoptimization": {
            "best_of_n": over["best_of_n"],
            "rl": over["rl"],
            "reward_model": _fraction_row(over["reward_model"]),
        },
        "pipeline": {r.name: r.score for r in stages},
        "pipeline_details": [r.summary() for r in stages],
    }
    return _jsonable(result)


def _metrics_row(path: str, point: dict[str, Any]) -> dict[str, Any]:
    """One learning-curve point of a training path as a metrics.jsonl row of the series "path=NAME".

    A point's own numbers that are columns (step, and forward_equivalents, examples_seen, labels or
    seconds where the path records them) go there; the rest (the true score, a reward, a KL) are values.
    A column the path's curve does not record is null rather than a guess: policy steps' points record
    forward_equivalents (and labels when the steps buy them, as approval does), imitation points record
    labels; the other columns are null.
    """
    columns = ("step", "forward_equivalents", "examples_seen", "labels", "seconds", "loss")
    return series_row(
        {"path": path},
        **{name: point.get(name) for name in columns},
        **{key: value for key, value in point.items() if key not in columns},
    )


def _fraction_row(report: dict) -> dict:
    """A reward model's fit report as a row of the by-fraction table (both tasks report these four)."""
    return {key: report.get(key) for key in ("fraction", "labels", "heldout accuracy", "truth accuracy")}


def _jsonable(value: Any) -> Any:
    """NaN and infinities to None, tuples to lists, numpy numbers to floats, keys to strings: strict JSON."""
    import math

    import numpy as np

    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if dataclasses.is_dataclass(value):
        return _jsonable(dataclasses.asdict(value))
    return value


EXPERIMENT = Experiment(
    name="signals",
    title="Training signals: imitation, approval and outcomes, with a reward model and its limits",
    essay_section=SECTION,
    config=Config,
    prepare=prepare,
    run=run,
    tour={
        "imitation_steps": 800,
        "rl_steps": {"tictactoe": 150, "arithmetic": 60},
        "demonstration_games": 400,
        "label_counts": (100, 400, 1600),
        "overoptimization_steps": {"tictactoe": 300, "arithmetic": 150},
        "rm_steps": {"tictactoe": 400, "arithmetic": 300},
        "demonstrations": 8_000,
        "best_of_problems": 64,
        # 1-digit sums: at the tour's steps the model learns them well enough for approval and outcomes to build on
        # (on 1-2 digit sums it reached 0.53, and 60 policy steps from there lost ground); the full size does
        # 1-2 digits.
        "digits": (1,),
    },
    quick={
        "imitation_steps": 300,
        "rl_steps": {"tictactoe": 60, "arithmetic": 30},
        "demonstration_games": 150,
        "fractions": (1.0, 0.1),
        "label_counts": (50, 200),
        "overoptimization_steps": {"tictactoe": 100, "arithmetic": 60},
        "rm_steps": {"tictactoe": 200, "arithmetic": 150},
        "demonstrations": 3000,
        "best_of_problems": 32,
    },
    variants={"arithmetic": {"task": "arithmetic"}},
)
