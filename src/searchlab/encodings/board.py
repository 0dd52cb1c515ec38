"""Tic-Tac-Toe boards as numbers a model can read, and back.

Two encodings, each with `encode` (one state), `encode_many` (a batch) and `decode`:

* `BoardVector`: the essay's encoding, one number per square, X = 1, O = -1,
  blank = 0; a state becomes 9 floats, shape (9,).
* `BoardPlanes`: one-hot planes, shape (3, 9): plane 0 marks X's squares, plane 1
  O's squares, plane 2 the blanks, so every square is one-hot over
  (X, O, blank). Three planes rather than two make "blank" a feature of its own and
  let decoding take an argmax per square, so scores decode as well as exact planes.

Squares are in the game's row-major order (0 top left, 8 bottom right).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from searchlab.core.errors import SearchlabError

# The essay's board vector, which is also how the game (searchlab.games.tictactoe) stores a state:
# a tuple of 9 marks in row-major order.
State = tuple[int, ...]
X, O, BLANK = 1, -1, 0  # noqa: E741 (the game's own names for its marks)
NUM_SQUARES = 9

PLANE_MARKS = (X, O, BLANK)  # the mark each plane stands for, in plane order


class BoardVector:
    """State <-> (9,) float vector with X = 1, O = -1, blank = 0."""

    shape = (NUM_SQUARES,)

    def encode(self, state: State, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """One state -> (9,) tensor."""
        return torch.tensor(state, dtype=dtype)

    def encode_many(self, states: Iterable[State], *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """N states -> (N, 9) tensor."""
        return torch.tensor(list(states), dtype=dtype).reshape(-1, NUM_SQUARES)

    def decode(self, vector: torch.Tensor) -> State:
        """(9,) tensor of exact 1, -1 and 0 entries -> the state.

        Raises:
            SearchlabError: wrong shape, or an entry other than 1, -1 and 0.
        """
        vector = torch.as_tensor(vector)
        if tuple(vector.shape) != self.shape:
            raise SearchlabError(f"a board vector has shape (9,), got {tuple(vector.shape)}")
        marks = vector.to(torch.float64).tolist()
        if any(mark not in (X, O, BLANK) for mark in marks):
            raise SearchlabError(f"board vector entries must be 1 (X), -1 (O) or 0 (blank), got {marks}")
        return tuple(int(mark) for mark in marks)

    def decode_many(self, vectors: torch.Tensor) -> list[State]:
        """(N, 9) tensor -> N states."""
        return [self.decode(vector) for vector in torch.as_tensor(vectors).reshape(-1, NUM_SQUARES)]


class BoardPlanes:
    """State <-> (3, 9) one-hot planes (X, O, blank); decoding takes the largest entry per square."""

    shape = (len(PLANE_MARKS), NUM_SQUARES)

    def encode(self, state: State, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """One state -> (3, 9) tensor with exactly one 1 per square (column)."""
        marks = torch.tensor(state)  # (9,)
        return torch.stack([(marks == mark) for mark in PLANE_MARKS]).to(dtype)  # (3, 9)

    def encode_many(self, states: Iterable[State], *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """N states -> (N, 3, 9) tensor."""
        encoded = [self.encode(state, dtype=dtype) for state in states]
        return torch.stack(encoded) if encoded else torch.zeros((0, *self.shape), dtype=dtype)

    def decode(self, planes: torch.Tensor) -> State:
        """(3, 9) one-hot or score planes -> the state (per square, the plane with the largest entry; ties: the first).

        Raises:
            SearchlabError: wrong shape.
        """
        planes = torch.as_tensor(planes)
        if tuple(planes.shape) != self.shape:
            raise SearchlabError(
                f"board planes have shape (3, 9) for (X, O, blank) x squares, got {tuple(planes.shape)}"
            )
        return tuple(PLANE_MARKS[i] for i in planes.argmax(dim=0).tolist())

    def decode_many(self, planes: torch.Tensor) -> list[State]:
        """(N, 3, 9) tensor -> N states."""
        return [self.decode(p) for p in torch.as_tensor(planes).reshape(-1, *self.shape)]


class MoverPlanes:
    """Boards as the player to move sees them: its marks, the opponent's, and (with `blanks`) the empty squares.

    Seen from the mover, an X position and an O position that differ only in who holds which marks look
    alike, so a network learns one game instead of two; AlphaZero's observation and the training-signal
    policies read boards this way. Arrays are numpy float32, shape (N, planes, 9) (planes = 3 with
    blanks, 2 without); `movers` says whose turn it is in each board (0 X, 1 O).
    """

    def __init__(self, blanks: bool = True) -> None:
        self.blanks = blanks
        self.planes = 3 if blanks else 2

    def encode_many(self, states: Iterable[State] | np.ndarray, movers: Iterable[int] | np.ndarray) -> np.ndarray:
        boards = np.asarray(states if isinstance(states, np.ndarray) else list(states), dtype=np.int8)
        boards = boards.reshape(-1, NUM_SQUARES)
        mine = np.where(np.asarray(movers if isinstance(movers, np.ndarray) else list(movers)) == 0, X, O)[:, None]
        planes = [boards == mine, boards == -mine] + ([boards == BLANK] if self.blanks else [])
        return np.stack(planes, axis=1).astype(np.float32)

    def decode(self, planes: np.ndarray, mover: int) -> State:
        """One board's (planes, 9) back to the state, given whose turn it is."""
        planes = np.asarray(planes).reshape(self.planes, NUM_SQUARES)
        if planes.shape[0] < 2 or not np.isin(planes, (0.0, 1.0)).all() or (planes[0] * planes[1]).any():
            raise SearchlabError("mover planes are 0/1, and a square holds at most one player's mark")
        mine = X if mover == 0 else O
        return tuple(int(mine * a - mine * b) for a, b in zip(planes[0], planes[1]))


BOARD_ENCODINGS = {"vector": BoardVector, "planes": BoardPlanes}
