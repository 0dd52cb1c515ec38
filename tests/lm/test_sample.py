"""Sampling: seeded, one piece per token, greedy at temperature 0, checked prompts; loading a checkpoint."""

from __future__ import annotations

import inspect

import pytest

from lm.lm_helpers import assert_bounds, repetitive_model
from searchlab.core.device import cpu_threads
from searchlab.core.errors import SearchlabError
from searchlab.lm import generate, load_model


@pytest.fixture(autouse=True)
def one_thread():
    """A tiny model writes faster on one thread, and does not spin on a busy machine."""
    with cpu_threads(1):
        yield


@pytest.fixture
def trained(repetitive):
    """The session's model trained on the repetitive text (tests/lm/conftest.py): folder, result, vocab."""
    return repetitive[:3]


def test_generation_streams_one_character_per_token(repetitive):
    _, result, vocab, _ = repetitive
    stream = generate(result.model, vocab, "the ", 40, temperature=1.0, seed=1)
    assert inspect.isgenerator(stream)
    first = next(stream)
    assert len(first) == 1
    pieces = [first, *stream]
    assert len(pieces) == 40 and all(len(piece) == 1 for piece in pieces)
    again = "".join(generate(result.model, vocab, "the ", 40, temperature=1.0, seed=1))
    assert again == "".join(pieces)
    # Another seed writes another text (at temperature 2): over training seeds 0-19, 25 to 40 characters of 40 differed.
    assert_bounds(repetitive_model, repetitive[3])


def test_greedy_writes_what_it_learned_past_the_context(repetitive):
    _, result, vocab, measures = repetitive
    text = "".join(generate(result.model, vocab, "the cat sat on", 60, temperature=0.0, seed=0))
    # greedy_correct: how many leading characters of the 60 continue the text rightly: all 60 over training seeds 0-19.
    # More than 32 means at least " the mat. the cat sat on the mat." (an untrained model writes noise).
    assert measures["greedy_correct"] > 32 and text.startswith(" the mat. the cat sat on the mat.")
    assert_bounds(repetitive_model, measures)
    assert len(text) == 60  # more than the context of 16: the cache is rebuilt as it fills
    assert "".join(generate(result.model, vocab, "the cat sat on", 60, temperature=0.0, seed=9)) == text


def test_a_saved_run_loads_and_writes_the_same(trained):
    folder, result, vocab = trained
    model, loaded_vocab = load_model(folder)  # a run folder holding checkpoints/
    assert loaded_vocab == vocab
    expected = "".join(generate(result.model, vocab, "mat", 30, temperature=0.7, seed=3))
    assert "".join(generate(model, loaded_vocab, "mat", 30, temperature=0.7, seed=3)) == expected
    with pytest.raises(SearchlabError, match="no checkpoint"):
        load_model(folder / "elsewhere")


def test_bad_prompts_and_settings_are_refused(trained):
    _, result, vocab = trained
    with pytest.raises(SearchlabError, match="outside"):
        list(generate(result.model, vocab, "the QUIZ", 5))
    with pytest.raises(SearchlabError, match="temperature"):
        list(generate(result.model, vocab, "the", 5, temperature=-1.0))
    assert len("".join(generate(result.model, vocab, "", 5, seed=0))) == 5
