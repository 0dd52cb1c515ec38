"""A model's bits per character block by block, beside a context-free baseline on the same characters.

A claim that a model has learned a text's structure compares it with what needs no structure at
all: the order-0 unigram of the training text, which gives every character the probability of its
share of the training characters, whatever came before it. The validation text is cut into blocks
of about equal numbers of characters, and each block gets two numbers, its bits per character under
the model and under the unigram. The blocks pair the two measurements (the same characters, scored
by both), so the interval of their difference is over blocks of text from one training run.

For a character vocabulary a token is a character. For subwords a block is a run of whole tokens;
its characters are what those tokens decode to, and the unigram scores exactly those characters.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from searchlab.core.errors import SearchlabError

BLOCKS = 20  # the validation text's blocks for the paired comparison


def unigram_costs(train_text: str, alphabet: str = "") -> dict[str, float]:
    """-ln p(c) for every character c of `alphabet` and `train_text` under the add-one unigram of `train_text`.

    p(c) = (count of c in train_text + 1) / (len(train_text) + V), where V counts the distinct
    characters of `alphabet` and `train_text` together, so the probabilities sum to 1 over them.

    Raises:
        SearchlabError: an empty training text.
    """
    if not train_text:
        raise SearchlabError("a unigram needs a non-empty training text")
    counts = Counter(train_text)
    symbols = set(alphabet) | set(counts)
    total = len(train_text) + len(symbols)
    return {symbol: -math.log((counts.get(symbol, 0) + 1) / total) for symbol in symbols}


def unigram_nats(train_text: str, text: str, alphabet: str = "") -> np.ndarray:
    """-ln p(c) of every character c of `text` under `unigram_costs(train_text, alphabet + text)`.

    Raises:
        SearchlabError: an empty training text.
    """
    cost = unigram_costs(train_text, alphabet + "".join(set(text)))
    return np.fromiter((cost[character] for character in text), dtype=np.float64, count=len(text))


def block_bounds(lengths: np.ndarray, blocks: int = BLOCKS) -> list[tuple[int, int]]:
    """Cut a run of tokens into `blocks` consecutive pieces of about equal numbers of characters.

    Args:
        lengths: (n,) characters of each token, in order.
        blocks: how many pieces (fewer when there are fewer tokens).

    Returns:
        [(first, end), ...] token index ranges that cover 0..n without gaps, none of them empty.

    Raises:
        SearchlabError: no tokens, or blocks < 1.
    """
    count = len(lengths)
    if count == 0 or blocks < 1:
        raise SearchlabError(f"blocks need at least one token and one block, got {count} tokens, {blocks} blocks")
    ends = np.cumsum(np.asarray(lengths, dtype=np.float64))
    targets = ends[-1] * np.arange(1, blocks) / blocks
    cuts = np.searchsorted(ends, targets, side="left") + 1  # a block ends after the token that crosses its share
    edges = sorted({0, count, *(int(cut) for cut in cuts if 0 < cut < count)})
    return list(zip(edges[:-1], edges[1:]))


def token_lengths(vocab, ids: np.ndarray) -> np.ndarray:
    """Characters each token decodes to alone (1 for a character vocabulary).

    A subword that holds only part of a multi-byte character decodes to one stand-in character, so for
    such tokens this is approximate; `block_bpc` counts each block's characters from its whole decoded text.
    """
    table = np.array([len(vocab.decode([index])) for index in range(vocab.size)], dtype=np.int64)
    return table[np.asarray(ids, dtype=np.int64)]


def block_bpc(
    per_token_nats: np.ndarray, vocab, ids: np.ndarray, train_text: str, *, alphabet: str = "", blocks: int = BLOCKS
) -> dict[str, list]:
    """Bits per character of the model and of the training text's unigram, block by block of a validation text.

    Args:
        per_token_nats: (N - 1,) the model's nats of ids[1:] (`token_nats`): the first token is not predicted.
        vocab: the vocabulary of `ids` (its `decode` gives a block's characters).
        ids: (N,) the validation text's token ids.
        train_text: the text the unigram counts (in the same symbols the vocabulary writes).
        alphabet: further characters the unigram gives a probability (the model's alphabet).
        blocks: how many blocks.

    Returns:
        {"characters": [...], "model_bpc": [...], "unigram_bpc": [...]}, one entry per block, in order.

    Raises:
        SearchlabError: the nats do not match the ids (one per token after the first).
    """
    ids = np.asarray(ids, dtype=np.int64)
    per_token_nats = np.asarray(per_token_nats, dtype=np.float64)
    if per_token_nats.shape != (len(ids) - 1,):
        raise SearchlabError(
            f"per-token nats must hold one value per token after the first: {len(ids) - 1}, got {per_token_nats.shape}"
        )
    scored = ids[1:]
    bounds = block_bounds(token_lengths(vocab, scored), blocks)
    texts = [vocab.decode(scored[first:end]) for first, end in bounds]
    cost = unigram_costs(train_text, alphabet + "".join(set("".join(texts))))  # one table: every block's characters
    result: dict[str, list] = {"characters": [], "model_bpc": [], "unigram_bpc": []}
    for (first, end), text in zip(bounds, texts):
        characters = max(len(text), 1)
        result["characters"].append(len(text))
        result["model_bpc"].append(float(per_token_nats[first:end].sum()) / math.log(2) / characters)
        result["unigram_bpc"].append(sum(cost[character] for character in text) / math.log(2) / characters)
    return result
