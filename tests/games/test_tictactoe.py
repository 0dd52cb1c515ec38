"""Tic-Tac-Toe rules: legal moves, errors, symmetries, the exact counts, and a seeded fuzz."""

import itertools
import random

import pytest

from searchlab.core.errors import SearchlabError
from searchlab.games import GAMES, TicTacToe
from searchlab.games.strategies import game_facts

GAME = TicTacToe()


def board(text):
    return GAME.state_from_string(text)


def line_winners(state):
    """Independent of the library: the marks that fill a row, a column or a diagonal."""
    grid = [state[0:3], state[3:6], state[6:9]]
    lines = [list(row) for row in grid]
    lines += [[grid[r][c] for r in range(3)] for c in range(3)]
    lines += [[grid[i][i] for i in range(3)], [grid[i][2 - i] for i in range(3)]]
    return {line[0] for line in lines if line[0] != 0 and line.count(line[0]) == 3}


def test_registry_and_initial_state():
    assert GAMES["tictactoe"] is TicTacToe
    state = GAME.initial_state()
    assert state == (0,) * 9
    assert GAME.current_player(state) == 0
    assert GAME.legal_actions(state) == list(range(9))
    assert not GAME.is_terminal(state)
    assert GAME.returns(state) == 0


def test_apply_returns_a_new_state_and_alternates_players():
    start = GAME.initial_state()
    after_x = GAME.apply(start, 4)
    assert start == (0,) * 9  # unchanged
    assert after_x == board("... .X. ...")
    assert GAME.current_player(after_x) == 1
    after_o = GAME.apply(after_x, 0)
    assert after_o == board("O.. .X. ...")
    assert GAME.current_player(after_o) == 0
    assert GAME.legal_actions(after_o) == [1, 2, 3, 5, 6, 7, 8]
    assert hash(after_o) == hash(board("O.. .X. ..."))


def test_wins_and_draws():
    x_row = board("XXX OO. ...")
    assert GAME.is_terminal(x_row) and GAME.returns(x_row) == 1 and GAME.legal_actions(x_row) == []
    o_diagonal = board("OXX XO. X.O")
    assert GAME.is_terminal(o_diagonal) and GAME.returns(o_diagonal) == -1
    draw = board("XOX XOO OXX")
    assert GAME.is_terminal(draw) and GAME.returns(draw) == 0


@pytest.mark.parametrize("action", [-1, 9, 100, "4", 1.5, None, True])
def test_out_of_range_actions_raise(action):
    with pytest.raises(SearchlabError, match="legal actions are"):
        GAME.apply(GAME.initial_state(), action)


def test_occupied_square_raises_with_a_one_line_message():
    state = board("X.. .O. ...")
    with pytest.raises(SearchlabError) as caught:
        GAME.apply(state, 4)
    message = str(caught.value)
    assert "\n" not in message
    assert "already taken" in message and "[1, 2, 3, 5, 6, 7, 8]" in message


@pytest.mark.parametrize("text", ["XXX OO. ...", "XOX XOO OXX"])
def test_moves_after_the_game_ended_raise(text):
    state = board(text)
    for action in range(9):
        with pytest.raises(SearchlabError, match="game is over"):
            GAME.apply(state, action)


def test_numpy_style_integers_are_accepted():
    np = pytest.importorskip("numpy")
    assert GAME.apply(GAME.initial_state(), np.int64(2)) == board("..X ... ...")


def test_symmetries_form_the_group_of_the_square():
    permutations = {tuple(GAME.transform_action(a, k) for a in range(9)) for k in range(8)}
    assert len(permutations) == 8
    assert all(sorted(p) == list(range(9)) for p in permutations)
    assert tuple(range(9)) in permutations
    composed = {tuple(q[p[a]] for a in range(9)) for p in permutations for q in permutations}
    assert composed == permutations  # closed under composition
    assert all(p[4] == 4 for p in permutations)  # the centre never moves
    corners = {p[0] for p in permutations}
    assert corners == {0, 2, 6, 8}


def test_state_transforms_agree_with_action_transforms():
    rng = random.Random(0)
    for _ in range(50):
        state = GAME.initial_state()
        while not GAME.is_terminal(state):
            action = rng.choice(GAME.legal_actions(state))
            for k in range(8):
                moved = GAME.apply(GAME.transform_state(state, k), GAME.transform_action(action, k))
                assert moved == GAME.transform_state(GAME.apply(state, action), k)
            state = GAME.apply(state, action)


def test_canonical_form_is_shared_by_all_images():
    state = board("X.. .O. ..X")
    images = GAME.symmetric_states(state)
    assert {GAME.canonical(image) for image in images} == {GAME.canonical(state)}
    assert GAME.canonical(state) in images


def test_render_round_trips():
    state = board("XO. .X. ..O")
    assert GAME.render(state) == "XO.\n.X.\n..O"
    assert GAME.state_from_string(GAME.render(state)) == state
    with pytest.raises(SearchlabError):
        GAME.state_from_string("XO")


def test_exact_facts():
    facts = game_facts(GAME)
    assert facts.positions == 5478  # the empty board included
    assert facts.positions_up_to_symmetry == 765
    assert facts.terminal_positions == 958
    assert facts.complete_games == 255168
    assert facts.value == 0  # a draw under perfect play


@pytest.mark.parametrize("seed", range(5))
def test_random_game_fuzz(seed):
    rng = random.Random(seed)
    for _ in range(200):
        state = GAME.initial_state()
        moves = 0
        while not GAME.is_terminal(state):
            assert line_winners(state) == set()
            legal = GAME.legal_actions(state)
            assert legal == [i for i in range(9) if state[i] == 0]
            mark = 1 if GAME.current_player(state) == 0 else -1
            action = rng.choice(legal)
            state = GAME.apply(state, action)
            assert state[action] == mark
            moves += 1
        winners = line_winners(state)
        assert len(winners) <= 1  # never two winners
        assert GAME.returns(state) == (winners.pop() if winners else 0)
        assert GAME.legal_actions(state) == []
        assert state.count(1) - state.count(-1) in (0, 1)
        assert moves == 9 - state.count(0)
        assert 5 <= moves <= 9


def test_every_board_agrees_with_the_independent_line_check():
    for state in itertools.product((1, -1, 0), repeat=9):
        winners = line_winners(state)
        if len(winners) == 1:
            assert GAME.winner(state) == next(iter(winners))
        elif not winners:
            assert GAME.winner(state) is None
            assert GAME.is_terminal(state) == (0 not in state)
