"""The essay's exhaustive search, checked against the counts, the rules and the solver."""

import random

import numpy as np
import pytest

from fake_clock import RATE, fake_clock
from searchlab.games import TicTacToe
from searchlab.games.minimax import solve
from searchlab.games.roundrobin import (
    HistoryTree,
    enumerate_strategies,
    perfect_line,
    play_all,
    round_robin,
    sweep,
    whole_game_estimate,
)
from searchlab.games.strategies import count_tree_strategies

GAME = TicTacToe()

POSITIONS = [
    "XOX .O. ..X",  # from test_strategies.SMALL_POSITIONS: O to move, both threaten
    "XO. .O. X.X",  # O to move; X has two threats
    "XOX XOO ...",  # X to move; X wins at once on square 6 (games end early)
    "OX. XOO X..",  # X to move; O threatens square 8
    "XO. .XO X..",  # O to move; X has two threats, so most games end after 2 plies
]


def play_by_rules(root, tree, x_row, o_row):
    """Play two strategy rows through TicTacToe.apply, reading moves by history; X's result."""
    state, history, rows = root, (), (tree.strategy_dict(0, x_row), tree.strategy_dict(1, o_row))
    while not GAME.is_terminal(state):
        action = rows[GAME.current_player(state)][history]
        state, history = GAME.apply(state, action), history + (action,)
    return GAME.returns(state)


@pytest.mark.parametrize("text", POSITIONS)
def test_enumeration_matches_counts_and_is_legal(text):
    root = GAME.state_from_string(text)
    assert root.count(0) in (3, 4) and not GAME.is_terminal(root)
    tree = HistoryTree(GAME, root)
    for side in (0, 1):
        strategies = enumerate_strategies(tree, side)
        assert strategies.dtype == np.int8 and strategies.shape[1] == tree.width(side)
        assert len(strategies) == count_tree_strategies(GAME, side, root)
        assert len(np.unique(strategies, axis=0)) == len(strategies)
        for row in strategies:
            # Walk the strategy's reachable histories: a legal move at each of its own, -1 everywhere else.
            reached = set()
            frontier = [(0, root)]
            while frontier:
                node, state = frontier.pop()
                if GAME.is_terminal(state):
                    continue
                if GAME.current_player(state) == side:
                    action = int(row[tree.columns[side][node]])
                    assert action in GAME.legal_actions(state)
                    reached.add(node)
                    frontier.append((tree.children[node, action], GAME.apply(state, action)))
                else:
                    frontier.extend((tree.children[node, a], GAME.apply(state, a)) for a in GAME.legal_actions(state))
            unreached = [c for c, node in enumerate(tree.decision_nodes[side]) if node not in reached]
            assert (row[unreached] == -1).all()


def test_early_ending_position_has_empty_strategies():
    root = GAME.state_from_string("XOX XOO OX.")  # X to move, one blank: X's strategy is one move, O's is empty
    tree = HistoryTree(GAME, root)
    assert enumerate_strategies(tree, 0).tolist() == [[8]]
    assert enumerate_strategies(tree, 1).shape == (1, 0)
    assert round_robin(GAME, root).x_guarantee == 0


@pytest.mark.parametrize("text", POSITIONS)
def test_round_robin_results_match_the_rules(text):
    root = GAME.state_from_string(text)
    tree = HistoryTree(GAME, root)
    xs, os_ = enumerate_strategies(tree, 0), enumerate_strategies(tree, 1)
    results = play_all(tree, xs, os_)
    assert results.shape == (len(xs), len(os_))
    rng = random.Random(0)
    for _ in range(40):
        i, j = rng.randrange(len(xs)), rng.randrange(len(os_))
        assert results[i, j] == play_by_rules(root, tree, xs[i], os_[j])
    # Small chunks give the same matrix (blocks on both axes).
    from searchlab.games.roundrobin import play_chunks

    again = np.empty_like(results)
    for x_rows, o_rows, block in play_chunks(tree, xs, os_, chunk_games=7):
        again[x_rows, o_rows] = block
    assert (again == results).all()


