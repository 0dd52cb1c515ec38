"""The Tic-Tac-Toe training paths: one model class, each signal improves it, the people's levels, over-optimisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from margins import check, margin
from searchlab.core.errors import SearchlabError
from searchlab.signals import Outcome, Rater, TicTacToePeople, default_task
from searchlab.signals.gao import bon_distance
from searchlab.signals.pipeline import pipeline
from searchlab.signals.tictactoe_overoptimisation import best_of_n, overoptimisation
from searchlab.signals.tictactoe_paths import PATHS, SignalSettings, pipeline_stages
from searchlab.signals.tictactoe_policy import (
    TicTacToePolicy,
    demonstrator_probabilities,
    measure,
    pair_features,
    play_games,
    rater_probabilities,
    sampler,
)
from searchlab.signals.tictactoe_task import TicTacToeTruth

PEOPLE = TicTacToePeople(p=0.7, q=0.9, seed=0)
SMALL = SignalSettings.small()


@pytest.fixture(scope="module")
def outcome():
    return Outcome()


def test_the_policy_is_a_table_outcome_scores_and_is_seeded(outcome):
    policy = TicTacToePolicy((16,), seed=3)
    table = policy.probabilities()
    assert (
        table.shape == (4520, 9) and np.allclose(table.sum(axis=1), 1.0) and (table[~default_task().legal] == 0).all()
    )
    # Seeded: the same weights, bit for bit. The outputs are compared to rounding only: on the loaded 2-core
    # development machine two forward passes of equal weights differed by up to 1e-5 in 3 of about 30 runs
    # (float32 sums split differently from one call to the next; the weights were equal every time).
    again = TicTacToePolicy((16,), seed=3)
    assert all(torch.equal(p, q) for p, q in zip(policy.parameters(), again.parameters()))
    assert np.allclose(table, again.probabilities(), rtol=1e-4, atol=1e-7)
    assert not np.allclose(table, TicTacToePolicy((16,), seed=4).probabilities(), rtol=1e-4, atol=1e-7)
    # An untrained net plays close to uniformly at random (over init seeds 0-9: 0.217-0.242, uniform 0.228), far below
    # the solver's table (0.724); the init is seeded, not trained.
    uniform = default_task().legal / default_task().legal.sum(axis=1, keepdims=True)
    assert abs(measure(policy, outcome).score - measure(uniform, outcome).score) < 0.05
    assert measure(default_task().optimal_probabilities, outcome).score > measure(uniform, outcome).score + 0.4
    assert pair_features([0, 7], [4, 0]).shape == (2, 36)


def test_the_people_as_policies_have_the_configured_accuracy(outcome):
    task = default_task()
    demo = measure(demonstrator_probabilities(0.7), outcome)
    assert demo.optimal_share == pytest.approx(0.7)
    assert measure(demonstrator_probabilities(1.0), outcome).loss < 1e-12
    rater = rater_probabilities(0.9)
    assert np.allclose(rater.sum(axis=1), 1.0)
    position = int(np.flatnonzero(task.contested)[5])  # Monte Carlo of "play one of the approved moves"
    legal = np.flatnonzero(task.legal[position])
    judge, rng, counts = Rater(TicTacToeTruth(), 0.9, seed=1), np.random.default_rng(0), np.zeros(9)
    for _ in range(2000):
        approved = legal[judge.rate(np.full(legal.size, position), legal)]
        counts[rng.choice(approved if approved.size else legal)] += 1
    assert np.abs(counts / 2000 - rater[position]).max() < 0.04


def test_games_record_the_learners_moves(outcome):
    table = TicTacToePolicy((16,), seed=0).probabilities()
    rollout = play_games(sampler(table, np.random.default_rng(0)), 60, np.random.default_rng(1), outcome)
    assert set(rollout.opponent.tolist()) == {0, 1, 2} and set(rollout.side.tolist()) == {0, 1}
    assert default_task().legal[rollout.positions, rollout.moves].all()
    assert set(np.unique(rollout.score)) <= {0.0, 0.5, 1.0} and rollout.game.max() < 60


# Over seeds 0-9 (1 and 2 threads give the same draws: the paths train on one thread), gain over the start:
# behaviour cloning 0.057-0.097 (mean 0.079 +- 0.014), approval (rater) 0.074-0.095 (0.083 +- 0.005),
# outcomes 0.046-0.081 (0.062 +- 0.010). No training gains 0. (Cloning and DAgger measured again once imitation
# trained through core.run: `scripts/measure_margins.py --only test_tictactoe_paths`; before, cloning gained
# 0.051-0.095, DAgger 0.050-0.074.)
# DAgger's own rounds (over its first clone) gained only 0.002-0.016 (0.011 +- 0.005, with the earlier trainer),
# too little to test, so its bound is on the gain over the untrained policy the first clone started from:
# 0.062-0.075 (0.067 +- 0.005).
# Approval via the reward model is tested with a reward model fitted on half the legal pairs' labels: at the default
# tenth, one draw in ten gained only 0.009 (0.053 +- 0.021 over seeds 0-9; 500 fitting steps instead of 200 did no
# better), too close to 0 to test, while with half the labels it gained 0.063-0.084 (0.075 +- 0.006). How the
# fraction of labels matters is what the signals experiment measures; this test only asks the path to work.
RM_FRACTION = 0.5
GAIN_BOUNDS = {
    "behaviour cloning": 0.005,
    "dagger": 0.03,
    "approval (rater)": 0.05,
    "approval (reward model)": 0.04,
    "outcomes": 0.015,
}


def _path_gain(name: str):
    """The quantity of one path: its true score's gain over its starting point."""

    def gain(seed: int) -> dict[str, float]:
        kwargs = {"fraction": RM_FRACTION} if name == "approval (reward model)" else {}
        result = PATHS[name](PEOPLE, SMALL, seed=seed, **kwargs)
        assert result.curve[0]["score"] == pytest.approx(result.start["score"]) and sum(result.queries.values()) > 0
        return {"gain": result.score - result.start["score"]}

    gain.__qualname__ = gain.__name__ = "path_gain_" + name.replace(" ", "_").replace("(", "").replace(")", "")
    return margin(seed=0, gain=(">", GAIN_BOUNDS[name]))(gain)


