"""Play Connect Four in the terminal against tree search, alone or guided by a trained network.

The board is drawn with its columns numbered 1..cols underneath; the human types a
column. Anything that is not a playable column (not a number, no such column, a full
column) gets a polite line saying what is allowed, and the game goes on.

`play_game` is what `searchlab play GAME` calls: it sends Tic-Tac-Toe to `games.play`
and Connect Four here, and refuses an opponent that does not play the chosen game.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from searchlab.core import checks
from searchlab.core.errors import SearchlabError
from searchlab.games.arena import one_by_one
from searchlab.games.connect4 import SYMBOLS, ConnectFour
from searchlab.games.terminal import Bot, numbered, play_in_terminal

GAMES = {"connect4": ConnectFour, "connect4-small": ConnectFour.small}
OPPONENTS = ("mcts", "az")
NAMES = {"mcts": "tree search (UCT)", "az": "AlphaZero network with tree search"}
# About a tenth of a second a move on one core for either opponent (6x7 board).
DEFAULT_SIMULATIONS = {"mcts": 2000, "az": 200}
# Where `searchlab run hybrid` and `searchlab tour` leave their network by default.
DEFAULT_RUNS = (Path("runs/hybrid"), Path("runs/tour/hybrid"))
NETWORK_FILE = "network.safetensors"  # as in experiments.hybrid (not imported: that pulls in the whole experiment)


def play_game(
    game: str,
    opponent: str | None,
    human: str,
    seed: int,
    stdin: TextIO,
    stdout: TextIO,
    run: Path | None = None,
    simulations: int | None = None,
) -> float:
    """One game of `game` ("tictactoe", "connect4" or "connect4-small"); returns the result from X's side.

    Raises:
        SearchlabError: an opponent that does not play `game`, a bad side, or input that ended early.
    """
    if game == "tictactoe":
        from searchlab.games import play as tictactoe_play

        opponent = opponent or "solver"
        if opponent not in tictactoe_play.OPPONENTS:
            raise SearchlabError(
                f"--against {opponent} does not play tictactoe; choose one of {', '.join(tictactoe_play.OPPONENTS)}"
            )
        if simulations is not None:
            raise SearchlabError(
                "--simulations is for the connect4 opponents (mcts, az); tictactoe's players do not search"
            )
        return tictactoe_play.play(opponent, human, seed, stdin, stdout, run=run)
    if game not in GAMES:
        raise SearchlabError(f"unknown game {game!r}; choose one of tictactoe, {', '.join(GAMES)}")
    return play(GAMES[game](), opponent or "mcts", human, seed, stdin, stdout, run=run, simulations=simulations)


def connect4_bot(
    name: str,
    game: ConnectFour,
    seed: int,
    simulations: int | None = None,
    run: Path | None = None,
    stdout: TextIO | None = None,
) -> Bot:
    """A bot: "mcts" (UCT with random playouts) or "az" (PUCT guided by a trained network).

    Args:
        name: "mcts" or "az".
        game: the board.
        seed: seeds every search (the same seed and moves give the same game).
        simulations: per move; None takes `DEFAULT_SIMULATIONS[name]`.
        run: a `searchlab run hybrid` folder whose network fits the board; None looks in the
            default run folders; with no network for this board a small one is trained now.
        stdout: where the note about training goes.
    """
    from searchlab.games.mcts import PUCTSettings, puct_search, uct_search

    if name not in OPPONENTS:
        raise SearchlabError(f"--against {name} does not play Connect Four; choose one of {', '.join(OPPONENTS)}")
    simulations = DEFAULT_SIMULATIONS[name] if simulations is None else simulations
    checks.whole("--simulations", simulations, 1)
    rng = np.random.default_rng(seed)
    if name == "mcts":
        return Bot(NAMES[name], one_by_one(lambda state, rng: uct_search(game, state, simulations, rng).action), rng)
    from searchlab.games.policy_value import net_evaluator

    evaluator = net_evaluator(network_for(game, run, seed, stdout), game)
    settings = PUCTSettings(simulations=simulations)
    return Bot(
        NAMES[name], one_by_one(lambda state, rng: puct_search(game, state, evaluator, settings, rng).action), rng
    )


def network_for(game: ConnectFour, run: Path | None, seed: int, stdout: TextIO | None):
    """The network of a hybrid run if it was trained on this board, else a small one trained now (with a note)."""
    from searchlab.games.policy_value import load_net

    if run is not None and not run.is_dir():
        raise SearchlabError(f"{run} is not a folder; pass the folder of a `searchlab run hybrid` run")
    folders = [run] if run is not None else [folder for folder in DEFAULT_RUNS if (folder / NETWORK_FILE).is_file()]
    for folder in folders:
        if (folder / NETWORK_FILE).is_file():
            net = load_net(folder / NETWORK_FILE)
            if tuple(net.observation_shape) == tuple(game.observation_shape) and net.num_actions == game.num_actions:
                print(f"Using the network in {folder}.", file=stdout)
                return net
    where = f"in {run}" if run is not None else "in runs/hybrid or runs/tour/hybrid"
    print(
        f"No network for a {game.rows}x{game.cols} board {where}; training a small one now (under a minute). "
        f"`searchlab run hybrid --game connect4-small` trains one for the 4x5 board.",
        file=stdout,
    )
    return _small_network(game, seed)


def _small_network(game: ConnectFour, seed: int):
    """A few self-play iterations: far from strong, but it has seen the game (its folder is thrown away)."""
    from searchlab.games.alphazero import AlphaZeroSettings, train

    settings = AlphaZeroSettings(
        iterations=2, selfplay_games=12, simulations=25, train_steps=100, arena_games=0, channels=16, hidden=32
    )
    with tempfile.TemporaryDirectory(prefix="searchlab-az-") as folder:
        net, _ = train(game, settings, folder, seed=seed, progress=False)
    return net


def board_text(game: ConnectFour, state: Any) -> str:
    """The board between bars, X and O for the stones, with the column numbers underneath."""
    rows = ["| " + " ".join(line) + " |" for line in game.render(state).splitlines()]
    rule = "+" + "-" * (2 * game.cols + 1) + "+"
    return "\n".join(rows + [rule, "  " + " ".join(str(c + 1) for c in range(game.cols))])


def play(
    game: ConnectFour,
    opponent: str,
    human: str,
    seed: int,
    stdin: TextIO,
    stdout: TextIO,
    run: Path | None = None,
    simulations: int | None = None,
) -> float:
    """Play one game of Connect Four; returns the result from X's side (+1, 0, -1).

    Raises:
        SearchlabError: an unknown opponent or side, or the input ended before the game did.
    """
    if human not in SYMBOLS:
        raise SearchlabError(f"--as must be X or O, got {human!r}")
    bot = connect4_bot(opponent, game, seed, simulations, run, stdout)
    return play_in_terminal(game, bot, SYMBOLS.index(human), ConnectFourView(game), human, stdin, stdout)


class ConnectFourView:
    """Connect Four on the screen: columns numbered 1..cols under the board, the person types one."""

    def __init__(self, game: ConnectFour) -> None:
        self.game = game

    def intro(self, human: str, bot: str) -> str:
        game, other = self.game, SYMBOLS[1 - SYMBOLS.index(human)]
        return (
            f"Connect Four, {game.rows} rows x {game.cols} columns. You are {human}; the {bot} plays "
            f"{other}. X moves first; four in a row wins."
        )

    def board(self, state: Any) -> str:
        return board_text(self.game, state)

    def prompt(self, legal: Sequence[int]) -> str:
        return f"Your move (column {numbered(legal)}): "

    def read(self, text: str, state: Any, legal: Sequence[int]) -> int | str:
        choices = numbered(legal)
        if not text.isdigit():
            return f"{text!r} is not a column number; type one number from {choices}."
        if not 1 <= int(text) <= self.game.cols:
            return f"There is no column {int(text)}; the columns are 1 to {self.game.cols}."
        if int(text) - 1 not in legal:
            return f"Column {int(text)} is full; pick one of {choices}."
        return int(text) - 1

    def announce(self, bot: str, action: int) -> str:
        return f"The {bot} plays column {action + 1}."

    def outcome(self, human_result: float, bot: str) -> str:
        return {1.0: "You win!", 0.0: "A draw: the board is full.", -1.0: f"The {bot} wins."}[human_result]
