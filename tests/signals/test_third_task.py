"""A third task in one file: the people, imitation and the over-optimisation sweep serve it unchanged.

The task: say a number's remainder mod 3, for numbers 0..29. The model is a table of logits
(`torch.nn.Embedding`), the truth `number % 3`, and the demonstrator errs on odd numbers only.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import numpy_generator
from searchlab.signals import Checker, Demonstrator, Measured, Rater
from searchlab.signals.imitation import behaviour_cloning, dagger
from searchlab.signals.overoptimisation import overoptimisation, sweep_arm
from searchlab.signals.task import ImitationPlan
from searchlab.signals.training import Shown
from searchlab.spaces.module import ModuleSpace

NUMBERS = 30


class Remainders:
    """The truth: a number's remainder mod 3; a mistake is one of the two others; the guess 0 tempts the rater."""

    actions_name = "guesses"
    tempting_name = "zero"

    def states(self, numbers):
        return np.asarray(numbers, dtype=np.int64)

    def is_right(self, numbers, guesses):
        return np.asarray(guesses) == np.asarray(numbers) % 3

    def right_actions(self, numbers, rng):
        return numbers % 3

    def mistakes(self, numbers, rng):
        return (numbers + rng.integers(1, 3, size=numbers.size)) % 3

    def tempting(self, guesses):
        return np.asarray(guesses) == 0

    def sample_states(self, count, rng):
        return rng.integers(0, NUMBERS, size=count)

    def rating_sample(self, numbers, rng):
        return rng.integers(0, 3, size=numbers.size)


