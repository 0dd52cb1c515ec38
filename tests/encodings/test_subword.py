"""Byte-pair subwords: exact round trips for any string, readable merges, saving, errors."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchlab.core.errors import SearchlabError
from searchlab.encodings.subword import NUM_BYTES, BPEVocab

CORPUS = (
    "the cat sat on the mat. the dog sat on the log. "
    "then the cat and the dog ran to the other mat, unseen and unsung.\n"
) * 20


@pytest.fixture(scope="module")
def vocab():
    return BPEVocab.train(CORPUS, 300)


@settings(max_examples=80, deadline=None)
@given(text=st.text())
def test_any_unicode_text_round_trips(vocab, text):
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.ndim == 1
    assert vocab.decode(ids) == text


@pytest.mark.parametrize(
    "text", ["", "  two  spaces  ", "line\n\n\nbreaks\r\n", "\tcaf\u00e9 \u65e5\u672c \U0001f389", "\x00\x7f"]
)
def test_awkward_strings_round_trip(vocab, text):
    assert vocab.decode(vocab.encode(text)) == text
    ascii_part = text.encode("ascii", "ignore").decode()
    assert "".join(vocab.token_strings(vocab.encode(ascii_part))) == ascii_part  # pieces spell the text


def test_merges_shorten_the_corpus_and_match_the_tokenizer(vocab):
    assert NUM_BYTES < vocab.size <= 300
    ids = vocab.encode(CORPUS)
    assert len(ids) < len(CORPUS.encode()) / 2  # merges pay off on repetitive text
    merges = vocab.merges(top=1000)
    assert merges and len(merges) == vocab.size - NUM_BYTES
    assert vocab.merges(3) == merges[:3]
    for k, (left, right, merged) in enumerate(merges):
        assert left + right == merged
        # Merge k is token id 256 + k and spells the merged piece.
        assert vocab.token_strings([NUM_BYTES + k]) == [merged]
    assert (" ", "t", " t") in merges or (" t", "he", " the") in merges or any(m[2] == " the" for m in merges)
    assert vocab.token_strings(vocab.encode(" the")) == [" the"]


def test_training_is_deterministic(vocab):
    assert BPEVocab.train(CORPUS, 300).to_json() == vocab.to_json()


def test_json_round_trip(vocab):
    again = BPEVocab.from_json(vocab.to_json())
    assert again.size == vocab.size
    assert again.encode(CORPUS).tolist() == vocab.encode(CORPUS).tolist()
    assert json.loads(vocab.to_json())["model"]["type"] == "BPE"


def test_special_tokens_come_first_and_are_kept():
    vocab = BPEVocab.train(CORPUS, 280, special_tokens=["<|endoftext|>"])
    assert vocab.special_tokens == ["<|endoftext|>"]
    ids = vocab.encode("the cat<|endoftext|>the dog")
    assert 0 in ids.tolist()
    assert vocab.decode(ids) == "the cat<|endoftext|>the dog"
    assert vocab.token_strings([0]) == ["<|endoftext|>"]


def test_vocab_size_is_respected_even_on_a_tiny_corpus():
    vocab = BPEVocab.train("ab", 1000)
    assert vocab.size == NUM_BYTES  # no pair occurs twice
    assert vocab.merges() == []
    assert vocab.decode(vocab.encode("zz\u00e9")) == "zz\u00e9"  # bytes never seen in training still encode


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: BPEVocab.train("", 300), "empty text"),
        (lambda: BPEVocab.train("abc", 255), "at least 256"),
        (lambda: BPEVocab.train("abc", 256, special_tokens=["<s>"]), "at least 257"),
        (lambda: BPEVocab.train("abc", 300, min_frequency=0), "min_frequency"),
        (lambda: BPEVocab.train("abc", 256).decode([256]), "0..255"),
        (lambda: BPEVocab.train("abc", 256).decode([-1]), "0..255"),
        (lambda: BPEVocab.from_json("{not json"), "not a saved subword vocabulary"),
    ],
)
def test_bad_use_is_a_clear_error(make, words):
    with pytest.raises(SearchlabError, match=words):
        make()
