"""Searching Tic-Tac-Toe lookup tables as problems: beat the incumbent in self-play, or lose less to perfect play.

Both problems score (K, decisions) int8 tables of a `spaces.TableSpace` and keep a *reference*: the
first candidate with the lowest loss they have scored, which is the incumbent of a random or local
search. Two things follow from it.

* `ChallengeProblem` scores a candidate against the reference (the self-play champion): a challenger
  that wins the match from every opening climbs one rung above it, and its loss is minus its rung
  (the first table seen starts the ladder at 0); any other challenger ties with the champion.
* A candidate that makes the reference's move in every position the reference's own games ask it
  about plays exactly those games, so its loss is the reference's: it is scored without a game.

Counting (see `core/problem.py`): a forward-equivalent is one move a candidate strategy chooses, a
table lookup. In a self-play match that is every move the challenger makes in its 2 x 82 games (the
champion's are the opponent's, the environment's). An exact expectation against the perfect player
enumerates every game the perfect player's optimal moves allow, merging transpositions; it costs one
per position (as X from the empty board, then as O) where the candidate's move is read, which is its
number of distinct decision positions reachable against that opponent. A candidate scored from the
reference's games costs nothing. `examples_seen` counts the games played (self-play) or the exact
expectations taken (two per candidate, one per colour). Re-reading the reference's positions after it
changes is bookkeeping, not counted.

`evaluate_in_order(population, below)` scores the rows in order up to the first whose loss is below
`below` (as a one-at-a-time search would stop there): they are all scored in one batch for speed, but
only those are counted, and the rest come back as +inf.
"""

from __future__ import annotations

import abc
import math
from typing import Any

import numpy as np
import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.metric import Metric
from searchlab.core.problem import Problem
from searchlab.games.tables import MAX_PLIES, PositionIndex
from searchlab.spaces.tables import TableSpace

LOSS_DIGITS = 12  # exact expectations are kept to this many decimals


def openings(index: PositionIndex, plies: int = 2) -> np.ndarray:
    """Ids of the empty board and of every position after at most `plies` moves (82 for two)."""
    return np.flatnonzero((index.marks <= plies) & (np.arange(len(index)) < index.decisions))


