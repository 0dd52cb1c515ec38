"""The arrays under the exhaustive round robin (`searchlab.games.roundrobin`): histories, strategies, games.

`HistoryTree` numbers the move histories below a root in depth-first preorder; a side's strategy is an
int8 row with one square per node where that side moves (-1 where its own play never gets there).
`enumerate_strategies` builds every strategy of a side with numpy products, and `play_chunks` plays
every X strategy against every O strategy, a chunk of games one ply per numpy step.
"""

from __future__ import annotations

import math

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.games.strategies import count_tree_strategies
from searchlab.games.tictactoe import NUM_SQUARES, State, TicTacToe

CHUNK_GAMES = 1 << 22  # games played per numpy step (~4e6): ~50 MB of node ids and indices
MAX_STRATEGIES = 20_000_000  # enumeration refuses bigger spaces (one side at 6 empty squares has ~5.8e13)


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
