"""Tic-Tac-Toe moves as a task with known truth, and the simulated people who teach it.

The task's states are all 4,520 decision positions of `PositionIndex` (ids
0..decisions-1): the model plays both colours, since the board says whose turn it
is, so a policy is a lookup table (or a net) over every position where someone
must move. The truth is the solver's: a move is *optimal* when it keeps the
position's minimax value.

A **plausible mistake** is what a weak player plays instead: a legal, non-optimal
move, drawn with weight

    weight(move) = DRAW_KEEPING_WEIGHT (4) if the move still draws, else 1
                   x (1 + the number of lines through the square that hold no opponent mark)

so mistakes that throw away a win but keep the draw are preferred to mistakes that
lose, and "active-looking" squares (the centre sits on 4 lines, a corner on 3, an
edge on 2) to passive ones, like a player who knows the centre-corner-edge rule but
misses a threat. A position is *contested* when it has a non-optimal legal move;
where it has none (every legal move is optimal) nobody can err.

* `Demonstrator(p, seed)`: in a contested position, plays an optimal move (uniform
  among them) with probability p, else a plausible mistake; elsewhere it plays
  optimally. So its accuracy is exactly p on contested positions and
  `expected_accuracy(positions)` on a mix.
* `Rater(q, seed)`: says whether a proposed move is optimal; each judgement is right
  with probability q and flipped otherwise, independently, whatever the move. The
  issue's experiments use q > p (recognising is easier than demonstrating); the
  classes accept any pair in [0, 1].

The outcome (true performance of a whole policy) is in `searchlab.signals.outcome`.
"""

from __future__ import annotations

import functools

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, numpy_generator
from searchlab.games.tables import PositionIndex
from searchlab.games.tictactoe import LINES, NUM_SQUARES
from searchlab.signals.common import Measured, check_probability, sample_rows

DRAW_KEEPING_WEIGHT = 4.0  # a mistake that still draws is this many times likelier than one that loses


class TicTacToeTask:
    """The decision positions with their true move values, as arrays over position ids.

    Args:
        index: the numbered positions; a fresh `PositionIndex` by default (see `default_task`).

    Attributes:
        index: the `PositionIndex`.
        decisions: number of task states (4,520).
        positions: (decisions,) int64, the task states 0..decisions-1.
        legal, optimal: (decisions, 9) bool.
        move_value: (decisions, 9) int8, the mover's minimax value after each legal move
            (+1 wins, 0 draws, -1 loses under perfect play), 0 where illegal.
        contested: (decisions,) bool, a non-optimal legal move exists.
        optimal_probabilities: (decisions, 9), uniform over the optimal moves.
        mistake_probabilities: (decisions, 9), the plausible-mistake distribution (rows of
            uncontested positions are all zero).
    """

    def __init__(self, index: PositionIndex | None = None) -> None:
        self.index = index or PositionIndex()
        d = self.index.decisions
        self.decisions = d
        self.positions = np.arange(d, dtype=np.int64)
        self.legal = self.index.legal[:d]
        self.optimal = self.index.optimal[:d]
        sign = np.where(self.index.player[:d] == 0, 1, -1).astype(np.int8)  # (d,) +1 when X moves
        children = np.where(self.legal, self.index.children[:d], 0)
        self.move_value = np.where(self.legal, sign[:, None] * self.index.value[children], 0).astype(np.int8)
        mistakes = self.legal & ~self.optimal
        self.contested = mistakes.any(axis=1)
        self.optimal_probabilities = self.optimal / self.optimal.sum(axis=1, keepdims=True)
        weight = np.where(self.move_value == 0, DRAW_KEEPING_WEIGHT, 1.0) * (1.0 + self._open_lines(sign))
        weight = np.where(mistakes, weight, 0.0)
        totals = weight.sum(axis=1, keepdims=True)
        self.mistake_probabilities = np.divide(weight, totals, out=np.zeros_like(weight), where=totals > 0)
        # What the demonstrator draws when it errs: a mistake where one exists, else an optimal move.
        self._fallible = np.where(self.contested[:, None], self.mistake_probabilities, self.optimal_probabilities)

    def _open_lines(self, sign: np.ndarray) -> np.ndarray:
        """(decisions, 9): per square, the lines through it that hold no mark of the opponent."""
        boards = np.array(self.index.states[: self.decisions], dtype=np.int8)  # (d, 9)
        line_squares = np.array(LINES)  # (8, 3)
        open_line = (boards[:, line_squares] != -sign[:, None, None]).all(axis=2)  # (d, 8)
        incidence = np.zeros((len(LINES), NUM_SQUARES))
        incidence[np.repeat(np.arange(len(LINES)), 3), line_squares.ravel()] = 1.0
        return open_line @ incidence

    def check(self, positions, moves=None) -> tuple[np.ndarray, np.ndarray | None]:
        """Positions (and moves) as int64 arrays; SearchlabError for a non-decision position or an illegal move."""
        positions = np.asarray(positions).astype(np.int64).reshape(-1)
        if positions.size and (positions.min() < 0 or positions.max() >= self.decisions):
            raise SearchlabError(
                f"task positions are decision-position ids 0..{self.decisions - 1}, "
                f"got {positions.min()}..{positions.max()}"
            )
        if moves is None:
            return positions, None
        moves = np.asarray(moves).astype(np.int64).reshape(-1)
        if moves.shape != positions.shape:
            raise SearchlabError(f"give one move per position: {moves.size} moves for {positions.size} positions")
        legal = (moves >= 0) & (moves < NUM_SQUARES)
        legal[legal] = self.legal[positions[legal], moves[legal]]
        if not legal.all():
            i = int(np.flatnonzero(~legal)[0])
            raise SearchlabError(
                f"move {moves[i]} is not legal in position {positions[i]}; pick a blank square of that board"
            )
        return positions, moves

    def optimal_moves(self, position: int) -> list[int]:
        """Every minimax-optimal move in one decision position, in square order."""
        positions, _ = self.check([position])
        return np.flatnonzero(self.optimal[positions[0]]).tolist()

    def is_optimal(self, positions, moves) -> np.ndarray:
        """(N,) bool: the per-move truth, True where the move keeps the position's minimax value."""
        positions, moves = self.check(positions, moves)
        return self.optimal[positions, moves]

    def move_values(self, positions, moves) -> np.ndarray:
        """(N,) int8: the mover's minimax value after each move (+1 win, 0 draw, -1 loss)."""
        positions, moves = self.check(positions, moves)
        return self.move_value[positions, moves]

    def accuracy(self, moves, positions) -> float:
        """The share of moves that are optimal in their positions."""
        return float(self.is_optimal(positions, moves).mean())

    def sample_positions(self, count: int, rng: np.random.Generator, contested_only: bool = True) -> np.ndarray:
        """(count,) position ids drawn uniformly from the contested positions (or from all)."""
        pool = np.flatnonzero(self.contested) if contested_only else self.positions
        return pool[rng.integers(0, pool.size, size=count)]


