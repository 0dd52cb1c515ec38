"""Arithmetic over the essay alphabet: exact checks, the encoding, and the simulated demonstrator and rater."""

from __future__ import annotations

import numpy as np
import pytest

from searchlab.core.errors import SearchlabError
from searchlab.encodings.text import ESSAY_ALPHABET, CharVocab
from searchlab.signals import ArithmeticPeople, ArithmeticProblem, ArithmeticTask, check
from searchlab.signals import arithmetic as A
from searchlab.signals.arithmetic_people import ArithmeticSkill, ArithmeticTruth, is_round, mistakes, wrong_round_answer
from searchlab.signals.persons import Demonstrator, Rater

EVERY_OPERATOR = ArithmeticTask(operators=("+", "-", "*"))
TRUTH = ArithmeticTruth()


def demonstrator(base_error: float, per_digit_error: float, seed: int) -> Demonstrator:
    return Demonstrator(TRUTH, ArithmeticSkill(base_error, per_digit_error), seed)


def rater(noise: float, bias: float, seed: int) -> Rater:
    return Rater(TRUTH, 1.0 - noise, seed, bias)


def test_check_agrees_with_python_integers():
    rng = np.random.default_rng(0)
    for problem in EVERY_OPERATOR.sample(3_000, rng):
        a, b = problem.left, problem.right
        truth = {"+": a + b, "-": a - b, "*": a * b}[problem.operator]
        assert check(problem, str(truth)) and check(problem.text, str(truth) + ".   ")
        assert not check(problem, str(truth + int(rng.integers(1, 50))))
    problem = ArithmeticProblem(3, "-", 3)
    assert check(problem, "0") and not check(problem, "-0") and not check(problem, "00") and not check(problem, "")
    assert not check(ArithmeticProblem(7, "*", 8), "056") and not check(ArithmeticProblem(7, "*", 8), "5 6")


def test_problems_and_answers_round_trip_through_the_encoding():
    problems = EVERY_OPERATOR.sample(500, 1)
    answers = [p.answer for p in problems] + ["998001", "-899", "0"]
    assert set(A.SYMBOLS) <= set(ESSAY_ALPHABET)
    for vocab in (None, CharVocab.essay()):
        ids = A.encode_problems(problems, vocab)
        assert ids.shape == (500, A.PROBLEM_LENGTH) and ids.dtype == np.int64
        assert A.decode_problems(ids, vocab) == problems
        written = A.encode_answers(answers, vocab)
        assert written.shape == (len(answers), A.ANSWER_LENGTH)
        assert A.decode_answers(written, vocab) == answers
    assert A.arithmetic_vocab().decode(A.encode_answers(["-12"])[0]) == "-12.   "
    assert A.parse_problem("999 times 999?").value == 998001 and str(ArithmeticProblem(37, "+", 45)) == "37 plus 45?"
    with pytest.raises(SearchlabError, match="longer than"):
        A.encode_answers(["1234567"])
    with pytest.raises(SearchlabError, match="outside the arithmetic vocabulary"):
        A.encode_answers(["12x"])


def test_problems_are_drawn_as_configured():
    problems = ArithmeticTask(digits=(2,), operators=("-",)).sample(1_000, 4)
    assert all(p.operator == "-" and 10 <= p.left <= 99 and 10 <= p.right <= 99 for p in problems)
    assert problems == ArithmeticTask(digits=(2,), operators=("-",)).sample(1_000, 4)
    digits = [p.digits for p in ArithmeticTask().sample(3_000, 5)]
    assert sorted(set(digits)) == [1, 2, 3] and min(np.bincount(digits)[1:]) > 900


def test_mistakes_are_wrong_answers_of_the_documented_kinds():
    assert mistakes(ArithmeticProblem(57, "+", 68))["dropped carry"] == ["15"]  # 5+6 -> 1, 7+8 -> 5
    assert mistakes(ArithmeticProblem(52, "-", 37))["dropped carry"] == ["25"]  # |5-3|, |2-7|
    assert mistakes(ArithmeticProblem(37, "-", 52))["lost sign"] == ["15"]
    assert "dropped carry" not in mistakes(ArithmeticProblem(12, "+", 34))  # no column carries
    # "10": 1 -> 0 or a swap would write a leading zero, so neither is offered.
    assert mistakes(ArithmeticProblem(6, "+", 4)) == {"dropped carry": ["0"], "off by one": ["20", "11"]}
    for problem in EVERY_OPERATOR.sample(2_000, 2):
        for wrong in [a for answers in mistakes(problem).values() for a in answers]:
            assert A.is_number(wrong) and not check(problem, wrong), (problem, wrong)