PATH_GAINS = {name: _path_gain(name) for name in PATHS}


@pytest.mark.parametrize("name", list(PATHS))
def test_each_path_improves_on_its_starting_point(name):
    check(PATH_GAINS[name])


@pytest.mark.parametrize("name", ["approval (rater)", "outcomes"])
def test_paths_are_seeded(name):
    quick = SignalSettings.small(rl_steps=20)
    assert PATHS[name](PEOPLE, quick, seed=2).performance == PATHS[name](PEOPLE, quick, seed=2).performance


# Over seeds 0-9, 1 and 2 threads: 0.107-0.145 (mean 0.124 +- 0.012; 0.075-0.110 before imitation trained
# through core.run); no fine-tuning gains 0.
@margin(seed=1, fine_tune_gain=(">", 0.035))
def pipeline_gain(seed: int) -> dict[str, float]:
    """How far the pipeline's fine-tuned model sits above where pretraining started."""
    stages = pipeline(*pipeline_stages(PEOPLE, SignalSettings.small(imitation_steps=150, rl_steps=40), seed=seed))
    assert [s.name.split(" ")[0] for s in stages] == ["pretrain", "fine-tune", "approval", "outcomes"]
    assert all(b.start == a.performance for a, b in zip(stages, stages[1:]))  # each stage starts where the last ended
    return {"fine_tune_gain": stages[1].score - stages[0].start["score"]}


def test_the_pipeline_reports_every_stage():
    check(pipeline_gain)


