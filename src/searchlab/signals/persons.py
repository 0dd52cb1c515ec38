"""The simulated people of every task, written once: a demonstrator, a rater and a checker over a task's truth.

Each task tells its people what is true through a small `Truth` (which actions are right in
a state, a right action to show, a plausible mistake, what tempts a rater), and tells the
demonstrator how often it errs through a `Skill` (the per-state error rate, and how its
measured rate is reported). The people themselves are the same for every task:

* `Demonstrator(truth, skill, seed)`: one uniform draw per state decides a mistake (with the
  skill's error rate in that state); it then shows a right action, or a plausible mistake
  where it erred. So its accuracy is exactly the configured one, state by state.
* `Rater(truth, accuracy, seed, bias)`: approves an action iff it is right, each judgement
  flipped with probability 1 - accuracy, independently; where the task names a *tempting*
  kind of action (arithmetic's round answers), a tempting action is approved outright with
  probability `bias`, whatever its correctness (the bias "fires"), and judged as usual
  otherwise. So P(approve | wrong, tempting) = bias + (1 - bias) * (1 - accuracy).
* `Checker(truth)`: the exact check of an action, counting its checks.

Every person keeps its own seeded stream, which successive calls continue, and `measure`s a
fresh copy (same settings, same seed) on samples, for the reports' "configured 0.7,
measured 0.703" lines (`common.Measured`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from searchlab.core.seeding import check_seed, numpy_generator
from searchlab.signals.common import Measured, check_probability


class Truth(Protocol):
    """What the simulated people know of a task. States and actions are the task's own sequences
    (an int64 array of position ids and one of moves; a list of problems and one of answer strings).

    Attributes:
        actions_name: the actions in words, plural ("moves", "answers"), for measured rates' names.
        tempting_name: the adjective of the kind of action a rater favours ("round"), or None where
            nothing tempts the rater (then the rater draws one number per judgement, not two).
    """

    actions_name: str
    tempting_name: str | None

    def states(self, states: Any) -> Any:
        """The states as the task's sequence, checked (a SearchlabError names a bad one)."""

    def is_right(self, states: Any, actions: Any) -> np.ndarray:
        """(N,) bool, the exact truth of each action in its state (a SearchlabError for a malformed pair)."""

    def right_actions(self, states: Any, rng: np.random.Generator) -> Any:
        """One right action per state, drawn with `rng` where there are several."""

    def mistakes(self, states: Any, rng: np.random.Generator) -> Any:
        """One plausible mistake per state, drawn with `rng` (a right action where no mistake exists)."""

    def tempting(self, actions: Any) -> np.ndarray:
        """(N,) bool, the actions the rater favours (all False where `tempting_name` is None)."""

    def sample_states(self, count: int, rng: np.random.Generator) -> Any:
        """`count` states to measure the people on, drawn with `rng`."""

    def rating_sample(self, states: Any, rng: np.random.Generator) -> Any:
        """Actions to measure the rater on, one per state, drawn with `rng` (a mix of right and wrong ones)."""


class Skill(Protocol):
    """How often a demonstrator errs, state by state, and how that rate is reported."""

    def error_rates(self, states: Any) -> np.ndarray:
        """(N,) the configured chance of a mistake in each state."""

    def report(self, states: Any, wrong: np.ndarray) -> dict[str, Measured]:
        """The configured rates beside the measured ones, from (N,) bool mistakes made in `states`."""


def take(items: Any, mask: np.ndarray) -> Any:
    """The items where `mask` holds: an array indexed, a list filtered."""
    if isinstance(items, np.ndarray):
        return items[mask]
    return [item for item, keep in zip(items, mask) if keep]


def merge(right: Any, slips: Any, wrong: np.ndarray) -> Any:
    """`right` with the entries where `wrong` holds replaced, in order, by `slips` (same sequence type)."""
    if isinstance(right, np.ndarray):
        merged = right.copy()
        merged[wrong] = slips
        return merged
    slips = iter(slips)
    return [next(slips) if w else r for r, w in zip(right, wrong)]


class Demonstrator:
    """Shows an action per state: right, except with the skill's error rate a plausible mistake.

    Args:
        truth: the task's truth.
        skill: the per-state error rate.
        seed: seed of the demonstrator's own stream; successive calls continue it.

    Raises:
        SearchlabError: a bad seed.
    """

    def __init__(self, truth: Truth, skill: Skill, seed: int) -> None:
        self.truth, self.skill = truth, skill
        self.seed = check_seed(seed)
        self._rng = numpy_generator(self.seed)

    def demonstrate(self, states: Any) -> Any:
        """One action per state, as the task's sequence: a draw per state decides a mistake, then a right
        action is drawn for every state and a plausible mistake for each state where it erred."""
        states = self.truth.states(states)
        wrong = self._rng.random(len(states)) < self.skill.error_rates(states)  # (N,) one draw each
        right = self.truth.right_actions(states, self._rng)
        return merge(right, self.truth.mistakes(take(states, wrong), self._rng), wrong)

    def expected_accuracy(self, states: Any) -> float:
        """The share of right actions expected on these states: the mean of 1 - error rate."""
        return float(np.mean(1.0 - self.skill.error_rates(self.truth.states(states))))

    def measure(self, samples: int = 10_000, seed: int = 0) -> dict[str, Measured]:
        """The skill's rates measured on a fresh copy (same skill and seed) on `samples` states drawn from `seed`."""
        states = self.truth.sample_states(samples, numpy_generator(seed))
        actions = Demonstrator(self.truth, self.skill, self.seed).demonstrate(states)
        return self.skill.report(states, ~self.truth.is_right(states, actions))

    def __repr__(self) -> str:
        return f"Demonstrator({self.skill!r}, seed={self.seed})"


