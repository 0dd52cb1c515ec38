"""Playing Connect Four in the terminal: whole games, polite refusals, the end of input, the right opponents per
game."""

from __future__ import annotations

import io

import pytest

from cli_checks import error_line
from searchlab.cli import main
from searchlab.core.errors import SearchlabError
from searchlab.games.connect4 import ConnectFour
from searchlab.games.play_connect4 import ConnectFourView, board_text, play
from searchlab.games.terminal import ask_move

# A "human" who types 1..7 again and again: full columns are refused, so this plays
# the next open column, a simple but complete strategy.
CYCLE = "".join(f"{column}\n" for column in range(1, 8)) * 42
ENDINGS = ("You win!", "A draw: the board is full.", "wins.")


@pytest.mark.parametrize("side", ["X", "O"])
def test_a_whole_game_against_mcts(side):
    out = io.StringIO()
    result = play(ConnectFour(), "mcts", side, 0, io.StringIO(CYCLE), out, simulations=20)
    text = out.getvalue()
    assert result in (-1.0, 0.0, 1.0)
    assert text.rstrip().endswith(ENDINGS) and "The tree search (UCT) plays column" in text
    assert "  1 2 3 4 5 6 7" in text


def test_the_same_seed_gives_the_same_game():
    runs = [io.StringIO() for _ in range(2)]
    for out in runs:
        play(ConnectFour.small(), "mcts", "O", 3, io.StringIO(CYCLE), out, simulations=30)
    assert runs[0].getvalue() == runs[1].getvalue()


def test_bad_input_is_refused_politely_and_the_game_goes_on():
    out = io.StringIO()
    play(ConnectFour(), "mcts", "X", 0, io.StringIO("abc\n\n0\n9\n" + CYCLE), out, simulations=10)
    text = out.getvalue()
    assert "'abc' is not a column number" in text and "'' is not a column number" in text
    assert "There is no column 0" in text and "There is no column 9" in text
    assert text.rstrip().endswith(ENDINGS)


def test_a_full_column_is_refused():
    game = ConnectFour()
    state = game.moves_from_string("111111")  # column 1 full, no four anywhere, X to move
    out = io.StringIO()
    assert ask_move(game, state, ConnectFourView(game), io.StringIO("1\n3\n"), out) == 2
    assert "Column 1 is full; pick one of 2, 3, 4, 5, 6, 7." in out.getvalue()


def test_board_shows_column_numbers():
    game = ConnectFour.small()
    lines = board_text(game, game.moves_from_string("12")).splitlines()
    assert lines == ["| . . . . . |"] * 3 + ["| X O . . . |", "+-----------+", "  1 2 3 4 5"]


def test_input_that_ends_early_is_an_error(monkeypatch, capsys):
    with pytest.raises(SearchlabError, match="input ended"):
        play(ConnectFour(), "mcts", "X", 0, io.StringIO("4\n"), io.StringIO(), simulations=5)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert "input ended" in error_line(capsys, ["play", "connect4", "--simulations", "5"])


@pytest.mark.parametrize(
    "argv, words",
    [
        (["play", "connect4", "--against", "solver"], ["solver", "mcts, az"]),
        (["play", "connect4-small", "--against", "net"], ["net", "mcts, az"]),
        (["play", "tictactoe", "--against", "mcts"], ["mcts", "tictactoe", "solver"]),
        (["play", "tictactoe", "--simulations", "10"], ["--simulations"]),
        (["play", "connect4", "--simulations", "0"], ["--simulations"]),
        (["play", "chess"], ["invalid choice"]),
    ],
)
def test_opponents_that_do_not_fit_the_game_are_refused(capsys, monkeypatch, argv, words):
    monkeypatch.setattr("sys.stdin", io.StringIO(CYCLE))
    line = error_line(capsys, argv)
    for word in words:
        assert word in line, line


def test_az_loads_a_network_that_fits_the_board(tmp_path, monkeypatch, capsys):
    from searchlab.games.alphazero import AlphaZeroSettings, new_net
    from searchlab.games.policy_value import save_net

    game = ConnectFour.small()
    save_net(new_net(game, AlphaZeroSettings(channels=4, hidden=8), seed=0), tmp_path / "network.safetensors")
    monkeypatch.setattr("sys.stdin", io.StringIO(CYCLE))
    assert main(["play", "connect4-small", "--against", "az", "--run", str(tmp_path), "--simulations", "8"]) == 0
    text = capsys.readouterr().out
    assert f"Using the network in {tmp_path}" in text and "The AlphaZero network with tree search plays column" in text
    assert "missing" in error_line(capsys, ["play", "connect4", "--against", "az", "--run", str(tmp_path / "missing")])


def test_az_without_a_fitting_network_trains_a_small_one(tmp_path):
    from searchlab.games.alphazero import AlphaZeroSettings, new_net
    from searchlab.games.policy_value import save_net

    save_net(
        new_net(ConnectFour(), AlphaZeroSettings(channels=4, hidden=8), seed=0), tmp_path / "network.safetensors"
    )  # 6x7: wrong board
    out = io.StringIO()
    play(ConnectFour.small(), "az", "X", 0, io.StringIO(CYCLE), out, run=tmp_path, simulations=8)
    text = out.getvalue()
    assert "No network for a 4x5 board" in text and text.rstrip().endswith(ENDINGS)