def test_best_of_n_is_exact_and_goes_to_the_reward_models_favourite():
    task = default_task()
    initial = demonstrator_probabilities(0.5)
    reward = np.random.default_rng(0).random(task.legal.shape)
    assert np.allclose(best_of_n(initial, reward, 1), initial)
    two = best_of_n(initial, reward, 2)
    position = int(np.flatnonzero(task.contested)[0])
    moves = np.flatnonzero(initial[position] > 0)
    manual = np.zeros(9)
    for a in moves:  # two independent draws, keep the higher reward
        for b in moves:
            manual[a if reward[position, a] >= reward[position, b] else b] += (
                initial[position, a] * initial[position, b]
            )
    assert np.allclose(two[position], manual) and np.allclose(two.sum(axis=1), 1.0)
    favourite = np.argmax(np.where(initial > 0, reward, -1), axis=1)
    assert (best_of_n(initial, reward, 4096)[task.positions, favourite] > 0.99).mean() > 0.95


# Over seeds 0-9, 1 and 2 threads: 0.096-0.16 (mean 0.124 +- 0.020); no policy steps gain 0.
@margin(seed=0, rl_proxy_gain=(">", 0.035))
def overoptimisation_proxy(seed: int) -> dict[str, float]:
    """How far policy steps against the reward model raise its proxy reward; the curves' shapes are checked exactly."""
    result = overoptimisation(PEOPLE, SMALL, seed=seed, fraction=0.05, rl_steps=60, record_every=20)
    bon, rl = (
        {key: [row[key] for row in result[arm]["rows"]] for key in result[arm]["rows"][0]}
        for arm in ("best_of_n", "rl")
    )
    assert bon["knob"] == [2**k for k in range(11)] and bon["d"] == pytest.approx(list(bon_distance(bon["knob"])))
    assert rl["knob"][0] == 0 and rl["proxy"][0] == bon["proxy"][0] and rl["true"][0] == bon["true"][0]
    assert rl["knob"][1:] == list(range(20, 61, 20))  # a row every record_every steps
    assert np.all(np.diff(bon["proxy"]) >= -1e-9)  # more samples never lower the proxy
    assert rl["kl"][0] == 0.0 and rl["kl"][-1] > 0
    assert np.isfinite(result["best_of_n"]["fit"]["alpha"]) and np.isfinite(result["rl"]["fit"]["beta"])
    return {"rl_proxy_gain": rl["proxy"][-1] - rl["proxy"][0]}


def test_overoptimisation_curves_and_fits():
    check(overoptimisation_proxy)


@pytest.mark.parametrize("settings, words", [
    ({"rl_steps": 0}, "rl_steps"), ({"fraction": 0.0}, "fraction"), ({"fraction": 1.5}, "fraction"),
    ({"hidden": ()}, "hidden"), ({"rl_lr": float("nan")}, "rl_lr"), ({"entropy": -1.0}, "entropy"),
])  # fmt: skip
def test_bad_settings_are_one_line_errors(settings, words):
    with pytest.raises(SearchlabError, match=words) as caught:
        SignalSettings(**settings)
    assert "\n" not in str(caught.value)


def test_bad_arguments_are_one_line_errors():
    for call, words in [
        (lambda: PATHS["outcomes"]("people", SMALL, 0), "TicTacToePeople"),
        (lambda: PATHS["dagger"](PEOPLE, {"rl_steps": 3}, 0), "SignalSettings"),
        (lambda: PATHS["approval (rater)"](PEOPLE, SMALL, -1), "seed"),
        (lambda: PATHS["approval (reward model)"](PEOPLE, SMALL, 0, fraction=2.0), "fraction"),
    ]:
        with pytest.raises(SearchlabError, match=words) as caught:
            call()
        assert "\n" not in str(caught.value)


def test_both_tasks_implement_the_one_task_interface():
    from searchlab.signals import ArithmeticPeople
    from searchlab.signals.arithmetic_paths import PathSettings
    from searchlab.signals.arithmetic_signals import ArithmeticSignals
    from searchlab.signals.task import Task
    from searchlab.signals.tictactoe_signals import TicTacToeSignals

    for task in (TicTacToeSignals(PEOPLE, SMALL), ArithmeticSignals(ArithmeticPeople(), PathSettings.small())):
        assert isinstance(task, Task)
        assert set(task.evaluate(task.new_model(0))) >= {"score"}
