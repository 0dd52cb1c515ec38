"""Arithmetic training paths: each improves on where it started, the exploit is measured, bad settings are one line."""

from __future__ import annotations

import numpy as np
import pytest

from searchlab.core.errors import SearchlabError
from searchlab.signals import ArithmeticPeople
from searchlab.signals import arithmetic_paths as P
from searchlab.signals import arithmetic_rm_paths as R
from searchlab.signals.arithmetic import Problem
from searchlab.signals.reward_model import bon_distance

# 1-digit problems and short runs keep the module near a minute on a busy machine.
SMALL = P.PathSettings.small(bc_steps=250, batch_size=64, dagger_steps=40, rl_steps=60, rl_learning_rate=5e-4, curve_points=1)
HONEST = ArithmeticPeople(base_error=0.05, per_digit_error=0.1, noise=0.1, bias=0.0, seed=1)


@pytest.fixture(scope="module")
def cloned():
    """Behaviour cloning from scratch: the starting model of the other paths."""
    return P.behaviour_cloning(HONEST, SMALL, seed=0)


def test_behaviour_cloning_improves_from_scratch(cloned):
    assert cloned.start["accuracy"] < 0.15 and cloned.performance["accuracy"] > cloned.start["accuracy"] + 0.2
    assert cloned.labels == SMALL.demonstrations and 0.9 < cloned.extra["demonstration_accuracy"] < 1.0
    assert set(cloned.performance["by_digits"]) == {1} and cloned.curve[0]["step"] == 0


def test_dagger_improves_on_its_start(cloned):
    result = P.dagger(HONEST, SMALL, seed=1, start=cloned.model)
    assert result.performance["accuracy"] > result.start["accuracy"]
    assert result.labels == SMALL.demonstrations // 10 + SMALL.dagger_problems * SMALL.dagger_rounds
    assert result.extra["corrections"] > 0 and len(result.curve) == SMALL.dagger_rounds + 1


def test_outcomes_improve_on_their_start(cloned):
    result = P.outcomes(HONEST, SMALL, seed=2, start=cloned.model)
    assert result.performance["accuracy"] > result.start["accuracy"]
    assert result.labels == SMALL.rl_steps * SMALL.rl_problems * SMALL.rl_samples


def test_approval_from_an_unbiased_rater_improves_on_its_start(cloned):
    result = P.approval_direct(HONEST, SMALL, seed=3, start=cloned.model)
    assert result.performance["accuracy"] > result.start["accuracy"]


def test_a_biased_rater_is_exploited_and_the_exploit_is_measured(cloned):
    biased = ArithmeticPeople(base_error=0.05, per_digit_error=0.1, noise=0.1, bias=1.0, seed=1)
    result = P.approval_direct(biased, SMALL, seed=3, start=cloned.model)
    before, after = result.extra["exploit_before"], result.extra["exploit_after"]
    assert after["round_rate"] > before["round_rate"] + 0.05 and after["round_rate"] > after["true_round_rate"]
    assert result.extra["bias_fired_last_steps"] > result.extra["bias_fired_first_steps"]


def test_reward_model_path_and_best_of_n(cloned):
    rm = R.RewardSettings.small()
    result = R.approval_reward_model(HONEST, SMALL, seed=4, fraction=1.0, rm=rm, start=cloned.model)
    report = result.extra["reward_model"]
    assert report["labels"] == report["pool"] == SMALL.rl_steps * SMALL.rl_problems * SMALL.rl_samples
    assert result.curve[-1]["reward"] >= result.curve[0]["reward"] - 0.05  # the proxy does not fall
    model, report = R.fit_reward_model(HONEST, SMALL, rm, cloned.model, seed=5, fraction=0.1)
    assert report["labels"] == round(0.1 * report["pool"]) and report["accuracy_on_rest_vs_rater"] > 0.5
    rows = R.best_of_n(cloned.model, model, SMALL.held_out()[:30], 32, seed=6)
    assert [r["n"] for r in rows] == [1, 2, 4, 8, 16, 32]
    assert np.allclose([r["d"] for r in rows], bon_distance([1, 2, 4, 8, 16, 32]))
    proxy = [r["proxy"] for r in rows]
    assert all(b >= a - 1e-12 for a, b in zip(proxy, proxy[1:]))  # a bigger pick never lowers the proxy


def test_active_queries_on_answers_go_where_the_ensemble_disagrees(cloned):
    rm = R.RewardSettings.small()
    curves = R.active_vs_random(HONEST, SMALL, rm, cloned.model, seed=7, counts=(40, 80, 160), heldout=400)
    active, random = curves["active"], curves["random"]
    assert active.oracle_calls == random.oracle_calls == 160 and len(set(active.queried.tolist())) == 160
    # Each active round buys items whose disagreement is above the pool's median at that moment.
    assert all(picked > median for picked, median in zip(active.picked_disagreement, active.pool_median_disagreement))
    assert all(0.5 < a <= 1.0 for a in active.accuracy + random.accuracy)  # both beat chance on held-out labels


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
