"""Training paths for arithmetic, one model class for all: imitation, interactive correction, approval, outcomes.

Each path is a function ``(people, settings, seed, start=None) -> PathResult``: the trained
model, its true performance (greedy exact accuracy on a fixed held-out set, by
difficulty), the labels it bought, a small curve, and what it started from.

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
* `approval_direct`: REINFORCE with a leave-one-out baseline, the reward the rater's
  0/1 approval of the model's sampled answers; the exploit (round answers, which the
  rater favours) is measured on the held-out set.
* `outcomes`: REINFORCE with a leave-one-out baseline, the reward the exact check.

The policy-gradient paths also report `expected_accuracy` before and after ("expected_accuracy_before",
"expected_accuracy_after" in `extra`): a clone can be right greedily and still sample many wrong
answers, and sharpening that distribution is most of what these paths do.

Approval and outcomes start from a model (``start``, else behaviour cloning on
``settings.bc_steps`` steps), since policy improvement needs a policy that is sometimes
right. Imitation is `searchlab.signals.imitation`, approval and outcomes `searchlab.signals.paths`,
all on `arithmetic_signals.ArithmeticSignals`. The reward-model
paths are in `arithmetic_rm_paths`.
"""

from __future__ import annotations

from searchlab.lm.model import CausalTransformer
from searchlab.signals import imitation, paths
from searchlab.signals.arithmetic_settings import (
    HELD_OUT_SEED,
    SAMPLED_SEED,
    PathSettings,
    demonstrator_level,
    evaluate,
    expected_accuracy,
    one_thread,
    performance,
    rater_level,
    round_rates,
)
from searchlab.signals.arithmetic_signals import ArithmeticSignals, policy_steps
from searchlab.signals.people import ArithmeticPeople
from searchlab.signals.result import PathResult

__all__ = [
    "HELD_OUT_SEED",
    "SAMPLED_SEED",
    "ArithmeticSignals",
    "PathResult",
    "PathSettings",
    "approval_direct",
    "behaviour_cloning",
    "dagger",
    "demonstrator_level",
    "evaluate",
    "expected_accuracy",
    "one_thread",
    "outcomes",
    "performance",
    "policy_steps",
    "rater_level",
    "round_rates",
    "starting_model",
]


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
    return imitation.behaviour_cloning(ArithmeticSignals(people, settings), seed, start, steps=steps, name=name)


@one_thread
def dagger(
    people: ArithmeticPeople, settings: PathSettings, seed: int, start: CausalTransformer | None = None
) -> PathResult:
    """Interactive correction at behaviour cloning's compute: clone a tenth of the demonstrations, then
    `dagger_rounds` rounds of (the model answers, the overseer corrects where it disagrees, retrain on all).

    With `start` the first fit is skipped and the rounds begin from `start`; `labels` counts every answer the
    overseer wrote: the first demonstrations and one per problem it looked at in the rounds.
    """
    return imitation.dagger(ArithmeticSignals(people, settings), seed, start)


def starting_model(
    people: ArithmeticPeople, settings: PathSettings, seed: int, start: CausalTransformer | None
) -> CausalTransformer:
    """A copy of `start`, else a behaviour clone (`ArithmeticSignals.improvement_start`)."""
    return ArithmeticSignals(people, settings).improvement_start(seed, start)


@one_thread
def approval_direct(
    people: ArithmeticPeople, settings: PathSettings, seed: int, start: CausalTransformer | None = None
) -> PathResult:
    """Policy improvement against the rater's approvals (REINFORCE, leave-one-out baseline), exploit measured."""
    return paths.approval_direct(ArithmeticSignals(people, settings), seed, start)


@one_thread
def outcomes(
    people: ArithmeticPeople, settings: PathSettings, seed: int, start: CausalTransformer | None = None
) -> PathResult:
    """Policy improvement from the exact check (REINFORCE, leave-one-out baseline); `queries` counts checks."""
    return paths.outcomes(ArithmeticSignals(people, settings), seed, start)
