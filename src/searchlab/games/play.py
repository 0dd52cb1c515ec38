"""Play Tic-Tac-Toe in the terminal against a computer player.

The board is drawn with the squares numbered 1-9 (row by row, as on a phone
keypad read top to bottom); the human types a number. Anything that is not a
legal move gets a polite line saying what is allowed, and the game goes on.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.games.arena import one_by_one
from searchlab.games.minimax import solve
from searchlab.games.terminal import Bot, numbered, play_in_terminal
from searchlab.games.tictactoe import PLAYER_X, State, TicTacToe

OPPONENTS = ("solver", "random", "local", "net")
NAMES = {"solver": "solver", "random": "random player", "local": "local-search strategy", "net": "network"}
# Where `searchlab run tictactoe` and `searchlab tour` leave their strategies by default.
DEFAULT_RUNS = (Path("runs/tictactoe"), Path("runs/tour/tictactoe"))


def tictactoe_bot(name: str, game: TicTacToe, seed: int, run: Path | None = None, stdout: TextIO | None = None) -> Bot:
    """A bot.

    "solver" plays perfectly (random among the best moves), "random" anything legal;
    "local" and "net" play the lookup table found by local search and the network
    trained to imitate the solver, read from a tictactoe run folder (`run`, or the
    default run folders); with no saved run, a small one is made on the spot.
    """
    rng = random.Random(seed)
    if name == "solver":
        solution = solve(game)
        return Bot(NAMES[name], one_by_one(lambda state, rng: rng.choice(solution.best_actions[state])), rng)
    if name == "random":
        return Bot(NAMES[name], one_by_one(lambda state, rng: rng.choice(game.legal_actions(state))), rng)
    if name in ("local", "net"):
        from searchlab.games.tables import PositionIndex

        index = PositionIndex(game)
        table = _saved_table(name, index, run, seed, stdout)
        return Bot(NAMES[name], one_by_one(lambda state, rng: table[index.ids[state]]), rng)
    raise SearchlabError(f"unknown opponent {name!r}; choose one of {', '.join(OPPONENTS)}")


def _saved_table(name: str, index, run: Path | None, seed: int, stdout: TextIO | None):
    """The strategy's lookup table from a run folder, or made now when there is none."""
    from searchlab.games.neural import NeuralStrategy
    from searchlab.games.saved_strategies import NET_FOLDER, STRATEGIES, load_local_strategy

    folders = [run] if run is not None else [folder for folder in DEFAULT_RUNS if (folder / STRATEGIES).is_dir()]
    if run is not None and not (run / STRATEGIES).is_dir():
        raise SearchlabError(
            f"{run} holds no saved strategies (no {STRATEGIES}/ folder); "
            "pass the folder of a `searchlab run tictactoe` run"
        )
    if folders:
        if name == "local":
            table, _ = load_local_strategy(folders[0])
            return index.check_tables(table)[0]
        return NeuralStrategy.load(folders[0] / STRATEGIES / NET_FOLDER, index).table
    print(
        f"No saved tictactoe run found; making a small {name} player now (a few seconds). "
        "For the full one, run `searchlab run tictactoe` first.",
        file=stdout,
    )
    if name == "local":
        from searchlab.games.selfplay import search

        return search(index, "vs_perfect", evaluations=20_000, seed_rng=np.random.default_rng(seed)).table
    from searchlab.games.neural import train_strategy

    return train_strategy(index, steps=1500, seed=seed).table


def board_text(game: TicTacToe, state: State) -> str:
    """The board with blanks shown as their square numbers 1-9."""
    marks = game.render(state).replace("\n", "")
    cells = [str(square + 1) if mark == "." else mark for square, mark in enumerate(marks)]
    return "\n---+---+---\n".join(" " + " | ".join(cells[row : row + 3]) for row in (0, 3, 6))


def play(opponent: str, human: str, seed: int, stdin: TextIO, stdout: TextIO, run: Path | None = None) -> float:
    """Play one game; returns the result from X's side (+1, 0, -1).

    Raises:
        SearchlabError: an unknown opponent or side, or the input ended before the game did.
    """
    if human not in ("X", "O"):
        raise SearchlabError(f"--as must be X or O, got {human!r}")
    game = TicTacToe()
    bot = tictactoe_bot(opponent, game, seed, run, stdout)
    human_player = PLAYER_X if human == "X" else 1 - PLAYER_X
    return play_in_terminal(game, bot, human_player, TicTacToeView(game), human, stdin, stdout)


class TicTacToeView:
    """Tic-Tac-Toe on the screen: squares numbered 1-9, the person types one."""

    def __init__(self, game: TicTacToe) -> None:
        self.game = game

    def intro(self, human: str, bot: str) -> str:
        return f"You are {human}; the {bot} plays {'O' if human == 'X' else 'X'}. X moves first."

    def board(self, state: State) -> str:
        return board_text(self.game, state)

    def prompt(self, legal: Sequence[int]) -> str:
        return f"Your move ({numbered(legal)}): "

    def read(self, text: str, state: State, legal: Sequence[int]) -> int | str:
        if text.isdigit() and int(text) - 1 in legal:
            return int(text) - 1
        if text.isdigit() and 1 <= int(text) <= 9:
            return f"Square {text} is taken; pick one of {numbered(legal)}."
        return f"{text!r} is not a square; type one number from {numbered(legal)}."

    def announce(self, bot: str, action: int) -> str:
        return f"The {bot} plays {action + 1}."

    def outcome(self, human_result: float, bot: str) -> str:
        return {1.0: "You win!", 0.0: "A draw.", -1.0: f"The {bot} wins."}[human_result]
