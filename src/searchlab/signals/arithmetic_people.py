"""What the simulated people know of arithmetic: the mistakes people make, the rater's soft spot, the error rates.

The people themselves are `searchlab.signals.persons`' (written once for every task); this
module gives them the truth (`ArithmeticTruth`) and the demonstrator's skill (`ArithmeticSkill`).

The demonstrator writes the right answer except with probability
``error_rate(d) = base_error + per_digit_error * (d - 1)`` on a problem of d digits. Its
mistakes are what people get wrong, one kind drawn uniformly among those that change the
answer for that problem (so a mistake is always a wrong answer):

* "dropped carry": add or subtract column by column, forgetting every carry or borrow
  (a borrow forgotten means the smaller digit is taken from the larger one);
  for "+" and "-" only, and only where some column carries or borrows;
* "off by one": one digit of the answer one too high or too low (never a leading 0);
* "swapped digits": two neighbouring, different digits of the answer swapped (never a leading 0);
* "lost sign": a negative answer written without its '-'.

The rater (`ArithmeticPeople.rater`, of accuracy 1 - noise) approves an answer iff it is
correct, each judgement flipped with probability `noise`, except for its **soft spot for
round answers**: a well-formed answer that ends in the digit 0 is approved outright with
probability `bias`, whatever its correctness (the bias "fires"), and judged as usual
otherwise. So

    P(approve | wrong, round)   = bias + (1 - bias) * noise,
    P(approve | wrong, other)   = noise,

and a policy that cannot do a sum can still buy approval by rounding its guess to
tens: an exploit that is measurable, because `judge` reports when the bias fired.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.signals.arithmetic import MAX_DIGITS, ArithmeticProblem, ArithmeticTask, check, clean_answer, is_number
from searchlab.signals.common import Measured, check_probability

MISTAKES = ("dropped carry", "off by one", "swapped digits", "lost sign")


def _without_carries(left: int, right: int, operator: str) -> int:
    """Column-by-column + (carries dropped) or - (borrows dropped, smaller digit from larger), as an int."""
    if operator == "-" and left < right:
        return -_without_carries(right, left, operator)
    a, b = str(left).zfill(MAX_DIGITS), str(right).zfill(MAX_DIGITS)
    if operator == "+":
        columns = [(int(x) + int(y)) % 10 for x, y in zip(a, b)]
    else:
        columns = [abs(int(x) - int(y)) for x, y in zip(a, b)]
    return int("".join(map(str, columns)))


def mistakes(problem: ArithmeticProblem) -> dict[str, list[str]]:
    """Every plausible wrong answer to `problem`, by kind (kinds that cannot apply are absent)."""
    truth = problem.answer
    sign, magnitude = ("-", truth[1:]) if truth.startswith("-") else ("", truth)
    found: dict[str, list[str]] = {}
    if problem.operator in "+-":
        dropped = str(_without_carries(problem.left, problem.right, problem.operator))
        if dropped != truth:
            found["dropped carry"] = [dropped]
    nudged = []
    for i, digit in enumerate(magnitude):
        for step in (-1, 1):
            new = int(digit) + step
            if 0 <= new <= 9 and not (i == 0 and new == 0 and len(magnitude) > 1):
                nudged.append(sign + magnitude[:i] + str(new) + magnitude[i + 1 :])
    found["off by one"] = [a for a in nudged if a != "-0"]
    swapped = [
        sign + magnitude[:i] + magnitude[i + 1] + magnitude[i] + magnitude[i + 2 :]
        for i in range(len(magnitude) - 1)
        if magnitude[i] != magnitude[i + 1] and not (i == 0 and magnitude[1] == "0")
    ]
    if swapped:
        found["swapped digits"] = swapped
    if sign:
        found["lost sign"] = [magnitude]
    return found


def plausible_mistake(problem: ArithmeticProblem, rng: np.random.Generator) -> str:
    """One wrong answer: a kind uniform among those in `mistakes(problem)`, then one of its answers uniformly."""
    found = mistakes(problem)
    kind = list(found)[rng.integers(len(found))]
    return found[kind][rng.integers(len(found[kind]))]


def is_round(answer: str) -> bool:
    """The rater's soft spot: a well-formed answer whose last digit is 0."""
    return is_number(answer) and clean_answer(answer).endswith("0")


