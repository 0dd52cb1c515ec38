"""Arithmetic imitation: behaviour cloning on the demonstrator's answers, and interactive correction (DAgger).

* `behaviour_cloning`: fit the demonstrator's (noisy) answers.
* `dagger`: interactive correction, at behaviour cloning's number of gradient steps. After a
  first fit on a tenth of the demonstrations, the model answers fresh problems; the overseer
  (the same imperfect demonstrator) writes its own answer to each and, where the two differ,
  that answer joins the data as a correction; retrain on everything, a few rounds. An
  answer is one "state" here (the answer is written in one go), so this is DAgger at the
  level of problems: the overseer sees the model's own mistakes, not only its own
  demonstrations. Being imperfect, the overseer sometimes "corrects" a right answer
  into a wrong one and misses none (it disagrees with every wrong answer unless it
  makes the same mistake); both are counted.
* `starting_model`: where approval and outcomes start, a copy of a given model or a clone.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import torch

from searchlab.core import Optimizer, Result
from searchlab.core.seeding import check_seed, spawn_seeds
from searchlab.lm.model import CausalTransformer
from searchlab.signals import arithmetic_model as M
from searchlab.signals.arithmetic import ANSWER_LENGTH, ArithmeticProblem, check, encode_answers, encode_problems
from searchlab.signals.arithmetic_settings import PathSettings, evaluate, one_thread
from searchlab.signals.people import ArithmeticPeople
from searchlab.signals.result import PathResult
from searchlab.signals.training import Shown, every, train
from searchlab.spaces.module import ModuleSpace

# ---- the fit -------------------------------------------------------------------------------


def _fit(
    model: CausalTransformer,
    problem_ids: torch.Tensor,
    answer_ids: torch.Tensor,
    steps: int,
    settings: PathSettings,
    seed: int,
    bought: int,
    curve: list[dict] | None = None,
    labels: int = 0,
    offset: int = 0,
) -> Result:
    """`steps` Adam steps of behaviour cloning through `core.run`; `model` holds the result.

    Minibatches of `batch_size` rows, reshuffled every epoch (all rows when there are fewer). The fit
    bills `bought` labels (the demonstrations or corrections no earlier fit paid for, see
    `training.Shown`) and one forward-equivalent per answer position predicted (`ANSWER_LENGTH` a row),
    3 per position for a gradient step. With `curve`, points {"step" (plus `offset`), "labels" (the
    path's running count), "loss", "score"} are appended `curve_points` times.
    """
    data = {"problems": problem_ids, "answers": answer_ids}
    problem = Shown(ModuleSpace(model), data, _cloning_loss, "answer_nll", bought, cost_per_example=ANSWER_LENGTH)
    model.train()

    def point(step: int, optimizer: Optimizer) -> None:
        score = evaluate(model, settings)["score"]
        curve.append({"step": offset + step, "labels": labels, "loss": optimizer.loss_, "score": score})

    callback = None if curve is None else every(model, steps, max(1, steps // settings.curve_points), point)
    return train(model, problem, settings.learning_rate, steps, seed, batch_size=settings.batch_size, callback=callback)


def _cloning_loss(run, rows: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean negative log-likelihood per counted answer character (`arithmetic_model.nll`); `run` is the candidate."""
    return M.nll(run, rows["problems"], rows["answers"])


def _encode(problems: list[ArithmeticProblem], answers: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.as_tensor(encode_problems(problems)), torch.as_tensor(encode_answers(answers, M.VOCAB))


@one_thread
def behaviour_cloning(
    people: ArithmeticPeople,
    settings: PathSettings,
    seed: int,
    start: CausalTransformer | None = None,
    steps: int | None = None,
    name: str = "behaviour cloning",
) -> PathResult:
    """Fit `settings.demonstrations` demonstrator answers for `steps` (default `bc_steps`) steps."""
    began = time.perf_counter()
    init_seed, data_seed, fit_seed = spawn_seeds(check_seed(seed), 3)
    model = copy.deepcopy(start) if start is not None else M.make_model(settings.model, init_seed)
    before = evaluate(model, settings)
    problems = settings.task().sample(settings.demonstrations, data_seed)
    answers = people.demonstrator().demonstrate(problems)
    curve = [{"step": 0, "labels": len(problems), "score": before["score"]}]
    steps = settings.bc_steps if steps is None else steps
    fitted = _fit(model, *_encode(problems, answers), steps, settings, fit_seed, len(problems), curve, len(problems))
    data_accuracy = float(np.mean([check(p, a) for p, a in zip(problems, answers)]))
    return PathResult(
        name,
        model,
        before,
        evaluate(model, settings),
        {"demonstrations": fitted.labels},
        curve,
        {"demonstration_accuracy": data_accuracy},
        time.perf_counter() - began,
    )


@one_thread
def dagger(
    people: ArithmeticPeople, settings: PathSettings, seed: int, start: CausalTransformer | None = None
) -> PathResult:
    """Interactive correction at behaviour cloning's compute: clone a tenth of the demonstrations, then
    `dagger_rounds` rounds of (the model answers, the overseer corrects where it disagrees, retrain on all).

    The first fit takes ``bc_steps - dagger_rounds * dagger_steps`` steps (at least 1), so the
    path spends as many gradient steps as `behaviour_cloning` in all; with `start` that fit is
    skipped and the rounds begin from `start`. `labels` counts every answer the overseer wrote:
    the first demonstrations and one per problem it looked at in the rounds.
    """
    began = time.perf_counter()
    init_seed, data_seed, fit_seed, *round_seeds = spawn_seeds(check_seed(seed), settings.dagger_rounds + 3)
    overseer = people.demonstrator()  # one stream for the first demonstrations and every correction
    problems = settings.task().sample(max(1, settings.demonstrations // 10), data_seed)
    answers = overseer.demonstrate(problems)
    labels = unbilled = len(problems)  # the overseer's answers so far, and those no fit has paid for yet
    billed = 0
    first_steps = max(1, settings.bc_steps - settings.dagger_rounds * settings.dagger_steps)
    if start is None:
        model = M.make_model(settings.model, init_seed)
        untrained = evaluate(model, settings)
        billed += _fit(model, *_encode(problems, answers), first_steps, settings, fit_seed, unbilled).labels
        unbilled = 0
    else:
        model, untrained, first_steps = copy.deepcopy(start), None, 0
    before = evaluate(model, settings)
    curve = [{"step": first_steps, "labels": labels, "data": len(problems), "score": before["score"]}]
    counts = {"corrections": 0, "corrections_wrong": 0, "right_answers_overruled": 0, "wrong_answers_missed": 0}
    for round_index, round_seed in enumerate(round_seeds):
        ask_seed, round_fit_seed = spawn_seeds(round_seed, 2)
        asked = settings.task().sample(settings.dagger_problems, ask_seed)
        written = M.greedy(model, asked)
        overseen = overseer.demonstrate(asked)  # the overseer writes its own answer to compare
        differs = [w != o for w, o in zip(written, overseen)]
        for p, w, o, d in zip(asked, written, overseen, differs):
            counts["corrections"] += d
            counts["corrections_wrong"] += d and not check(p, o)
            counts["right_answers_overruled"] += d and check(p, w)
            counts["wrong_answers_missed"] += (not d) and not check(p, w)
        problems += [p for p, d in zip(asked, differs) if d]
        answers += [o for o, d in zip(overseen, differs) if d]
        labels += len(asked)  # the overseer looked at (and answered) every problem
        unbilled += len(asked)
        billed += _fit(
            model, *_encode(problems, answers), settings.dagger_steps, settings, round_fit_seed, unbilled
        ).labels
        unbilled = 0
        curve.append(
            {
                "step": first_steps + (round_index + 1) * settings.dagger_steps,
                "round": round_index + 1,
                "labels": labels,
                "data": len(problems),
                "score": evaluate(model, settings)["score"],
            }
        )
    extra = {
        **counts,
        "gradient_steps": first_steps + settings.dagger_rounds * settings.dagger_steps,
        "first_clone": before if untrained is not None else None,
    }
    return PathResult(
        "dagger",
        model,
        untrained or before,
        evaluate(model, settings),
        {"overseer answers": billed + unbilled},  # unbilled: first demonstrations of a run with no rounds
        curve,
        extra,
        time.perf_counter() - began,
    )


def starting_model(
    people: ArithmeticPeople, settings: PathSettings, seed: int, start: CausalTransformer | None
) -> CausalTransformer:
    return copy.deepcopy(start) if start is not None else behaviour_cloning(people, settings, seed).model
