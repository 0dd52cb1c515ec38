"""Lookup-table strategies for Tic-Tac-Toe, played and scored thousands at a time.

A lookup-table strategy names a move for every reachable position where the game
is not over; one table plays both colours, because the board says whose turn it
is. `PositionIndex` numbers every reachable position once, decision positions
(game not over) first, so that a strategy is simply an int array of length
`index.decisions` and "the move in position p" is `table[p]`.

With the rules turned into arrays (the child of every position under every move,
who moves, how finished games ended), whole populations of games advance one move
per numpy step, and the exact outcome distribution of a table against a fixed
opponent (the perfect player, the random player) is pushed through the game one
ply at a time instead of sampled.
"""

from __future__ import annotations

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.games.minimax import Solution, solve
from searchlab.games.strategies import reachable_states
from searchlab.games.tictactoe import NUM_SQUARES, State, TicTacToe

MAX_PLIES = NUM_SQUARES  # no game lasts longer than 9 moves


class PositionIndex:
    """Every reachable Tic-Tac-Toe position, numbered, with the rules and the solution as arrays.

    Attributes:
        states: position id -> state; ids 0..decisions-1 are the positions where someone
            must move (ordered by number of marks, then by the state tuple), then the finished ones.
        ids: state -> position id.
        decisions: number of positions where someone must move (4,520).
        root: id of the empty board (0).
        player: (P,) int8, 0 if X is to move, 1 if O.
        legal: (P, 9) bool, the legal moves (none in finished positions).
        children: (P, 9) int32, the position after each legal move, -1 where illegal.
        outcome: (P,) int8, +1 X won, -1 O won, 0 a draw or a game still going.
        value: (P,) int8, the minimax value from X's side.
        optimal: (P, 9) bool, the moves that keep the minimax value.
        solution: the solver's `Solution` the arrays were built from.
    """

    def __init__(self, game: TicTacToe | None = None, solution: Solution | None = None) -> None:
        self.game = game or TicTacToe()
        self.solution = solution or solve(self.game)
        game = self.game
        every = reachable_states(game)
        ongoing = sorted((s for s in every if not game.is_terminal(s)), key=_order)
        finished = sorted((s for s in every if game.is_terminal(s)), key=_order)
        self.states: list[State] = ongoing + finished
        self.ids: dict[State, int] = {s: i for i, s in enumerate(self.states)}
        self.decisions = len(ongoing)
        self.root = self.ids[game.initial_state()]
        count = len(self.states)
        self.player = np.array([game.current_player(s) for s in self.states], dtype=np.int8)
        self.outcome = np.array([game.returns(s) for s in self.states], dtype=np.int8)
        self.value = np.array([self.solution.values[s] for s in self.states], dtype=np.int8)
        self.children = np.full((count, NUM_SQUARES), -1, dtype=np.int32)
        self.optimal = np.zeros((count, NUM_SQUARES), dtype=bool)
        for i, state in enumerate(ongoing):
            for action in game.legal_actions(state):
                self.children[i, action] = self.ids[game.apply(state, action)]
            self.optimal[i, self.solution.best_actions[state]] = True
        self.legal = self.children >= 0
        self.legal_count = self.legal.sum(axis=1).astype(np.int64)
        self.marks = np.array([NUM_SQUARES - s.count(0) for s in self.states], dtype=np.int8)
        # Columns of `legal` in order, per decision position: lets a uniform draw become a move.
        self._legal_actions = np.where(self.legal, np.arange(NUM_SQUARES), NUM_SQUARES)
        self._legal_actions.sort(axis=1)

    def __len__(self) -> int:
        return len(self.states)

    def id_of(self, state: State) -> int:
        """The id of a reachable state (a clear error for an unreachable one)."""
        try:
            return self.ids[tuple(state)]
        except KeyError:
            raise SearchlabError(f"{state} is not a position that legal play reaches") from None

    # ---- strategies ----------------------------------------------------------------------

    def nth_legal(self, positions: np.ndarray, which: np.ndarray) -> np.ndarray:
        """The `which`-th legal move (0-based, in square order) in each of `positions`."""
        return self._legal_actions[positions, which]

    def random_tables(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """`count` lookup tables, every move drawn uniformly from the legal ones: (count, decisions) int8."""
        positions = np.arange(self.decisions)
        which = (rng.random((count, self.decisions)) * self.legal_count[positions]).astype(np.int64)
        return self.nth_legal(positions[None, :], which).astype(np.int8)

    def check_tables(self, tables: np.ndarray) -> np.ndarray:
        """Tables as a (K, decisions) int8 array; raises SearchlabError on a wrong shape or an illegal move."""
        tables = np.asarray(tables)
        if tables.ndim == 1:
            tables = tables[None, :]
        if tables.ndim != 2 or tables.shape[1] != self.decisions:
            raise SearchlabError(
                f"a lookup table has {self.decisions} moves, one per decision position; got shape {tables.shape}"
            )
        moves = tables.astype(np.int64)
        inside = (moves >= 0) & (moves < NUM_SQUARES)
        legal = inside & self.legal[np.arange(self.decisions), np.clip(moves, 0, NUM_SQUARES - 1)]
        if not legal.all():
            k, p = np.argwhere(~legal)[0]
            raise SearchlabError(
                f"table {k} plays {moves[k, p]} in position {p} ({self.states[p]}), which is not a legal move"
            )
        return tables.astype(np.int8)

    def optimal_fraction(self, tables: np.ndarray) -> np.ndarray:
        """Per table: the fraction of decision positions where its move is minimax-optimal."""
        tables = np.asarray(tables, dtype=np.int64).reshape(-1, self.decisions)
        hits = self.optimal[np.arange(self.decisions)[None, :], tables]
        return hits.mean(axis=1)

    # ---- playing games in batches --------------------------------------------------------

    def play(
        self,
        tables: np.ndarray,
        x_rows: np.ndarray,
        o_rows: np.ndarray,
        starts: np.ndarray,
        visited: np.ndarray | None = None,
    ) -> np.ndarray:
        """Play game i from position starts[i], table x_rows[i] moving for X and o_rows[i] for O.

        Args:
            tables: (K, decisions) lookup tables.
            x_rows, o_rows, starts: (N,) int arrays (they broadcast against each other).
            visited: optional (decisions,) bool array; every position where some game
                asked a table for a move is set True in it.

        Returns:
            (N,) int8 results from X's side (+1, 0, -1).
        """
        x_rows, o_rows, position = (np.asarray(a, dtype=np.int64) for a in np.broadcast_arrays(x_rows, o_rows, starts))
        position = position.copy()
        for _ in range(MAX_PLIES):
            live = np.flatnonzero(position < self.decisions)
            if live.size == 0:
                break
            here = position[live]
            if visited is not None:
                visited[here] = True
            rows = np.where(self.player[here] == 0, x_rows[live], o_rows[live])
            position[live] = self.children[here, tables[rows, here]]
        return self.outcome[position]

    def random_playouts(self, count: int, rng: np.random.Generator, start: int | None = None) -> np.ndarray:
        """`count` games of uniformly random legal moves from `start` (the empty board): (count,) results."""
        position = np.full(count, self.root if start is None else start, dtype=np.int64)
        for _ in range(MAX_PLIES):
            live = np.flatnonzero(position < self.decisions)
            if live.size == 0:
                break
            here = position[live]
            which = (rng.random(live.size) * self.legal_count[here]).astype(np.int64)
            position[live] = self.children[here, self._legal_actions[here, which]]
        return self.outcome[position]

    # ---- exact outcomes against a fixed opponent -----------------------------------------

    def opponent_policy(self, kind: str) -> np.ndarray:
        """(P, 9) move probabilities of a fixed opponent in every position.

        kind: "perfect" (uniform over the minimax-optimal moves) or "random" (uniform over legal moves).
        """
        if kind == "perfect":
            allowed = self.optimal
        elif kind == "random":
            allowed = self.legal
        else:
            raise SearchlabError(f"unknown opponent {kind!r}; choose perfect or random")
        counts = allowed.sum(axis=1, keepdims=True)
        return np.divide(allowed, counts, out=np.zeros(allowed.shape), where=counts > 0)

    def outcome_distribution(self, learner: np.ndarray, opponent: np.ndarray, side: int) -> np.ndarray:
        """(K, 3) exact (win, draw, loss) from the empty board of K move-probability tables against one opponent.

        Backward induction over every position: a finished position's result is known, and a
        position's distribution is its children's, weighted by the mover's move probabilities
        (ids are ordered by number of marks, so children are done before their parents). A
        lookup table is the special case of one-hot rows; `outcome_probabilities` is the faster
        path for tables, over the positions they can reach.

        Args:
            learner: (K, decisions, 9) the learner's move probabilities.
            opponent: (decisions, 9) the opponent's.
            side: 0 the learner plays X, 1 it plays O.
        """
        d = self.decisions
        sign = 1 if side == 0 else -1
        result = np.zeros((learner.shape[0], len(self), 3))  # (K, P, 3)
        column = 1 - sign * self.outcome[d:].astype(np.int64)  # 0 win, 1 draw, 2 loss
        result[:, d + np.arange(column.size), column] = 1.0
        children = np.where(self.legal[:d], self.children[:d], 0)  # illegal moves have weight 0 anyway
        for marks in range(NUM_SQUARES - 1, -1, -1):
            rows = np.flatnonzero(self.marks[:d] == marks)
            mover = (self.player[rows] == side)[None, :, None]
            moves = np.where(mover, learner[:, rows], opponent[None, rows])  # (K, r, 9)
            result[:, rows] = np.einsum("kra,krac->krc", moves, result[:, children[rows]])
        return result[:, self.root]

    def outcome_probabilities(
        self,
        tables: np.ndarray,
        side: int,
        policy: np.ndarray,
        starts: np.ndarray | None = None,
        visited: np.ndarray | None = None,
    ) -> np.ndarray:
        """Exact probabilities that each table wins, draws and loses, playing `side` against `policy`.

        The table's moves are deterministic and the opponent's are drawn from `policy`.
        Only the positions a game can actually reach carry probability, so the
        frontier is kept sparse, as (table, position, probability) triples merged per
        ply: each table's games touch tens of positions, not thousands.

        Args:
            tables: (K, decisions) lookup tables.
            side: 0 the tables play X, 1 they play O.
            policy: (P, 9) the opponent's move probabilities (see `opponent_policy`).
            starts: start-position distribution (P,); the empty board by default.
            visited: optional (decisions,) bool array; every position where a table is
                asked for a move with positive probability is set True in it.

        Returns:
            (K, 3) probabilities of (win, draw, loss) for the table.
        """
        tables = np.asarray(tables).reshape(-1, self.decisions)
        k, count, d = tables.shape[0], len(self), self.decisions
        first = np.array([self.root]) if starts is None else np.flatnonzero(starts)
        weight = np.ones(1) if starts is None else np.asarray(starts, dtype=float)[first]
        which = np.repeat(np.arange(k), first.size)
        position = np.tile(first, k).astype(np.int64)
        mass = np.tile(weight, k)
        # The opponent's moves as a ragged list per position: (child, probability) pairs.
        source, action = np.nonzero(policy > 0)
        pointer = np.searchsorted(source, np.arange(count + 1))
        their_child, their_p = self.children[source, action], policy[source, action]
        sign = 1 if side == 0 else -1
        result = np.zeros((k, 3))
        for _ in range(MAX_PLIES + 1):
            done = position >= d
            if done.any():
                column = 1 - sign * self.outcome[position[done]].astype(np.int64)  # 0 win, 1 draw, 2 loss
                np.add.at(result, (which[done], column), mass[done])
                which, position, mass = which[~done], position[~done], mass[~done]
            if position.size == 0:
                break
            mine = self.player[position] == side
            if visited is not None:
                visited[position[mine]] = True
            moved = self.children[position[mine], tables[which[mine], position[mine]]]
            theirs = ~mine
            lo, hi = pointer[position[theirs]], pointer[position[theirs] + 1]
            fan = hi - lo
            parent = np.repeat(np.arange(fan.size), fan)
            slot = lo[parent] + np.arange(fan.sum()) - np.repeat(np.cumsum(fan) - fan, fan)
            which = np.concatenate([which[mine], which[theirs][parent]])
            position = np.concatenate([moved, their_child[slot]]).astype(np.int64)
            mass = np.concatenate([mass[mine], mass[theirs][parent] * their_p[slot]])
            # Merge games that reached the same position (transpositions).
            key, inverse = np.unique(which * count + position, return_inverse=True)
            mass = np.bincount(inverse.ravel(), weights=mass, minlength=key.size)
            which, position = key // count, key % count
        if position.size:
            raise AssertionError("games did not finish within 9 plies")
        return result

    def openings(self, side: int, plies: int) -> np.ndarray:
        """Start distribution (P,) for a table playing `side`: every position after at most
        `plies` moves (the empty board included) that `side` has not already lost under
        perfect play, all equally likely."""
        sign = 1 if side == 0 else -1
        ongoing = np.arange(len(self)) < self.decisions
        chosen = ongoing & (self.marks <= plies) & (sign * self.value.astype(np.int64) >= 0)
        return chosen / chosen.sum()

    def losses_vs(
        self, tables: np.ndarray, opponent: str = "perfect", plies: int = 0, visited: np.ndarray | None = None
    ) -> np.ndarray:
        """Expected losses per game against `opponent`, over both colours and every opening.

        A table plays X and O, each from every opening (every position after at most
        `plies` moves that its side has not already lost, see `openings`), and the
        opponent then moves by its policy. With plies=0 a game starts from the empty
        board only. Returns (K,) loss probabilities; `visited` as in `outcome_probabilities`.
        """
        policy = self.opponent_policy(opponent)
        as_x = self.outcome_probabilities(tables, 0, policy, starts=self.openings(0, plies), visited=visited)
        as_o = self.outcome_probabilities(tables, 1, policy, starts=self.openings(1, plies), visited=visited)
        return (as_x[:, 2] + as_o[:, 2]) / 2

    def can_be_beaten(self, tables: np.ndarray) -> np.ndarray:
        """Per table: True if some opponent, playing any moves at all, beats it as X or as O.

        A loss has positive probability against the uniformly random player from the
        empty board exactly when some sequence of opponent moves leads to it.
        """
        return self.losses_vs(tables, "random", plies=0) > 0


def _order(state: State) -> tuple[int, State]:
    return (NUM_SQUARES - state.count(0), state)
