"""Training paths for arithmetic, one model class for all: imitation, interactive correction, approval, outcomes.

Each path is a function ``(people, settings, seed, start=None) -> PathResult``: the trained
model, its true performance (greedy exact accuracy on a fixed held-out set, by
difficulty), the labels it bought, a small curve, and what it started from.

* `behaviour_cloning`, `dagger`: imitation (`arithmetic_imitation`).
* `approval_direct`: REINFORCE with a leave-one-out baseline, the reward the rater's
  0/1 approval of the model's sampled answers; the exploit (round answers, which the
  rater favours) is measured on the held-out set.
* `outcomes`: REINFORCE with a leave-one-out baseline, the reward the exact check.

The policy-gradient paths also report `expected_accuracy` before and after ("expected_accuracy_before",
"expected_accuracy_after" in `extra`): a clone can be right greedily and still sample many wrong
answers, and sharpening that distribution is most of what these paths do.

Approval and outcomes start from a model (``start``, else behaviour cloning on
``settings.bc_steps`` steps), since policy improvement needs a policy that is sometimes
right. Both are `searchlab.signals.paths` on `arithmetic_signals.ArithmeticSignals`. The reward-model
paths are in `arithmetic_rm_paths`.
"""

from __future__ import annotations

from searchlab.lm.model import CausalTransformer
from searchlab.signals import paths
from searchlab.signals.arithmetic_imitation import behaviour_cloning, dagger, starting_model
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
