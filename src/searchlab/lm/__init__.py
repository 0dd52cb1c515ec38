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
from searchlab.lm.blocks import BLOCKS, block_bounds, block_bpc, unigram_costs, unigram_nats
from searchlab.lm.corpus import Corpus, check_length, embedded_text, load_corpus, read_text_file, split_text
from searchlab.lm.data import VOCABULARIES, TokenizedCorpus, make_vocab, tokenize
from searchlab.lm.evaluate import bits_per_character, text_bpc, text_nats, token_nats
from searchlab.lm.model import CausalTransformer, ModelConfig, flops_per_token
from searchlab.lm.sample import generate, load_model
from searchlab.lm.threads import auto_threads
from searchlab.lm.train import train
from searchlab.lm.train_config import TrainConfig, TrainResult

# The default size: a budget of 3 to 10 minutes on 2 CPU cores, over the corpus's characters
# (charlm's --vocab corpus), on one thread (`auto_threads`). A character model first sits on a
# plateau near the bigram's bits per character for about 600 steps, whatever its size, so a short
# budget needs many cheap steps: 2 layers on batches of 8 windows, no dropout, a peak learning rate
# of 6e-3. Measured with `searchlab run charlm --minutes 3 --text english.txt` on 1 MB of English
# (bench/lm_throughput.py --write-text english.txt), on a 2-core machine shared with other work:
# 2.356 bpc at load average 2.4 (3,592 steps) and 2.503 with a busy process beside it (load 5.2,
# 1,820 steps), against gzip 2.557, a character 5-gram 2.212 and xz 2.052 on the same split. The
# former default (4 layers of width 128, batches of 32, dropout 0.1, learning rate 3e-3, two
# threads) ended at 3.66 on one thread under load; 4 layers on batches of 8 at 3.32. A learning
# rate of 1e-2 on 8 windows, or 6e-3 on 4, stays on the plateau (4.02 and 3.96). Two heads of
# width 64 beat four of 32. The full 10 minutes on the embedded corpus (load average 1.0, 15,032
# steps) end at 1.80 bpc, whose validation curve was lowest (1.72) at 7,600 steps: without dropout the
# 465,000 characters overfit in the second half (the former default reached 1.570 on two threads).
DEFAULT_VOCAB = {"kind": "char", "vocab_size": None}
DEFAULT_MODEL = {"layers": 2, "heads": 2, "width": 128, "context": 128, "dropout": 0.0}
DEFAULT_TRAINING = {"batch_size": 8, "minutes": 10.0, "lr": 6e-3, "warmup_steps": 30}

__all__ = [
    "BLOCKS",
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
    "auto_threads",
    "baseline_sample",
    "baselines",
    "bits_per_character",
    "block_bounds",
    "block_bpc",
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
    "token_nats",
    "tokenize",
    "train",
    "unigram_costs",
    "unigram_nats",
]
