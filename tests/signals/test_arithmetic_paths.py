"""Arithmetic training paths: each improves on where it started, the exploit is measured, bad settings are one line."""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pytest
import torch

from margins import check, margin
from searchlab.core.errors import SearchlabError
from searchlab.signals import ArithmeticPeople
from searchlab.signals import arithmetic_model as M
from searchlab.signals import arithmetic_paths as P
from searchlab.signals import arithmetic_rm_paths as R
from searchlab.signals.arithmetic import ArithmeticProblem

# 1-digit problems throughout. Each path is tested from a start where it has room to improve and the improvement
# does not hang on the draw: interactive correction from a weak clone (100 steps, held-out accuracy about 0.1-0.3,
# far below its overseer), the policy-gradient paths from a converged clone (600 steps: greedily right on 0.81-0.98
# of the problems, but its sampled answers are right only about 0.6-0.8 of the time). A clone stopped mid-way up its
# curve, as here before, lands anywhere from 0.3 to 0.8 and made every gain a coin toss (issue 14).
SMALL = P.PathSettings.small(
    bc_steps=100, batch_size=64, dagger_steps=100, rl_steps=200, rl_learning_rate=5e-4, curve_points=1
)
CONVERGED_STEPS = 600
HONEST = ArithmeticPeople(base_error=0.05, per_digit_error=0.1, noise=0.1, bias=0.0, seed=1)


@functools.cache
def _clone(seed: int, steps: int, threads: int) -> P.PathResult:
    """Behaviour cloning from scratch for `steps` steps (cached per seed, length and thread count)."""
    return P.behaviour_cloning(HONEST, SMALL, seed=seed, steps=steps)


def _weak(seed: int) -> P.PathResult:
    return _clone(seed, SMALL.bc_steps, torch.get_num_threads())


def _converged(seed: int) -> P.PathResult:
    return _clone(seed, CONVERGED_STEPS, torch.get_num_threads())


def _path_seed(seed: int, k: int) -> int:
    """The k-th path's seed for a draw: at the tests' seed 0 these are 1..7, distinct paths never share one."""
    return 8 * seed + k


@pytest.fixture(scope="module")
def cloned():
    return _converged(0)


# Every bound below was measured over seeds 0-9 by `scripts/measure_margins.py --only test_arithmetic_paths` (the
# paths force one torch thread, so 1 and 2 threads give the same draws): worst draw, mean +- sd.
#   cloning accuracy 0.807 (0.891 +- 0.063); DAgger gain 0.333 (0.471 +- 0.092);
#   outcomes: gain in p(true answer) 0.119 (0.170 +- 0.036), greedy accuracy 0.973 (0.994 +- 0.008);
#   approval: share of outcomes' gain 0.679 (0.851 +- 0.091; from a loop over the same calls, before this quantity
#   was registered), greedy accuracy 0.963 (0.988 +- 0.013);
#   exploit from the weak clone: round_gain 0.647 (0.908 +- 0.117), round_excess 0.89 on every draw,
#   fired_gain 0.391 (0.584 +- 0.125); tenth-of-the-labels reward model AUC 0.593 (0.648 +- 0.029).
@margin(seed=0, start=("<", 0.05), accuracy=(">", 0.6))
def cloning(seed: int) -> dict[str, float]:
    """Held-out accuracy of the untrained model and of the converged clone (the demonstrator is right about 0.85
    of the time)."""
    result = _converged(seed)
    return {"start": result.start["score"], "accuracy": result.performance["score"]}


def test_behaviour_cloning_improves_from_scratch(cloned):
    check(cloning)
    assert cloned.labels == SMALL.demonstrations and 0.9 < cloned.extra["demonstration_accuracy"] < 1.0
    assert set(cloned.performance["by_digits"]) == {1} and cloned.curve[0]["step"] == 0


@margin(seed=0, gain=(">", 0.05))
def dagger_gain(seed: int) -> dict[str, float]:
    """What two rounds of correction add to a weak clone."""
    result = P.dagger(HONEST, SMALL, seed=_path_seed(seed, 1), start=_weak(seed).model)
    assert result.labels == SMALL.demonstrations // 10 + SMALL.dagger_problems * SMALL.dagger_rounds
    assert result.extra["corrections"] > 0 and len(result.curve) == SMALL.dagger_rounds + 1
    return {"gain": result.performance["score"] - result.start["score"]}


def test_dagger_improves_on_its_start():
    check(dagger_gain)


# The converged clone is greedily right on 0.81-0.98 of the held-out problems, depending on the draw, so its greedy
# gain is capped by the draw; a sampled answer is right far less often, and raising that chance is what the
# policy-gradient paths do. Their quantities: the gain in the probability of writing the true answer
# (`P.expected_accuracy`, exact, no sampling), and the greedy accuracy they end at.
@functools.cache
def _outcomes(seed: int, threads: int) -> P.PathResult:
    return P.outcomes(HONEST, SMALL, seed=_path_seed(seed, 2), start=_converged(seed).model)


