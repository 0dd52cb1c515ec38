"""Performance metrics: score every candidate on every example, then average.

Optimizers minimise a loss (`higher_is_better = False`); reports also show human
scores such as accuracy, which are metrics with `higher_is_better = True`.
"""

from __future__ import annotations

import abc

import torch
import torch.nn.functional as F


class Metric(abc.ABC):
    """Maps (K, N, n_out) outputs and N targets to one number per candidate, (K,)."""

    name: str = "metric"
    higher_is_better: bool = False

    @abc.abstractmethod
    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean score over the N examples for each of the K candidates."""

    def one(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The score of one candidate's (N, n_out) outputs, a 0-d tensor (the gradient path)."""
        return self(outputs.unsqueeze(0), targets)[0]


class SquaredError(Metric):
    """Mean over examples of the squared difference, summed over output components."""

    name = "squared_error"

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        # outputs (K, N, o), targets (N, o)
        return (outputs - targets).square().sum(dim=2).mean(dim=1)

    def one(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return (outputs - targets).square().sum(dim=1).mean()


class CrossEntropy(Metric):
    """Mean negative log-probability of the right label; outputs are logits.

    Targets may be class indices (N,) or one-hot / probability vectors (N, C).
    """

    name = "cross_entropy"

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        k, n, c = outputs.shape
        if targets.dim() == 1:
            flat_targets = targets.repeat(k)
        else:
            flat_targets = targets.expand(k, n, c).reshape(k * n, c)
        losses = F.cross_entropy(outputs.reshape(k * n, c), flat_targets, reduction="none")
        return losses.reshape(k, n).mean(dim=1)

    def one(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(outputs, targets)


class ZeroOneAccuracy(Metric):
    """Fraction of examples where the highest output is the right label (1 right, 0 wrong)."""

    name = "accuracy"
    higher_is_better = True

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        labels = targets if targets.dim() == 1 else targets.argmax(dim=-1)
        return (outputs.argmax(dim=2) == labels).to(outputs.dtype).mean(dim=1)


METRICS: dict[str, type[Metric]] = {
    "squared_error": SquaredError,
    "cross_entropy": CrossEntropy,
    "accuracy": ZeroOneAccuracy,
}


class MaskedCrossEntropy(Metric):
    """Cross-entropy over the allowed outputs only: logits of disallowed ones are masked out first.

    For choices whose set of options changes from example to example, such as the
    legal moves of a board game. Targets pack both halves side by side, (N, 2C):
    the first C columns are the target probabilities (zero on disallowed options),
    the last C are the mask (1 allowed, 0 not). Masked logits become a large
    negative number rather than -inf, so that 0 * log p stays 0 and no gradient
    reaches them.
    """

    name = "masked_cross_entropy"

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        # outputs (K, N, C), targets (N, 2C)
        c = outputs.shape[-1]
        probabilities, allowed = targets[:, :c], targets[:, c:] > 0.5
        masked = torch.where(allowed, outputs, torch.full_like(outputs, -1e9))
        return -(probabilities * masked.log_softmax(dim=-1)).sum(dim=-1).mean(dim=-1)
