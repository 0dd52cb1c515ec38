"""The true performance of a Tic-Tac-Toe policy: its exact game results against a fixed pool.

The pool (`POOL`) is three fixed opponents, each a move distribution per position:

* "perfect": uniform over the minimax-optimal moves (never loses);
* "random": uniform over the legal moves;
* "greedy": completes a line of its own if it can, else blocks a line of two
  opponent marks, else plays uniformly at random (uniform among the squares that
  win, or that block, when there are several).

A policy plays every opponent once as X and once as O, from the empty board. The
results are exact probabilities, computed by backward induction over every position
(ids are ordered by number of marks, so a position's children are done before it),
not sampled, so nothing is seeded and there is no sampling noise. The score of a
game is 1 for a win, 1/2 for a draw and 0 for a loss; the headline `score` is its
expectation averaged over the pool and both sides. `sample_games` plays the same
games by drawing moves, for signals that need one game result at a time.

A policy is any of: a lookup table, (decisions,) moves; move probabilities,
(decisions, 9) rows over the legal moves; or a function positions -> either. A stack
of K tables (K, decisions) or of K probability arrays (K, decisions, 9) is scored at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import numpy_generator
from searchlab.games.tables import MAX_PLIES
from searchlab.games.tictactoe import LINES, NUM_SQUARES
from searchlab.signals.common import sample_rows
from searchlab.signals.tictactoe_task import TicTacToeTask, default_task

POOL = ("perfect", "random", "greedy")
SIDES = ("X", "O")
_CHUNK = 64  # policies per backward pass: bounds memory at about 64 x 1,520 x 9 x 3 floats


@dataclass(frozen=True)
class OutcomeReport:
    """One policy's exact results against the pool.

    Attributes:
        pool: the opponents, in the order of `results`.
        results: (len(pool), 2, 3) probabilities of (win, draw, loss), per opponent and side (X, O).
    """

    pool: tuple[str, ...]
    results: np.ndarray

    @property
    def win(self) -> float:
        """Win probability averaged over the pool and both sides (likewise `draw` and `loss`)."""
        return float(self.results[..., 0].mean())

    @property
    def draw(self) -> float:
        return float(self.results[..., 1].mean())

    @property
    def loss(self) -> float:
        return float(self.results[..., 2].mean())

    @property
    def score(self) -> float:
        """Expected score per game (win 1, draw 1/2, loss 0) averaged over the pool and sides."""
        return self.win + 0.5 * self.draw

    def as_dict(self) -> dict:
        """JSON-ready: the headline numbers and the breakdown per opponent and side."""
        breakdown = {
            name: {
                side: dict(zip(("win", "draw", "loss"), map(float, self.results[i, s]))) for s, side in enumerate(SIDES)
            }
            for i, name in enumerate(self.pool)
        }
        return {"score": self.score, "win": self.win, "draw": self.draw, "loss": self.loss, "by_opponent": breakdown}


class Outcome:
    """Scores policies by their exact results against a fixed pool of opponents.

    Args:
        pool: names from `POOL` (all three by default).
        task: the task; `default_task()` if None.

    Raises:
        SearchlabError: an unknown or repeated opponent, or an empty pool.
    """

    def __init__(self, pool: tuple[str, ...] = POOL, task: TicTacToeTask | None = None) -> None:
        pool = tuple(pool)
        unknown = [name for name in pool if name not in POOL]
        if not pool or unknown or len(set(pool)) != len(pool):
            raise SearchlabError(f"an outcome pool is distinct names from {', '.join(POOL)}; got {pool!r}")
        self.pool = pool
        self.task = task or default_task()

    # ---- the opponents -------------------------------------------------------------------

    def opponent_policy(self, name: str) -> np.ndarray:
        """(P, 9) move probabilities of pool opponent `name` in every position (zero rows where the game is over)."""
        index = self.task.index
        if name in ("perfect", "random"):
            return index.opponent_policy(name)
        if name != "greedy":
            raise SearchlabError(f"unknown opponent {name!r}; choose one of {', '.join(POOL)}")
        boards = np.array(index.states, dtype=np.int8)  # (P, 9)
        mine = np.where(index.player == 0, 1, -1).astype(np.int8)[:, None]
        wins = np.zeros(boards.shape, dtype=bool)
        blocks = np.zeros(boards.shape, dtype=bool)
        for line in LINES:
            cells = boards[:, line]  # (P, 3)
            for k, square in enumerate(line):
                others = np.delete(cells, k, axis=1)  # (P, 2)
                blank = cells[:, k] == 0
                wins[:, square] |= blank & (others == mine).all(axis=1)
                blocks[:, square] |= blank & (others == -mine).all(axis=1)
        wins &= index.legal  # no moves once the game is over
        blocks &= index.legal
        allowed = np.where(
            wins.any(axis=1, keepdims=True), wins, np.where(blocks.any(axis=1, keepdims=True), blocks, index.legal)
        )
        counts = allowed.sum(axis=1, keepdims=True)
        return np.divide(allowed, counts, out=np.zeros(allowed.shape), where=counts > 0)

    # ---- policies ------------------------------------------------------------------------

    def policy_probabilities(self, policy: np.ndarray | Callable) -> np.ndarray:
        """Any accepted policy form -> (K, decisions, 9) move probabilities, checked.

        Raises:
            SearchlabError: a wrong shape, an illegal move, or probabilities that are negative,
                put weight on illegal moves or do not sum to 1.
        """
        task = self.task
        d = task.decisions
        if callable(policy):
            policy = policy(task.positions)
        array = np.asarray(policy)
        if array.ndim in (1, 2) and array.shape[-1] == d:  # lookup tables
            tables = array.reshape(-1, d)
            for row in tables:
                task.check(task.positions, row)
            probabilities = np.zeros((tables.shape[0], d, NUM_SQUARES))
            np.put_along_axis(probabilities, tables.astype(np.int64)[:, :, None], 1.0, axis=2)
            return probabilities
        if array.ndim in (2, 3) and array.shape[-2:] == (d, NUM_SQUARES):
            probabilities = array.astype(float).reshape(-1, d, NUM_SQUARES)
            if not np.isfinite(probabilities).all() or (probabilities < 0).any():
                raise SearchlabError("move probabilities must be finite and >= 0")
            if (probabilities[:, ~task.legal] > 1e-9).any():
                raise SearchlabError("move probabilities put weight on illegal moves; mask taken squares to 0")
            totals = probabilities.sum(axis=2)
            if np.abs(totals - 1.0).max() > 1e-6:
                raise SearchlabError(
                    "move probabilities must sum to 1 in every position; "
                    f"found sums {totals.min():.4g}..{totals.max():.4g}"
                )
            return np.where(task.legal, probabilities, 0.0) / totals[:, :, None]
        raise SearchlabError(
            f"a policy is a ({d},) table of moves or ({d}, 9) move probabilities (or a stack of them); "
            f"got shape {array.shape}"
        )

    # ---- exact results -------------------------------------------------------------------

    def probabilities(self, policy: np.ndarray | Callable) -> np.ndarray:
        """(K, len(pool), 2, 3) exact probabilities of (win, draw, loss), per policy, opponent and side."""
        learner = self.policy_probabilities(policy)
        out = np.zeros((learner.shape[0], len(self.pool), 2, 3))
        for i, name in enumerate(self.pool):
            opponent = self.opponent_policy(name)[: self.task.decisions]
            for side in (0, 1):
                for start in range(0, learner.shape[0], _CHUNK):
                    out[start : start + _CHUNK, i, side] = self.task.index.outcome_distribution(
                        learner[start : start + _CHUNK], opponent, side
                    )
        return out

    def evaluate(self, policy: np.ndarray | Callable) -> OutcomeReport:
        """The exact `OutcomeReport` of one policy."""
        results = self.probabilities(policy)
        if results.shape[0] != 1:
            raise SearchlabError(f"evaluate scores one policy, got {results.shape[0]}; use scores() for a stack")
        return OutcomeReport(self.pool, results[0])

    def scores(self, policies: np.ndarray | Callable) -> np.ndarray:
        """(K,) expected score (win 1, draw 1/2, loss 0) per policy, averaged over the pool and sides."""
        results = self.probabilities(policies)
        return (results[..., 0] + 0.5 * results[..., 1]).mean(axis=(1, 2))

    # ---- sampled games -------------------------------------------------------------------

    def sample_games(
        self, policy: np.ndarray | Callable, opponent: str, side: int, games: int, seed: int
    ) -> np.ndarray:
        """(games,) int8 results from the policy's side (+1 win, 0 draw, -1 loss), moves drawn at random.

        Args:
            policy: one policy in any accepted form.
            opponent: a name from the pool.
            side: 0 the policy plays X, 1 it plays O.
            games: how many games.
            seed: seeds the draws of both players.
        """
        if side not in (0, 1) or opponent not in self.pool:
            raise SearchlabError(
                f"side is 0 (X) or 1 (O) and the opponent one of {', '.join(self.pool)}; got {side!r}, {opponent!r}"
            )
        learner = self.policy_probabilities(policy)
        if learner.shape[0] != 1:
            raise SearchlabError("sample_games plays one policy at a time")
        index = self.task.index
        learner, theirs = learner[0], self.opponent_policy(opponent)
        rng = numpy_generator(seed)
        position = np.full(games, index.root, dtype=np.int64)
        for _ in range(MAX_PLIES):
            live = np.flatnonzero(position < index.decisions)
            if live.size == 0:
                break
            here = position[live]
            moves = np.where((index.player[here] == side)[:, None], learner[here], theirs[here])
            position[live] = index.children[here, sample_rows(moves, rng.random(live.size))]
        return ((1 if side == 0 else -1) * index.outcome[position]).astype(np.int8)