@functools.lru_cache(maxsize=1)
def default_task() -> TicTacToeTask:
    """The shared task over a fresh `PositionIndex` (built once per process, about 0.3 s)."""
    return TicTacToeTask()


class Demonstrator:
    """Shows a move per position: optimal with probability p where a mistake is possible.

    Args:
        p: probability of an optimal move in a contested position.
        seed: seed of the demonstrator's own stream; successive calls continue it.
        task: the task; `default_task()` if None.

    Raises:
        SearchlabError: p outside [0, 1] or a bad seed.
    """

    def __init__(self, p: float, seed: int, task: TicTacToeTask | None = None) -> None:
        self.p = check_probability("tic-tac-toe demonstrator", "p", p)
        self.seed = check_seed(seed)
        self.task = task
        self._rng = numpy_generator(self.seed)

    def demonstrate(self, positions) -> np.ndarray:
        """(N,) int64 moves, one per position id: optimal w.p. p, else a plausible mistake."""
        task = self.task or default_task()
        positions, _ = task.check(positions)
        draws = self._rng.random((3, positions.size))  # choice, optimal move, mistake
        best = sample_rows(task.optimal_probabilities[positions], draws[1])
        slip = sample_rows(task._fallible[positions], draws[2])
        return np.where(draws[0] < self.p, best, slip).astype(np.int64)

    def expected_accuracy(self, positions) -> float:
        """The share of optimal moves expected on these positions: p where contested, 1 elsewhere."""
        task = self.task or default_task()
        positions, _ = task.check(positions)
        return float(np.where(task.contested[positions], self.p, 1.0).mean())

    def measure(self, samples: int = 10_000, seed: int = 0) -> dict[str, Measured]:
        """Accuracy of a fresh copy (same p and seed) on `samples` contested positions drawn from `seed`."""
        task = self.task or default_task()
        positions = task.sample_positions(samples, numpy_generator(seed))
        moves = Demonstrator(self.p, self.seed, task).demonstrate(positions)
        return {"accuracy": Measured("accuracy", self.p, task.accuracy(moves, positions), samples)}

    def __repr__(self) -> str:
        return f"Demonstrator(p={self.p}, seed={self.seed})"


class Rater:
    """Approves a proposed move iff it is optimal, each judgement right with probability q.

    Args:
        q: probability that a judgement is right (otherwise it is flipped).
        seed: seed of the rater's own stream; successive calls continue it.
        task: the task; `default_task()` if None.

    Raises:
        SearchlabError: q outside [0, 1] or a bad seed.
    """

    def __init__(self, q: float, seed: int, task: TicTacToeTask | None = None) -> None:
        self.q = check_probability("tic-tac-toe rater", "q", q)
        self.seed = check_seed(seed)
        self.task = task
        self._rng = numpy_generator(self.seed)

    def rate(self, positions, moves) -> np.ndarray:
        """(N,) bool approvals of legal moves: `is_optimal` XOR (a uniform draw >= q).

        Raises:
            SearchlabError: a non-decision position or an illegal move.
        """
        task = self.task or default_task()
        truth = task.is_optimal(positions, moves)
        right = self._rng.random(truth.size) < self.q
        return np.where(right, truth, ~truth)

    def measure(self, samples: int = 10_000, seed: int = 0) -> dict[str, Measured]:
        """Accuracy of a fresh copy (same q and seed) on uniformly random legal moves in contested positions."""
        task = self.task or default_task()
        rng = numpy_generator(seed)
        positions = task.sample_positions(samples, rng)
        which = (rng.random(samples) * task.index.legal_count[positions]).astype(np.int64)
        moves = task.index.nth_legal(positions, which)
        approvals = Rater(self.q, self.seed, task).rate(positions, moves)
        measured = float((approvals == task.is_optimal(positions, moves)).mean())
        return {"accuracy": Measured("accuracy", self.q, measured, samples)}

    def __repr__(self) -> str:
        return f"Rater(q={self.q}, seed={self.seed})"
