"""Arithmetic training paths: each improves on where it started, the exploit is measured, bad settings are one line."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from searchlab.core.errors import SearchlabError
from searchlab.signals import ArithmeticPeople
from searchlab.signals import arithmetic_paths as P
from searchlab.signals import arithmetic_rm_paths as R
from searchlab.signals.arithmetic import Problem
from searchlab.signals.reward_model import bon_distance

from margins import check, margin

# 1-digit problems and short runs keep the module near a minute on a busy machine.
SMALL = P.PathSettings.small(bc_steps=250, batch_size=64, dagger_steps=40, rl_steps=60, rl_learning_rate=5e-4, curve_points=1)
HONEST = ArithmeticPeople(base_error=0.05, per_digit_error=0.1, noise=0.1, bias=0.0, seed=1)


@functools.lru_cache(maxsize=None)
def _cloned(seed: int, threads: int) -> P.PathResult:
    """Behaviour cloning from scratch: the starting model of the other paths (one per seed and thread count)."""
    return P.behaviour_cloning(HONEST, SMALL, seed=seed)


def _start(seed: int) -> P.PathResult:
    return _cloned(seed, torch.get_num_threads())


def _path_seed(seed: int, k: int) -> int:
    """The k-th path's seed for a draw: at the tests' seed 0 these are 1..7, distinct paths never share one."""
    return 8 * seed + k


@pytest.fixture(scope="module")
def cloned():
    return _start(0)


# NOT YET CLEAR OF THE RULE (issue 14): over seeds 0-9 (one thread: the paths force it) behaviour cloning gained
# 0.29-0.82 (0.55 +- 0.16), DAgger from the clone -0.13-0.33 (0.07 +- 0.14), outcomes -0.08-0.38 (0.17 +- 0.14),
# approval 0.04-0.33 (0.14 +- 0.07): the clone is mid-way up its learning curve, so where the paths start, and
# whether they gain, depends on the draw. The bounds below are the old ones; the design needs a rework.
@margin(seed=0, start=("<", 0.15), gain=(">", 0.2))
def cloning(seed: int) -> dict[str, float]:
    """Behaviour cloning's held-out accuracy before training and its gain."""
    result = _start(seed)
    return {"start": result.start["accuracy"], "gain": result.performance["accuracy"] - result.start["accuracy"]}


def test_behaviour_cloning_improves_from_scratch(cloned):
    check(cloning)
    assert cloned.labels == SMALL.demonstrations and 0.9 < cloned.extra["demonstration_accuracy"] < 1.0
    assert set(cloned.performance["by_digits"]) == {1} and cloned.curve[0]["step"] == 0


@margin(seed=0, gain=(">", 0.0))
def dagger_gain(seed: int) -> dict[str, float]:
    result = P.dagger(HONEST, SMALL, seed=_path_seed(seed, 1), start=_start(seed).model)
    assert result.labels == SMALL.demonstrations // 10 + SMALL.dagger_problems * SMALL.dagger_rounds
    assert result.extra["corrections"] > 0 and len(result.curve) == SMALL.dagger_rounds + 1
    return {"gain": result.performance["accuracy"] - result.start["accuracy"]}


def test_dagger_improves_on_its_start():
    check(dagger_gain)


@margin(seed=0, gain=(">", 0.0))
def outcomes_gain(seed: int) -> dict[str, float]:
    result = P.outcomes(HONEST, SMALL, seed=_path_seed(seed, 2), start=_start(seed).model)
    assert result.labels == SMALL.rl_steps * SMALL.rl_problems * SMALL.rl_samples
    return {"gain": result.performance["accuracy"] - result.start["accuracy"]}


def test_outcomes_improve_on_their_start():
    check(outcomes_gain)


@margin(seed=0, gain=(">", 0.0))
def approval_gain(seed: int) -> dict[str, float]:
    result = P.approval_direct(HONEST, SMALL, seed=_path_seed(seed, 3), start=_start(seed).model)
    return {"gain": result.performance["accuracy"] - result.start["accuracy"]}


def test_approval_from_an_unbiased_rater_improves_on_its_start():
    check(approval_gain)


BIASED = ArithmeticPeople(base_error=0.05, per_digit_error=0.1, noise=0.1, bias=1.0, seed=1)


# Over seeds 0-9 (one thread): the share of round answers rose by 0.73-0.97 (0.88 +- 0.07) and ended 0.71-0.95 above
# the truth's share (0.85 +- 0.07); the bias fired on 0.57-0.92 more of the last steps' answers than the first's
# (0.79 +- 0.09). Without the exploit all three are about 0.
@margin(seed=0, round_gain=(">", 0.5), round_excess=(">", 0.5), fired_gain=(">", 0.25))
def exploit(seed: int) -> dict[str, float]:
    """How far approval from a rater who approves every round answer pushes the model toward round answers."""
    result = P.approval_direct(BIASED, SMALL, seed=_path_seed(seed, 3), start=_start(seed).model)
    before, after = result.extra["exploit_before"], result.extra["exploit_after"]
    return {"round_gain": after["round_rate"] - before["round_rate"], "round_excess": after["round_rate"] - after["true_round_rate"],
            "fired_gain": result.extra["bias_fired_last_steps"] - result.extra["bias_fired_first_steps"]}


