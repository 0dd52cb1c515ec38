"""One-hot vectors: labels in, vectors out, and argmax back to labels."""

import pytest
import torch

from searchlab.core.errors import SearchlabError
from searchlab.encodings.onehot import OneHot


def test_round_trip_of_string_labels():
    encoding = OneHot(["cat", "dog", "emu"])
    labels = ["dog", "emu", "cat", "dog"]
    vectors = encoding.encode(labels)
    assert vectors.shape == (4, 3)
    assert vectors.dtype == torch.float32
    assert torch.equal(vectors, torch.tensor([[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]], dtype=torch.float32))
    assert encoding.decode(vectors) == labels


def test_round_trip_of_positions():
    encoding = OneHot(range(10))
    positions = torch.tensor([3, 0, 9, 9, 5])
    vectors = encoding.encode_indices(positions, dtype=torch.float64)
    assert vectors.dtype == torch.float64
    assert torch.equal(vectors.sum(dim=1), torch.ones(5, dtype=torch.float64))
    assert torch.equal(encoding.decode_indices(vectors), positions)
    assert encoding.decode(vectors) == [3, 0, 9, 9, 5]


def test_probabilities_decode_to_the_most_likely_label():
    encoding = OneHot(["a", "b", "c"])
    probabilities = torch.tensor([[0.2, 0.7, 0.1], [0.5, 0.1, 0.4], [0.3, 0.3, 0.4]])
    assert encoding.decode(probabilities) == ["b", "a", "c"]
    # A tie goes to the first of the tied positions.
    assert encoding.decode(torch.tensor([[0.5, 0.5, 0.0]])) == ["a"]


def test_size_indices_and_repr():
    encoding = OneHot(("x", "y"))
    assert encoding.size == 2
    assert encoding.indices(["y", "x"]).tolist() == [1, 0]
    assert "x" in repr(encoding)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: OneHot([]), "at least one label"),
        (lambda: OneHot(["a", "b", "a"]), "listed twice"),
        (lambda: OneHot(["a", "b"]).encode(["c"]), "unknown label 'c'"),
        (lambda: OneHot(["a", "b"]).encode_indices(torch.tensor([2])), "0..1"),
        (lambda: OneHot(["a", "b"]).decode(torch.zeros(1, 3)), "3 entries but there are 2 labels"),
    ],
)
def test_bad_use_is_a_clear_error(make, words):
    with pytest.raises(SearchlabError, match=words):
        make()


# Probability vectors over the same labels.

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=4, max_size=4).filter(lambda w: sum(w) > 0))
def test_probability_vectors_round_trip(weights):
    encoding = OneHot(["corgi", "husky", "pug", "emu"])
    mapping = {label: w / sum(weights) for label, w in zip(encoding.labels, weights)}
    vector = encoding.encode_probabilities(mapping, dtype=torch.float64)
    assert vector.shape == (4,)
    assert encoding.decode_probabilities(vector) == pytest.approx(mapping, abs=1e-12)
    assert encoding.decode(vector[None]) == [max(mapping, key=lambda k: (mapping[k], -encoding.labels.index(k)))]


def test_missing_labels_get_zero_and_top_orders_by_probability():
    encoding = OneHot(["corgi", "husky", "pug", "emu"])
    vector = encoding.encode_probabilities({"pug": 0.25, "corgi": 0.75})
    assert vector.tolist() == [0.75, 0.0, 0.25, 0.0]
    assert encoding.decode_probabilities(vector) == {"corgi": 0.75, "husky": 0.0, "pug": 0.25, "emu": 0.0}
    assert encoding.top(vector, 2) == [("corgi", 0.75), ("pug", 0.25)]
    assert encoding.top(vector, 10)[2:] == [("husky", 0.0), ("emu", 0.0)]  # ties keep label order
    softmax = torch.softmax(torch.tensor([0.0, 3.0, 1.0, 0.5]), dim=0)
    assert encoding.top(softmax, 1)[0][0] == "husky"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: OneHot(["a", "b"]).encode_probabilities({"a": 0.5, "b": 0.6}), "sum to 1"),
        (lambda: OneHot(["a", "b"]).encode_probabilities({"a": 1.5, "b": -0.5}), "non-negative"),
        (lambda: OneHot(["a", "b"]).encode_probabilities({"c": 1.0}), "unknown label 'c'"),
        (lambda: OneHot(["a", "b"]).decode_probabilities(torch.tensor([0.2, 0.2])), "sum to 1"),
        (lambda: OneHot(["a", "b"]).decode_probabilities(torch.tensor([1.0, 0.0, 0.0])), r"shape \(2,\)"),
        (lambda: OneHot(["a", "b"]).top(torch.tensor([1.0, 0.0]), 0), "k must be at least 1"),
    ],
)
def test_bad_probabilities_are_a_clear_error(make, words):
    with pytest.raises(SearchlabError, match=words):
        make()