@pytest.mark.parametrize("text", POSITIONS)
def test_best_worst_case_is_minimax(text):
    root = GAME.state_from_string(text)
    result = round_robin(GAME, root)
    value = solve(GAME, root).value
    assert result.value == value == result.x_guarantee == result.o_guarantee
    assert result.optimal
    assert result.games == result.strategies_x * result.strategies_o
    # The chosen strategies, played against each other, reach the value.
    state = root
    for action in result.best_game:
        state = GAME.apply(state, action)
    assert GAME.is_terminal(state) and GAME.returns(state) == value


@pytest.mark.parametrize("text", [*POSITIONS, "O.X XO. ..X", "XXO .O. X.."])
def test_the_essays_mean_score_rule_is_the_best_row_mean_of_the_full_results_table(text):
    root = GAME.state_from_string(text)
    result = round_robin(GAME, root)
    tree = HistoryTree(GAME, root)
    table = play_all(tree, enumerate_strategies(tree, 0), enumerate_strategies(tree, 1)).astype(float)
    best_x, best_o = int(np.argmax(table.mean(axis=1))), int(np.argmin(table.mean(axis=0)))
    assert result.mean_x_score == pytest.approx(table.mean(axis=1)[best_x])
    assert result.mean_o_score == pytest.approx(table.mean(axis=0)[best_o])
    assert (result.mean_x_worst, result.mean_o_worst) == (table[best_x].min(), table[:, best_o].max())
    assert result.mean_optimal == (result.mean_x_worst == result.value == result.mean_o_worst)
    assert result.mean_x_worst <= result.x_guarantee and result.mean_o_worst >= result.o_guarantee


def test_perfect_line_is_optimal_and_seeded():
    line = perfect_line(GAME, 3)
    assert line == perfect_line(GAME, 3) and len(line) == 10
    solution = solve(GAME)
    for before, after in zip(line, line[1:]):
        (action,) = [a for a in range(9) if before[a] != after[a]]
        assert action in solution.best_actions[before]
    assert GAME.returns(line[-1]) == 0


def games_along_the_line(seed, ks):
    line = perfect_line(GAME, seed)
    roots = [line[9 - k] for k in ks]
    return [count_tree_strategies(GAME, 0, r) * count_tree_strategies(GAME, 1, r) for r in roots]


@pytest.mark.parametrize("budget", [0.0, 1000 / RATE, 1.0])
def test_sweep_stops_at_the_budget_and_is_deterministic(monkeypatch, budget):
    fake_clock(monkeypatch)
    games = games_along_the_line(1, range(1, 9))  # 1, 2, 24, 1620, 767812500, ... along seed 1's perfect line
    # Independent of the sweep: k = 1 always runs, then k runs while the time spent plus its games / RATE fits the
    # budget.
    expected, spent = [1], games[0] / RATE
    while spent + games[len(expected)] / RATE <= budget:
        spent += games[len(expected)] / RATE
        expected.append(len(expected) + 1)
    result = sweep(GAME, seconds_budget=budget, seed=1)
    assert [r.empty_squares for r in result.results] == expected
    assert [r.games for r in result.results] == games[: len(expected)]
    assert result.next_empty_squares == len(expected) + 1 and result.next_games == games[len(expected)]
    assert result.next_seconds == pytest.approx(games[len(expected)] / RATE) and result.games_per_second == RATE
    assert all(r.optimal for r in result.results)
    again = sweep(GAME, seconds_budget=budget, seed=1)
    assert [(r.position, r.best_game) for r in again.results] == [(r.position, r.best_game) for r in result.results]
    if budget == 1.0:
        assert expected == [1, 2, 3, 4]  # the next k, 5, has 7.7e8 games: 768 s at RATE


def test_whole_game_estimate():
    estimate = whole_game_estimate(GAME, 1e7)
    assert estimate.games == count_tree_strategies(GAME, 0) * count_tree_strategies(GAME, 1)
    assert 560 < estimate.log10_games < 580
    assert estimate.log10_seconds == pytest.approx(estimate.log10_games - 7)
    assert estimate.log10_ages_of_universe == pytest.approx(estimate.log10_seconds - np.log10(13.8e9 * 365.25 * 86400))
