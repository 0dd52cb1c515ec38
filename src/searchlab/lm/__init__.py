"""Character and subword language models: corpus, model, training, sampling, baselines.

A run, top to bottom:

    corpus = load_corpus()                          # or load_corpus("my.txt")
    vocab = make_vocab("char", corpus)              # or make_vocab("bpe", corpus, 1024)
    model_config = ModelConfig(vocab_size=vocab.size, **DEFAULT_MODEL)
    data = tokenize(corpus, vocab, model_config.context)
    result = train(model_config, TrainConfig(**DEFAULT_TRAINING), data, seed=0,
                   checkpoint_dir=out / "checkpoints", progress="charlm")
    result.validation_bpc, baselines(corpus.train, corpus.validation)
    model, vocab = load_model(out / "checkpoints")
    for piece in generate(model, vocab, "The ", 200, temperature=0.8, seed=0): ...
"""

from searchlab.lm.baselines import (
    COMPRESSORS,
    KneserNey,
    baseline_sample,
    baselines,
    compression_bpc,
    long_repeats,
    ngram_bpc,
)
from searchlab.lm.corpus import Corpus, check_length, embedded_text, load_corpus, read_text_file, split_text
from searchlab.lm.data import VOCABULARIES, TokenizedCorpus, make_vocab, tokenize
from searchlab.lm.evaluate import bits_per_character, text_bpc, text_nats
from searchlab.lm.model import CausalTransformer, ModelConfig, flops_per_token
from searchlab.lm.sample import generate, load_model
from searchlab.lm.train import train
from searchlab.lm.train_config import TrainConfig, TrainResult

# The default size: 10 minutes on 2 CPU cores, over the corpus's characters (charlm's
# --vocab corpus). Measured on the embedded corpus (2 threads, a quiet machine): 16,400
# tokens/s, 0.51 of a large matmul's FLOP/s, 1.570 validation bpc after 10 minutes. Two
# heads of width 64 beat four of 32 on both counts (4 heads: 13,200 tokens/s, 1.643 bpc).
DEFAULT_VOCAB = {"kind": "char", "vocab_size": None}
DEFAULT_MODEL = {"layers": 4, "heads": 2, "width": 128, "context": 128, "dropout": 0.1}
DEFAULT_TRAINING = {"batch_size": 32, "minutes": 10.0, "lr": 3e-3, "warmup_steps": 100}

__all__ = [
    "COMPRESSORS",
    "DEFAULT_MODEL",
    "DEFAULT_TRAINING",
    "DEFAULT_VOCAB",
    "VOCABULARIES",
    "CausalTransformer",
    "Corpus",
    "KneserNey",
    "ModelConfig",
    "TokenizedCorpus",
    "TrainConfig",
    "TrainResult",
    "baseline_sample",
    "baselines",
    "bits_per_character",
    "check_length",
    "compression_bpc",
    "embedded_text",
    "flops_per_token",
    "generate",
    "load_corpus",
    "load_model",
    "long_repeats",
    "make_vocab",
    "ngram_bpc",
    "read_text_file",
    "split_text",
    "text_bpc",
    "text_nats",
    "tokenize",
    "train",
]