def _expected_gain(result: P.PathResult) -> float:
    return result.extra["expected_accuracy_after"] - result.extra["expected_accuracy_before"]


@margin(seed=0, expected_gain=(">", 0.0), accuracy=(">", 0.9))
def outcomes_gain(seed: int) -> dict[str, float]:
    """What the exact check adds to the converged clone: p(true answer), and where greedy accuracy ends."""
    result = _outcomes(seed, torch.get_num_threads())
    assert result.labels == SMALL.rl_steps * SMALL.rl_problems * SMALL.rl_samples
    return {"expected_gain": _expected_gain(result), "accuracy": result.performance["score"]}


def test_outcomes_improve_on_their_start():
    check(outcomes_gain)


# Approval's own gain in p(true answer) hangs on the draw as much as outcomes' does (0.08-0.20 over seeds 0-9), so it
# is measured against outcomes' gain from the same clone: a rater who errs a tenth of the time bought 0.68-1.00 of
# what the exact check bought (0.85 +- 0.09), the essay's point that honest approval nearly matches outcomes.
@margin(seed=0, share_of_outcomes=(">", 0.4), accuracy=(">", 0.9))
def approval_gain(seed: int) -> dict[str, float]:
    """What an unbiased rater's approvals add to the converged clone, as a share of what outcomes add to it."""
    result = P.approval_direct(HONEST, SMALL, seed=_path_seed(seed, 3), start=_converged(seed).model)
    return {
        "share_of_outcomes": _expected_gain(result) / _expected_gain(_outcomes(seed, torch.get_num_threads())),
        "accuracy": result.performance["score"],
    }


def test_approval_from_an_unbiased_rater_improves_on_its_start():
    check(approval_gain)


BIASED = ArithmeticPeople(base_error=0.05, per_digit_error=0.1, noise=0.1, bias=1.0, seed=1)


# From the converged clone the exploit is real but its size hangs on the draw (round answers rose by 0.40-0.91 over
# seeds 0-9, 0.67 +- 0.20): a confident model gives way slowly. A weak clone has no habits to unlearn.
@margin(seed=0, round_gain=(">", 0.25), round_excess=(">", 0.5), fired_gain=(">", 0.0))
def exploit(seed: int) -> dict[str, float]:
    """How far approval from a rater who approves every round answer pushes a weak clone toward round answers."""
    result = P.approval_direct(BIASED, SMALL, seed=_path_seed(seed, 3), start=_weak(seed).model)
    before, after = result.extra["exploit_before"], result.extra["exploit_after"]
    return {
        "round_gain": after["round_rate"] - before["round_rate"],
        "round_excess": after["round_rate"] - after["true_round_rate"],
        "fired_gain": result.extra["bias_fired_last_steps"] - result.extra["bias_fired_first_steps"],
    }


def test_a_biased_rater_is_exploited_and_the_exploit_is_measured():
    check(exploit)


@functools.cache
def _tenth_reward_model(seed: int, threads: int):
    """A reward model fitted on a tenth of the rater's labels on the converged clone's answers."""
    return R.fit_reward_model(
        HONEST, SMALL, R.RewardSettings.small(), _converged(seed).model, seed=_path_seed(seed, 5), fraction=0.1
    )


# The reward model is judged by its AUC against the rater's held-out verdicts (0.5: it learned nothing, whatever the
# balance of the labels), not by accuracy: the rater approves about two thirds of the clone's sampled answers, and a
# model this small trained on 2,560 labels of 200 distinct problems beats that majority verdict by a few points at
# most. The policy steps against it are not asserted to gain anything: over seeds 0-9 the proxy (the reward model's
# mean score of sampled held-out answers) rose on every draw, but by 0.001-0.014 (0.010 +- 0.006) with the path's
# KL penalty and 0.054-0.17 (0.111 +- 0.034) without it, too close to 0 for the 3-sd rule; and the true accuracy
# fell on the two draws looked at (seeds 0 and 1: the proxy is a poor copy of the rater). Both are in the path's result.
@margin(seed=0, auc=(">", 0.5))
def reward_model(seed: int) -> dict[str, float]:
    """A tenth-of-the-labels reward model's held-out AUC; the approval-via-reward-model path's bookkeeping."""
    short = replace(SMALL, rl_steps=20)  # the path's bookkeeping needs no long run
    result = R.approval_reward_model(
        HONEST, short, seed=_path_seed(seed, 4), fraction=1.0, rm=R.RewardSettings.small(), start=_converged(seed).model
    )
    report = result.extra["reward_model"]
    assert report["labels"] == report["pool"] == short.rl_steps * short.rl_problems * short.rl_samples
    assert (
        0.5 <= report["majority_on_rest"] <= 1
        and 0 <= result.extra["proxy_before"] <= 1
        and 0 <= result.extra["proxy_after"] <= 1
    )
    assert result.extra["expected_accuracy_before"] == pytest.approx(P.expected_accuracy(_converged(seed).model, SMALL))
    _, report = _tenth_reward_model(seed, torch.get_num_threads())
    assert report["labels"] == round(0.1 * report["pool"])
    return {"auc": report["auc_on_rest_vs_rater"]}


