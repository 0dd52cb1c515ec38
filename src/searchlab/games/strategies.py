"""How big is the essay's search space? Exact counts of positions, games and strategies.

Everything here is computed by walking the game through its Game/State API; no
number is typed in. Counts are exact Python ints (they run to thousands of digits),
and `log10` turns them into sizes a person can read.

Two ways to write down a strategy for one player:

* lookup table: a move for every reachable, unfinished position where that player is
  to move, whether or not the table's own moves can ever lead there. The number of
  tables is the product of the number of legal moves over those positions.
* game-tree strategy: a move only at the points (move histories) that the strategy's
  own play can reach, which is the essay's "every possible opening move, every
  possible counter-move to each opening move, ...". Counted by recursion over the
  game tree: where the player moves, the choices add up (one move is chosen); where
  the opponent moves, the strategy must answer every reply, so the counts multiply.

A game-tree strategy never loses when no opponent can beat it: the same recursion,
with a lost finished game counting 0 instead of 1.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

from searchlab.games.minimax import TwoPlayerGame, solve


def reachable_states(game: TwoPlayerGame, root: Hashable | None = None) -> set[Hashable]:
    """Every position reachable from `root` (the initial state by default), the root included."""
    root = game.initial_state() if root is None else root
    seen = {root}
    frontier = [root]
    while frontier:
        state = frontier.pop()
        for action in game.legal_actions(state):
            child = game.apply(state, action)
            if child not in seen:
                seen.add(child)
                frontier.append(child)
    return seen


def count_games(game: TwoPlayerGame, root: Hashable | None = None) -> int:
    """Number of complete games (distinct move sequences from `root` to a finished position)."""
    root = game.initial_state() if root is None else root
    memo: dict[Hashable, int] = {}

    def games_from(state: Hashable) -> int:
        if state not in memo:
            actions = game.legal_actions(state)
            memo[state] = sum(games_from(game.apply(state, a)) for a in actions) if actions else 1
        return memo[state]

    return games_from(root)


def count_lookup_strategies(game: TwoPlayerGame, player: int, root: Hashable | None = None) -> int:
    """Number of lookup tables for `player`: product of legal-move counts over its reachable decision positions."""
    total = 1
    for state in reachable_states(game, root):
        if not game.is_terminal(state) and game.current_player(state) == player:
            total *= len(game.legal_actions(state))
    return total


def _tree_count(game: TwoPlayerGame, player: int, root: Hashable | None, never_lose: bool) -> int:
    """Game-tree strategies for `player` below `root`; with `never_lose`, only those no opponent beats.

    The subtree of move histories below a position depends only on the position, so
    the count is memoized per position even though strategies are defined on histories.
    """
    root = game.initial_state() if root is None else root
    sign = 1.0 if player == 0 else -1.0  # returns are from player 0's side
    memo: dict[Hashable, int] = {}

    def count(state: Hashable) -> int:
        known = memo.get(state)
        if known is not None:
            return known
        if game.is_terminal(state):
            result = 0 if never_lose and sign * game.returns(state) < 0 else 1
        else:
            children = [count(game.apply(state, a)) for a in game.legal_actions(state)]
            if game.current_player(state) == player:
                result = sum(children)  # the strategy picks one move here
            else:
                result = math.prod(children)  # it must have an answer to every reply
        memo[state] = result
        return result

    return count(root)


def count_tree_strategies(game: TwoPlayerGame, player: int, root: Hashable | None = None) -> int:
    """Number of game-tree strategies for `player` (moves only where its own play can lead)."""
    return _tree_count(game, player, root, never_lose=False)


def count_never_losing_strategies(game: TwoPlayerGame, player: int, root: Hashable | None = None) -> int:
    """Number of game-tree strategies for `player` that draw or win against every opponent."""
    return _tree_count(game, player, root, never_lose=True)


def log10(count: int) -> float:
    """log10 of an exact count of any size (-inf for 0)."""
    return math.log10(count) if count > 0 else float("-inf")


@dataclass(frozen=True)
class StrategySpace:
    """The size of one player's strategy space, counted both ways.

    Attributes:
        player: 0 (moves first) or 1.
        lookup_table: number of lookup-table strategies.
        game_tree: number of game-tree strategies.
        never_losing: number of game-tree strategies that never lose.
    """

    player: int
    lookup_table: int
    game_tree: int
    never_losing: int

    @property
    def log10_lookup_table(self) -> float:
        return log10(self.lookup_table)

    @property
    def log10_game_tree(self) -> float:
        return log10(self.game_tree)

    @property
    def log10_never_losing(self) -> float:
        return log10(self.never_losing)


def strategy_space(game: TwoPlayerGame, player: int, root: Hashable | None = None) -> StrategySpace:
    """All three counts for `player` from `root` (the initial state by default)."""
    return StrategySpace(
        player=player,
        lookup_table=count_lookup_strategies(game, player, root),
        game_tree=count_tree_strategies(game, player, root),
        never_losing=count_never_losing_strategies(game, player, root),
    )


@dataclass(frozen=True)
class GameFacts:
    """Exact facts about a game's positions, all computed.

    Attributes:
        positions: reachable positions, the initial one included.
        positions_up_to_symmetry: classes of reachable positions under the game's symmetries.
        terminal_positions: reachable positions where the game is over.
        complete_games: distinct move sequences from the start to the end.
        value: minimax value of the initial position from player 0's side.
    """

    positions: int
    positions_up_to_symmetry: int
    terminal_positions: int
    complete_games: int
    value: float


def game_facts(game: TwoPlayerGame) -> GameFacts:
    """Count positions, symmetry classes, finished positions and games, and solve the start.

    The game needs a `canonical(state)` method for the symmetry count.
    """
    states = reachable_states(game)
    return GameFacts(
        positions=len(states),
        positions_up_to_symmetry=len({game.canonical(s) for s in states}),  # type: ignore[attr-defined]
        terminal_positions=sum(1 for s in states if game.is_terminal(s)),
        complete_games=count_games(game),
        value=solve(game).value,
    )
