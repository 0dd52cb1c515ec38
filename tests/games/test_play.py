"""Playing in the terminal: the solver never loses, bad input is refused politely, the game goes on."""

from __future__ import annotations

import io

import pytest

from cli_checks import error_line
from searchlab.core.errors import SearchlabError
from searchlab.games.play import board_text, play
from searchlab.games.tictactoe import TicTacToe

# A "human" who types 1..9 in order, again and again: taken squares are refused, so
# this plays the first free square, a simple but complete strategy.
FIRST_FREE = "".join(f"{square}\n" for square in range(1, 10)) * 9


@pytest.mark.parametrize("side", ["X", "O"])
@pytest.mark.parametrize("seed", range(5))
def test_the_solver_never_loses(side, seed):
    result = play("solver", side, seed, io.StringIO(FIRST_FREE), io.StringIO())
    human_result = result if side == "X" else -result
    assert human_result <= 0


def test_bad_input_is_refused_politely_and_the_game_goes_on():
    out = io.StringIO()
    play("random", "X", 0, io.StringIO("abc\n0\n10\n5\n5\n" + FIRST_FREE), out)
    text = out.getvalue()
    assert "'abc' is not a square" in text and "'0' is not a square" in text and "'10' is not a square" in text
    assert "Square 5 is taken" in text
    assert text.rstrip().endswith(("You win!", "A draw.", "The random player wins."))


def test_the_random_opponent_is_fixed_by_the_seed():
    runs = [io.StringIO() for _ in range(2)]
    for out in runs:
        play("random", "O", 3, io.StringIO(FIRST_FREE), out)
    assert runs[0].getvalue() == runs[1].getvalue()


def test_board_shows_free_squares_as_numbers():
    game = TicTacToe()
    state = game.apply(game.apply(game.initial_state(), 4), 0)
    assert board_text(game, state).splitlines() == [
        " O | 2 | 3",
        "---+---+---",
        " 4 | X | 6",
        "---+---+---",
        " 7 | 8 | 9",
    ]


def test_input_that_ends_early_is_an_error(monkeypatch, capsys):
    with pytest.raises(SearchlabError, match="input ended"):
        play("solver", "X", 0, io.StringIO("5\n"), io.StringIO())
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert "input ended" in error_line(capsys, ["play", "tictactoe"])


def test_unknown_opponent_through_the_cli(capsys):
    assert "invalid choice" in error_line(capsys, ["play", "tictactoe", "--against", "oracle"])
