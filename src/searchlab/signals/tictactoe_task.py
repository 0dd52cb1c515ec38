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

The people are `searchlab.signals.persons`' (written once for every task); this module
gives them the truth (`TicTacToeTruth`) and the demonstrator's skill (`TicTacToeSkill`):

* the demonstrator, in a contested position, plays an optimal move (uniform among them)
  with probability p, else a plausible mistake; elsewhere it plays optimally. So its
  accuracy is exactly p on contested positions and `expected_accuracy(positions)` on a mix.
* the rater says whether a proposed move is optimal; each judgement is right with
  probability q and flipped otherwise, independently, whatever the move. The issue's
  experiments use q > p (recognising is easier than demonstrating); the people accept
  any pair in [0, 1].

The outcome (true performance of a whole policy) is in `searchlab.signals.outcome`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from searchlab.core.errors import SearchlabError
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
        fallible: (decisions, 9), what a demonstrator draws when it errs: the mistake
            distribution where a mistake exists, else the optimal one.
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
        self.fallible = np.where(self.contested[:, None], self.mistake_probabilities, self.optimal_probabilities)

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


@dataclass(frozen=True)
class TicTacToeSkill:
    """The demonstrator's skill (`persons.Skill`): a mistake with probability 1 - p where one is possible.

    Args:
        p: probability of an optimal move in a contested position.
        task: the task; `default_task()` if None.

    Raises:
        SearchlabError: p outside [0, 1].
    """

    p: float
    task: TicTacToeTask | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "p", check_probability("tic-tac-toe demonstrator", "p", self.p))

    def error_rates(self, positions: np.ndarray) -> np.ndarray:
        """(N,) 1 - p on contested positions, 0 elsewhere (where every legal move is optimal)."""
        return np.where((self.task or default_task()).contested[positions], 1.0 - self.p, 0.0)

    def report(self, positions: np.ndarray, wrong: np.ndarray) -> dict[str, Measured]:
        """{"accuracy": configured p beside the measured share of optimal moves}."""
        return {"accuracy": Measured("accuracy", self.p, float((~wrong).mean()), int(wrong.size))}


class TicTacToeTruth:
    """What the simulated people know of Tic-Tac-Toe (`persons.Truth`): the solver's optimal moves.

    States are decision-position ids, actions moves (int64 arrays). A right move is drawn
    uniformly among the optimal ones, a mistake from `mistake_probabilities` (an optimal move
    where no mistake exists). Nothing tempts the rater. People are measured on contested
    positions; the rater on a uniformly random legal move in each.

    Args:
        task: the task; `default_task()` if None.
    """

    actions_name = "moves"
    tempting_name = None

    def __init__(self, task: TicTacToeTask | None = None) -> None:
        self._task = task

    @property
    def task(self) -> TicTacToeTask:
        return self._task or default_task()

    def states(self, positions) -> np.ndarray:
        return self.task.check(positions)[0]

    def is_right(self, positions, moves) -> np.ndarray:
        return self.task.is_optimal(positions, moves)

    def right_actions(self, positions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return sample_rows(self.task.optimal_probabilities[positions], rng.random(positions.size))

    def mistakes(self, positions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return sample_rows(self.task.fallible[positions], rng.random(positions.size))

    def tempting(self, moves) -> np.ndarray:
        return np.zeros(np.asarray(moves).size, dtype=bool)

    def sample_states(self, count: int, rng: np.random.Generator) -> np.ndarray:
        return self.task.sample_positions(count, rng)

    def rating_sample(self, positions: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        which = (rng.random(positions.size) * self.task.index.legal_count[positions]).astype(np.int64)
        return self.task.index.nth_legal(positions, which)
