"""Tic-Tac-Toe's simulated people: their configured accuracies, plausible mistakes, seeds and bad configs."""

from __future__ import annotations

import numpy as np
import pytest

from searchlab.core.errors import SearchlabError
from searchlab.games.tictactoe import TicTacToe
from searchlab.signals import Demonstrator, Rater, TicTacToePeople, default_task
from searchlab.signals.tictactoe_task import TicTacToeSkill, TicTacToeTruth

GAME = TicTacToe()
TRUTH = TicTacToeTruth()


def demonstrator(p: float, seed: int) -> Demonstrator:
    return Demonstrator(TRUTH, TicTacToeSkill(p), seed)


def rater(q: float, seed: int) -> Rater:
    return Rater(TRUTH, q, seed)


@pytest.fixture(scope="module")
def task():
    return default_task()


def test_states_are_the_decision_positions_and_optimal_moves_are_the_solvers(task):
    assert task.decisions == 4520 and task.positions.tolist() == list(range(4520))
    assert task.optimal_moves(task.index.root) == list(range(9))  # every opening move keeps the draw
    for position in range(0, task.decisions, 97):
        state = task.index.states[position]
        assert task.optimal_moves(position) == task.index.solution.best_actions[state]
    with pytest.raises(SearchlabError, match="decision-position ids"):
        task.optimal_moves(task.decisions)  # a finished position is not a task state


def test_move_values_say_which_moves_are_optimal(task):
    positions = np.repeat(task.positions, 9)
    moves = np.tile(np.arange(9), task.decisions)
    legal = task.legal[positions, moves]
    positions, moves = positions[legal], moves[legal]
    sign = np.where(task.index.player[positions] == 0, 1, -1)
    keeps_value = task.move_values(positions, moves) == sign * task.index.value[positions]
    assert np.array_equal(task.is_optimal(positions, moves), keeps_value)
    with pytest.raises(SearchlabError, match="not legal"):
        task.is_optimal([5], [int(np.flatnonzero(~task.legal[5])[0])])


@pytest.mark.parametrize("p", [0.0, 0.3, 0.7, 1.0])
def test_demonstrator_accuracy_is_p_on_contested_positions(p):
    measured = demonstrator(p, seed=11).measure(samples=10_000, seed=3)["accuracy"]
    assert measured.configured == p and measured.samples == 10_000
    assert measured.agrees(5), str(measured)


def test_demonstrator_is_always_right_where_no_mistake_exists(task):
    shown = demonstrator(0.6, seed=2)
    positions = task.sample_positions(20_000, np.random.default_rng(4), contested_only=False)
    moves = shown.demonstrate(positions)
    uncontested = ~task.contested[positions]
    assert task.is_optimal(positions[uncontested], moves[uncontested]).all()
    expected = shown.expected_accuracy(positions)
    assert abs(task.accuracy(moves, positions) - expected) < 5 * np.sqrt(0.24 / positions.size)


def test_mistakes_are_legal_and_not_optimal(task):
    positions = task.sample_positions(20_000, np.random.default_rng(5))
    moves = demonstrator(0.0, seed=6).demonstrate(positions)
    task.check(positions, moves)  # legal, or this raises
    assert not task.is_optimal(positions, moves).any()


def test_mistake_weights_follow_the_documented_rule(task):
    # X took a corner; O must take the centre, every other reply loses. A losing mistake
    # weighs 1 + (lines through the square without an X): edges 1,3 -> 2, the rest -> 3.
    position = task.index.id_of(GAME.state_from_string("X.. ... ..."))
    assert task.optimal_moves(position) == [4]
    expected = np.array([0, 2, 3, 2, 0, 3, 3, 3, 3]) / 19
    assert np.allclose(task.mistake_probabilities[position], expected)
    # X can win at 2; 5 keeps the draw (it blocks O), 6, 7 and 8 lose. A mistake weighs
    # 1 + (lines through the square without an O), times 4 if it keeps the draw.
    position = task.index.id_of(GAME.state_from_string("XX. OO. ..."))
    assert task.optimal_moves(position) == [2]
    weights = task.mistake_probabilities[position] / task.mistake_probabilities[position, 6]
    assert task.move_values([position], [5])[0] == 0 and task.move_values([position], [6])[0] == -1
    lines_for_x = {5: 1, 6: 1, 7: 1, 8: 2}  # e.g. 8: row 2 and column 2 open, the diagonal holds an O
    for square, lines in lines_for_x.items():
        weight = (4.0 if square == 5 else 1.0) * (1 + lines)
        assert weights[square] == pytest.approx(weight / (1 + lines_for_x[6]))


