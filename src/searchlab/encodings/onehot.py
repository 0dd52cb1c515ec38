"""One-hot vectors: a finite set of options becomes a list of numbers.

Each option gets one position; an option is encoded as 1 in its position and 0
everywhere else. A model answers with a vector of the same length (scores or
probabilities), and decoding reads off the position of the largest entry, so a
one-hot vector and a probability vector decode the same way.

A guess can also spread probability over the labels: `OneHot.encode_probabilities`
turns a mapping label -> probability into a vector (labels left out get 0),
`decode_probabilities` turns a vector back into that mapping, and `top` lists the
most likely labels. Both directions check that the entries are non-negative and sum
to 1 within a tolerance.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import torch

from searchlab.core.errors import SearchlabError


class OneHot:
    """Labels <-> one-hot vectors over a fixed, ordered set of labels.

    Args:
        labels: the options, in the order of their positions; at least one, no repeats.

    Raises:
        SearchlabError: no labels, or a label listed twice.
    """

    def __init__(self, labels: Sequence[Hashable]) -> None:
        labels = tuple(labels)
        if not labels:
            raise SearchlabError("a one-hot encoding needs at least one label")
        positions: dict[Hashable, int] = {}
        for position, label in enumerate(labels):
            if label in positions:
                raise SearchlabError(f"label {label!r} is listed twice; each label needs its own position")
            positions[label] = position
        self.labels = labels
        self._positions = positions

    @property
    def size(self) -> int:
        """Length of every vector: the number of labels."""
        return len(self.labels)

    def indices(self, labels: Iterable[Hashable]) -> torch.Tensor:
        """Positions of the labels, an (N,) int64 tensor.

        Raises:
            SearchlabError: a label that is not one of `self.labels`.
        """
        out = []
        for label in labels:
            position = self._positions.get(label)
            if position is None:
                raise SearchlabError(f"unknown label {label!r}; the labels are {', '.join(map(str, self.labels))}")
            out.append(position)
        return torch.tensor(out, dtype=torch.int64)

    def encode(self, labels: Iterable[Hashable], *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """(N,) labels -> (N, size) one-hot vectors."""
        return self.encode_indices(self.indices(labels), dtype=dtype)

    def encode_indices(self, indices: torch.Tensor, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """(N,) positions -> (N, size) one-hot vectors, on the positions' device."""
        indices = torch.as_tensor(indices, dtype=torch.int64)
        if indices.numel() and (int(indices.min()) < 0 or int(indices.max()) >= self.size):
            raise SearchlabError(f"label positions must lie in 0..{self.size - 1}")
        return torch.nn.functional.one_hot(indices, self.size).to(dtype)

    def decode_indices(self, vectors: torch.Tensor) -> torch.Tensor:
        """(N, size) one-hot, score or probability vectors -> (N,) positions of the largest entries."""
        vectors = torch.as_tensor(vectors)
        if vectors.shape[-1] != self.size:
            raise SearchlabError(f"vectors have {vectors.shape[-1]} entries but there are {self.size} labels")
        return vectors.argmax(dim=-1)

    def decode(self, vectors: torch.Tensor) -> list[Hashable]:
        """(N, size) vectors -> the N labels whose positions hold the largest entries (ties: the first)."""
        return [self.labels[i] for i in self.decode_indices(vectors).reshape(-1).tolist()]

    def encode_probabilities(
        self, probabilities: Mapping[Hashable, float], *, tolerance: float = 1e-6, dtype: torch.dtype = torch.float32
    ) -> torch.Tensor:
        """Label -> probability mapping -> (size,) probability vector (labels not mentioned get 0).

        Raises:
            SearchlabError: an unknown label, a negative or non-finite probability, or a sum
                further than `tolerance` from 1.
        """
        vector = torch.zeros(self.size, dtype=torch.float64)
        for label, probability in probabilities.items():
            vector[int(self.indices([label])[0])] = float(probability)
        self._check_probabilities(vector, tolerance)
        return vector.to(dtype)

    def decode_probabilities(self, vector: torch.Tensor, *, tolerance: float = 1e-5) -> dict[Hashable, float]:
        """(size,) probability vector -> {label: probability} for every label, in label order.

        Raises:
            SearchlabError: the wrong length, a negative or non-finite entry, or a sum further
                than `tolerance` from 1 (apply a softmax to scores first).
        """
        vector = self._probability_vector(vector, tolerance)
        return dict(zip(self.labels, vector.tolist()))

    def top(self, vector: torch.Tensor, k: int = 5, *, tolerance: float = 1e-5) -> list[tuple[Hashable, float]]:
        """The `k` most likely (label, probability) pairs of a (size,) probability vector, most likely first.

        Ties go to the first label.
        """
        if k < 1:
            raise SearchlabError(f"k must be at least 1, got {k}")
        vector = self._probability_vector(vector, tolerance)
        order = sorted(range(self.size), key=lambda i: (-vector[i].item(), i))[:k]
        return [(self.labels[i], vector[i].item()) for i in order]

    def _probability_vector(self, vector: torch.Tensor, tolerance: float) -> torch.Tensor:
        vector = torch.as_tensor(vector).detach().to("cpu", torch.float64)
        if tuple(vector.shape) != (self.size,):
            raise SearchlabError(
                f"a probability vector has shape ({self.size},), one entry per label, got {tuple(vector.shape)}"
            )
        self._check_probabilities(vector, tolerance)
        return vector

    @staticmethod
    def _check_probabilities(vector: torch.Tensor, tolerance: float) -> None:
        if not bool(torch.isfinite(vector).all()) or bool((vector < 0).any()):
            raise SearchlabError(f"probabilities must be finite and non-negative, got {vector.tolist()}")
        total = float(vector.sum())
        if abs(total - 1.0) > tolerance:
            raise SearchlabError(f"probabilities must sum to 1 (within {tolerance}), they sum to {total:.6g}")

    def __repr__(self) -> str:
        return f"OneHot({list(self.labels)!r})"
