"""Lookup-table strategies as a finite space: one move per decision position.

A candidate is a (d,) int8 vector whose entry p is the move the strategy makes in
decision position p; a population is a (K, d) stack of them. The space only needs
to know which moves are legal where, given as a (d, A) bool array (A moves in all),
so it serves any game whose positions are numbered (Tic-Tac-Toe's `PositionIndex`
passes `legal[:decisions]`) without importing the game.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.space import FiniteSpace


class TableSpace(FiniteSpace):
    """Every table that makes a legal move in every decision position.

    Candidate number i is read as a mixed-radix number, first position most significant,
    whose digit at position p (0 .. legal count - 1) picks the p-th position's legal
    move in square order; so enumeration order is fixed and resumable.

    Args:
        legal: (d, A) bool, the legal moves of each of the d decision positions (at least
            one each, A <= 127 so that a move fits an int8).
    """

    def __init__(self, legal: np.ndarray | torch.Tensor) -> None:
        legal = np.asarray(legal.cpu() if isinstance(legal, torch.Tensor) else legal).astype(bool)
        if legal.ndim != 2 or legal.shape[0] == 0 or not 0 < legal.shape[1] <= 127:
            raise SearchlabError(f"legal moves need a (positions, moves) bool array, got shape {legal.shape}")
        if not legal.any(axis=1).all():
            raise SearchlabError("every decision position of a lookup table needs at least one legal move")
        # Built in numpy and kept there for the hot paths (torch is many times slower on these small
        # integer gathers on a CPU); `counts`, `choices` and `choosable` are also torch tensors.
        d, moves = legal.shape
        counts = legal.sum(axis=1).astype(np.int64)  # (d,) legal moves per position
        # (d, A) the legal moves of each position in square order, padded with A (never read).
        choices = np.sort(np.where(legal, np.arange(moves), moves), axis=1)
        # (d, A + 1) the rank of a legal move among its position's legal moves (its digit).
        self._ranks = np.zeros((d, moves + 1), dtype=np.int64)
        np.put_along_axis(self._ranks, choices, np.broadcast_to(np.arange(moves), (d, moves)), axis=1)
        self._counts = counts
        self._choosable = np.flatnonzero(counts >= 2)  # positions where a move can change
        self._flat_choices = choices.astype(np.int8).reshape(-1)
        self._row_offsets = np.arange(d, dtype=np.int64) * moves
        self.counts = torch.from_numpy(counts)
        self.choices = torch.from_numpy(choices)
        self.choosable = torch.from_numpy(self._choosable)

    @property
    def dim(self) -> int:
        return int(self.counts.shape[0])

    @property
    def size(self) -> int:
        return math.prod(self.counts.tolist())

    def candidates(self, start: int, stop: int) -> torch.Tensor:
        if not 0 <= start <= stop <= self.size:
            raise SearchlabError(f"candidate range {start}..{stop} is outside 0..{self.size}")
        counts = self.counts.tolist()
        base = [0] * self.dim  # the digits of `start` (a Python int: the space is astronomically large)
        rest = start
        for p in range(self.dim - 1, -1, -1):
            if rest == 0:
                break
            rest, base[p] = divmod(rest, counts[p])
        digits = torch.tensor(base, dtype=torch.int64).repeat(stop - start, 1)
        carry = torch.arange(stop - start, dtype=torch.int64)  # candidate start + i is `start`'s digits plus i
        for p in range(self.dim - 1, -1, -1):
            if not bool(carry.any()):
                break
            total = digits[:, p] + carry
            digits[:, p], carry = total % counts[p], total // counts[p]
        return self._moves(digits.numpy())

    def sample(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """`count` tables, every move drawn uniformly from the legal ones (as `PositionIndex.random_tables`)."""
        unit = torch.rand(count, self.dim, generator=generator, dtype=torch.float64).numpy()
        return self._moves((unit * self._counts).astype(np.int64))

    def perturb(self, population: torch.Tensor, scale: float, generator: torch.Generator) -> torch.Tensor:
        """Change the move in `max(1, round(scale))` distinct positions of each table to another legal move.

        Only positions with at least two legal moves are picked, and the new move is drawn uniformly
        from the legal moves other than the current one, so every change is a real one.
        """
        k, n = population.shape[0], int(self._choosable.size)
        changes = max(1, min(n, round(scale)))
        pick = torch.randint(n, (k, changes), generator=generator).numpy()
        while changes > 1:  # redraw the (rare) rows that picked a position twice
            ordered = np.sort(pick, axis=1)
            twice = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
            if not twice.any():
                break
            pick[twice] = torch.randint(n, (int(twice.sum()), changes), generator=generator).numpy()
        where = self._choosable[pick]  # (k, changes) positions
        # Through numpy: torch copies an int8 population expanded from one parent (stride 0) a
        # thousand times slower (about 20 ms for 128 x 4520), and gathers small blocks slower too.
        out = np.array(population.detach().cpu().numpy())
        rows = np.arange(k)[:, None]
        count = self._counts[where]
        rank = self._ranks[where, out[rows, where].astype(np.int64)]
        shift = 1 + (torch.rand(k, changes, generator=generator, dtype=torch.float64).numpy() * (count - 1)).astype(
            np.int64
        )
        out[rows, where] = self._flat_choices[self._row_offsets[where] + (rank + shift) % count]
        return torch.from_numpy(out).to(population.device)

    def forward(self, population: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """The move of every table in every position: inputs are (N,) or (N, 1) position numbers; (K, N, 1)."""
        return population[:, inputs.reshape(-1).to(torch.int64)].unsqueeze(-1)

    def describe(self) -> str:
        return f"lookup tables over {self.dim:,} decision positions: about 10^{self.log10_size():.1f} candidates"

    def log10_size(self) -> float:
        """log10 of `size`, without building the huge integer."""
        return float(np.log10(self._counts).sum())

    def _moves(self, digits: np.ndarray) -> torch.Tensor:
        """(K, d) int64 digits (ranks among the legal moves) -> (K, d) int8 moves."""
        return torch.from_numpy(self._flat_choices[digits + self._row_offsets])
