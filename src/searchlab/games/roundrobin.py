"""Exhaustive search as the essay describes it: list every strategy, play every one against every other, keep the best.

From a mid-game Tic-Tac-Toe position, `round_robin` writes down every game-tree
strategy of both sides (see `strategies.count_tree_strategies` for what that is),
plays every X strategy against every O strategy, and keeps, for each side, the
strategy with the best worst case: X maximizes the minimum of its row of results,
O minimizes the maximum of its column. That is minimax done the slow way, so each
side's guarantee must equal the solver's value of the position.

The essay's own rule is different: keep the strategy that wins most often against
all the others, the best *mean* score. Both are computed from the same games; the
mean rule's pick is reported with its worst case, which need not be the game's
value (a strategy can score well on average by beating the many weak strategies
while losing to a good one).

Everything is arrays. `HistoryTree` numbers the move histories below the root in
depth-first preorder; a side's strategy is an int8 row with one square per node where
that side moves (-1 where its own play never gets there). Because the preorder keeps
every subtree's columns together, all strategies are built as numpy products: the
choices at a node where the side moves stack on top of each other, the answers to
every opponent reply combine as a product (`np.repeat` / `np.tile`, written in place).
Games are played like `tables.PositionIndex.play`: all the games of a chunk advance
one ply per numpy step. Nothing is skipped: every pair plays its own game.

`sweep` walks k = 1, 2, 3, ... empty squares along one perfect-play game and stops
before the k whose predicted time would break the budget; `whole_game_estimate` says
what the same search would cost from the empty board.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from searchlab.games.minimax import solve
from searchlab.games.roundrobin_play import (  # noqa: F401 (part of this module's API)
    CHUNK_GAMES,
    MAX_STRATEGIES,
    HistoryTree,
    enumerate_strategies,
    play_all,
    play_chunks,
)
from searchlab.games.strategies import count_tree_strategies, log10
from searchlab.games.tictactoe import State, TicTacToe

SECONDS_PER_AGE_OF_UNIVERSE = 13.8e9 * 365.25 * 24 * 3600


@dataclass(frozen=True)
class RoundRobinResult:
    """One exhaustive round robin from one position.

    Attributes:
        empty_squares: blank squares at the root (k).
        position: the root position (a 9-tuple; `board` draws it).
        strategies_x, strategies_o: game-tree strategies per side (all enumerated).
        games: games played, strategies_x * strategies_o.
        seconds: wall time of the search: tree, enumeration and every game (not the check).
        play_seconds: the part of `seconds` spent playing games.
        games_per_second: games / seconds.
        value: minimax value of the root from X's side (the solver's, for the check).
        x_guarantee: the best row minimum (what X's chosen strategy gets against anything).
        o_guarantee: the best column maximum (the most O's chosen strategy concedes).
        optimal: x_guarantee == value == o_guarantee.
        best_x, best_o: the chosen strategies, history (actions from the root) -> action.
        best_game: the actions of the chosen X strategy against the chosen O strategy.
        mean_x_score, mean_o_score: the best mean result over all opponents (X's highest, O's lowest,
            from X's side): the essay's rule, "the strategy that wins most often".
        mean_x_worst, mean_o_worst: the worst case of those mean-rule picks.
        mean_optimal: both mean-rule picks also guarantee the solver's value.
    """

    empty_squares: int
    position: State
    strategies_x: int
    strategies_o: int
    games: int
    seconds: float
    play_seconds: float
    games_per_second: float
    value: float
    x_guarantee: int
    o_guarantee: int
    optimal: bool
    best_x: dict = field(repr=False)
    best_o: dict = field(repr=False)
    best_game: tuple[int, ...] = ()
    mean_x_score: float = 0.0
    mean_o_score: float = 0.0
    mean_x_worst: int = 0
    mean_o_worst: int = 0
    mean_optimal: bool = False

    @property
    def board(self) -> str:
        """The root position drawn as three lines."""
        return TicTacToe().render(self.position)

    @property
    def first_move(self) -> int | None:
        """The chosen strategy's move at the root, for the side to move there (None if the game is over)."""
        return self.best_game[0] if self.best_game else None


def round_robin(game: TicTacToe, root: State, *, progress: str | None = None) -> RoundRobinResult:
    """List every strategy of both sides below `root`, play them all against each other, keep the best.

    Args:
        game: the rules.
        root: the starting position (X's and O's strategies are enumerated below it).
        progress: a label to show a tqdm bar of games played; None for no bar.

    Returns:
        The `RoundRobinResult`; its `optimal` checks both guarantees against `solve`.

    Raises:
        SearchlabError: a side has more than MAX_STRATEGIES strategies.
    """
    root = tuple(root)
    start = time.perf_counter()
    tree = HistoryTree(game, root)
    x_strategies = enumerate_strategies(tree, 0)
    o_strategies = enumerate_strategies(tree, 1)
    n_x, n_o = len(x_strategies), len(o_strategies)
    row_min = np.full(n_x, 2, dtype=np.int8)  # X's worst result with each strategy
    col_max = np.full(n_o, -2, dtype=np.int8)  # O's worst result (X's best) with each strategy
    row_sum = np.zeros(n_x, dtype=np.int64)  # X's total over every O strategy (the mean rule)
    col_sum = np.zeros(n_o, dtype=np.int64)
    bar = (
        tqdm(
            total=n_x * n_o,
            desc=progress,
            unit="game",
            unit_scale=True,
            leave=False,
            mininterval=0.5,
            dynamic_ncols=True,
        )
        if progress is not None
        else None
    )
    play_start = time.perf_counter()
    for xs, os_, block in play_chunks(tree, x_strategies, o_strategies):
        np.minimum(row_min[xs], block.min(axis=1), out=row_min[xs])
        np.maximum(col_max[os_], block.max(axis=0), out=col_max[os_])
        row_sum[xs] += block.sum(axis=1, dtype=np.int32)  # xs, os_ are slices: no repeated indices
        col_sum[os_] += block.sum(axis=0, dtype=np.int32)  # a block holds fewer than 2**31 games
        if bar is not None:
            bar.update(block.size)
    if bar is not None:
        bar.close()
    end = time.perf_counter()
    best_x, best_o = int(np.argmax(row_min)), int(np.argmin(col_max))  # first best in enumeration order
    x_guarantee, o_guarantee = int(row_min[best_x]), int(col_max[best_o])
    mean_x, mean_o = int(np.argmax(row_sum)), int(np.argmin(col_sum))  # the essay's rule: best on average
    value = solve(game, root).value
    seconds = end - start
    return RoundRobinResult(
        empty_squares=root.count(0),
        position=root,
        strategies_x=n_x,
        strategies_o=n_o,
        games=n_x * n_o,
        seconds=seconds,
        play_seconds=end - play_start,
        games_per_second=n_x * n_o / seconds if seconds > 0 else float("inf"),
        value=value,
        x_guarantee=x_guarantee,
        o_guarantee=o_guarantee,
        optimal=x_guarantee == value == o_guarantee,
        best_x=tree.strategy_dict(0, x_strategies[best_x]),
        best_o=tree.strategy_dict(1, o_strategies[best_o]),
        best_game=tree.play_one(x_strategies[best_x], o_strategies[best_o]),
        mean_x_score=float(row_sum[mean_x] / n_o),
        mean_o_score=float(col_sum[mean_o] / n_x),
        mean_x_worst=int(row_min[mean_x]),
        mean_o_worst=int(col_max[mean_o]),
        mean_optimal=int(row_min[mean_x]) == value == int(col_max[mean_o]),
    )


def perfect_line(game: TicTacToe, seed: int) -> list[State]:
    """The positions of one perfect-play game, the empty board first and the finished board last.

    Every move is one of the solver's best actions; ties are broken by `random.Random(seed)`.
    The position with k empty squares is `line[9 - k]`.
    """
    solution = solve(game)
    rng = random.Random(seed)
    state = game.initial_state()
    line = [state]
    while not game.is_terminal(state):
        state = game.apply(state, rng.choice(solution.best_actions[state]))
        line.append(state)
    return line


@dataclass(frozen=True)
class Sweep:
    """Round robins for k = 1, 2, ... empty squares along a perfect line, and why it stopped.

    Attributes:
        results: one `RoundRobinResult` per k that was run.
        next_empty_squares: the k it stopped before (None if the line ran out).
        next_games: that k's exact number of games (strategies_x * strategies_o).
        next_seconds: its predicted time, next_games / the games per second measured so far.
        games_per_second: the rate the prediction used.
    """

    results: list[RoundRobinResult]
    next_empty_squares: int | None
    next_games: int | None
    next_seconds: float | None
    games_per_second: float | None


def _probe_rate(game: TicTacToe, root: State) -> float:
    """Games per second of the play loop at full chunk size: set up the round robin from `root`, time one chunk."""
    tree = HistoryTree(game, root)
    x_strategies, o_strategies = enumerate_strategies(tree, 0), enumerate_strategies(tree, 1)
    start = time.perf_counter()
    _, _, block = next(play_chunks(tree, x_strategies, o_strategies))
    return block.size / max(time.perf_counter() - start, 1e-9)


def sweep(game: TicTacToe, *, seconds_budget: float, seed: int, progress: bool = False) -> Sweep:
    """Run `round_robin` for k = 1, 2, 3, ... empty squares along `perfect_line(game, seed)` within a budget.

    Before each k, its time is predicted as its exact game count over the best games
    per second measured so far, and the sweep stops before a k whose prediction, added
    to the time already spent, exceeds `seconds_budget` (the first k always runs).
    Small round robins measure numpy's fixed costs more than the play loop, so when
    that prediction says stop but both sides can still be listed, the rate is first
    measured on the real thing: the first chunk of that k's round robin (its time
    counts as spent; its games are played again if the k runs).
    """
    line = perfect_line(game, seed)
    results: list[RoundRobinResult] = []
    spent, rate = 0.0, None
    for k in range(1, len(line)):
        root = line[len(line) - 1 - k]
        counts = (count_tree_strategies(game, 0, root), count_tree_strategies(game, 1, root))
        games = counts[0] * counts[1]
        if rate is not None and spent + games / rate > seconds_budget and max(counts) <= MAX_STRATEGIES:
            start = time.perf_counter()
            rate = max(rate, _probe_rate(game, root))
            spent += time.perf_counter() - start
        if rate is not None and spent + games / rate > seconds_budget:
            return Sweep(results, k, games, games / rate, rate)
        result = round_robin(game, root, progress=f"k={k}" if progress else None)
        results.append(result)
        spent += result.seconds
        rate = max(rate or 0.0, result.games_per_second)
    return Sweep(results, None, None, None, rate)


@dataclass(frozen=True)
class WholeGameEstimate:
    """What the full round robin from the empty board would take.

    Attributes:
        games: X's game-tree strategies times O's (an exact int of ~568 digits).
        log10_games: its log10.
        log10_seconds: log10 of games / games_per_second.
        log10_ages_of_universe: the same time in ages of the universe (13.8e9 years), log10.
    """

    games: int
    log10_games: float
    log10_seconds: float
    log10_ages_of_universe: float


def whole_game_estimate(game: TicTacToe, games_per_second: float) -> WholeGameEstimate:
    """The games (exact) and the time (as log10) of the essay's round robin from the empty board."""
    games = count_tree_strategies(game, 0) * count_tree_strategies(game, 1)
    log_seconds = log10(games) - math.log10(games_per_second)
    return WholeGameEstimate(
        games=games,
        log10_games=log10(games),
        log10_seconds=log_seconds,
        log10_ages_of_universe=log_seconds - math.log10(SECONDS_PER_AGE_OF_UNIVERSE),
    )
