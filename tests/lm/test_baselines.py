"""Baselines: compressors and the Kneser-Ney n-gram model."""

from __future__ import annotations

import math
import random

import pytest

from searchlab.core.errors import SearchlabError
from searchlab.lm import COMPRESSORS, KneserNey, baselines, compression_bpc, long_repeats, ngram_bpc


def random_text(length: int, seed: int) -> str:
    generator = random.Random(seed)
    return "".join(generator.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(length))


def test_repetitive_text_costs_far_fewer_bits_than_random_text():
    repetitive = "the cat sat on the mat. " * 400
    noise = random_text(len(repetitive), seed=0)
    cheap = baselines(repetitive[:8000], repetitive[8000:])
    costly = baselines(noise[:8000], noise[8000:])
    assert set(cheap) == {"gzip", "bz2", "xz", "ngram"}
    for name in cheap:
        assert cheap[name] < 0.5, name
        assert costly[name] > 4.0, name  # log2(27) = 4.75 bits is the most a good model needs


def test_compression_bpc_divides_bytes_by_characters():
    identity = lambda data: data  # noqa: E731 - a "compressor" that stores bytes as they are
    assert compression_bpc(identity, "abc", "xyz") == pytest.approx(8.0)
    assert compression_bpc(identity, "abc", "\u00e9\u00e9") == pytest.approx(16.0)  # 2 bytes per character
    assert set(COMPRESSORS) == {"gzip", "bz2", "xz"}
    with pytest.raises(SearchlabError, match="empty"):
        compression_bpc(identity, "abc", "")


def test_ngram_matches_a_hand_computation():
    # Train "abab", order 2, discount 1/2, alphabet {a, b}.
    # Unigram continuation counts: a follows b once, b follows a once -> 1 each, total 2, 2 types:
    #   P1(a) = (1 - 1/2) / 2 + 1/2 * 2 / 2 * 1/2 = 1/2.
    # Bigram counts: ab 2, ba 1. Validation "ab" after the history "b":
    #   P(a | b) = (1 - 1/2) / 1 + 1/2 * 1 / 1 * 1/2 = 3/4,
    #   P(b | a) = (2 - 1/2) / 2 + 1/2 * 1 / 2 * 1/2 = 7/8.
    expected = -(math.log2(3 / 4) + math.log2(7 / 8)) / 2
    assert ngram_bpc("abab", "ab", order=2, discount=0.5) == pytest.approx(expected, rel=1e-12)


def test_ngram_probabilities_sum_to_one():
    text = "the cat sat on the mat, the rat ate the hat. " * 5
    model = KneserNey(text, order=4, alphabet=text + "xyz")
    for history in ("the", "at ", "zzz", ""):
        total = sum(model.probability(history, c) for c in set(text + "xyz"))
        assert total == pytest.approx(1.0, abs=1e-9), history
    assert 0.0 < model.discounts[0] < 1.0
    with pytest.raises(SearchlabError):
        KneserNey(text, order=0)


def _brute_repeats(train: str, validation: str, length: int, context: int) -> tuple[float, float]:
    """The same shares by brute force: every window of every validation character against every earlier window."""
    text, start = train + validation, len(train)
    repeated = beyond = 0
    for j in range(start, len(text)):
        copies = [
            (i, b)
            for i in range(max(0, j - length + 1), min(j, len(text) - length) + 1)
            for b in range(0, i)
            if text[b : b + length] == text[i : i + length]
        ]
        if copies:
            repeated += 1
            beyond += all(i - b > context for i, b in copies)
    return repeated / len(validation), beyond / len(validation)


@pytest.mark.parametrize("seed", range(5))
def test_long_repeats_match_brute_force(seed):
    rng = random.Random(seed)
    words = ["ab", "cab", "bca", "aab", "c"]
    text = "".join(rng.choice(words) for _ in range(40))
    train, validation = text[:70], text[70:]
    found = long_repeats(train, validation, length=5, context=12)
    assert (found["repeated"], found["beyond_context"]) == pytest.approx(_brute_repeats(train, validation, 5, 12))


def test_long_repeats_by_hand():
    # "abcd" was seen 10 characters earlier: six validation characters are repeats, all within reach.
    assert long_repeats("abcdefgh", "xxabcdefyy", length=4, context=100)["repeated"] == pytest.approx(0.6)
    far = long_repeats("abcdefgh" + "z" * 200, "abcdyy", length=4, context=100)
    assert far["repeated"] == far["beyond_context"] == pytest.approx(4 / 6)
