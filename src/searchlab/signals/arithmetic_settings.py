"""What every arithmetic training path shares: its settings, and the true performance of a model and of the people.

True performance is the greedy exact accuracy on a fixed held-out set of problems (`held_out`),
by difficulty: {"score": overall, "by_digits": {d: accuracy}}. `expected_accuracy` is the
chance that a *sampled* answer is right; `demonstrator_level` and `rater_level` put the
simulated people on the same scale; `round_rates` measures the rater's soft spot being used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

import numpy as np
import torch

from searchlab.core import checks
from searchlab.core.device import cpu_threads
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import numpy_generator, spawn_seeds
from searchlab.lm.model import CausalTransformer
from searchlab.signals import arithmetic_model as M
from searchlab.signals.arithmetic import ArithmeticProblem, ArithmeticTask, check
from searchlab.signals.arithmetic_people import is_round
from searchlab.signals.people import ArithmeticPeople

HELD_OUT_SEED = 7_000_007
SAMPLED_SEED = (
    7_000_011  # the draws of the held-out answers sampled for a reward model, the same before and after training
)
THREADS = 1  # a model this small trains fastest on one thread, and does not fight other work for the cores


def one_thread(function: Callable) -> Callable:
    """Run `function` with torch limited to `THREADS` CPU threads (restored afterwards)."""

    def wrapped(*args, **kwargs):
        with cpu_threads(THREADS):
            return function(*args, **kwargs)

    wrapped.__name__, wrapped.__doc__, wrapped.__wrapped__ = function.__name__, function.__doc__, function
    return wrapped  # the held-out problems are the same for every run seed


@dataclass(frozen=True)
class PathSettings:
    """Settings shared by every arithmetic training path; defaults run each path in tens of seconds on one core.

    Raises:
        SearchlabError: a count below its minimum, a rate out of range, or a bad task (one line each).
    """

    digits: tuple[int, ...] = (1, 2)
    operators: tuple[str, ...] = ("+", "-")
    model: M.ModelSettings = field(default_factory=M.ModelSettings)
    learning_rate: float = 3e-3  # behaviour cloning (Adam)
    batch_size: int = 128
    demonstrations: int = 20_000  # demonstrator answers behaviour cloning may use
    bc_steps: int = 800
    dagger_rounds: int = 3
    dagger_problems: int = 2_000  # problems the model answers (and the overseer checks) per round
    dagger_steps: int = (
        130  # training steps per round, on everything gathered so far (about half of bc_steps over the rounds)
    )
    rl_learning_rate: float = 5e-4
    rl_steps: int = 250
    rl_problems: int = 32  # problems per policy step
    rl_samples: int = 4  # answers per problem; the baseline is the mean reward of the other answers
    eval_problems: int = 1_000
    curve_points: int = (
        6  # held-out evaluations per training loop (each costs a greedy pass over the held-out problems)
    )
    rater_candidates: int = 8  # n of the rater's level: pick an approved answer among n samples

    def __post_init__(self) -> None:
        object.__setattr__(self, "digits", tuple(self.digits))
        object.__setattr__(self, "operators", tuple(self.operators))
        self.task()
        for item in fields(self):
            value = getattr(self, item.name)
            if item.type == "int":
                low = 2 if item.name == "rl_samples" else 0 if item.name in ("dagger_rounds",) else 1
                checks.whole(f"arithmetic paths: {item.name}", value, low)
            if item.type == "float" and not (isinstance(value, (int, float)) and 0 < value < 1):
                raise SearchlabError(f"arithmetic paths: {item.name} must be a number between 0 and 1, got {value!r}")
        if not isinstance(self.model, M.ModelSettings):
            raise SearchlabError(f"arithmetic paths: model must be a ModelSettings, got {type(self.model).__name__}")
        self.model.config()  # checks the shape

    @classmethod
    def small(cls, **overrides) -> PathSettings:
        """A seconds-sized instance for tests: 1-digit problems, a short everything."""
        small = dict(
            digits=(1,),
            demonstrations=2_000,
            bc_steps=150,
            dagger_rounds=2,
            dagger_problems=400,
            dagger_steps=60,
            rl_steps=40,
            rl_problems=32,
            eval_problems=300,
            curve_points=4,
            rl_learning_rate=1e-3,
        )
        return replace(cls(), **{**small, **overrides})

    def task(self) -> ArithmeticTask:
        return ArithmeticTask(self.digits, self.operators)

    def held_out(self) -> list[ArithmeticProblem]:
        """The fixed evaluation problems (independent of every run seed)."""
        return self.task().sample(self.eval_problems, HELD_OUT_SEED)


def performance(correct: np.ndarray, problems: list[ArithmeticProblem]) -> dict:
    """{"score": overall, "by_digits": {d: accuracy}} of (N,) bool results on `problems`."""
    digits = np.array([p.digits for p in problems])
    return {
        "score": float(np.mean(correct)),
        "by_digits": {int(d): float(np.mean(correct[digits == d])) for d in np.unique(digits)},
    }


@one_thread
def evaluate(model: CausalTransformer, settings: PathSettings) -> dict:
    """The model's true performance: greedy answers to the held-out problems, checked exactly."""
    problems = settings.held_out()
    return performance(M.correct(model, problems), problems)


