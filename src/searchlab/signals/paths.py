"""The policy-improvement paths, written once for every task: approval from the rater, approval through a
reward model, and outcomes.

Each path starts from the task's starting point (`Task.improvement_start`: an untrained network on
Tic-Tac-Toe, a behaviour-cloned one on arithmetic, or the `start` given), spends its signal through
`reinforce`, and returns a `PathResult`. What the signal is, what it costs and what the task watches
while it is spent come from the task as a `Signal`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from searchlab.core import Result
from searchlab.core.seeding import check_seed, spawn_seeds
from searchlab.signals.reinforce import reinforce
from searchlab.signals.result import PathResult
from searchlab.signals.task import Task


@dataclass
class Signal:
    """A reward for policy steps and its bookkeeping.

    Attributes:
        reward: batch -> rewards (see `reinforce`).
        queries: the policy steps' `core.Result` -> the signal spent, by kind (`Result.labels` is what the
            steps bought: one rater label per rewarded action for approval, none for a reward model or
            outcomes; `Result.examples_seen` is the number of actions rewarded).
        extra: after the steps -> path-specific numbers for `PathResult.extra`.
        on_eval: adds numbers to each learning-curve point (None: nothing).
        reference, kl_coef: the model the KL is measured to, and the penalty on it (see `reinforce`).
        name: the path's name when the signal names it (a reward model's share of labels).
        buys_labels: every rewarded action is judged by the rater, one label each (approval).
    """

    reward: Callable[[Any], Any]
    queries: Callable[[Result], dict[str, int]]
    extra: Callable[[], dict] = dict
    on_eval: Callable[[dict], None] | None = None
    reference: Any = None
    kl_coef: float = 0.0
    name: str | None = None
    buys_labels: bool = False


def improve(
    task: Task, name: str, seed: int, start: Any, signal: Callable[[Any, int], Signal], seeds: int
) -> PathResult:
    """Policy steps from the task's starting point against `signal(model, seed)`; the shared body of every path.

    `seed` is split into `seeds` children: the start's, then (with three) the signal's, then the steps'.
    """
    began = time.perf_counter()
    children = spawn_seeds(check_seed(seed), seeds)
    model = task.improvement_start(children[0], start)
    before, probe = task.evaluate(model), task.probe(model)
    spending = signal(model, children[1] if seeds == 3 else -1)
    curve, spent = reinforce(
        task,
        model,
        spending.reward,
        children[-1],
        task.rl_steps,
        reference=spending.reference,
        kl_coef=spending.kl_coef,
        buys_labels=spending.buys_labels,
        on_eval=spending.on_eval,
        start_point=task.curve_starts,
    )
    extra = spending.extra()
    if probe:
        extra |= {f"{k}_before": v for k, v in probe.items()} | {f"{k}_after": v for k, v in task.probe(model).items()}
    return PathResult(
        spending.name or name,
        model,
        before,
        task.evaluate(model),
        spending.queries(spent),
        curve,
        extra,
        time.perf_counter() - began,
    )


def approval_direct(task: Task, seed: int, start: Any = None) -> PathResult:
    """Policy improvement against the rater itself: every sampled move or answer is judged once (0/1)."""
    return improve(task, "approval (rater)", seed, start, lambda model, _: task.approval_signal(model), 2)


def approval_reward_model(task: Task, seed: int, fraction: float | None = None, start: Any = None) -> PathResult:
    """Policy improvement against a reward model fitted on `fraction` of the rater's labels (the task's default)."""
    signal = lambda model, rm_seed: task.reward_model_signal(model, rm_seed, fraction)  # noqa: E731
    return improve(task, "approval (reward model)", seed, start, signal, 3)


def outcomes(task: Task, seed: int, start: Any = None) -> PathResult:
    """Policy improvement from what actually happened: game results, or the exact check of an answer."""
    return improve(task, "outcomes", seed, start, lambda model, _: task.outcome_signal(), 2)
