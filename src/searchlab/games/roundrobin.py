"""Exhaustive search as the essay describes it: list every strategy, play every one against every other, keep the best.

From a mid-game Tic-Tac-Toe position, `round_robin` writes down every game-tree
strategy of both sides (see `strategies.count_tree_strategies` for what that is),
plays every X strategy against every O strategy, and keeps, for each side, the
strategy with the best worst case: X maximizes the minimum of its row of results,
O minimizes the maximum of its column. That is minimax done the slow way, so each
side's guarantee must equal the solver's value of the position.

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

from searchlab.core.errors import SearchlabError
from searchlab.games.minimax import solve
from searchlab.games.strategies import count_tree_strategies, log10
from searchlab.games.tictactoe import NUM_SQUARES, State, TicTacToe

CHUNK_GAMES = 1 << 22  # games played per numpy step (~4e6): ~50 MB of node ids and indices
MAX_STRATEGIES = 20_000_000  # enumeration refuses bigger spaces (one side at 6 empty squares has ~5.8e13)
SECONDS_PER_AGE_OF_UNIVERSE = 13.8e9 * 365.25 * 24 * 3600


class HistoryTree:
    """Every move history below a root position, numbered in depth-first preorder, as arrays.

    Node 0 is the root (the empty history); the children of a node follow it in action
    order, each with its whole subtree, so the nodes of any subtree are a contiguous id
    range [node, end[node]).

    Attributes:
        root: the root position.
        states: node -> position after its history.
        histories: node -> the actions played from the root (a tuple).
        player: (N,) int8, 0 if X is to move at the node, 1 if O (also set on finished nodes).
        children: (N, 9) int32, the node after each legal action, -1 where illegal or finished.
        finished: (N,) bool, the game is over at the node.
        outcome: (N,) int8, the result from X's side (+1, 0, -1; 0 on unfinished nodes).
        end: (N,) int32, one past the last node of the node's subtree.
        depth: the longest history (plies of the longest game).
        columns: per side, (N,) int32: the node's column in that side's strategy rows, -1
            where the side does not move; columns are numbered in preorder.
        decision_nodes: per side, (W,) int32: the node of each column.
    """

    def __init__(self, game: TicTacToe, root: State) -> None:
        self.root = tuple(root)
        self.states: list[State] = []
        self.histories: list[tuple[int, ...]] = []
        children: list[list[int]] = []
        end: list[int] = []

        def visit(state: State, history: tuple[int, ...]) -> int:  # recursion depth <= 9
            node = len(self.states)
            self.states.append(state)
            self.histories.append(history)
            row = [-1] * NUM_SQUARES
            children.append(row)
            end.append(-1)
            for action in game.legal_actions(state):
                row[action] = visit(game.apply(state, action), history + (action,))
            end[node] = len(self.states)
            return node

        visit(self.root, ())
        self.children = np.array(children, dtype=np.int32).reshape(-1, NUM_SQUARES)
        self.end = np.array(end, dtype=np.int32)
        self.player = np.array([game.current_player(s) for s in self.states], dtype=np.int8)
        self.finished = np.array([game.is_terminal(s) for s in self.states], dtype=bool)
        self.outcome = np.array([game.returns(s) for s in self.states], dtype=np.int8)
        self.depth = max(len(h) for h in self.histories)
        self.columns: list[np.ndarray] = []
        self.decision_nodes: list[np.ndarray] = []
        for side in (0, 1):
            moves_here = ~self.finished & (self.player == side)
            self.decision_nodes.append(np.flatnonzero(moves_here).astype(np.int32))
            self.columns.append(np.where(moves_here, np.cumsum(moves_here) - 1, -1).astype(np.int32))

    def __len__(self) -> int:
        return len(self.states)

    def width(self, side: int) -> int:
        """Number of nodes where `side` moves: the length of its strategy rows."""
        return len(self.decision_nodes[side])

    def strategy_dict(self, side: int, row: np.ndarray) -> dict[tuple[int, ...], int]:
        """One strategy row as history -> action, only where the strategy gets to move."""
        return {
            self.histories[node]: int(row[col]) for col, node in enumerate(self.decision_nodes[side]) if row[col] >= 0
        }

    def play_one(self, x_row: np.ndarray, o_row: np.ndarray) -> tuple[int, ...]:
        """The actions of the game between two strategy rows, from the root to the end."""
        rows, node, actions = (x_row, o_row), 0, []
        while not self.finished[node]:
            side = int(self.player[node])
            action = int(rows[side][self.columns[side][node]])
            actions.append(action)
            node = int(self.children[node, action])
        return tuple(actions)


def enumerate_strategies(tree: HistoryTree, side: int, max_strategies: int = MAX_STRATEGIES) -> np.ndarray:
    """Every game-tree strategy of `side` below the tree's root, one int8 row each.

    Row order: at a node where the side moves, the strategies that play the lower
    square come first; where the opponent moves, strategies run through the answers to
    the opponent's replies like nested loops (the first reply's answer changes slowest),
    i.e. `itertools.product` order.

    Returns:
        (n_strategies, tree.width(side)) int8: the square played at each of the side's
        nodes, -1 at the nodes the strategy's own play never reaches.

    Raises:
        SearchlabError: more than `max_strategies` strategies (count them with
            `count_tree_strategies` first).
    """
    game = TicTacToe()
    count = count_tree_strategies(game, side, tree.root)
    if count > max_strategies:
        raise SearchlabError(
            f"{'XO'[side]} has {count:,} game-tree strategies here, more than max_strategies={max_strategies:,}; "
            "start from a position with fewer empty squares"
        )
    # cols_before[i]: the side's columns among nodes 0..i-1, so subtree `node` owns columns
    # cols_before[node] .. cols_before[end[node]] - 1.
    cols_before = np.concatenate([[0], np.cumsum(tree.columns[side] >= 0)]).astype(np.int64)

    def below(node: int) -> np.ndarray:
        first, stop = cols_before[node], cols_before[tree.end[node]]
        width = int(stop - first)
        if tree.finished[node]:
            return np.zeros((1, 0), dtype=np.int8)
        kids = [(a, int(c)) for a, c in enumerate(tree.children[node]) if c >= 0]
        parts = [below(child) for _, child in kids]
        if tree.player[node] == side:
            # One move is chosen: stack the strategies below each move, this node's column first.
            blocks = []
            for (action, child), part in zip(kids, parts):
                block = np.full((len(part), width), -1, dtype=np.int8)
                block[:, 0] = action
                offset = int(cols_before[child] - first)
                block[:, offset : offset + part.shape[1]] = part
                blocks.append(block)
            return np.concatenate(blocks)
        # Every reply needs an answer: the product of the answers, the first reply slowest.
        # out.reshape(outer, n_i, inner, width)[..., cols_i] = part_i is np.tile(np.repeat(part_i, inner), outer).
        total = math.prod(len(p) for p in parts)
        out = np.empty((total, width), dtype=np.int8)
        outer = 1
        for (_, child), part in zip(kids, parts):
            inner = total // (outer * len(part))
            offset = int(cols_before[child] - first)
            view = out.reshape(outer, len(part), inner, width)
            view[:, :, :, offset : offset + part.shape[1]] = part[None, :, None, :]
            outer *= len(part)
        return out

    strategies = below(0)
    assert len(strategies) == count, (len(strategies), count)
    return strategies


UNFINISHED = 9  # a result code that no finished game has


class _Plies:
    """The tree cut into plies, so that a game's position is a small id within its ply.

    Level t lists the nodes at depth t and, carried down unchanged, the games that
    finished earlier; id len(level) is a sink for a game whose strategy had no move.
    For ply t, `lookup[t][e, a + 1]` is the id in level t + 1 after action a from entry
    e (the sink for an illegal or missing move, -1 being "no move"), and on the last ply
    the result from X's side instead (UNFINISHED for the sink). `column[s][t][e]` is
    the strategy column of side s to read at entry e (0 where the lookup ignores it).
    """

    def __init__(self, tree: HistoryTree) -> None:
        self.depth = 0 if tree.finished[0] else tree.depth
        self.mover = int(tree.player[0])
        levels = [np.zeros(1, dtype=np.int64)]
        self.lookup: list[np.ndarray] = []
        self.column: list[list[np.ndarray]] = [[], []]
        for ply in range(self.depth):
            here = levels[-1]
            successors = [[n] if tree.finished[n] else list(np.flatnonzero(tree.children[n] >= 0)) for n in here]
            nxt = np.array(
                [n if tree.finished[n] else tree.children[n, a] for n, succ in zip(here, successors) for a in succ]
            )
            sink = len(nxt)
            lookup = np.full((len(here) + 1, NUM_SQUARES + 1), sink, dtype=np.int64)
            first = 0
            for e, (n, succ) in enumerate(zip(here, successors)):
                if tree.finished[n]:
                    lookup[e, :] = first
                else:
                    lookup[e, np.array(succ) + 1] = first + np.arange(len(succ))
                first += len(succ)
            if ply == self.depth - 1:
                results = np.append(np.where(tree.finished[nxt], tree.outcome[nxt], UNFINISHED), UNFINISHED)
                lookup = results[lookup]
            self.lookup.append(lookup)
            for side in (0, 1):
                self.column[side].append(np.maximum(np.append(tree.columns[side][here], 0), 0))
            levels.append(nxt)

    def side(self, ply: int) -> int:
        """Who moves at ply `ply` (0 X, 1 O)."""
        return self.mover ^ (ply & 1)

    def table(self, ply: int, strategies: np.ndarray) -> np.ndarray:
        """(K * (len(level) + 1),) the next id (int32), or on the last ply the result (int8), per strategy and entry."""
        side = self.side(ply)
        lookup = self.lookup[ply]
        moves = strategies.take(self.column[side][ply], axis=1).astype(np.intp)  # (K, E)
        moves += (np.arange(lookup.shape[0]) * lookup.shape[1] + 1)[None, :]
        dtype = np.int8 if ply == self.depth - 1 else np.int32
        return lookup.astype(dtype).reshape(-1).take(moves).reshape(-1)

    def width(self, ply: int) -> int:
        """Entries per strategy in ply `ply`'s table."""
        return self.lookup[ply].shape[0]


