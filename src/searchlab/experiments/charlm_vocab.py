"""The text in the essay's 77 symbols, and how its own characters compare with them.

The essay's vocabulary (`searchlab.encodings.text.ESSAY_ALPHABET`) is letters, digits, fourteen
punctuation marks and the space. A text has its own alphabet: the embedded corpus (CPython's help
texts) holds newlines, and the brackets, operators and underscores of code. To write it in the
essay's symbols, `essay_corpus` first applies the documented one-to-one replacements (newline to
space, curly quotes to straight, ...; `ESSAY_NEAREST`), then turns what is still outside into the
`--fallback` symbol. `compare_with_essay` counts what that changes, for the report.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from searchlab.core.errors import SearchlabError

SHOWN_OUTSIDERS = 12  # the most frequent characters outside the essay's symbols that the result lists


def compare_with_essay(text: str) -> dict[str, Any]:
    """How a text's own characters compare with the essay's 77 symbols.

    Returns:
        {"characters": the text's length, "text_symbols": its distinct characters,
         "shared_symbols": how many of those are essay symbols, "essay_symbols_unused": essay symbols
         the text never uses (a string), "by_nearest": characters the one-to-one table replaces,
         "by_fallback": characters still outside after it (the fallback replaces them),
         "outside": [[character, count], ...] the most frequent characters outside the essay's symbols}.
    """
    from searchlab.encodings.text import ESSAY_ALPHABET, ESSAY_NEAREST

    counts = Counter(text)
    essay = set(ESSAY_ALPHABET)
    outside = {character: count for character, count in counts.items() if character not in essay}
    return {
        "characters": len(text),
        "text_symbols": len(counts),
        "shared_symbols": sum(1 for character in counts if character in essay),
        "essay_symbols_unused": "".join(symbol for symbol in ESSAY_ALPHABET if symbol not in counts),
        "by_nearest": sum(count for character, count in outside.items() if character in ESSAY_NEAREST),
        "by_fallback": sum(count for character, count in outside.items() if character not in ESSAY_NEAREST),
        "outside": [
            [character, count]
            for character, count in sorted(outside.items(), key=lambda item: (-item[1], item[0]))[:SHOWN_OUTSIDERS]
        ],
    }


def essay_corpus(corpus, fallback: str | None):
    """The corpus written in the essay's 77 symbols, and how many characters that changed.

    Raises:
        SearchlabError: a character outside the symbols with no fallback (the message names it).
    """
    from searchlab.encodings.text import CharVocab
    from searchlab.lm import Corpus

    vocab = CharVocab.essay(fallback=fallback, nearest=True)
    parts = []
    for part in (corpus.train, corpus.validation):
        try:
            ids = vocab.encode(part)
        except SearchlabError as err:
            raise SearchlabError(f"{err} (--fallback ' ' maps them to a space)") from None
        parts.append(vocab.decode(ids))
    mapped = differing_characters(corpus.text, "".join(parts))
    return Corpus(source=corpus.source, train=parts[0], validation=parts[1]), mapped


def differing_characters(before: str, after: str) -> int:
    """How many positions of two equally long texts hold different characters (counted by numpy, not a Python loop)."""
    import numpy as np

    first, second = (np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) for text in (before, after))
    length = min(len(first), len(second))  # equal: the replacements are one character for one
    return int(np.count_nonzero(first[:length] != second[:length]))
