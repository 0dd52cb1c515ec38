"""Sampling: seeded, one piece per token, greedy at temperature 0, checked prompts; loading a checkpoint."""

from __future__ import annotations

import inspect

import pytest

from searchlab.core.errors import SearchlabError
from searchlab.lm import generate, load_model, train

from lm.lm_helpers import tiny_data, tiny_model, tiny_training


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    data = tiny_data()
    result = train(tiny_model(data.vocab.size), tiny_training(steps=150), data, seed=0,
                   checkpoint_dir=folder / "checkpoints")
    return folder, result, data.vocab


def test_generation_streams_one_character_per_token(trained):
    _, result, vocab = trained
    stream = generate(result.model, vocab, "the ", 40, temperature=1.0, seed=1)
    assert inspect.isgenerator(stream)
    first = next(stream)
    assert len(first) == 1
    pieces = [first, *stream]
    assert len(pieces) == 40 and all(len(piece) == 1 for piece in pieces)
    again = "".join(generate(result.model, vocab, "the ", 40, temperature=1.0, seed=1))
    assert again == "".join(pieces)
    assert "".join(generate(result.model, vocab, "the ", 40, temperature=1.0, seed=2)) != again


def test_greedy_writes_what_it_learned_past_the_context(trained):
    _, result, vocab = trained
    text = "".join(generate(result.model, vocab, "the cat sat on", 60, temperature=0.0, seed=0))
    assert text.startswith(" the mat. the cat sat on the mat.")
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
