"""The text a language model learns from: the English that ships with CPython, or a user's file.

The embedded corpus is `pydoc_data.topics`, the help texts that `help("assert")`
prints (about 465,000 characters of technical English). Its topics are joined
in sorted key order, so the text is the same on every run of one Python version.

The split is fixed, not random: the first 90% of the characters train and the
last 10% validate (`VALIDATION_FRACTION`). A contiguous tail keeps whole
sentences and topics on one side, so validation measures text the model has not
seen rather than near-copies of its neighbours, and every method (the model,
the compressors, the n-gram model) is scored on exactly the same characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from searchlab.core.errors import SearchlabError
from searchlab.data.files import read_input_text

VALIDATION_FRACTION = 0.1
EMBEDDED = "pydoc_data.topics"


@dataclass(frozen=True)
class Corpus:
    """A text and its fixed train/validation split.

    Attributes:
        source: where the text came from ("pydoc_data.topics" or a file path).
        train: the first part of the text.
        validation: the rest (the last `VALIDATION_FRACTION` of the characters).
    """

    source: str
    train: str
    validation: str

    @property
    def text(self) -> str:
        return self.train + self.validation


def embedded_text() -> str:
    """The help topics CPython ships, joined in sorted key order."""
    from pydoc_data.topics import topics

    return "".join(topics[key] for key in sorted(topics))


def read_text_file(path: str | Path) -> str:
    """A user's UTF-8 text file, checked (a byte-order mark is dropped: it is not part of the text).

    The path is checked before it is opened (`searchlab.data.files`), so a named
    pipe or a device such as /dev/zero is refused instead of read without end.

    Raises:
        SearchlabError: the file is missing (or a dangling or looping symbolic
            link), is a folder, a pipe, a device or a socket, is larger than
            `searchlab.data.files.MAX_INPUT_BYTES`, is empty, holds NUL bytes (a
            binary file) or is not valid UTF-8.
    """
    return read_input_text(
        path, kind="text file", empty="give the language model a file with text in it", binary="pass a UTF-8 text file"
    )


def split_text(text: str, validation_fraction: float = VALIDATION_FRACTION) -> tuple[str, str]:
    """(train, validation): the first and last parts of `text`, split at a character.

    Raises:
        SearchlabError: the fraction is not in (0, 1) or leaves either part empty.
    """
    if not 0.0 < validation_fraction < 1.0:
        raise SearchlabError(f"the validation fraction must be between 0 and 1, got {validation_fraction}")
    cut = len(text) - round(len(text) * validation_fraction)
    if cut <= 0 or cut >= len(text):
        raise SearchlabError(f"a text of {len(text)} characters is too short to split; use a longer text")
    return text[:cut], text[cut:]


def load_corpus(path: str | Path | None = None, validation_fraction: float = VALIDATION_FRACTION) -> Corpus:
    """The embedded corpus (path None) or a user's UTF-8 file, split into train and validation.

    Raises:
        SearchlabError: see `read_text_file` and `split_text`.
    """
    if path is None:
        text, source = embedded_text(), EMBEDDED
    else:
        text, source = read_text_file(path), str(path)
    train, validation = split_text(text, validation_fraction)
    return Corpus(source=source, train=train, validation=validation)


def check_length(token_count: int, context: int, what: str = "the training text") -> None:
    """A text must be longer than the context: training windows hold context + 1 tokens.

    Raises:
        SearchlabError: `token_count` <= `context`.
    """
    if token_count <= context:
        raise SearchlabError(
            f"{what} is {token_count} tokens long, not longer than the context of {context}; "
            f"use a longer text or a context below {max(token_count - 1, 1)}"
        )
