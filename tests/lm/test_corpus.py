"""The corpus: the embedded text, a user's file and its errors, the fixed split."""

from __future__ import annotations

import pytest

from searchlab.core.errors import SearchlabError
from searchlab.lm import check_length, embedded_text, load_corpus, read_text_file, split_text


def test_embedded_corpus_is_deterministic_and_split_at_the_tail():
    corpus = load_corpus()
    assert corpus.source == "pydoc_data.topics"
    assert corpus.text == embedded_text()
    assert len(corpus.text) > 100_000
    assert abs(len(corpus.validation) / len(corpus.text) - 0.1) < 1e-4
    assert load_corpus() == corpus


def test_a_users_file_is_read_and_split(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text("héllo wörld\n" * 50, encoding="utf-8")
    corpus = load_corpus(path)
    assert corpus.text == "héllo wörld\n" * 50
    assert corpus.source == str(path)
    assert len(corpus.validation) == 60


@pytest.mark.parametrize(
    "content, words",
    [
        (None, "does not exist"),
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"text\x00with a NUL", "binary"),
        ("caf\u00e9".encode("latin-1"), "not UTF-8"),
    ],
)
def test_bad_files_are_refused_with_a_fix(tmp_path, content, words):
    path = tmp_path / "text.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SearchlabError, match=words):
        read_text_file(path)


def test_a_folder_is_not_a_text_file(tmp_path):
    with pytest.raises(SearchlabError, match="is a folder"):
        read_text_file(tmp_path)


def test_split_keeps_every_character_and_refuses_bad_fractions():
    train, validation = split_text("abcdefghij", 0.3)
    assert (train, validation) == ("abcdefg", "hij")
    for fraction in (0.0, 1.0, -0.1):
        with pytest.raises(SearchlabError):
            split_text("abcdefghij", fraction)
    with pytest.raises(SearchlabError, match="too short"):
        split_text("ab", 0.1)


def test_a_text_must_be_longer_than_the_context():
    check_length(17, 16)
    with pytest.raises(SearchlabError, match="not longer than the context of 16"):
        check_length(16, 16)
