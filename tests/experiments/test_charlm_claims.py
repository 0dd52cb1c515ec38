"""charlm's claim on cases with a known answer, the essay run in the tour, and what the report says about both."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from searchlab.core.intervals import CLAIM_KEYS
from searchlab.encodings.text import ESSAY_ALPHABET, CharVocab
from searchlab.experiments.charlm import EXPERIMENT, SECTION, Config
from searchlab.experiments.charlm_claims import CLAIM_ID, language_claim
from searchlab.experiments.charlm_report import claim_sentence, load_sentence, vocabulary_sentence
from searchlab.experiments.charlm_vocab import compare_with_essay, essay_corpus
from searchlab.lm import Corpus, block_bpc, unigram_nats

TRAIN = "the cat sat on the mat and the dog ran to the cat. " * 40
VALIDATION = "a dog and a cat sat on a hat. " * 60
BASELINES = {"gzip": 2.5, "bz2": 2.1, "xz": 2.0, "ngram": 2.2}


def blocks_of(shift_nats: float, noise: float = 0.0) -> dict:
    """Blocks of a made-up model: the unigram's nats per character, minus `shift_nats`, plus seeded noise."""
    vocab = CharVocab.from_text(TRAIN + VALIDATION)
    alphabet = vocab.decode(np.arange(vocab.size))
    nats = unigram_nats(TRAIN, VALIDATION[1:], alphabet=alphabet) - shift_nats
    nats = nats + noise * np.random.default_rng(0).standard_normal(len(nats))
    return block_bpc(nats, vocab, vocab.encode(VALIDATION), TRAIN, alphabet=alphabet)


def test_a_model_that_is_exactly_the_unigram_is_inconclusive():
    (row,) = language_claim(blocks_of(0.0), BASELINES, SECTION)
    assert set(row) == set(CLAIM_KEYS) and row["id"] == CLAIM_ID
    assert row["estimate"] == pytest.approx(0.0, abs=1e-12) and row["verdict"] == "inconclusive"
    assert row["seeds"] == 1 and "one training run" in row["measure"] and "20 blocks" in row["measure"]
    assert "gzip 2.500" in row["baseline"] and "character 5-gram 2.200" in row["baseline"]
    assert "order-0 unigram" in row["baseline"]


def test_a_better_model_is_supported_and_a_worse_one_contradicted():
    (better,) = language_claim(blocks_of(0.7, noise=0.3), BASELINES, SECTION)
    assert better["estimate"] == pytest.approx(-0.7 / math.log(2), abs=0.05)  # 0.7 nats = 1.01 bits a character
    assert better["ci_high"] < 0 and better["verdict"] == "supported"
    (worse,) = language_claim(blocks_of(-0.2, noise=0.3), BASELINES, SECTION)
    assert worse["ci_low"] > 0 and worse["verdict"] == "contradicted"
    # A block scored alike by both pulls nothing: noise alone around the unigram straddles 0.
    (same,) = language_claim(blocks_of(0.0, noise=0.3), BASELINES, SECTION)
    assert same["ci_low"] < 0 < same["ci_high"] and same["verdict"] == "inconclusive"
    assert language_claim({}, BASELINES, SECTION) == []


def test_the_comparison_with_the_essay_symbols_counts_each_kind_of_character():
    text = "Tab\there, a line\nand \u201cquotes\u201d, x_y = [1] ~ z\n"
    alphabet = compare_with_essay(text)
    assert alphabet["characters"] == len(text) and alphabet["text_symbols"] == len(set(text))
    outside = [c for c in text if c not in ESSAY_ALPHABET]
    assert alphabet["shared_symbols"] == len(set(text) - set(outside))
    assert alphabet["by_nearest"] == 5  # tab, two newlines, two curly quotes
    assert alphabet["by_fallback"] == 5  # _ = [ ] ~
    assert alphabet["outside"][0] == ["\n", 2]
    assert set(alphabet["essay_symbols_unused"]) == set(ESSAY_ALPHABET) - set(text)
    corpus, mapped = essay_corpus(Corpus(source="test", train=text, validation=text), fallback=" ")
    assert mapped == 2 * (alphabet["by_nearest"] + alphabet["by_fallback"])
    assert set(corpus.text) <= set(ESSAY_ALPHABET) and len(corpus.text) == 2 * len(text)


def test_the_tour_trains_over_the_essay_symbols_as_well(tmp_path, monkeypatch):
    """The tour's plan holds charlm and charlm-essay; the essay run's config writes the corpus in 77 symbols."""
    from searchlab.report import html
    from searchlab.runner import runs, tour

    assert EXPERIMENT.variants == {"essay": {"vocab": "essay", "fallback": " "}}
    ran = {}

    def fake_execute(experiment, config, data, partial, *, resume, progress):
        ran[partial.name] = (config, data)
        partial.mkdir(parents=True)
        (partial / "result.json").write_text(json.dumps({"experiment": experiment.name}))
        return {}

    monkeypatch.setattr(runs, "execute", fake_execute)
    monkeypatch.setattr(html, "write_report", lambda path, *args, **kwargs: path)
    tour.run_tour(["charlm"], size="tour", overrides={}, out=tmp_path, resume=False, progress=False)
    assert set(ran) == {".charlm.partial", ".charlm-essay.partial"}
    (plain, plain_data), (essay, essay_data) = ran[".charlm.partial"], ran[".charlm-essay.partial"]
    assert (plain.vocab, essay.vocab) == ("corpus", "essay") and essay.fallback == " "
    assert essay_data.vocab.size == 77 and plain_data.vocab.size == plain_data.alphabet["text_symbols"]
    alphabet = essay_data.alphabet
    assert essay_data.mapped == alphabet["by_nearest"] + alphabet["by_fallback"] > 0
    assert (tmp_path / "charlm-essay" / "result.json").is_file()
    # Both runs together stay near the old single run's 1.5 minutes.
    assert plain.minutes + essay.minutes <= 2.5


def test_the_report_says_how_the_vocabularies_compare_and_what_the_claim_found():
    alphabet = compare_with_essay("Some text_with = code\nand lines.\n")
    numbers = {
        "alphabet": alphabet,
        "characters_mapped_to_essay_symbols": alphabet["by_nearest"] + alphabet["by_fallback"],
        "blocks": blocks_of(0.7),
        "claims": language_claim(blocks_of(0.7, noise=0.3), BASELINES, SECTION),
        "threads": 1,
        "cores": 2,
        "load_average": [3.5, 2.0],
    }
    essay = vocabulary_sentence(Config(vocab="essay", fallback=" "), numbers)
    assert f"{alphabet['text_symbols']} characters" in essay and "newline 2" in essay and "' '" in essay
    assert f"{numbers['characters_mapped_to_essay_symbols']:,} of its" in essay
    assert "would be replaced" in vocabulary_sentence(Config(), numbers)
    assert "supported" in claim_sentence(numbers) and "20 validation blocks" in claim_sentence(numbers)
    assert "1 CPU thread;" in load_sentence(numbers) and "3.5" in load_sentence(numbers)
    assert vocabulary_sentence(Config(), {}) == claim_sentence({}) == load_sentence({}) == ""
