"""The simulated people of each task as one small frozen config: checked values, people made on demand.

`TicTacToePeople(p, q, seed)` and `ArithmeticPeople(base_error, per_digit_error, noise,
bias, seed)` check their values when made (one-line `SearchlabError` saying how to fix
a bad one), make the demonstrator and the rater (`searchlab.signals.persons`, the same
classes for both tasks, told the task's truth and skill) from independent child seeds, a
checker, and `measure` both people on samples, for the report's "configured p=0.7,
measured 0.703" lines.

The issue's tic-tac-toe experiments use q > p (recognising a good move is easier than
finding one); the config does not demand it, so the reverse can be studied too, and
`recognising_is_easier` says which case a config is.
"""

from __future__ import annotations

from dataclasses import dataclass

from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, spawn_seeds
from searchlab.signals.arithmetic import MAX_DIGITS, ArithmeticTask
from searchlab.signals.arithmetic_people import ArithmeticSkill, ArithmeticTruth
from searchlab.signals.common import Measured, check_probability
from searchlab.signals.persons import Checker, Demonstrator, Rater
from searchlab.signals.tictactoe_task import TicTacToeSkill, TicTacToeTask, TicTacToeTruth


@dataclass(frozen=True)
class TicTacToePeople:
    """The tic-tac-toe demonstrator (optimal with probability p) and rater (right with probability q).

    Raises:
        SearchlabError: p or q outside [0, 1], or a bad seed.
    """

    p: float = 0.7
    q: float = 0.9
    seed: int = 0

    def __post_init__(self) -> None:
        check_probability("tic-tac-toe people", "p", self.p)
        check_probability("tic-tac-toe people", "q", self.q)
        check_seed(self.seed)

    @property
    def recognising_is_easier(self) -> bool:
        """True when the rater is more accurate than the demonstrator (q > p), as in the issue."""
        return self.q > self.p

    def demonstrator(self, task: TicTacToeTask | None = None) -> Demonstrator:
        """Optimal with probability p in contested positions (`default_task()` if `task` is None)."""
        return Demonstrator(TicTacToeTruth(task), TicTacToeSkill(self.p, task), spawn_seeds(self.seed, 2)[0])

    def rater(self, task: TicTacToeTask | None = None) -> Rater:
        """Judges whether a move is optimal, right with probability q; nothing tempts it."""
        return Rater(TicTacToeTruth(task), self.q, spawn_seeds(self.seed, 2)[1])

    def checker(self, task: TicTacToeTask | None = None) -> Checker:
        """The exact check of a move: optimal or not."""
        return Checker(TicTacToeTruth(task))

    def measure(self, samples: int = 10_000, seed: int = 0) -> dict[str, Measured]:
        """Both people measured on `samples` contested positions each: "demonstrator accuracy", "rater accuracy"."""
        return {
            **{f"demonstrator {k}": m for k, m in self.demonstrator().measure(samples, seed).items()},
            **{f"rater {k}": m for k, m in self.rater().measure(samples, seed).items()},
        }


@dataclass(frozen=True)
class ArithmeticPeople:
    """The arithmetic demonstrator (error base_error + per_digit_error * (digits - 1)) and biased rater.

    Raises:
        SearchlabError: a value outside [0, 1], an error rate above 1 at the hardest
            difficulty, or a bad seed.
    """

    base_error: float = 0.05
    per_digit_error: float = 0.1
    noise: float = 0.1
    bias: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("base_error", "per_digit_error", "noise", "bias"):
            check_probability("arithmetic people", name, getattr(self, name))
        hardest = self.base_error + self.per_digit_error * (MAX_DIGITS - 1)
        if hardest > 1.0:
            raise SearchlabError(
                f"arithmetic people: base_error + per_digit_error * {MAX_DIGITS - 1} = {hardest:g} exceeds 1; "
                "lower one of them"
            )
        check_seed(self.seed)

    def demonstrator(self, task: ArithmeticTask | None = None) -> Demonstrator:
        """Wrong with probability base_error + per_digit_error * (digits - 1); `task` is what it is measured on."""
        skill = ArithmeticSkill(self.base_error, self.per_digit_error)
        return Demonstrator(ArithmeticTruth(task), skill, spawn_seeds(self.seed, 2)[0])

    def rater(self, task: ArithmeticTask | None = None) -> Rater:
        """Right with probability 1 - noise, approving a round answer outright with probability bias."""
        return Rater(ArithmeticTruth(task), 1.0 - self.noise, spawn_seeds(self.seed, 2)[1], self.bias)

    def checker(self, task: ArithmeticTask | None = None) -> Checker:
        """The exact check of an answer (`arithmetic.check`)."""
        return Checker(ArithmeticTruth(task))

    def measure(self, samples: int = 10_000, seed: int = 0, task: ArithmeticTask | None = None) -> dict[str, Measured]:
        """Both people measured on `samples` problems of `task` each (keys prefixed "demonstrator " and "rater ")."""
        return {
            **{f"demonstrator {k}": m for k, m in self.demonstrator(task).measure(samples, seed).items()},
            **{f"rater {k}": m for k, m in self.rater(task).measure(samples, seed).items()},
        }
