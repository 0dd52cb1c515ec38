"""Connect Four rules: OpenSpiel agreement, wins that must and must not count, errors, text and symmetry."""

import dataclasses
import pickle
import random

import numpy as np
import pytest

from searchlab.core.errors import SearchlabError
from searchlab.games import GAMES
from searchlab.games.connect4 import SMALL, ConnectFour

GAME = ConnectFour()


def play_random(game, rng, stop_at=None):
    """A seeded random game: the list of (state, action) pairs and the final state."""
    state, history = game.initial_state(), []
    while not game.is_terminal(state) and (stop_at is None or len(history) < stop_at):
        action = rng.choice(game.legal_actions(state))
        history.append((state, action))
        state = game.apply(state, action)
    return history, state


def test_registry_names_and_sizes():
    assert GAMES["connect4"] is ConnectFour
    assert GAMES["connect4"]().name == "connect4"
    small = GAMES["connect4-small"]()
    assert small.name == "connect4-small" and (small.rows, small.cols) == SMALL == (4, 5)
    assert ConnectFour(5, 6).name == "connect4-5x6"
    assert (GAME.num_players, GAME.num_actions, GAME.observation_shape) == (2, 7, (2, 6, 7))
    assert ConnectFour(6, 7) == GAME and hash(ConnectFour(6, 7)) == hash(GAME)
    assert dataclasses.asdict(ConnectFour(5, 6)) == {"rows": 5, "cols": 6}  # the config holds settings only
    copied = pickle.loads(pickle.dumps(small))
    assert copied == small and copied.legal_actions(copied.initial_state()) == [0, 1, 2, 3, 4]


def test_apply_returns_a_new_state_and_alternates_players():
    start = GAME.initial_state()
    after = GAME.apply(start, 3)
    assert start == GAME.initial_state()
    assert GAME.current_player(start) == 0 and GAME.current_player(after) == 1
    assert GAME.render(GAME.apply(after, 3)).splitlines()[-2:] == ["...O...", "...X..."]
    assert hash(after) == hash(GAME.moves_from_string("4"))
    assert GAME.legal_actions(start) == list(range(7))


@pytest.mark.parametrize(
    "moves, winner",
    [
        ("4545454", 0),  # vertical, column 4
        ("112233", None),  # X has 1-2-3 on the bottom, O above: no four yet
        ("1122334", 0),  # horizontal
        ("1223433454", None),
        ("12234334544", 0),  # rising diagonal from column 1 to 4
        ("7665455434", None),
        ("76654554344", 0),  # falling diagonal from column 4 to 7
        ("71122334", 1),  # O makes a horizontal four after X's first move elsewhere
    ],
)
def test_wins_in_every_direction(moves, winner):
    state = GAME.moves_from_string(moves)
    assert GAME.winner(state) == winner
    assert GAME.is_terminal(state) == (winner is not None)
    assert GAME.returns(state) == {0: 1.0, 1: -1.0, None: 0.0}[winner]
    if winner is not None:
        assert GAME.legal_actions(state) == []


def test_no_four_wraps_from_the_top_of_a_column_into_the_next():
    # X holds the top three cells of column 1 and the bottom cell of column 2: in the
    # bitboard these are bits 3, 4, 5 and 7, apart only by the empty sentinel bit 6.
    state = GAME.moves_from_string("211117171")
    assert GAME.render(state).splitlines()[:3] == ["X......"] * 3
    assert GAME.render(state).splitlines()[-1] == "OX....O"
    assert not GAME.is_terminal(state) and GAME.winner(state) is None


def test_a_full_board_without_four_is_a_draw():
    game = ConnectFour(4, 4)
    draw = game.moves_from_string("1113233214423442")  # a seeded random game that filled the board
    assert game.render(draw) == "XOXX\nXOXO\nOOOX\nXXOO"
    assert game.is_terminal(draw) and game.winner(draw) is None and game.returns(draw) == 0.0
    assert game.legal_actions(draw) == []
    assert game.state_from_string(game.render(draw)) == draw


@pytest.mark.parametrize("rows, cols, games", [(6, 7, 300), (4, 5, 100), (5, 4, 50), (9, 9, 20)])
def test_rules_agree_with_openspiel(rows, cols, games):
    pyspiel = pytest.importorskip("pyspiel")
    theirs = pyspiel.load_game("connect_four", {"rows": rows, "columns": cols})
    game = ConnectFour(rows, cols)
    rng = random.Random(rows * 10 + cols)
    for _ in range(games):
        ours, spiel = game.initial_state(), theirs.new_initial_state()
        while True:
            assert game.is_terminal(ours) == spiel.is_terminal()
            assert game.legal_actions(ours) == list(spiel.legal_actions())  # action ids are columns
            if spiel.is_terminal():
                break
            assert game.current_player(ours) == spiel.current_player()
            # OpenSpiel's planes are (player 0, player 1, empty) with row 0 at the bottom.
            planes = np.asarray(spiel.observation_tensor(), dtype=np.float32).reshape(3, rows, cols)[:2, ::-1]
            observed = game.observation(ours)
            if game.current_player(ours) == 1:
                observed = observed[::-1]
            np.testing.assert_array_equal(observed, planes)
            action = rng.choice(game.legal_actions(ours))
            ours, spiel = game.apply(ours, action), spiel.child(action)
        assert game.returns(ours) == spiel.returns()[0]


