"""A policy's true performance: exact results against the pool, checked against independent move-by-move play."""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np
import pytest

from searchlab.core.errors import SearchlabError
from searchlab.games.tictactoe import LINES, TicTacToe
from searchlab.signals import Outcome, default_task

GAME = TicTacToe()


@pytest.fixture(scope="module")
def outcome():
    return Outcome()


@pytest.fixture(scope="module")
def solver_table():
    task = default_task()
    return np.argmax(task.optimal, axis=1)


def uniform_policy(task):
    return task.legal / task.legal.sum(axis=1, keepdims=True)


# ---- an independent reference: the game's own verbs, exact fractions, one move at a time ----


def greedy_moves(state) -> list[int]:
    """The greedy opponent's candidates, written from the rules: win, else block, else anything."""
    me = 1 if GAME.current_player(state) == 0 else -1
    legal = GAME.legal_actions(state)

    def completes(square, mark):
        return any(square in line and sum(state[s] == mark for s in line if s != square) == 2 for line in LINES)

    return [a for a in legal if completes(a, me)] or [a for a in legal if completes(a, -me)] or legal


def reference_results(table, index, side: int, opponent) -> tuple[Fraction, Fraction, Fraction]:
    """(win, draw, loss) of a lookup table playing `side` against `opponent(state) -> equally likely moves`."""

    @functools.cache
    def results(state):
        if GAME.is_terminal(state):
            mine = GAME.returns(state) * (1 if side == 0 else -1)
            return (Fraction(mine > 0), Fraction(mine == 0), Fraction(mine < 0))
        if GAME.current_player(state) == side:
            return results(GAME.apply(state, int(table[index.ids[state]])))
        moves = opponent(state)
        parts = [results(GAME.apply(state, a)) for a in moves]
        return tuple(sum(column) / len(moves) for column in zip(*parts))

    return results(GAME.initial_state())


def test_exact_results_match_move_by_move_play_against_greedy_and_random(outcome, solver_table):
    task = outcome.task
    tables = [solver_table, task.index.random_tables(1, np.random.default_rng(7))[0]]
    exact = outcome.probabilities(np.stack(tables))  # (2, pool, 2, 3)
    opponents = {"greedy": greedy_moves, "random": GAME.legal_actions}
    for k, table in enumerate(tables):
        for name, moves in opponents.items():
            for side in (0, 1):
                reference = reference_results(table, task.index, side, moves)
                assert exact[k, outcome.pool.index(name), side] == pytest.approx(
                    [float(x) for x in reference], abs=1e-12
                )


def test_exact_results_agree_with_the_position_index(outcome):
    index = outcome.task.index
    tables = index.random_tables(6, np.random.default_rng(1))
    exact = outcome.probabilities(tables)
    for name in ("perfect", "random"):
        for side in (0, 1):
            theirs = index.outcome_probabilities(tables, side, index.opponent_policy(name))
            assert np.allclose(exact[:, outcome.pool.index(name), side], theirs, atol=1e-12)


def test_the_perfect_policy_never_loses_and_the_random_policy_does_worse(outcome, solver_table):
    perfect = outcome.evaluate(solver_table)
    assert perfect.loss < 1e-12 and np.allclose(perfect.results[..., 2], 0.0, atol=1e-12)
    assert np.allclose(perfect.results[outcome.pool.index("perfect"), :, 1], 1.0)  # perfect vs perfect: a draw
    assert np.allclose(perfect.results.sum(axis=-1), 1.0)
    random = outcome.evaluate(uniform_policy(outcome.task))
    assert random.score < perfect.score - 0.3 and random.loss > 0.5
    assert random.results[outcome.pool.index("random"), 0, 0] == pytest.approx(737 / 1260)  # X's known win rate
    report = perfect.as_dict()
    assert report["score"] == pytest.approx(perfect.win + perfect.draw / 2)
    assert set(report["by_opponent"]) == {"perfect", "random", "greedy"}


def test_policy_forms_agree(outcome, solver_table):
    task = outcome.task
    one_hot = np.zeros((task.decisions, 9))
    one_hot[task.positions, solver_table] = 1.0
    as_table = outcome.probabilities(solver_table)
    assert np.allclose(outcome.probabilities(one_hot), as_table)
    assert np.allclose(outcome.probabilities(lambda positions: solver_table[positions]), as_table)
    stack = np.stack([solver_table, task.index.random_tables(1, np.random.default_rng(2))[0]])
    scores = outcome.scores(stack)
    assert scores.shape == (2,) and scores[0] == pytest.approx(outcome.evaluate(solver_table).score)


def test_sampled_games_match_the_exact_results(outcome, solver_table):
    task = outcome.task
    policy = 0.5 * uniform_policy(task) + 0.5 * task.optimal_probabilities
    exact = outcome.probabilities(policy)[0, outcome.pool.index("greedy"), 1]
    games = outcome.sample_games(policy, "greedy", side=1, games=20_000, seed=3)
    share = np.array([(games == 1).mean(), (games == 0).mean(), (games == -1).mean()])
    assert np.all(np.abs(share - exact) <= 5 * np.sqrt(exact * (1 - exact) / games.size) + 1e-12)
    again = outcome.sample_games(policy, "greedy", side=1, games=20_000, seed=3)
    assert np.array_equal(games, again)


def test_bad_policies_and_pools_are_one_line_errors(outcome, solver_table):
    task = outcome.task
    illegal = solver_table.copy()
    illegal[5] = np.flatnonzero(~task.legal[5])[0]
    cases = [
        (illegal, "not legal"),
        (np.zeros(10, dtype=int), "a policy is a"),
        (np.ones((task.decisions, 9)) / 9, "illegal moves"),
        (uniform_policy(task) * 0.5, "sum to 1"),
    ]
    for policy, words in cases:
        with pytest.raises(SearchlabError, match=words) as caught:
            outcome.probabilities(policy)
        assert "\n" not in str(caught.value)
    for pool in [(), ("perfect", "perfect"), ("minimax",)]:
        with pytest.raises(SearchlabError, match="outcome pool"):
            Outcome(pool)
    with pytest.raises(SearchlabError, match="side is 0"):
        outcome.sample_games(solver_table, "greedy", side=2, games=1, seed=0)