def play_counted(
    index: PositionIndex, tables: np.ndarray, x_rows: np.ndarray, o_rows: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`PositionIndex.play` that also counts the moves each table chose.

    Returns:
        (N,) int8 results from X's side, and (K,) int64 moves read from each of the K tables.
    """
    x_rows, o_rows, position = (np.asarray(a, dtype=np.int64) for a in np.broadcast_arrays(x_rows, o_rows, starts))
    position = position.copy()
    moves = np.zeros(tables.shape[0], dtype=np.int64)
    for _ in range(MAX_PLIES):
        live = np.flatnonzero(position < index.decisions)
        if live.size == 0:
            break
        here = position[live]
        rows = np.where(index.player[here] == 0, x_rows[live], o_rows[live])
        moves += np.bincount(rows, minlength=moves.size)
        position[live] = index.children[here, tables[rows, here]]
    return index.outcome[position], moves


def match(
    index: PositionIndex, challengers: np.ndarray, champion: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each challenger's wins minus losses against `champion` from every start as X and as O, and its moves chosen."""
    tables = np.concatenate([champion[None, :], challengers])
    k = challengers.shape[0]
    rows = np.repeat(np.arange(1, k + 1), starts.size)
    at = np.tile(starts, k)
    as_x, moves_x = play_counted(index, tables, rows, 0, at)
    as_o, moves_o = play_counted(index, tables, 0, rows, at)
    scores = (as_x.astype(np.int64) - as_o.astype(np.int64)).reshape(k, starts.size).sum(axis=1)
    return scores, (moves_x + moves_o)[1:]


def opponent_moves(index: PositionIndex, opponent: str = "perfect") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The opponent's moves as a ragged list: after position p it moves to children[pointer[p]:pointer[p + 1]]
    with probabilities[pointer[p]:pointer[p + 1]]. Returns (pointer, children, probabilities)."""
    policy = index.opponent_policy(opponent)
    source, action = np.nonzero(policy > 0)
    pointer = np.searchsorted(source, np.arange(len(index) + 1))
    return pointer, index.children[source, action].astype(np.int64), policy[source, action]


def exact_losses(
    index: PositionIndex,
    tables: np.ndarray,
    opponent: str = "perfect",
    moves: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`index.losses_vs(tables, opponent)` from the empty board, and how many moves each table was asked for.

    The same exact expectation (every game the opponent's policy allows, weighted by its probability,
    transpositions merged), also counting, per table, the distinct positions where its move is read: as X
    and then as O, its decision positions reachable against that opponent.

    Args:
        index: the numbered positions.
        tables: (K, decisions) lookup tables.
        opponent: "perfect" or "random" (see `PositionIndex.opponent_policy`).
        moves: `opponent_moves(index, opponent)`, when the caller keeps it.

    Returns:
        (K,) expected losses per game (half as X, half as O) and (K,) int64 moves read.
    """
    pointer, their_child, their_p = moves if moves is not None else opponent_moves(index, opponent)
    k, count = tables.shape[0], len(index)
    lost, asked = np.zeros(k), np.zeros(k, dtype=np.int64)
    for side in (0, 1):
        losing = index.outcome * (1 if side == 0 else -1) < 0  # (P,) finished positions this side has lost
        which, position, mass = np.arange(k), np.full(k, index.root, dtype=np.int64), np.ones(k)
        for _ in range(MAX_PLIES + 1):
            over = position >= index.decisions
            if over.any():
                lost += np.bincount(which[over], weights=mass[over] * losing[position[over]], minlength=k)
                which, position, mass = which[~over], position[~over], mass[~over]
            if position.size == 0:
                break
            if index.player[position[0]] == side:  # one player moves at every position of a ply
                asked += np.bincount(which, minlength=k)
                position = index.children[position, tables[which, position]].astype(np.int64)
                continue
            lo = pointer[position]
            fan = pointer[position + 1] - lo
            slot = np.repeat(lo - np.cumsum(fan) + fan, fan) + np.arange(fan.sum())
            which, position, mass = np.repeat(which, fan), their_child[slot], np.repeat(mass, fan) * their_p[slot]
            # Transpositions merge here, before the table's next ply, where the moves read are counted
            # (two of the table's moves into one position merge here too, after the opponent's replies).
            key, inverse = np.unique(which * count + position, return_inverse=True)
            mass = np.bincount(inverse.ravel(), weights=mass, minlength=key.size)
            which, position = key // count, key % count
    return lost / 2, asked


def legal_table(index: PositionIndex, saved: Any) -> np.ndarray:
    """A saved (decisions,) table as int8 moves; ValueError (which resuming reports as a checkpoint that does not
    fit) for anything else: another shape, or an illegal move."""
    if not isinstance(saved, torch.Tensor) or saved.shape != (index.decisions,):
        raise ValueError(f"a saved lookup table must be a tensor of {index.decisions} moves")
    try:
        return index.check_tables(saved.numpy())[0]
    except SearchlabError as err:
        raise ValueError(str(err)) from None


class _TableLoss(Metric):
    """The name of a table problem's loss (the problem computes it from games, not outputs and targets)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        raise SearchlabError(f"{self.name} is computed by its problem from games")


class TableProblem(Problem):
    """What both lookup-table problems share: the reference, the shortcut and the ordered, counted scoring.

    Attributes:
        index: the numbered positions.
        reference: (decisions,) int8, the first of the lowest-loss candidates scored so far (None before any).
        reference_loss: its loss.
        records: optional object with `state()`/`load_state()` that an observer of the search keeps its
            records in; it travels in this problem's checkpoints, so a resumed search continues them exactly.
            The problem never reads it.
    """

    relative = False  # True: the first candidate scored starts the ladder and is not played

    def __init__(self, index: PositionIndex, name: str) -> None:
        super().__init__(TableSpace(index.legal[: index.decisions]), _TableLoss(name))
        self.index = index
        self.reference: np.ndarray | None = None
        self.reference_loss = math.inf
        self.relevant: np.ndarray | None = None  # (decisions,) bool, where the reference's own games go
        self.relevant_ids = np.zeros(0, dtype=np.int64)
        self.records: Any = None

    def evaluate(
        self, population: torch.Tensor, batch: torch.Tensor | None = None, *, gradient: bool = False
    ) -> torch.Tensor:
        """Losses of every row, each counted (see the module docstring)."""
        if gradient or batch is not None:
            raise SearchlabError("lookup tables are scored on whole games: no gradients, no minibatches")
        return self._score(population, None)

    def evaluate_in_order(self, population: torch.Tensor, below: float) -> torch.Tensor:
        """Losses of the rows in order up to the first below `below`, counted; later rows are +inf, uncounted."""
        return self._score(population, below)

    def _score(self, population: torch.Tensor, below: float | None) -> torch.Tensor:
        """Score, count and update the reference; with `below`, only up to the first row below it."""
        tables = population.detach().cpu().numpy().astype(np.int8, copy=False)
        k, first = tables.shape[0], 0
        if self.reference is None and self.relative and k:
            self._set_reference(tables[0], 0.0)
            first = 1
        losses = np.full(k, self.reference_loss, dtype=np.float64)
        live = np.arange(first, k)
        if self.relevant is not None:  # a row that agrees wherever the reference's games go plays them exactly
            ids = self.relevant_ids
            live = live[(tables[first:, ids] != self.reference[None, ids]).any(axis=1)]
        played, asked = self._play(tables[live]) if live.size else (np.zeros(0), np.zeros(0, dtype=np.int64))
        losses[live] = played
        stop = k
        if below is not None:
            improved = np.flatnonzero(losses < below)
            stop = int(improved[0]) + 1 if improved.size else k
            losses[stop:] = math.inf
        counted = live < stop  # the rows after the first improvement were scored for speed only
        self.forward_equivalents += int(asked[counted].sum())
        self.examples_seen += self.n_examples * int(counted.sum())
        if stop:
            best = int(np.argmin(losses[:stop]))
            if losses[best] < self.reference_loss:
                self._set_reference(tables[best], float(losses[best]))
        return torch.from_numpy(losses)

    def _losses(self, population: torch.Tensor, batch: torch.Tensor | None) -> torch.Tensor:
        """Uncounted losses (a measurement): the reference is not changed."""
        tables = population.detach().cpu().numpy().astype(np.int8, copy=False)
        if self.reference is None and self.relative:
            return torch.zeros(tables.shape[0], dtype=torch.float64)
        return torch.from_numpy(np.asarray(self._play(tables)[0], dtype=np.float64))

    def _set_reference(self, table: np.ndarray, loss: float) -> None:
        self.reference, self.reference_loss = table.copy(), loss
        self.relevant = self._visited(self.reference)
        self.relevant_ids = np.flatnonzero(self.relevant)

    def state(self) -> dict[str, Any]:
        return {
            "reference": None if self.reference is None else torch.from_numpy(self.reference.copy()),
            "reference_loss": self.reference_loss if math.isfinite(self.reference_loss) else None,
            "records": None if self.records is None else self.records.state(),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        if state["reference"] is None:
            self.reference, self.reference_loss, self.relevant = None, math.inf, None
        else:
            self._set_reference(legal_table(self.index, state["reference"]), float(state["reference_loss"]))
        if self.records is not None and state["records"] is not None:
            self.records.load_state(state["records"])

    @abc.abstractmethod
    def _play(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K,) losses of the tables, and (K,) moves each was asked for."""

    @abc.abstractmethod
    def _visited(self, table: np.ndarray) -> np.ndarray:
        """(decisions,) bool: the positions where the table's own scoring asks it for a move."""


class ChallengeProblem(TableProblem):
    """Self-play: does the challenger beat the champion in a match from every opening, as X and as O?

    Args:
        index: the numbered positions.
        plies: openings are the empty board and every position after at most this many moves.
    """

    relative = True

    def __init__(self, index: PositionIndex, plies: int = 2) -> None:
        super().__init__(index, "self_play_rung")
        self.starts = openings(index, plies)

    @property
    def n_examples(self) -> int:
        return 2 * int(self.starts.size)  # games per challenger

    def _play(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scores, moves = match(self.index, tables, self.reference, self.starts)
        return np.where(scores > 0, self.reference_loss - 1.0, self.reference_loss), moves

    def _visited(self, table: np.ndarray) -> np.ndarray:
        relevant = np.zeros(self.index.decisions, dtype=bool)
        self.index.play(table[None, :], 0, 0, self.starts, visited=relevant)  # a copy against itself
        return relevant


class PerfectPlayerProblem(TableProblem):
    """Expected losses per game against the perfect player, exactly, half as X and half as O."""

    def __init__(self, index: PositionIndex) -> None:
        super().__init__(index, "losses_vs_perfect")
        self.opponent_moves = opponent_moves(index, "perfect")

    @property
    def n_examples(self) -> int:
        return 2  # one exact expectation per colour

    def _play(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        losses, asked = exact_losses(self.index, tables, moves=self.opponent_moves)
        # Rounded so that equal expectations reached by different sums compare equal: otherwise a
        # change that alters nothing could "improve" by a rounding error and be kept.
        return np.round(losses, LOSS_DIGITS), asked

    def _visited(self, table: np.ndarray) -> np.ndarray:
        relevant = np.zeros(self.index.decisions, dtype=bool)
        self.index.losses_vs(table, visited=relevant)
        return relevant


class LeagueProblem(ChallengeProblem):
    """Population self-play: a challenger must beat the champion and each of the champions before it.

    Naive self-play keeps any strategy that beats the current one, and "beats" is not transitive:
    A can beat B, B beat C and C beat A, so the search can walk in circles, forgetting what an
    earlier champion knew. A league (as in AlphaStar's, or fictitious play's average opponent)
    remembers: the last `size` champions stay in it, and a challenger takes over only if it beats
    every one of them in the full match. Each challenger plays the newest champion first and
    goes on to an older one only while it keeps winning: forward-equivalents count the moves of
    every game it really played, while `examples_seen` counts, as for plain self-play, its match
    against the newest champion.

    Args:
        index: the numbered positions.
        plies: openings are the empty board and every position after at most this many moves.
        size: how many champions the league keeps (the newest; 1 is plain self-play).
    """

    def __init__(self, index: PositionIndex, plies: int = 2, size: int = 8) -> None:
        if size < 1:
            raise SearchlabError(f"a league keeps at least one champion, got size={size}")
        self.size = size
        self.league: list[np.ndarray] = []
        super().__init__(index, plies)

    def _play(self, tables: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        alive = np.arange(tables.shape[0])
        moves = np.zeros(tables.shape[0], dtype=np.int64)
        for champion in reversed(self.league):  # the newest first: most challengers stop there
            scores, chosen = match(self.index, tables[alive], champion, self.starts)
            moves[alive] += chosen
            alive = alive[scores > 0]
            if alive.size == 0:
                break
        beat_all = np.zeros(tables.shape[0], dtype=bool)
        beat_all[alive] = True
        return np.where(beat_all, self.reference_loss - 1.0, self.reference_loss), moves

    def _set_reference(self, table: np.ndarray, loss: float) -> None:
        self.league = [*self.league, table.copy()][-self.size :]
        super()._set_reference(table, loss)

    def _visited(self, table: np.ndarray) -> np.ndarray:
        """Every position of the table's games against each league member, as X and as O (a superset is safe:
        it only makes fewer candidates skip their games)."""
        relevant = np.zeros(self.index.decisions, dtype=bool)
        for champion in self.league:
            pair = np.stack([table, champion])
            self.index.play(pair, 0, 1, self.starts, visited=relevant)
            self.index.play(pair, 1, 0, self.starts, visited=relevant)
        return relevant

    def state(self) -> dict[str, Any]:
        return {**super().state(), "league": [torch.from_numpy(member.copy()) for member in self.league]}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.league = [legal_table(self.index, member) for member in state["league"]][-self.size :]
        if self.reference is not None:
            self.relevant = self._visited(self.reference)
            self.relevant_ids = np.flatnonzero(self.relevant)