def test_demonstrator_draws_mistakes_from_the_mistake_distribution(task):
    position = task.index.id_of(GAME.state_from_string("X.. ... ..."))
    moves = demonstrator(0.0, seed=8).demonstrate(np.full(19_000, position))
    counts = np.bincount(moves, minlength=9)
    expected = task.mistake_probabilities[position] * moves.size
    assert np.all(np.abs(counts - expected) <= 5 * np.sqrt(expected + 1e-9))


@pytest.mark.parametrize("q", [0.0, 0.55, 0.9, 1.0])
def test_rater_accuracy_is_q(q):
    measured = rater(q, seed=9).measure(samples=10_000, seed=1)["accuracy"]
    assert measured.agrees(5), str(measured)


def test_a_perfect_rater_approves_exactly_the_optimal_moves(task):
    positions = task.sample_positions(5_000, np.random.default_rng(2))
    moves = demonstrator(0.5, seed=3).demonstrate(positions)
    assert np.array_equal(rater(1.0, seed=0).rate(positions, moves), task.is_optimal(positions, moves))
    assert np.array_equal(rater(0.0, seed=0).rate(positions, moves), ~task.is_optimal(positions, moves))


def test_same_seed_same_samples_and_calls_continue_the_stream(task):
    positions = task.sample_positions(2_000, np.random.default_rng(0))
    a, b = demonstrator(0.5, seed=1), demonstrator(0.5, seed=1)
    first = a.demonstrate(positions)
    assert np.array_equal(first, b.demonstrate(positions))
    assert not np.array_equal(first, a.demonstrate(positions))
    assert not np.array_equal(first, demonstrator(0.5, seed=2).demonstrate(positions))
    assert np.array_equal(rater(0.8, seed=4).rate(positions, first), rater(0.8, seed=4).rate(positions, first))


def test_people_config_makes_and_measures_both():
    people = TicTacToePeople(p=0.6, q=0.85, seed=5)
    assert people.recognising_is_easier and not TicTacToePeople(p=0.9, q=0.8).recognising_is_easier
    assert people.demonstrator().skill.p == 0.6 and people.rater().accuracy == 0.85
    assert people.demonstrator().seed != people.rater().seed  # independent child seeds
    measured = people.measure(samples=5_000)
    assert set(measured) == {"demonstrator accuracy", "rater accuracy"}
    assert all(m.agrees(5) for m in measured.values())
    assert str(measured["rater accuracy"]).startswith("accuracy: configured 0.85, measured 0.")


@pytest.mark.parametrize(
    "settings, words",
    [({"p": 1.5}, "p is a probability"), ({"q": -0.1}, "q is a probability"), ({"p": "high"}, "p is a probability"),
     ({"q": float("nan")}, "q is a probability"), ({"seed": -1}, "seed")],
)  # fmt: skip
def test_bad_configs_are_one_line_errors(settings, words):
    with pytest.raises(SearchlabError, match=words) as caught:
        TicTacToePeople(**settings)
    assert "\n" not in str(caught.value)
    with pytest.raises(SearchlabError, match="from 0 to 1"):
        TicTacToeSkill(2)
    with pytest.raises(SearchlabError, match="from 0 to 1"):
        Rater(TRUTH, True, seed=0)


def test_the_checker_is_the_exact_truth(task):
    positions = task.sample_positions(3_000, np.random.default_rng(7))
    moves = demonstrator(0.5, seed=5).demonstrate(positions)
    checker = TicTacToePeople().checker()
    assert np.array_equal(checker.check(positions, moves), task.is_optimal(positions, moves))
    assert checker.checks == 3_000