def test_a_biased_rater_is_exploited_and_the_exploit_is_measured():
    check(exploit)


@functools.lru_cache(maxsize=None)
def _tenth_reward_model(seed: int, threads: int):
    """A reward model fitted on a tenth of the rater's labels on the cloned model's answers."""
    return R.fit_reward_model(HONEST, SMALL, R.RewardSettings.small(), _start(seed).model, seed=_path_seed(seed, 5), fraction=0.1)


# NOT YET CLEAR OF THE RULE: over seeds 0-9 (one thread) the tenth-of-the-labels model's accuracy against the rater
# ran 0.567-0.70 (0.615 +- 0.039), 1.7 sd above 0.5, and 0.5 is not the trivial baseline here (the share of the
# majority label is). proxy_change is always exactly 0: with curve_points=1 the curve has one point, so this bound
# checks nothing yet; it needs the proxy of the start and the end measured on the same problems.
@margin(seed=0, proxy_change=(">=", -0.05), accuracy=(">", 0.5))
def reward_model(seed: int) -> dict[str, float]:
    """The proxy reward over an approval run against a reward model, and a tenth-of-the-labels model's held-out accuracy."""
    cloned = _start(seed)
    rm = R.RewardSettings.small()
    result = R.approval_reward_model(HONEST, SMALL, seed=_path_seed(seed, 4), fraction=1.0, rm=rm, start=cloned.model)
    report = result.extra["reward_model"]
    assert report["labels"] == report["pool"] == SMALL.rl_steps * SMALL.rl_problems * SMALL.rl_samples
    _, report = _tenth_reward_model(seed, torch.get_num_threads())
    assert report["labels"] == round(0.1 * report["pool"])
    return {"proxy_change": result.curve[-1]["reward"] - result.curve[0]["reward"], "accuracy": report["accuracy_on_rest_vs_rater"]}


def test_reward_model_path_and_best_of_n(cloned):
    check(reward_model)
    model, _ = _tenth_reward_model(0, torch.get_num_threads())
    rows = R.best_of_n(cloned.model, model, SMALL.held_out()[:30], 32, seed=6)
    assert [r["n"] for r in rows] == [1, 2, 4, 8, 16, 32]
    assert np.allclose([r["d"] for r in rows], bon_distance([1, 2, 4, 8, 16, 32]))
    proxy = [r["proxy"] for r in rows]
    assert all(b >= a - 1e-12 for a, b in zip(proxy, proxy[1:]))  # a bigger pick never lowers the proxy


# NOT YET CLEAR OF THE RULE: over seeds 0-9 (one thread) the worst accuracy over both curves ran 0.47-0.58
# (0.519 +- 0.034): about chance, and below it on some draws. The reward model needs more labels or steps here.
@margin(seed=0, accuracy=(">", 0.5))
def active_queries(seed: int) -> dict[str, float]:
    """The worst held-out accuracy over both label-efficiency curves (active and random)."""
    rm = R.RewardSettings.small()
    curves = R.active_vs_random(HONEST, SMALL, rm, _start(seed).model, seed=_path_seed(seed, 7), counts=(40, 80, 160), heldout=400)
    active, random = curves["active"], curves["random"]
    assert active.oracle_calls == random.oracle_calls == 160 and len(set(active.queried.tolist())) == 160
    # Each active round buys items whose disagreement is above the pool's median at that moment.
    assert all(picked > median for picked, median in zip(active.picked_disagreement, active.pool_median_disagreement))
    return {"accuracy": min(active.accuracy + random.accuracy)}


def test_active_queries_on_answers_go_where_the_ensemble_disagrees():
    check(active_queries)


def test_features_do_not_hold_the_result():
    problems = [Problem(12, "+", 34), Problem(12, "+", 34), Problem(21, "+", 43)]
    x = R.features(problems, ["46", "47", "46"])
    assert x.shape[0] == 3 and not np.array_equal(x[0], x[1])
    # Same answer to problems with different results: only the operand digits differ.
    assert np.array_equal(x[0][-20:], x[2][-20:])


def test_people_levels_and_determinism(cloned):
    level = P.demonstrator_level(HONEST, SMALL)
    assert 0.9 < level["accuracy"] <= 1.0
    rater = P.rater_level(HONEST, SMALL, cloned.model, seed=0)
    assert rater == P.rater_level(HONEST, SMALL, cloned.model, seed=0)
    assert rater["accuracy"] <= rater["pass_at_n"] and rater["candidates"] == SMALL.rater_candidates
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
     (lambda: R.features([Problem(1, "+", 1)], []), "one answer per problem"),
     (lambda: P.behaviour_cloning(HONEST, SMALL, seed=-1), "seed")],
)  # fmt: skip
def test_bad_settings_are_one_line_errors(make, words):
    with pytest.raises(SearchlabError, match=words) as caught:
        make()
    assert "\n" not in str(caught.value)