def test_demonstrator_error_rate_grows_with_difficulty_as_configured():
    writer = demonstrator(base_error=0.05, per_digit_error=0.2, seed=3)
    measured = writer.measure(samples=9_000, seed=1)
    assert [m.configured for m in measured.values()] == pytest.approx([0.05, 0.25, 0.45])
    assert all(m.agrees(5) for m in measured.values()), [str(m) for m in measured.values()]
    rates = [m.measured for m in measured.values()]
    assert rates[0] < rates[1] < rates[2]
    perfect = demonstrator(0.0, 0.0, seed=0)
    problems = EVERY_OPERATOR.sample(500, 6)
    assert all(check(p, a) for p, a in zip(problems, perfect.demonstrate(problems)))


def test_rater_noise_and_bias_are_measured_as_configured():
    for noise, bias in [(0.1, 0.5), (0.25, 0.0), (0.0, 1.0)]:
        measured = rater(noise, bias, seed=7).measure(samples=6_000, seed=2)
        assert all(m.agrees(5) for m in measured.values()), [str(m) for m in measured.values()]


def test_round_wrong_answers_buy_approval():
    problems = ArithmeticTask().sample(6_000, 8)
    judge = rater(noise=0.1, bias=0.4, seed=1)
    round_guesses = [wrong_round_answer(p) for p in problems]
    assert all(is_round(a) and not check(p, a) for p, a in zip(problems, round_guesses))
    off_by_one = [str(p.value + 1) if (p.value + 1) % 10 else str(p.value - 1) for p in problems]
    assert not any(is_round(a) for a in off_by_one)
    exploit = judge.judge(problems, round_guesses)
    honest = judge.judge(problems, off_by_one)
    assert exploit.approved.mean() > honest.approved.mean() + 0.3  # about 0.46 against 0.10
    assert exploit.fired.mean() == pytest.approx(0.4, abs=5 * np.sqrt(0.24 / 6_000))
    assert not honest.fired.any()


def test_same_seed_same_answers_and_verdicts():
    problems = ArithmeticTask().sample(1_000, 9)
    first = demonstrator(0.2, 0.2, seed=5).demonstrate(problems)
    assert first == demonstrator(0.2, 0.2, seed=5).demonstrate(problems)
    assert first != demonstrator(0.2, 0.2, seed=6).demonstrate(problems)
    assert np.array_equal(rater(0.2, 0.3, seed=1).rate(problems, first), rater(0.2, 0.3, seed=1).rate(problems, first))
    people = ArithmeticPeople(seed=3)
    measured = people.measure(samples=3_000)
    assert len(measured) == 6 and all(m.agrees(5) for m in measured.values())


@pytest.mark.parametrize(
    "make, words",
    [(lambda: ArithmeticPeople(base_error=0.5, per_digit_error=0.4), "exceeds 1"),
     (lambda: ArithmeticPeople(noise=-0.1), "noise is a probability"),
     (lambda: ArithmeticPeople(bias=2), "bias is a probability"),
     (lambda: ArithmeticPeople(seed=1.5), "seed"),
     (lambda: ArithmeticSkill(0.9, 0.1), "exceeds 1"),
     (lambda: ArithmeticTask(digits=(4,)), "from 1 to 3"),
     (lambda: ArithmeticTask(operators=("/",)), "operators"),
     (lambda: ArithmeticProblem(1000, "+", 1), "operands"),
     (lambda: A.parse_problem("2 + 2 ="), "written like"),
     (lambda: rater(0.1, 0.1, seed=0).rate([ArithmeticProblem(1, "+", 1)], []), "one answer per problem")],
)  # fmt: skip
def test_bad_configs_are_one_line_errors(make, words):
    with pytest.raises(SearchlabError, match=words) as caught:
        make()
    assert "\n" not in str(caught.value)