@one_thread
def expected_accuracy(model: CausalTransformer, settings: PathSettings) -> float:
    """The probability that an answer sampled from `model` (temperature 1) to a held-out problem is right, averaged.

    Exact (no sampling): the mean over the held-out problems of p(true answer). Greedy
    accuracy moves only when the most likely answer changes; policy-gradient paths also
    sharpen the distribution, which this measures (it is the expected reward of the exact
    check, the quantity `outcomes` climbs).
    """
    problems = settings.held_out()
    with torch.no_grad():
        return float(M.log_prob(model, problems, [p.answer for p in problems]).exp().mean())


# ---- the people's levels ----------------------------------------------------------------


@one_thread
def demonstrator_level(people: ArithmeticPeople, settings: PathSettings) -> dict:
    """The demonstrator's measured accuracy on the held-out problems, by difficulty."""
    problems = settings.held_out()
    answers = people.demonstrator().demonstrate(problems)
    return performance(np.array([check(p, a) for p, a in zip(problems, answers)]), problems)


@one_thread
def rater_level(people: ArithmeticPeople, settings: PathSettings, model: CausalTransformer, seed: int) -> dict:
    """The rater's level as a selector: among `rater_candidates` answers sampled from `model`, pick one it approves.

    For each held-out problem, n answers are sampled from `model`, the rater judges each,
    and one approved answer is picked uniformly (one of the n if none is approved). The
    accuracy of the picks is the rater's level; "pass_at_n" (some candidate is right) is
    the ceiling any selector could reach from these candidates.
    """
    problems, n = settings.held_out(), settings.rater_candidates
    sample_seed, pick_seed = spawn_seeds(seed, 2)
    answers, _ = M.sample(model, problems, n, seed=sample_seed)
    flat_problems = [p for p in problems for _ in range(n)]
    flat_answers = [a for row in answers for a in row]
    approved = people.rater().rate(flat_problems, flat_answers).reshape(-1, n)
    right = np.array([check(p, a) for p, a in zip(flat_problems, flat_answers)]).reshape(-1, n)
    weights = np.where(approved.any(axis=1, keepdims=True), approved, True).astype(float)  # (N, n)
    keys = (
        numpy_generator(pick_seed).random(weights.shape) * weights
    )  # the largest key is a uniform pick among weighted
    picked = right[np.arange(len(problems)), keys.argmax(axis=1)]
    level = performance(picked, problems)
    level["pass_at_n"] = performance(right.any(axis=1), problems)["score"]
    level["candidates"] = n
    return level


def round_rates(model: CausalTransformer, settings: PathSettings) -> dict:
    """How often the model's greedy held-out answers are round (the rater's soft spot), next to the truth's rate."""
    problems = settings.held_out()
    answers = M.greedy(model, problems)
    rounds = np.array([is_round(a) for a in answers])
    wrong = np.array([not check(p, a) for p, a in zip(problems, answers)])
    return {
        "round_rate": float(rounds.mean()),
        "true_round_rate": float(np.mean([is_round(p.answer) for p in problems])),
        "wrong_round_rate": float((rounds & wrong).mean()),
        "round_share_of_wrong": float((rounds & wrong).sum() / max(wrong.sum(), 1)),
    }