def play_chunks(tree: HistoryTree, x_strategies: np.ndarray, o_strategies: np.ndarray, chunk_games: int = CHUNK_GAMES):
    """Play every X strategy against every O strategy, a block of pairs at a time.

    All games of a block advance one ply per numpy step: each game's id within the ply
    (see `_Plies`) indexes the moving strategy's table row. Games are laid out (big,
    small), the side with fewer strategies varying fastest, so along a row of games the
    big side's table row stays the same and the gathers stay in cache.

    Yields:
        (x_slice, o_slice, results): results[a, b] is the result, from X's side, of X
        strategy x_slice.start + a against O strategy o_slice.start + b (an int8 view).

    Raises:
        AssertionError: a game did not end within the tree's depth (a broken strategy).
    """
    strategies = (x_strategies, o_strategies)
    small = 0 if len(x_strategies) <= len(o_strategies) else 1
    big = 1 - small
    n_small, n_big = len(strategies[small]), len(strategies[big])
    small_block = min(n_small, chunk_games)
    big_block = min(n_big, max(1, chunk_games // small_block))
    plies = _Plies(tree)

    def tables_for(side: int, rows: slice) -> list[np.ndarray | None]:
        return [
            plies.table(ply, strategies[side][rows]) if plies.side(ply) == side else None for ply in range(plies.depth)
        ]

    small_cache: dict[int, list] = {}
    for b0 in range(0, n_big, big_block):
        big_rows = slice(b0, min(b0 + big_block, n_big))
        big_tables = tables_for(big, big_rows)
        for s0 in range(0, n_small, small_block):
            small_rows = slice(s0, min(s0 + small_block, n_small))
            if s0 not in small_cache:
                small_cache[s0] = tables_for(small, small_rows)
            tables = {big: big_tables, small: small_cache[s0]}
            shape = (big_rows.stop - big_rows.start, small_rows.stop - small_rows.start)
            if plies.depth == 0:
                results = np.full(shape, tree.outcome[0], dtype=np.int8)
            node = np.zeros(shape, dtype=np.int32)
            index = np.empty(shape, dtype=np.intp)
            for ply in range(plies.depth):
                side = plies.side(ply)
                # Row offsets into the mover's flattened table, shaped to broadcast over the (big, small) grid.
                rows = np.arange(shape[0 if side == big else 1], dtype=np.intp) * plies.width(ply)
                base = rows[:, None] if side == big else rows[None, :]
                if ply == 0:  # every game starts at entry 0
                    np.copyto(index, base)
                else:
                    np.add(base, node, out=index)
                if ply < plies.depth - 1:
                    np.take(tables[side][ply], index, out=node, mode="clip")  # in range; clip avoids buffering
                else:
                    results = tables[side][ply].take(index, mode="clip")
            if (results == UNFINISHED).any():
                raise AssertionError("a game did not finish: a strategy has no move where its play led")
            if big == 0:
                yield big_rows, small_rows, results
            else:
                yield small_rows, big_rows, results.T


def play_all(tree: HistoryTree, x_strategies: np.ndarray, o_strategies: np.ndarray) -> np.ndarray:
    """The full results matrix (n_x, n_o) int8 from X's side (keep it for small positions)."""
    results = np.empty((len(x_strategies), len(o_strategies)), dtype=np.int8)
    for xs, os_, block in play_chunks(tree, x_strategies, o_strategies):
        results[xs, os_] = block
    return results


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
        if bar is not None:
            bar.update(block.size)
    if bar is not None:
        bar.close()
    end = time.perf_counter()
    best_x, best_o = int(np.argmax(row_min)), int(np.argmin(col_max))  # first best in enumeration order
    x_guarantee, o_guarantee = int(row_min[best_x]), int(col_max[best_o])
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