def test_random_rollout_plays_the_same_game_as_the_api():
    for seed in range(200):
        game = ConnectFour(*random.Random(seed).choice([(6, 7), (4, 5), (9, 4)]))
        start = play_random(game, random.Random(seed), stop_at=seed % 9)[1]
        draws = random.Random(seed)
        state = start
        while not game.is_terminal(state):  # the rollout picks legal[int(random() * len(legal))]
            legal = game.legal_actions(state)
            state = game.apply(state, legal[int(draws.random() * len(legal))])
        assert game.random_rollout(start, random.Random(seed)) == game.returns(state)
    generator_results = [GAME.random_rollout(GAME.initial_state(), np.random.default_rng(7)) for _ in range(2)]
    assert generator_results[0] == generator_results[1]  # seeded numpy generators are deterministic too


@pytest.mark.parametrize("action", [-1, 7, 100, "3", 1.5, None, True])
def test_non_columns_raise(action):
    with pytest.raises(SearchlabError, match=r"legal actions are \[0, 1, 2, 3, 4, 5, 6\]"):
        GAME.apply(GAME.initial_state(), action)


def test_numpy_and_torch_integers_are_accepted():
    expected = GAME.moves_from_string("3")
    assert GAME.apply(GAME.initial_state(), np.int64(2)) == expected
    torch = pytest.importorskip("torch")
    assert GAME.apply(GAME.initial_state(), torch.tensor(2)) == expected


def test_full_columns_and_finished_games_raise_one_line_errors():
    with pytest.raises(SearchlabError) as caught:
        GAME.apply(GAME.moves_from_string("111111"), 0)
    assert "column 0 is full" in str(caught.value) and "[1, 2, 3, 4, 5, 6]" in str(caught.value)
    finished = GAME.moves_from_string("1212121")
    for action in range(7):
        with pytest.raises(SearchlabError, match="game is over"):
            GAME.apply(finished, action)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("rows, cols", [(3, 7), (6, 3), (10, 7), (6, 10), (0, 0), ("6", 7), (6.0, 7), (True, 7)])
def test_bad_sizes_raise(rows, cols):
    with pytest.raises(SearchlabError, match="from 4 to 9") as caught:
        ConnectFour(rows, cols)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "text, reason",
    [
        ("XO", "42 symbols"),
        ("Z" + "." * 41, "42 symbols"),
        ("X" + "." * 34 + "O......", "above an empty cell"),
        ("." * 35 + "XX.....", "as many stones as O or one more"),
        ("." * 35 + "OO...X.", "as many stones as O or one more"),
        ("." * 14 + "O......" * 3 + "OXXX.XX", "O has four in a row but X moved after it"),
        ("." * 14 + "X......" + "X.....O" * 2 + "X....OO", "X has four in a row but O moved after it"),
    ],
)
def test_bad_boards_raise_one_line_errors(text, reason):
    with pytest.raises(SearchlabError, match=reason) as caught:
        GAME.state_from_string(text)
    assert "\n" not in str(caught.value)


def test_fours_are_accepted_only_if_one_last_move_made_them_all():
    # X has a four in column 1 and another in column 7; no single last stone made both.
    two_fours = "." * 14 + "X.....X" + "X.....X" + "XOO.OOX" + "XOOXOOX"
    with pytest.raises(SearchlabError, match="last move"):
        GAME.state_from_string(two_fours)
    # Filling the gap of XXX.XXX makes seven in a row with one stone: a legal finished game.
    game = ConnectFour(4, 7)
    seven = game.state_from_string("." * 14 + "OOO.OOO" + "XXXXXXX")
    assert game.winner(seven) == 0 and game.is_terminal(seven)


@pytest.mark.parametrize(
    "moves, reason",
    [
        ("48", "column digits 1..7"),
        ("a", "column digits"),
        ("0", "column digits"),
        ("1111111", "full"),
        ("12121212", "game is over"),
        (4453, "string of column digits"),
    ],
)
def test_bad_move_strings_raise(moves, reason):
    with pytest.raises(SearchlabError, match=reason) as caught:
        GAME.moves_from_string(moves)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("rows, cols", [(6, 7), SMALL, (9, 9), (4, 4)])
def test_text_observation_and_mirror_round_trips(rows, cols):
    game = ConnectFour(rows, cols)
    rng = random.Random(rows * cols)
    for _ in range(30):
        history, final = play_random(game, rng)
        moves = "".join(str(action + 1) for _, action in history)
        assert game.moves_from_string(moves) == final
        mirrored = "".join(str(cols - action) for _, action in history)
        assert game.moves_from_string(mirrored) == game.transform_state(final, 1)
        for state, action in history + [(final, None)]:
            text = game.render(state)
            assert game.state_from_string(text) == state
            assert game.transform_state(game.transform_state(state, 1), 1) == state
            planes = game.observation(state)
            assert planes.shape == (2, rows, cols) and planes.dtype == np.float32
            mover_symbol = "XO"[game.current_player(state)]
            grid = np.array([list(line) for line in text.splitlines()])
            np.testing.assert_array_equal(planes[0], grid == mover_symbol)
            np.testing.assert_array_equal(planes[1], (grid != mover_symbol) & (grid != "."))
            np.testing.assert_array_equal(game.observation(game.transform_state(state, 1)), planes[:, :, ::-1])
            if action is not None:
                mirrored_move = game.apply(game.transform_state(state, 1), game.transform_action(action, 1))
                assert mirrored_move == game.transform_state(game.apply(state, action), 1)
    with pytest.raises(SearchlabError, match="symmetry"):
        game.transform_state(game.initial_state(), 2)
