"""Tic-Tac-Toe as a Game/State split: the game holds the rules, a state is a plain tuple.

A state is a tuple of 9 ints in row-major order (square 0 is the top left, square 8
the bottom right), with X = 1, O = -1 and blank = 0, the essay's board vector. Tuples
are small, hashable and compare fast, which matters because solving and counting
visit every reachable position. Whose turn it is follows from the board (X moves
first), so a state needs nothing else.

Players are numbered 0 (X) and 1 (O), as in OpenSpiel; `returns` is from X's side.
"""

from __future__ import annotations

import functools
import operator

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.encodings.board import BLANK, NUM_SQUARES, MoverPlanes, O, State, X

PLAYER_X, PLAYER_O = 0, 1
_OBSERVATION = MoverPlanes(blanks=False)  # the mover's marks and the opponent's, see `observation`
MARKS = (X, O)  # mark of player 0 and player 1

# The 8 lines that win: 3 rows, 3 columns, 2 diagonals.
LINES: tuple[tuple[int, int, int], ...] = (
    (0, 1, 2), (3, 4, 5), (6, 7, 8),
    (0, 3, 6), (1, 4, 7), (2, 5, 8),
    (0, 4, 8), (2, 4, 6),
)  # fmt: skip


def _square_map(transform) -> tuple[int, ...]:
    """Permutation of squares from a map (row, col) -> (row, col)."""
    out = []
    for square in range(NUM_SQUARES):
        row, col = transform(*divmod(square, 3))
        out.append(3 * row + col)
    return tuple(out)


def _compose(first: tuple[int, ...], then: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(then[first[square]] for square in range(NUM_SQUARES))


def _symmetries() -> tuple[tuple[int, ...], ...]:
    """The 8 symmetries of the square (dihedral group), identity first: 4 rotations, each with or without a mirror."""
    rotate = _square_map(lambda row, col: (col, 2 - row))  # a quarter turn clockwise
    mirror = _square_map(lambda row, col: (row, 2 - col))  # left <-> right
    identity = tuple(range(NUM_SQUARES))
    rotations = [identity]
    for _ in range(3):
        rotations.append(_compose(rotations[-1], rotate))
    return tuple(rotations + [_compose(mirror, r) for r in rotations])


# SYMMETRIES[k][a] is where square (action) a goes under symmetry k.
SYMMETRIES: tuple[tuple[int, ...], ...] = _symmetries()


# Cached because solvers and counters ask about each position many times; there are
# at most 3**9 boards, so the caches stay small.
@functools.cache
def _winner(state: State) -> int | None:
    for a, b, c in LINES:
        mark = state[a]
        if mark != BLANK and mark == state[b] == state[c]:
            return mark
    return None


@functools.cache
def _is_terminal(state: State) -> bool:
    return BLANK not in state or _winner(state) is not None


class TicTacToe:
    """The rules of Tic-Tac-Toe; every method takes a state and never changes it."""

    name = "tictactoe"
    num_players = 2
    num_actions = NUM_SQUARES
    observation_shape = (2, 3, 3)  # (planes, rows, columns), see `observation`
    num_symmetries = len(SYMMETRIES)  # 8: the dihedral group of the square

    def initial_state(self) -> State:
        """The empty board, X to move."""
        return (BLANK,) * NUM_SQUARES

    def current_player(self, state: State) -> int:
        """0 (X) or 1 (O): the player whose turn it is (on a finished board, who would have moved next)."""
        return 0 if state.count(X) == state.count(O) else 1

    def winner(self, state: State) -> int | None:
        """The mark (X = 1 or O = -1) that holds a full line, or None if no line is full."""
        return _winner(state)

    def is_terminal(self, state: State) -> bool:
        """True when a player holds a line or the board is full."""
        return _is_terminal(state)

    def legal_actions(self, state: State) -> list[int]:
        """The blank squares in increasing order; none once the game is over."""
        if self.is_terminal(state):
            return []
        return [square for square in range(NUM_SQUARES) if state[square] == BLANK]

    def apply(self, state: State, action: int) -> State:
        """The state after the player to move marks square `action` (a new tuple).

        Raises:
            SearchlabError: the game is over, the action is not a square 0..8, or the square is taken.
        """
        if self.is_terminal(state):
            outcome = {1.0: "X has won", -1.0: "O has won", 0.0: "it is a draw"}[self.returns(state)]
            raise SearchlabError(f"the game is over ({outcome}); no action is legal")
        if (
            isinstance(action, bool)
            or not hasattr(action, "__index__")
            or not 0 <= operator.index(action) < NUM_SQUARES
        ):
            raise SearchlabError(f"action {action!r} is not a square; legal actions are {self.legal_actions(state)}")
        action = operator.index(action)  # numpy and torch integers too
        if state[action] != BLANK:
            raise SearchlabError(f"square {action} is already taken; legal actions are {self.legal_actions(state)}")
        mark = MARKS[self.current_player(state)]
        return state[:action] + (mark,) + state[action + 1 :]

    def returns(self, state: State) -> float:
        """+1 if X has won, -1 if O has won, 0 otherwise (a draw, or a game still going)."""
        winner = self.winner(state)
        return float(winner) if winner is not None else 0.0

    def observation(self, state: State) -> np.ndarray:
        """The board as the player to move sees it: (2, 3, 3) float32, plane 0 its marks, plane 1 the opponent's.

        Seen from the mover, X and O positions that differ only in who holds which
        marks look alike, so a network learns one game instead of two.
        """
        return _OBSERVATION.encode_many([state], [self.current_player(state)]).reshape(2, 3, 3)

    # ---- symmetries -----------------------------------------------------------------

    def transform_action(self, action: int, symmetry: int) -> int:
        """Where square `action` goes under symmetry number `symmetry` (0..7, 0 is the identity)."""
        return SYMMETRIES[symmetry][action]

    def transform_state(self, state: State, symmetry: int) -> State:
        """The board moved by symmetry number `symmetry`: the mark on square a lands on transform_action(a)."""
        permutation = SYMMETRIES[symmetry]
        out = [BLANK] * NUM_SQUARES
        for square, mark in enumerate(state):
            out[permutation[square]] = mark
        return tuple(out)

    def symmetric_states(self, state: State) -> list[State]:
        """The 8 images of the state, in the order of SYMMETRIES (some may coincide)."""
        return [self.transform_state(state, k) for k in range(len(SYMMETRIES))]

    def canonical(self, state: State) -> State:
        """One representative per symmetry class: the smallest of the 8 images as tuples."""
        return min(self.symmetric_states(state))

    # ---- drawing --------------------------------------------------------------------

    def render(self, state: State) -> str:
        """Three lines such as 'X.O', with '.' for a blank square."""
        symbols = {X: "X", O: "O", BLANK: "."}
        cells = "".join(symbols[mark] for mark in state)
        return "\n".join(cells[row : row + 3] for row in (0, 3, 6))

    def state_from_string(self, text: str) -> State:
        """Inverse of `render`: 9 symbols from 'XO.' (whitespace ignored), row-major.

        Raises:
            SearchlabError: not 9 squares, or a symbol other than X, O and '.'.
        """
        marks = {"X": X, "O": O, ".": BLANK}
        symbols = [c for c in text.upper() if not c.isspace()]
        if len(symbols) != NUM_SQUARES or any(c not in marks for c in symbols):
            raise SearchlabError(f"a board is 9 symbols from X, O and '.', got {text!r}")
        return tuple(marks[c] for c in symbols)

    def __str__(self) -> str:
        return "Tic-Tac-Toe (3x3, X moves first)"

    def __repr__(self) -> str:
        return "TicTacToe()"
