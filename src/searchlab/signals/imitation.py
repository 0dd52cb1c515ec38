"""Imitation, written once for every task: behaviour cloning, and interactive correction (DAgger).

* `behaviour_cloning`: the demonstrator shows the task (`Task.demonstrations`: its moves in its
  own games, its answers to sampled problems); the model is fitted to what it showed.
* `dagger`: a first clone on a share of the demonstrations, then rounds of: the model acts on
  states of its own (`Task.visit`: its own games, its greedy answers to fresh problems), the
  overseer (the same imperfect demonstrator, one stream for every answer it writes) shows its
  own action in each of them, the data grows, and the model is fitted again on all of it. The
  overseer sees the model's own states, not only the ones it chose itself. Where its action
  differs from the model's it is a correction; being imperfect, the overseer sometimes
  "corrects" a right action into a wrong one, and misses a wrong one only by making the same
  mistake; both are counted. A task aggregates every action the overseer showed (classic
  DAgger) or only its corrections (`ImitationPlan.corrections_only`).

Both train through `training.train` (a `core.run` search by Adam over the model's parameters,
on the task's `imitation_problem`, which bills the demonstrations as labels) and return a
`PathResult`. The task says how much each spends (`Task.imitation`, an `ImitationPlan`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from searchlab.core import Optimizer, Result
from searchlab.core.seeding import check_seed, spawn_seeds
from searchlab.signals.persons import take
from searchlab.signals.result import PathResult
from searchlab.signals.task import Task
from searchlab.signals.training import every, train


def fit(
    task: Task,
    model: Any,
    shown: tuple[Any, Any],
    steps: int,
    seed: int,
    bought: int,
    curve: list[dict] | None = None,
    labels: int = 0,
) -> Result:
    """`steps` Adam steps of cloning `shown` (states, actions) through `core.run`; `model` holds the result.

    The fit bills `bought` labels (demonstrations no earlier fit paid for, see `training.Shown`). With
    `curve`, points {"step", "labels" (the path's running count), "loss", "score"} are appended
    `ImitationPlan.curve_points` times (every ``steps // curve_points`` steps, and at the last).
    """
    plan = task.imitation
    problem = task.imitation_problem(model, *shown, bought)

    def point(step: int, optimizer: Optimizer) -> None:
        score = task.evaluate(model)["score"]
        curve.append({"step": step, "labels": labels, "loss": optimizer.loss_, "score": score})

    callback = None if curve is None else every(model, steps, max(1, steps // plan.curve_points), point)
    return train(model, problem, plan.learning_rate, steps, seed, batch_size=plan.batch_size, callback=callback)


def behaviour_cloning(
    task: Task,
    seed: int,
    start: Any = None,
    demonstrator: Any = None,
    amount: int | None = None,
    steps: int | None = None,
    name: str = "behaviour cloning",
) -> PathResult:
    """Fit the demonstrator's actions for `steps` (default `ImitationPlan.steps`) steps.

    Args:
        task: the task (its people's demonstrator shows, unless `demonstrator` is given).
        seed: seeds the fresh model, the demonstrations and the fit.
        start: a model to fine-tune (a copy is trained); a fresh one if None.
        demonstrator: who shows the task; `task.people.demonstrator()` if None.
        amount: how much is shown (games, problems); `ImitationPlan.demonstrations` if None.
        steps: gradient steps; `ImitationPlan.steps` if None.
        name: the result's name.

    Returns:
        The `PathResult`: queries {"demonstrations"}, the curve, and in `extra` the share of right
        actions among those shown ("demonstration_accuracy").
    """
    began = time.perf_counter()
    plan = task.imitation
    init_seed, data_seed, fit_seed = spawn_seeds(check_seed(seed), 3)
    model = task.new_model(init_seed, start)
    before = task.evaluate(model)
    amount = plan.demonstrations if amount is None else amount
    shown = task.demonstrations(demonstrator or task.people.demonstrator(), amount, data_seed)
    count = len(shown[1])
    steps = plan.steps if steps is None else steps
    curve = [{"step": 0, "labels": count, "score": before["score"]}]
    fitted = fit(task, model, shown, steps, fit_seed, count, curve, count)
    right = task.people.checker().check(*shown)
    return PathResult(
        name,
        model,
        before,
        task.evaluate(model),
        {"demonstrations": fitted.labels},
        curve,
        {"demonstration_accuracy": float(right.mean()) if right.size else float("nan")},
        time.perf_counter() - began,
    )


def dagger(task: Task, seed: int, start: Any = None) -> PathResult:
    """Interactive correction at behaviour cloning's compute: clone `first_demonstrations`, then `rounds`
    rounds of (the model acts on `visits` states of its own, the overseer shows its action in each, retrain).

    The first fit takes ``steps - rounds * round_steps`` steps (at least 1), so the path spends as many
    gradient steps as `behaviour_cloning` in all; with `start` that fit is skipped and the rounds begin
    from a copy of `start` (the first demonstrations still join the data). The labels, counted under
    `ImitationPlan.overseer_queries`, are every action the overseer showed: the first demonstrations and
    one per state it looked at in the rounds. `start` in the result is the model before any fit, and the
    curve's first point; the first clone's point follows (without `start`), then one per round. `extra`
    holds the first clone's performance ("first_clone", None with `start`) and the correction counts.
    """
    began = time.perf_counter()
    plan = task.imitation
    init_seed, data_seed, fit_seed, *round_seeds = spawn_seeds(check_seed(seed), plan.rounds + 3)
    overseer, checker = task.people.demonstrator(), task.people.checker()  # one stream for every overseer action
    states, actions = task.demonstrations(overseer, plan.first_demonstrations, data_seed)
    labels = unbilled = len(actions)  # the overseer's actions so far, and those no fit has paid for yet
    billed = 0
    first_steps = max(1, plan.steps - plan.rounds * plan.round_steps)
    model = task.new_model(init_seed, start)
    untrained = task.evaluate(model)
    if start is None:
        billed += fit(task, model, (states, actions), first_steps, fit_seed, unbilled).labels
        unbilled = 0
    else:
        first_steps = 0
    before = task.evaluate(model) if start is None else untrained
    curve = [{"step": 0, "labels": labels, "data": len(actions), "score": untrained["score"]}]
    if start is None:  # the first clone's point
        curve.append({"step": first_steps, "labels": labels, "data": len(actions), "score": before["score"]})
    counts = {"corrections": 0, "corrections_wrong": 0, "right_answers_overruled": 0, "wrong_answers_missed": 0}
    for round_index, round_seed in enumerate(round_seeds):
        visit_seed, round_fit_seed = spawn_seeds(round_seed, 2)
        visited, acted = task.visit(model, plan.visits, visit_seed)
        overseen = overseer.demonstrate(visited)  # the overseer's own action in each state the model reached
        differs = ~_same(acted, overseen)
        acted_right, overseen_right = checker.check(visited, acted), checker.check(visited, overseen)
        counts["corrections"] += int(differs.sum())
        counts["corrections_wrong"] += int((differs & ~overseen_right).sum())
        counts["right_answers_overruled"] += int((differs & acted_right).sum())
        counts["wrong_answers_missed"] += int((~differs & ~acted_right).sum())
        keep = differs if plan.corrections_only else np.ones(differs.size, dtype=bool)
        states, actions = _join(states, take(visited, keep)), _join(actions, take(overseen, keep))
        labels += len(overseen)  # the overseer looked at (and acted in) every state
        unbilled += len(overseen)
        billed += fit(task, model, (states, actions), plan.round_steps, round_fit_seed, unbilled).labels
        unbilled = 0
        curve.append(
            {
                "step": first_steps + (round_index + 1) * plan.round_steps,
                "round": round_index + 1,
                "labels": labels,
                "data": len(actions),
                "score": task.evaluate(model)["score"],
            }
        )
    extra = {
        **counts,
        "gradient_steps": first_steps + plan.rounds * plan.round_steps,
        "first_clone": before if start is None else None,
    }
    return PathResult(
        "dagger",
        model,
        untrained,
        task.evaluate(model),
        {plan.overseer_queries: billed + unbilled},  # unbilled: first demonstrations of a run with no rounds
        curve,
        extra,
        time.perf_counter() - began,
    )


def _same(a: Any, b: Any) -> np.ndarray:
    """(N,) bool, elementwise equality of two action sequences (arrays or lists)."""
    if isinstance(a, np.ndarray):
        return np.asarray(a == np.asarray(b), dtype=bool)
    return np.array([x == y for x, y in zip(a, b)], dtype=bool)


def _join(a: Any, b: Any) -> Any:
    """Two sequences of one kind, one after the other: arrays concatenated, lists added."""
    if isinstance(a, np.ndarray):
        return np.concatenate([a, b])
    return list(a) + list(b)