@dataclass(frozen=True)
class Judgement:
    """A rater's verdicts with what lay behind them, all (N,) bool arrays.

    Attributes:
        approved: the verdicts.
        correct: the truth.
        tempting: the action was of the favoured kind (`Truth.tempting`).
        fired: the bias decided the verdict (tempting, and the bias draw came up).
    """

    approved: np.ndarray
    correct: np.ndarray
    tempting: np.ndarray
    fired: np.ndarray


class Rater:
    """Approves right actions, each judgement right with probability `accuracy`, with a `bias` for tempting ones.

    Args:
        truth: the task's truth.
        accuracy: probability that a judgement not decided by the bias is right (otherwise it is flipped).
        seed: seed of the rater's own stream; successive calls continue it.
        bias: probability that a tempting action is approved outright (unused where nothing tempts).

    Raises:
        SearchlabError: accuracy or bias outside [0, 1], or a bad seed.
    """

    def __init__(self, truth: Truth, accuracy: float, seed: int, bias: float = 0.0) -> None:
        self.truth = truth
        self.accuracy = check_probability("rater", "accuracy", accuracy)
        self.bias = check_probability("rater", "bias", bias)
        self.seed = check_seed(seed)
        self._rng = numpy_generator(self.seed)

    def judge(self, states: Any, actions: Any) -> Judgement:
        """The verdicts on actions, and why. Per action: a bias draw (only where the task has a tempting
        kind), then a judgement draw, right where it falls below `accuracy`."""
        correct = np.asarray(self.truth.is_right(states, actions), dtype=bool)
        tempting = np.asarray(self.truth.tempting(actions), dtype=bool)
        rows = 1 if self.truth.tempting_name is None else 2
        draws = self._rng.random((rows, correct.size))  # (bias,) judgement
        fired = tempting & (draws[0] < self.bias) if rows == 2 else np.zeros(correct.size, dtype=bool)
        approved = fired | (correct ^ (draws[-1] >= self.accuracy))
        return Judgement(approved, correct, tempting, fired)

    def rate(self, states: Any, actions: Any) -> np.ndarray:
        """(N,) bool approvals (see `judge`)."""
        return self.judge(states, actions).approved

    def measure(self, samples: int = 10_000, seed: int = 0) -> dict[str, Measured]:
        """Judge a fresh copy (same settings and seed) on the task's `rating_sample` of `samples` states.

        Without a tempting kind: its accuracy. With one: its accuracy on actions that do not tempt, how
        often the bias fires on those that do, and how often it approves tempting wrong actions.
        """
        rng = numpy_generator(seed)
        states = self.truth.sample_states(samples, rng)
        actions = self.truth.rating_sample(states, rng)
        judged = Rater(self.truth, self.accuracy, self.seed, self.bias).judge(states, actions)
        agreed = judged.approved == judged.correct
        shade, noun = self.truth.tempting_name, self.truth.actions_name
        if shade is None:
            return {"accuracy": Measured("accuracy", self.accuracy, float(agreed.mean()), int(agreed.size))}
        approve_wrong = self.bias + (1 - self.bias) * (1 - self.accuracy)
        rates = {
            f"accuracy on {noun} not {shade}": (self.accuracy, agreed[~judged.tempting]),
            f"bias firing on {shade} {noun}": (self.bias, judged.fired[judged.tempting]),
            f"approval of wrong {shade} {noun}": (approve_wrong, judged.approved[judged.tempting & ~judged.correct]),
        }
        return {name: Measured(name, c, float(hits.mean()), int(hits.size)) for name, (c, hits) in rates.items()}

    def __repr__(self) -> str:
        return f"Rater(accuracy={self.accuracy}, bias={self.bias}, seed={self.seed})"


class Checker:
    """The exact check of actions (a game's truth, an answer's exact result), counting every check made.

    Args:
        truth: the task's truth.
    """

    def __init__(self, truth: Truth) -> None:
        self.truth = truth
        self.checks = 0

    def check(self, states: Any, actions: Any) -> np.ndarray:
        """(N,) bool, True where the action is right; adds N to `checks`."""
        right = np.asarray(self.truth.is_right(states, actions), dtype=bool)
        self.checks += int(right.size)
        return right

    def __repr__(self) -> str:
        return f"Checker(checks={self.checks})"