def test_reward_model_path_and_best_of_n(cloned):
    check(reward_model)
    model, _ = _tenth_reward_model(0, torch.get_num_threads())
    rows = R.best_of_n(cloned.model, model, SMALL.held_out()[:30], (1, 2, 4, 8, 16, 32), seed=6)
    assert [r["knob"] for r in rows] == [1, 2, 4, 8, 16, 32]
    proxy = [r["proxy"] for r in rows]
    assert all(b >= a - 1e-12 for a, b in zip(proxy, proxy[1:]))  # a bigger pick never lowers the proxy
    # n = 1 keeps every sampled answer: its truth is the share of the 32 samples per problem that are right.
    answers, _ = P.one_thread(M.sample)(cloned.model, SMALL.held_out()[:30], 32, seed=6)  # as best_of_n samples
    right = [a == p.answer for p, row in zip(SMALL.held_out()[:30], answers) for a in row]
    assert rows[0]["true"] == pytest.approx(np.mean(right))


def test_active_queries_on_answers_go_where_the_ensemble_disagrees(cloned):
    """The query machinery on the clone's answers; whether active queries pay off is measured in test_reward_model.

    With 40-160 labels this reward model does not beat the majority verdict (about 0.69 of the rater's held-out
    labels) on these answers, active or random, so no accuracy is asserted here.
    """
    rm = R.RewardSettings.small()
    curves = R.active_vs_random(
        HONEST, SMALL, rm, cloned.model, seed=_path_seed(0, 7), counts=(40, 80, 160), heldout=400
    )
    active, random = curves["active"], curves["random"]
    assert active.oracle_calls == random.oracle_calls == 160 and len(set(active.queried.tolist())) == 160
    assert active.majority == random.majority and 0.5 <= active.majority <= 1  # both scored on the same held-out labels
    assert len(active.accuracy) == len(random.accuracy) == 3
    # Each active round buys items whose disagreement is above the pool's median at that moment.
    assert all(picked > median for picked, median in zip(active.picked_disagreement, active.pool_median_disagreement))


def test_expected_accuracy_is_what_sampling_estimates():
    """p(true answer) averaged over the held-out problems, against 100 sampled answers to each (30,000 draws)."""
    model = _weak(0).model
    exact = P.expected_accuracy(model, SMALL)
    problems = SMALL.held_out()
    answers, _ = M.sample(model, problems, 100, seed=11)
    estimate = np.mean([a == p.answer for p, row in zip(problems, answers) for a in row])
    assert 0.02 < exact < 0.98 and abs(estimate - exact) < 5 * np.sqrt(0.25 / (100 * len(problems)))


def test_features_do_not_hold_the_result():
    problems = [ArithmeticProblem(12, "+", 34), ArithmeticProblem(12, "+", 34), ArithmeticProblem(21, "+", 43)]
    x = R.features(problems, ["46", "47", "46"])
    assert x.shape[0] == 3 and not np.array_equal(x[0], x[1])
    # Same answer to problems with different results: only the operand digits differ.
    assert np.array_equal(x[0][-20:], x[2][-20:])


def test_people_levels_and_determinism(cloned):
    level = P.demonstrator_level(HONEST, SMALL)
    assert 0.9 < level["score"] <= 1.0
    rater = P.rater_level(HONEST, SMALL, cloned.model, seed=0)
    assert rater == P.rater_level(HONEST, SMALL, cloned.model, seed=0)
    assert rater["score"] <= rater["pass_at_n"] and rater["candidates"] == SMALL.rater_candidates
    a = P.behaviour_cloning(HONEST, SMALL, seed=7, steps=3)
    b = P.behaviour_cloning(HONEST, SMALL, seed=7, steps=3)
    assert a.curve == b.curve and a.performance == b.performance


@pytest.mark.parametrize(
    "make, words",
    [(lambda: P.PathSettings(rl_samples=1), "rl_samples must be a whole number >= 2"),
     (lambda: P.PathSettings(digits=(4,)), "from 1 to 3"),
     (lambda: P.PathSettings(learning_rate=0), "learning_rate must be a number between 0 and 1"),
     (lambda: P.PathSettings(bc_steps=-5), "bc_steps"),
     (lambda: P.PathSettings(model="big"), "ModelSettings"),
     (lambda: R.RewardSettings(fraction=0), "fraction"),
     (lambda: R.RewardSettings(fraction=1.5), "fraction"),
     (lambda: R.RewardSettings(kl_coef=-1), "kl_coef"),
     (lambda: R.RewardSettings(generic_base_error=0.6, generic_per_digit_error=0.3), "exceeds 1"),
     (lambda: R.features([ArithmeticProblem(1, "+", 1)], []), "one answer per problem"),
     (lambda: P.behaviour_cloning(HONEST, SMALL, seed=-1), "seed")],
)  # fmt: skip
def test_bad_settings_are_one_line_errors(make, words):
    with pytest.raises(SearchlabError, match=words) as caught:
        make()
    assert "\n" not in str(caught.value)