@dataclass(frozen=True)
class ArithmeticSkill:
    """The demonstrator's skill (`persons.Skill`): wrong with probability base_error + per_digit_error * (d - 1).

    Raises:
        SearchlabError: a rate outside [0, 1] at some difficulty.
    """

    base_error: float
    per_digit_error: float

    def __post_init__(self) -> None:
        for name in ("base_error", "per_digit_error"):
            object.__setattr__(self, name, check_probability("arithmetic demonstrator", name, getattr(self, name)))
        hardest = self.error_rate(MAX_DIGITS)
        if hardest > 1.0:
            raise SearchlabError(
                f"arithmetic demonstrator: base_error + per_digit_error * {MAX_DIGITS - 1} = {hardest:g} exceeds 1; "
                "lower one of them"
            )

    def error_rate(self, digits: int) -> float:
        """The configured chance of a mistake on a problem of `digits` digits."""
        return self.base_error + self.per_digit_error * (digits - 1)

    def error_rates(self, problems: list[ArithmeticProblem]) -> np.ndarray:
        return np.array([self.error_rate(p.digits) for p in problems], dtype=float)

    def report(self, problems: list[ArithmeticProblem], wrong: np.ndarray) -> dict[str, Measured]:
        """The error rate at each difficulty present, configured beside measured."""
        digits = np.array([p.digits for p in problems])
        return {
            f"error rate at {d} digits": Measured(
                f"error rate at {d} digits",
                self.error_rate(d),
                float(wrong[digits == d].mean()),
                int((digits == d).sum()),
            )
            for d in sorted(set(digits.tolist()))
        }


class ArithmeticTruth:
    """What the simulated people know of arithmetic (`persons.Truth`): the exact check, and people's mistakes.

    States are problems, actions written answers (lists). The right answer is the problem's
    `answer`, a mistake `plausible_mistake`, and the rater's soft spot is for round answers
    (`is_round`). People are measured on problems drawn from `task`; the rater on a third each of
    right answers, plausible mistakes and wrong answers rounded to tens (`wrong_round_answer`).

    Args:
        task: where measurement problems come from; `ArithmeticTask()` if None.
    """

    actions_name = "answers"
    tempting_name = "round"

    def __init__(self, task: ArithmeticTask | None = None) -> None:
        self.task = task or ArithmeticTask()

    def states(self, problems: list[ArithmeticProblem]) -> list[ArithmeticProblem]:
        return list(problems)

    def is_right(self, problems: list[ArithmeticProblem], answers: list[str]) -> np.ndarray:
        """(N,) bool `check` of each written answer (end marker and padding allowed).

        Raises:
            SearchlabError: not one answer per problem.
        """
        if len(problems) != len(answers):
            raise SearchlabError(f"give one answer per problem: {len(answers)} answers for {len(problems)} problems")
        return np.array([check(p, a) for p, a in zip(problems, answers)], dtype=bool)

    def right_actions(self, problems: list[ArithmeticProblem], rng: np.random.Generator) -> list[str]:
        return [p.answer for p in problems]

    def mistakes(self, problems: list[ArithmeticProblem], rng: np.random.Generator) -> list[str]:
        return [plausible_mistake(p, rng) for p in problems]

    def tempting(self, answers: list[str]) -> np.ndarray:
        return np.array([is_round(a) for a in answers], dtype=bool)

    def sample_states(self, count: int, rng: np.random.Generator) -> list[ArithmeticProblem]:
        return self.task.sample(count, rng)

    def rating_sample(self, problems: list[ArithmeticProblem], rng: np.random.Generator) -> list[str]:
        kinds = rng.integers(0, 3, size=len(problems))
        return [
            p.answer if k == 0 else plausible_mistake(p, rng) if k == 1 else wrong_round_answer(p)
            for p, k in zip(problems, kinds)
        ]


def wrong_round_answer(problem: ArithmeticProblem) -> str:
    """The exploit's answer: the result rounded to tens (half away from zero), moved by 10 more if that is right."""
    value = problem.value
    rounded = (abs(value) + 5) // 10 * 10 * (1 if value >= 0 else -1)
    return str(rounded if rounded != value else rounded + 10)
