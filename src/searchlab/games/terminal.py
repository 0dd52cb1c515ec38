"""One game in the terminal, a person against a bot, for every game searchlab plays.

A *bot* picks an action for a state (OpenSpiel's `Bot.step`): every game's bots are
`games.arena.BatchBot`s, and `Bot` holds one with the name the game announces it by and the random
generator its choices draw from. A `TerminalView` is what differs between games on the screen: how the
board is drawn, how a move is asked for and read, and how a result is announced. `play_in_terminal`
is the loop they share: it draws the board, asks the person or the bot for each move, and says who won.
A line that is not a legal move gets a message saying what is allowed, and the game goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from searchlab.core.errors import SearchlabError
from searchlab.games.arena import BatchBot


@dataclass(frozen=True)
class Bot:
    """A computer player: `step(state)` is its action (the game's action number).

    Attributes:
        name: what the game calls it ("the perfect player").
        choose: the batch bot that chooses (see `games.arena.BatchBot`; `arena.one_by_one` adapts a bot
            written for one state).
        rng: the generator its choices draw from, one stream for the whole game.
    """

    name: str
    choose: BatchBot
    rng: Any = None

    def step(self, state: Any, ply: int = 0) -> int:
        return int(self.choose([state], [self.rng], [ply])[0])


class TerminalView(Protocol):
    """How one game looks and reads in the terminal."""

    def intro(self, human: str, bot: str) -> str:
        """The opening line: which side the person plays, which side the bot plays."""

    def board(self, state: Any) -> str:
        """The board as text."""

    def prompt(self, legal: Sequence[int]) -> str:
        """The question before a move, e.g. "Your move (1, 2, 3): "."""

    def read(self, text: str, state: Any, legal: Sequence[int]) -> int | str:
        """The action a typed line means, or the message that says why it is not a legal move."""

    def announce(self, bot: str, action: int) -> str:
        """The line that tells the person the bot's move."""

    def outcome(self, human_result: float, bot: str) -> str:
        """The last line, from the person's side: +1 a win, 0 a draw, -1 a loss."""


def play_in_terminal(
    game: Any, bot: Bot, human_player: int, view: TerminalView, human: str, stdin: TextIO, stdout: TextIO
) -> float:
    """Play one game, the person as player `human_player` (0 moves first); the result from player 0's side.

    Raises:
        SearchlabError: the input ended before the game did.
    """
    state, ply = game.initial_state(), 0
    print(view.intro(human, bot.name), file=stdout)
    while not game.is_terminal(state):
        print("\n" + view.board(state) + "\n", file=stdout)
        if game.current_player(state) == human_player:
            action = ask_move(game, state, view, stdin, stdout)
        else:
            action = bot.step(state, ply)
            print(view.announce(bot.name, action), file=stdout)
        state, ply = game.apply(state, action), ply + 1
    print("\n" + view.board(state) + "\n", file=stdout)
    result = game.returns(state)
    print(view.outcome(result if human_player == 0 else -result, bot.name), file=stdout)
    return result


def ask_move(game: Any, state: Any, view: TerminalView, stdin: TextIO, stdout: TextIO) -> int:
    """Ask until the person types a legal move; every other line gets the view's message."""
    legal = game.legal_actions(state)
    while True:
        print(view.prompt(legal), end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            raise SearchlabError("the input ended before the game did")
        answer = view.read(line.strip(), state, legal)
        if not isinstance(answer, str):
            return answer
        print(answer, file=stdout)


def numbered(legal: Sequence[int]) -> str:
    """Actions as a person types them, counted from 1: "1, 2, 5"."""
    return ", ".join(str(a + 1) for a in legal)