class OddSlips:
    """Wrong with probability `rate` on odd numbers, never on even ones."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def error_rates(self, numbers):
        return np.where(numbers % 2 == 1, self.rate, 0.0)

    def report(self, numbers, wrong):
        odd = numbers % 2 == 1
        return {
            "error rate on odd": Measured("error rate on odd", self.rate, float(wrong[odd].mean()), int(odd.sum())),
            "error rate on even": Measured("error rate on even", 0.0, float(wrong[~odd].mean()), int((~odd).sum())),
        }


class People:
    def __init__(self, rate: float = 0.2, seed: int = 0) -> None:
        self.rate, self.seed = rate, seed

    def demonstrator(self):
        return Demonstrator(Remainders(), OddSlips(self.rate), self.seed)

    def rater(self):
        return Rater(Remainders(), 0.9, self.seed + 1)

    def checker(self):
        return Checker(Remainders())

    def measure(self, samples=10_000, seed=0):
        return self.demonstrator().measure(samples, seed)


def _nll(run, rows):
    return torch.nn.functional.cross_entropy(run(rows["numbers"]), rows["guesses"])


class RemainderTask:
    """The imitation part of `signals.task.Task` for the remainders (all the imitation paths ask of a task)."""

    name = "remainders"

    def __init__(self, people: People, corrections_only: bool = False) -> None:
        self.people = people
        self.imitation = ImitationPlan(
            learning_rate=0.1,
            batch_size=64,
            steps=60,
            demonstrations=300,
            rounds=2,
            round_steps=15,
            first_demonstrations=60,
            visits=40,
            overseer_queries="guesses shown",
            corrections_only=corrections_only,
            curve_points=3,
        )

    def new_model(self, seed, start=None):
        if start is not None:
            return copy.deepcopy(start)
        torch.manual_seed(seed)
        return torch.nn.Embedding(NUMBERS, 3)

    def evaluate(self, model):
        with torch.no_grad():
            guesses = model(torch.arange(NUMBERS)).argmax(dim=1).numpy()
        return {"score": float((guesses == np.arange(NUMBERS) % 3).mean())}

    def demonstrations(self, demonstrator, amount, seed):
        numbers = numpy_generator(seed).integers(0, NUMBERS, size=amount)
        return numbers, demonstrator.demonstrate(numbers)

    def visit(self, model, amount, seed):
        numbers = numpy_generator(seed).integers(0, NUMBERS, size=amount)
        with torch.no_grad():
            return numbers, model(torch.as_tensor(numbers)).argmax(dim=1).numpy()

    def imitation_problem(self, model, numbers, guesses, bought):
        data = {"numbers": torch.as_tensor(numbers), "guesses": torch.as_tensor(guesses, dtype=torch.int64)}
        return Shown(ModuleSpace(model), data, _nll, "guess_nll", bought)


def test_the_people_serve_a_new_task_through_its_truth():
    numbers = np.arange(20_000) % NUMBERS
    shown = Demonstrator(Remainders(), OddSlips(0.2), seed=1).demonstrate(numbers)
    wrong = shown != numbers % 3
    assert not wrong[numbers % 2 == 0].any() and ((shown >= 0) & (shown < 3)).all()
    assert abs(wrong[numbers % 2 == 1].mean() - 0.2) < 5 * np.sqrt(0.16 / 10_000)
    measured = Demonstrator(Remainders(), OddSlips(0.2), seed=2).measure(samples=8_000, seed=3)
    assert measured["error rate on even"].measured == 0.0 and measured["error rate on odd"].agrees(5)
    rates = Rater(Remainders(), 0.8, seed=4, bias=0.3).measure(samples=12_000, seed=5)
    assert set(rates) == {
        "accuracy on guesses not zero",
        "bias firing on zero guesses",
        "approval of wrong zero guesses",
    }
    assert all(m.agrees(5) for m in rates.values()), [str(m) for m in rates.values()]
    assert rates["approval of wrong zero guesses"].configured == pytest.approx(0.3 + 0.7 * 0.2)
    guesses = np.tile(np.arange(3), 400)
    numbers = np.arange(guesses.size)
    perfect = Rater(Remainders(), 1.0, seed=0).judge(numbers, guesses)
    assert np.array_equal(perfect.approved, guesses == numbers % 3) and not perfect.fired.any()
    checker = Checker(Remainders())
    assert np.array_equal(checker.check(numbers, guesses), guesses == numbers % 3)
    checker.check(numbers[:5], guesses[:5])
    assert checker.checks == guesses.size + 5


def test_behaviour_cloning_of_a_new_task():
    result = behaviour_cloning(RemainderTask(People(rate=0.0)), seed=0)
    assert result.queries == {"demonstrations": 300} and result.extra["demonstration_accuracy"] == 1.0
    assert [point["step"] for point in result.curve] == [0, 20, 40, 60]  # the start, then every 60 // 3 steps
    assert result.start["score"] < 0.7 and result.score == 1.0  # a perfect demonstrator's table is learned exactly


@pytest.mark.parametrize("corrections_only", [False, True])
def test_dagger_on_a_new_task_counts_what_the_overseer_showed(corrections_only):
    task = RemainderTask(People(rate=0.2, seed=3), corrections_only)
    result = dagger(task, seed=1)
    # 60 first demonstrations, then 40 states a round, each answered by the overseer.
    assert result.queries == {"guesses shown": 60 + 2 * 40}
    assert [point["step"] for point in result.curve] == [0, 30, 45, 60] and result.extra["gradient_steps"] == 60
    data = [point["data"] for point in result.curve]
    corrections = result.extra["corrections"]
    assert data[-1] == (60 + corrections if corrections_only else 60 + 2 * 40)
    assert result.curve[0]["score"] == result.start["score"] and result.extra["first_clone"] is not None
    # Every correction the overseer got wrong is a mistake it made on an odd number (it errs nowhere else).
    assert 0 <= result.extra["corrections_wrong"] <= corrections
    again = dagger(task, seed=1)
    assert again.curve == result.curve and again.extra == result.extra


class ToyStudy:
    """A study whose rows are given: the proxy rises with the knob, the truth rises then falls."""

    best_of = (1, 2, 4, 8, 16)

    def fit_proxy(self, start, seed):
        return "proxy", {"labels": 7}

    def best_of_n(self, start, proxy, seed):
        return [{"proxy": 0.1 * k, "true": 0.5 + 0.1 * k - 0.03 * k * k} for k in range(len(self.best_of))]

    def push(self, start, proxy, seed):
        return [
            {"knob": 10 * k, "kl": 0.04 * k * k, "proxy": 0.1 * k, "true": 0.5 + 0.08 * k - 0.02 * k * k}
            for k in (1, 2, 3, 4)
        ]


def test_the_sweep_measures_both_arms_from_one_start():
    result = overoptimisation(RemainderTask(People()), ToyStudy(), seed=0, start=torch.nn.Embedding(NUMBERS, 3))
    bon, rl = result["best_of_n"], result["rl"]
    assert [row["knob"] for row in bon["rows"]] == [1, 2, 4, 8, 16]
    expected_d = [np.sqrt(np.log(n) - (n - 1) / n) for n in (1, 2, 4, 8, 16)]
    assert [row["d"] for row in bon["rows"]] == pytest.approx(expected_d)
    assert rl["rows"][0] == {**bon["rows"][0], "knob": 0, "d": 0.0, "kl": 0.0}  # best of 1 is the start
    assert [row["d"] for row in rl["rows"]] == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])  # sqrt(KL)
    assert bon["peak_knob"] == 4 and rl["peak_knob"] == 20  # the true reward's highest row
    assert bon["fit"]["kind"] == "bon" and rl["fit"]["kind"] == "rl" and result["reward_model"] == {"labels": 7}
    flat = sweep_arm([{"knob": 1, "d": 0.0, "true": 0.5}, {"knob": 2, "d": 0.5, "true": 0.6}], "bon")
    assert flat["fit"] is None and flat["peak_knob"] == 2  # one point with d > 0 allows no fit


def test_a_sweep_must_begin_with_the_start_itself():
    study = ToyStudy()
    study.best_of = (2, 4)
    with pytest.raises(SearchlabError, match="begins at n = 1"):
        overoptimisation(RemainderTask(People()), study, seed=0, start=torch.nn.Embedding(NUMBERS, 3))
