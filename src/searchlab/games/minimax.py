"""Minimax over the Game/State API: the exact value of every reachable position.

The solver knows nothing about Tic-Tac-Toe. It needs a two-player, zero-sum,
deterministic game whose `returns` are from player 0's side and whose states are
hashable: player 0 maximizes that value, player 1 minimizes it. Values are memoized
per position (not per history), so each reachable position is solved once.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Protocol


class TwoPlayerGame(Protocol):
    """The verbs a search algorithm may call (OpenSpiel's names)."""

    def initial_state(self) -> Any: ...
    def current_player(self, state: Any) -> int: ...
    def legal_actions(self, state: Any) -> list[int]: ...
    def apply(self, state: Any, action: int) -> Any: ...
    def is_terminal(self, state: Any) -> bool: ...
    def returns(self, state: Any) -> float: ...


@dataclass(frozen=True)
class Solution:
    """The solved game.

    Attributes:
        root: the position the search started from.
        values: every position reachable from the root -> its minimax value from player 0's side.
        best_actions: every non-terminal reachable position -> the actions that reach its value
            (all of them, in the game's action order, so ties stay visible).
    """

    root: Hashable
    values: dict[Hashable, float]
    best_actions: dict[Hashable, list[int]]

    @property
    def value(self) -> float:
        """Value of the root: +1 player 0 wins, 0 draw, -1 player 1 wins, under perfect play."""
        return self.values[self.root]


def solve(game: TwoPlayerGame, root: Hashable | None = None) -> Solution:
    """Minimax values and optimal actions for every position reachable from `root`.

    Args:
        game: the rules (see `TwoPlayerGame`).
        root: the starting position; the game's initial state by default.

    Returns:
        The `Solution`. For Tic-Tac-Toe it holds 5,478 positions and takes well under a second.
    """
    root = game.initial_state() if root is None else root
    values: dict[Hashable, float] = {}
    best_actions: dict[Hashable, list[int]] = {}

    def value_of(state: Hashable) -> float:
        known = values.get(state)
        if known is not None:
            return known
        if game.is_terminal(state):
            value = float(game.returns(state))
        else:
            actions = game.legal_actions(state)
            child_values = [value_of(game.apply(state, action)) for action in actions]
            pick = max if game.current_player(state) == 0 else min
            value = pick(child_values)
            best_actions[state] = [a for a, v in zip(actions, child_values) if v == value]
        values[state] = value
        return value

    value_of(root)  # recursion depth is the game length (9 for Tic-Tac-Toe)
    return Solution(root=root, values=values, best_actions=best_actions)


def minimax_value(game: TwoPlayerGame, state: Hashable) -> float:
    """The value of one position from player 0's side (solves the subtree below it)."""
    return solve(game, state).value
