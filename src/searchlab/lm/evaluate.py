"""How well a model predicts a text: nats per token, and bits per character.

Bits per character (bpc) compares models with different vocabularies and with
compressors: it is the total information the model needs for the text, in
bits, over the number of characters, whatever the tokens were.

    bpc = (sum of -ln p(token) over the scored tokens) / ln 2 / characters

For a character vocabulary a token is a character, so bpc = nats per token / ln 2.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from searchlab.core.errors import SearchlabError
from searchlab.lm.corpus import check_length
from searchlab.lm.model import CausalTransformer


def bits_per_character(total_nats: float, characters: int) -> float:
    """Total nats over a text -> bits per character of that text.

    Raises:
        SearchlabError: no characters.
    """
    if characters <= 0:
        raise SearchlabError(f"bits per character need at least one character, got {characters}")
    return total_nats / math.log(2) / characters


def window_starts(token_count: int, context: int, windows: int) -> np.ndarray:
    """`windows` evenly spaced starts of (context + 1)-token windows over a text: a fixed validation sample."""
    check_length(token_count, context, "the validation text")
    last = token_count - context - 1
    return np.unique(np.linspace(0, last, num=max(1, windows)).round().astype(np.int64))


@torch.no_grad()
def window_loss(model: CausalTransformer, ids: torch.Tensor, starts: np.ndarray, batch_size: int = 32) -> float:
    """Mean nats per token over the windows at `starts` (each predicts `context` targets).

    Args:
        ids: (N,) int64 token ids on the model's device.
    """
    context = model.config.context
    offsets = torch.arange(context + 1, device=ids.device)
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for first in range(0, len(starts), batch_size):
        chunk = torch.as_tensor(starts[first : first + batch_size], device=ids.device)
        windows = ids[chunk[:, None] + offsets]  # (b, T + 1)
        loss = model.loss(windows[:, :-1], windows[:, 1:])
        total += float(loss) * windows.shape[0]
        count += windows.shape[0]
    model.train(was_training)
    return total / count


@torch.no_grad()
def token_nats(
    model: CausalTransformer, ids: np.ndarray | torch.Tensor, *, stride: int | None = None, batch_size: int = 32
) -> np.ndarray:
    """The nats of every token of a text after the first, one by one: entry i is -ln p(ids[i + 1] | before it).

    The text is read in windows of `context` tokens that overlap: each window
    after the first scores only its last `stride` targets (default context / 2),
    so every token is predicted from at least context - stride tokens before it
    (all of them near the start). Each token is scored once.

    Args:
        ids: (N,) int64 token ids, N > context.

    Returns:
        (N - 1,) float64 nats, in the order of the text.

    Raises:
        SearchlabError: a text no longer than the context, or a stride outside 1..context.
    """
    device = next(model.parameters()).device
    ids = torch.as_tensor(ids, dtype=torch.int64).to(device)
    context = model.config.context
    count = ids.shape[0]
    check_length(count, context, "the text to score")
    stride = context // 2 if stride is None else stride
    if not 1 <= stride <= context:
        raise SearchlabError(f"the stride must be between 1 and the context {context}, got {stride}")
    # (start, skip): window ids[start : start + context + 1], score targets after the first `skip`.
    plan: list[tuple[int, int]] = []
    next_target = 1  # position of the first target not yet scored
    while next_target < count:
        last_target = min(context if next_target == 1 else next_target - 1 + stride, count - 1)
        start = last_target - context
        plan.append((start, next_target - start - 1))
        next_target = last_target + 1
    offsets = torch.arange(context + 1, device=device)
    positions = torch.arange(context, device=device)
    was_training = model.training
    model.eval()
    pieces = []
    for first in range(0, len(plan), batch_size):
        starts, skips = zip(*plan[first : first + batch_size])
        windows = ids[torch.tensor(starts, device=device)[:, None] + offsets]  # (b, T + 1)
        logits = model(windows[:, :-1])  # (b, T, V)
        nats = F.cross_entropy(logits.transpose(1, 2), windows[:, 1:], reduction="none")  # (b, T)
        scored = positions[None, :] >= torch.tensor(skips, device=device)[:, None]
        pieces.append(nats.double()[scored])  # row by row, each row's targets in order: the text's order
    model.train(was_training)
    return torch.cat(pieces).cpu().numpy()


@torch.no_grad()
def text_nats(
    model: CausalTransformer, ids: np.ndarray | torch.Tensor, *, stride: int | None = None, batch_size: int = 32
) -> tuple[float, int]:
    """Total nats of every token of a text after the first, and how many tokens that is: `token_nats` summed.

    Args:
        ids: (N,) int64 token ids, N > context.

    Returns:
        (total nats, scored tokens = N - 1).
    """
    nats = token_nats(model, ids, stride=stride, batch_size=batch_size)
    return float(nats.sum()), len(nats)


def text_bpc(model: CausalTransformer, ids: np.ndarray | torch.Tensor, characters: int, **kwargs) -> float:
    """Bits per character of a whole text: `text_nats` over the characters its scored tokens spell."""
    nats, _ = text_nats(model, ids, **kwargs)
    return bits_per_character(nats, characters)
