"""Per-token nats, the order-0 unigram, and bits per character block by block (characters and subwords)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lm.test_evaluate import brute_force_nats, small_model
from searchlab.core.errors import SearchlabError
from searchlab.encodings.subword import BPEVocab
from searchlab.encodings.text import CharVocab
from searchlab.lm import block_bounds, block_bpc, text_nats, token_nats, unigram_nats
from searchlab.lm.threads import SMALL_STEP_ELEMENTS, auto_threads, usable_cores


def test_per_token_nats_sum_to_the_text_nats_and_match_one_by_one_scoring():
    model = small_model()
    ids = torch.randint(0, 5, (41,), generator=torch.Generator().manual_seed(4))
    for stride in (1, 3, None):
        per_token = token_nats(model, ids, stride=stride, batch_size=5)
        total, scored = text_nats(model, ids, stride=stride, batch_size=5)
        assert per_token.shape == (40,) and per_token.dtype == np.float64 and scored == 40
        assert per_token.sum() == pytest.approx(total, rel=1e-12)
    # With stride 1 every target j sees the `context` tokens before it: entry j - 1 is target j's own nats.
    per_token = token_nats(model, ids, stride=1)
    for j in (1, 5, 8, 9, 23, 40):
        assert per_token[j - 1] == pytest.approx(
            brute_force_nats(model, ids[: j + 1]) - brute_force_nats(model, ids[:j])
        )


def test_unigram_nats_are_the_add_one_frequencies_of_the_training_text():
    # Train "aab": a 2, b 1; the alphabet adds c; V = 3, so p = (n + 1) / (3 + 3): a 1/2, b 1/3, c 1/6.
    nats = unigram_nats("aab", "abca", alphabet="c")
    assert nats == pytest.approx([math.log(2), math.log(3), math.log(6), math.log(2)])
    # A character only the scored text holds still gets a probability: V is a, b, d, so p(d) = 1 / (3 + 3).
    assert unigram_nats("aab", "d") == pytest.approx([math.log(6)])
    with pytest.raises(SearchlabError):
        unigram_nats("", "a")


def test_blocks_cover_the_tokens_in_order_with_about_equal_characters():
    lengths = np.array([1, 3, 2, 2, 5, 1, 1, 1, 4, 2] * 30)
    bounds = block_bounds(lengths, 20)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(lengths)
    assert all(a < b for a, b in bounds) and all(b == c for (_, b), (c, _) in zip(bounds, bounds[1:]))
    sizes = [lengths[a:b].sum() for a, b in bounds]
    assert len(bounds) == 20 and max(sizes) - min(sizes) <= 2 * lengths.max()
    assert block_bounds(np.ones(3), 20) == [(0, 1), (1, 2), (2, 3)]  # fewer tokens than blocks: one each
    with pytest.raises(SearchlabError):
        block_bounds(np.ones(0), 5)


def test_a_model_that_is_the_unigram_scores_as_the_unigram_in_every_block():
    train, validation = "the cat sat on the mat. " * 20, "a cat and a hat sat. " * 30
    vocab = CharVocab.from_text(train + validation)
    ids = vocab.encode(validation)
    per_token = unigram_nats(train, validation[1:], alphabet=vocab.decode(np.arange(vocab.size)))
    blocks = block_bpc(per_token, vocab, ids, train, alphabet=vocab.decode(np.arange(vocab.size)), blocks=20)
    assert sum(blocks["characters"]) == len(validation) - 1
    assert blocks["model_bpc"] == pytest.approx(blocks["unigram_bpc"], rel=1e-12)
    # One nat a character less than the unigram: log2(e) bits less in every block.
    better = block_bpc(per_token - 1.0, vocab, ids, train, alphabet=vocab.decode(np.arange(vocab.size)))
    assert np.subtract(better["unigram_bpc"], better["model_bpc"]) == pytest.approx(np.full(20, 1 / math.log(2)))
    with pytest.raises(SearchlabError, match="one value per token"):
        block_bpc(per_token[:-1], vocab, ids, train)


def test_subword_blocks_are_counted_in_characters_and_the_unigram_scores_those_characters():
    train = "the dog ran far and the cat sat on the mat. " * 30
    validation = "the cat ran to the dog. " * 25
    vocab = BPEVocab.train(train, 300)
    ids = vocab.encode(validation)
    assert len(ids) < len(validation) / 2
    per_token = np.full(len(ids) - 1, 2.0)  # two nats a token
    blocks = block_bpc(per_token, vocab, ids, train, blocks=10)
    first = len(vocab.decode(ids[:1]))
    assert sum(blocks["characters"]) == len(validation) - first  # characters, not tokens
    # The model's bits over the block's characters: 2 nats x its tokens / ln 2 / characters.
    texts, start = [], 1
    for characters in blocks["characters"]:
        end = start
        while len(vocab.decode(ids[start:end])) < characters:
            end += 1
        texts.append((start, end))
        start = end
    for (a, b), characters, bpc, unigram in zip(
        texts, blocks["characters"], blocks["model_bpc"], blocks["unigram_bpc"]
    ):
        assert bpc == pytest.approx(2.0 * (b - a) / math.log(2) / characters)
        text = vocab.decode(ids[a:b])
        expected = unigram_nats(train, text, alphabet=vocab.decode(ids[1:]))
        assert unigram == pytest.approx(expected.sum() / math.log(2) / characters)


def test_threads_follow_the_size_of_the_work():
    assert auto_threads(32, 128, 128) == 1  # the default model: small operations, one thread
    assert auto_threads(8, 128, 128) == 1
    assert auto_threads(32, 256, 512) == usable_cores()  # 4.2 million activations a step
    assert 32 * 128 * 128 < SMALL_STEP_ELEMENTS <= 32 * 256 * 512
