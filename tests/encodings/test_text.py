"""Character vocabularies: the essay's 77 symbols, round trips, outside characters and saving."""

import string

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from searchlab.core.errors import SearchlabError
from searchlab.encodings.text import (
    ESSAY_ALPHABET,
    ESSAY_NEAREST,
    PUNCTUATION,
    CharVocab,
    essay_fallback_map,
)

FAST = settings(max_examples=60, deadline=None)


def test_essay_alphabet_has_the_essays_77_symbols_of_the_stated_kinds():
    assert len(ESSAY_ALPHABET) == 77 and len(set(ESSAY_ALPHABET)) == 77
    assert sum(c in string.ascii_lowercase for c in ESSAY_ALPHABET) == 26
    assert sum(c in string.ascii_uppercase for c in ESSAY_ALPHABET) == 26
    assert sum(c in string.digits for c in ESSAY_ALPHABET) == 10
    assert ESSAY_ALPHABET.count(" ") == 1
    marks = [c for c in ESSAY_ALPHABET if c in string.punctuation]
    assert len(marks) == 14 and "".join(marks) == PUNCTUATION
    assert len(set(PUNCTUATION)) == 14
    assert CharVocab.essay().size == 77


@FAST
@given(st.text(alphabet=ESSAY_ALPHABET))
def test_essay_text_round_trips_through_ids_and_one_hot(text):
    vocab = CharVocab.essay()
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert vocab.decode(ids) == text
    rows = vocab.one_hot(text)
    assert rows.dtype == torch.float32 and tuple(rows.shape) == (len(text), 77)
    assert torch.equal(rows.sum(dim=1), torch.ones(len(text)))
    assert vocab.from_one_hot(rows) == text


@FAST
@given(st.text(min_size=1))
def test_a_corpus_vocabulary_round_trips_its_corpus(text):
    vocab = CharVocab.from_text(text)
    assert vocab.symbols == "".join(sorted(set(text)))
    assert vocab.decode(vocab.encode(text)) == text
    assert vocab.coverage(text) == 1.0


def test_ids_are_positions_in_the_alphabet():
    vocab = CharVocab.essay()
    assert vocab.encode("aA0. ").tolist() == [0, 26, 52, 62, 76]
    assert vocab.decode(torch.tensor([7, 4, 11, 11, 14])) == "hello"


def test_outside_characters_are_named_with_positions():
    with pytest.raises(SearchlabError) as caught:
        CharVocab.essay().encode("caf\u00e9 \u201cok\u201d\nend\tx*y")
    message = str(caught.value)
    assert "6 character(s) outside" in message
    assert "'\u00e9' at 3" in message and "'\u201c' at 5" in message and "'\\n' at 9" in message
    assert "and 1 more" in message
    assert "\n" not in message  # one line


def test_fallback_replaces_every_outside_character():
    vocab = CharVocab.essay(fallback="?")
    assert vocab.decode(vocab.encode("na\u00efve \u2192 ok")) == "na?ve ? ok"


def test_nearest_symbols_then_fallback():
    text = "\u201cHi\u201d\u2014she said\u2026\nit\u2019s 5\u00b0"
    assert essay_fallback_map(text) == '"Hi"-she said. it\'s 5\u00b0'
    vocab = CharVocab.essay(fallback=" ", nearest=True)
    assert vocab.decode(vocab.encode(text)) == '"Hi"-she said. it\'s 5 '
    assert all(len(k) == 1 and v in ESSAY_ALPHABET for k, v in ESSAY_NEAREST.items())
    with pytest.raises(SearchlabError, match="'\u00b0' at 21"):
        CharVocab.essay(nearest=True).encode(text)


def test_coverage_counts_inside_characters():
    vocab = CharVocab.essay()
    assert vocab.coverage("ab\ncd") == pytest.approx(0.8)
    assert CharVocab.essay(nearest=True).coverage("ab\ncd") == 1.0
    assert vocab.coverage("") == 1.0


def test_from_one_hot_takes_the_argmax_of_scores():
    vocab = CharVocab("xyz")
    scores = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.1, 0.4]])
    assert vocab.from_one_hot(scores) == "yx"


def test_json_round_trip_keeps_everything():
    vocab = CharVocab.essay(fallback=" ", nearest=True)
    again = CharVocab.from_json(vocab.to_json())
    assert again == vocab and again.name == "essay" and again.fallback == " "
    assert again.encode("\u201cx\u201d\u00e9").tolist() == vocab.encode("\u201cx\u201d\u00e9").tolist()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: CharVocab(""), "non-empty"),
        (lambda: CharVocab("abca"), "'a' are listed twice"),
        (lambda: CharVocab("abc", fallback="z"), "fallback must be one symbol"),
        (lambda: CharVocab("abc", nearest={"\n": "z"}), "replacement"),
        (lambda: CharVocab.from_text(""), "empty text"),
        (lambda: CharVocab("abc").decode([0, 3]), "0..2"),
        (lambda: CharVocab("abc").decode(np.array([0.5])), "integers"),
        (lambda: CharVocab("abc").from_one_hot(torch.zeros(2, 4)), r"\(T, 3\)"),
        (lambda: CharVocab.from_json("[1]"), "not a saved character vocabulary"),
        (lambda: CharVocab.from_json("{"), "JSON"),
        (lambda: CharVocab("abc").encode(b"ab"), "must be a str"),
    ],
)
def test_bad_use_is_a_clear_error(make, words):
    with pytest.raises(SearchlabError, match=words):
        make()
