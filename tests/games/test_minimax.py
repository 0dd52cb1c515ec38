"""The minimax solver: a draw from the start, symmetric values, and agreement with a plain recursion."""

import random

import pytest

from searchlab.games import TicTacToe
from searchlab.games.minimax import minimax_value, solve
from searchlab.games.strategies import reachable_states

GAME = TicTacToe()


@pytest.fixture(scope="module")
def solution():
    return solve(GAME)


def plain_minimax(state):
    """Unmemoized negamax-free minimax written from the rules, as an independent reference."""
    if GAME.is_terminal(state):
        return GAME.returns(state)
    values = [plain_minimax(GAME.apply(state, a)) for a in GAME.legal_actions(state)]
    return max(values) if GAME.current_player(state) == 0 else min(values)


def test_empty_board_is_a_draw(solution):
    assert solution.value == 0
    assert solution.root == GAME.initial_state()
    # Every opening move draws with perfect play.
    assert solution.best_actions[GAME.initial_state()] == list(range(9))


def test_values_cover_every_reachable_position(solution):
    assert set(solution.values) == reachable_states(GAME)
    assert len(solution.values) == 5478
    assert set(solution.values.values()) <= {-1.0, 0.0, 1.0}
    non_terminal = {s for s in solution.values if not GAME.is_terminal(s)}
    assert set(solution.best_actions) == non_terminal


def test_values_are_invariant_under_the_symmetries(solution):
    for state, value in solution.values.items():
        for k in range(8):
            assert solution.values[GAME.transform_state(state, k)] == value


def test_best_actions_move_with_the_symmetries(solution):
    for state, actions in solution.best_actions.items():
        for k in range(8):
            image = GAME.transform_state(state, k)
            assert sorted(GAME.transform_action(a, k) for a in actions) == solution.best_actions[image]


def test_best_actions_reach_the_value(solution):
    for state, actions in solution.best_actions.items():
        for action in GAME.legal_actions(state):
            child_value = solution.values[GAME.apply(state, action)]
            assert (child_value == solution.values[state]) == (action in actions)


def test_agrees_with_plain_minimax_on_mid_game_positions(solution):
    rng = random.Random(1)
    states = [s for s in solution.values if s.count(0) <= 6]
    for state in rng.sample(states, 200):
        assert solution.values[state] == plain_minimax(state)
        assert minimax_value(GAME, state) == solution.values[state]


def test_known_positions():
    assert minimax_value(GAME, GAME.state_from_string("XX. OO. ...")) == 1  # X completes the top row
    assert minimax_value(GAME, GAME.state_from_string("XX. OO. X..")) == -1  # O to move, completes the middle row
    # X has a fork after O's edge reply to a corner opening.
    solution = solve(GAME, GAME.state_from_string("XO. ... ..."))
    assert solution.value == 1


def test_optimal_play_never_loses_against_random_play(solution):
    rng = random.Random(2)
    for optimal_player in (0, 1):
        for _ in range(300):
            state = GAME.initial_state()
            while not GAME.is_terminal(state):
                if GAME.current_player(state) == optimal_player:
                    state = GAME.apply(state, rng.choice(solution.best_actions[state]))
                else:
                    state = GAME.apply(state, rng.choice(GAME.legal_actions(state)))
            sign = 1 if optimal_player == 0 else -1
            assert sign * GAME.returns(state) >= 0
