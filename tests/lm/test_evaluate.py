"""Scoring a whole text, and bits per character for characters and for subwords."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from lm.lm_helpers import REPETITIVE
from searchlab.core.errors import SearchlabError
from searchlab.encodings.subword import BPEVocab
from searchlab.lm import CausalTransformer, Corpus, ModelConfig, bits_per_character, text_nats, tokenize


def small_model(context: int = 8) -> CausalTransformer:
    return CausalTransformer(
        ModelConfig(vocab_size=5, layers=1, heads=1, width=8, context=context), torch.Generator().manual_seed(0)
    ).eval()


@torch.no_grad()
def brute_force_nats(model: CausalTransformer, ids: torch.Tensor) -> float:
    """Each target j scored from the `context` tokens before it (all of them near the start)."""
    context, total = model.config.context, 0.0
    for j in range(1, len(ids)):
        start = max(0, j - context)
        logits = model(ids[None, start : start + context])[0]
        total += float(F.cross_entropy(logits[j - start - 1], ids[j]))
    return total


def test_every_token_after_the_first_is_scored_once():
    model = small_model()
    ids = torch.randint(0, 5, (30,), generator=torch.Generator().manual_seed(3))
    nats, scored = text_nats(model, ids, stride=1, batch_size=7)
    assert scored == 29
    assert nats == pytest.approx(brute_force_nats(model, ids), rel=1e-5)
    # One window exactly: the mean loss of the model over its context.
    nats, scored = text_nats(model, ids[:9])
    assert nats == pytest.approx(float(model.loss(ids[None, :8], ids[None, 1:9]).detach()) * 8, rel=1e-5)
    # Any stride scores the same tokens; contexts differ, so totals are close but not equal.
    assert text_nats(model, ids, stride=4)[1] == 29
    with pytest.raises(SearchlabError):
        text_nats(model, ids[:8])


def test_bits_per_character():
    assert bits_per_character(math.log(2) * 10, 5) == pytest.approx(2.0)
    with pytest.raises(SearchlabError):
        bits_per_character(1.0, 0)


def test_subword_bpc_divides_by_characters_not_tokens():
    text = REPETITIVE + "and the dog ran far. " * 20
    corpus = Corpus(source="test", train=text[:1500], validation=text[1500:])
    vocab = BPEVocab.train(corpus.train, 300)
    data = tokenize(corpus, vocab, context=8)
    assert len(data.validation_ids) < len(corpus.validation) / 2  # subwords are longer than a character
    first = len(vocab.decode(data.validation_ids[:1]))
    assert first >= 1
    assert data.validation_characters == len(corpus.validation) - first
    nats = 123.0
    assert bits_per_character(nats, data.validation_characters) == pytest.approx(
        nats / math.log(2) / (len(corpus.validation) - first)
    )
