"""Tiny corpora and models that train in a second."""

from __future__ import annotations

from searchlab.encodings.text import CharVocab
from searchlab.lm import Corpus, ModelConfig, TrainConfig, tokenize

REPETITIVE = "the cat sat on the mat. " * 60


def tiny_data(text: str = REPETITIVE, context: int = 16):
    corpus = Corpus(source="test", train=text[: int(len(text) * 0.9)], validation=text[int(len(text) * 0.9) :])
    return tokenize(corpus, CharVocab.from_text(text), context)


def tiny_model(vocab_size: int, context: int = 16, **overrides) -> ModelConfig:
    return ModelConfig(vocab_size=vocab_size, **{"layers": 2, "heads": 2, "width": 32, "context": context, **overrides})


def tiny_training(**overrides) -> TrainConfig:
    settings = {"batch_size": 8, "steps": 30, "minutes": None, "lr": 1e-2, "warmup_steps": 5,
                "eval_every": 10, "eval_windows": 4}
    return TrainConfig(**{**settings, **overrides})
