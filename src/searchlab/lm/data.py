"""A corpus turned into token ids: the vocabulary, the ids of both parts, and what bpc needs.

Two vocabularies (`VOCABULARIES`):

- "char": one id per distinct character of the whole corpus (train and
  validation), so every validation character can be scored. Knowing the set of
  characters is not knowing the text; the baselines get the same alphabet.
- "bpe": byte-level byte-pair subwords learned from the training part only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.encodings.subword import BPEVocab
from searchlab.encodings.text import CharVocab
from searchlab.lm.corpus import Corpus, check_length

Vocab = CharVocab | BPEVocab
VOCABULARIES = ("char", "bpe")


@dataclass(frozen=True)
class TokenizedCorpus:
    """A corpus as ids.

    Attributes:
        vocab: turns text into ids and back.
        train_ids: (N_train,) int64 ids of the training text.
        validation_ids: (N_val,) int64 ids of the validation text.
        validation_characters: characters of the validation text that the
            model's predictions cover: all but those of its first token, which has
            nothing before it to be predicted from.
    """

    vocab: Vocab
    train_ids: np.ndarray
    validation_ids: np.ndarray
    validation_characters: int


def make_vocab(kind: str, corpus: Corpus, vocab_size: int = 512) -> Vocab:
    """A "char" vocabulary of the corpus's characters, or "bpe" subwords of `vocab_size` learned on its training part.

    Raises:
        SearchlabError: an unknown kind, or a bad vocab_size for "bpe".
    """
    if kind == "char":
        return CharVocab.from_text(corpus.text)
    if kind == "bpe":
        return BPEVocab.train(corpus.train, vocab_size)
    raise SearchlabError(f"unknown vocabulary {kind!r}; choose one of {', '.join(VOCABULARIES)}")


def tokenize(corpus: Corpus, vocab: Vocab, context: int) -> TokenizedCorpus:
    """Encode both parts of `corpus`; each must be longer than `context` tokens.

    Raises:
        SearchlabError: a character the vocabulary cannot encode, or a part too short.
    """
    train_ids = vocab.encode(corpus.train)
    validation_ids = vocab.encode(corpus.validation)
    check_length(len(train_ids), context, "the training text")
    check_length(len(validation_ids), context, "the validation text")
    first_characters = len(vocab.decode(validation_ids[:1]))
    return TokenizedCorpus(
        vocab=vocab,
        train_ids=train_ids,
        validation_ids=validation_ids,
        validation_characters=len(corpus.validation) - first_characters,
    )


def vocab_kind(vocab: Vocab) -> str:
    if isinstance(vocab, CharVocab):
        return "char"
    if isinstance(vocab, BPEVocab):
        return "bpe"
    raise TypeError(f"not a vocabulary: {type(vocab).__name__}")


def vocab_to_state(vocab: Vocab) -> dict[str, str]:
    """{"kind": "char" | "bpe", "json": the vocabulary's own JSON}, for a checkpoint."""
    return {"kind": vocab_kind(vocab), "json": vocab.to_json()}


def vocab_from_state(state: dict[str, str]) -> Vocab:
    """The vocabulary `vocab_to_state` saved.

    Raises:
        SearchlabError: not a saved vocabulary.
    """
    try:
        kind, text = state["kind"], state["json"]
    except (KeyError, TypeError):
        raise SearchlabError("the checkpoint holds no vocabulary; train the model with searchlab") from None
    if kind == "char":
        return CharVocab.from_json(text)
    if kind == "bpe":
        return BPEVocab.from_json(text)
    raise SearchlabError(f"the checkpoint's vocabulary kind {kind!r} is unknown: {json.dumps(state)[:60]}")
