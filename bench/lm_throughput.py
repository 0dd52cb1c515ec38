"""The language model's training FLOP/s against a large matmul's, measured in one run.

Model FLOP/s = flops_per_token(config) x tokens/s of `searchlab.lm.train` at the
default model size on the embedded corpus (6 N + 6 L T d per token, Kaplan et
al.; see `searchlab.lm.model.flops_per_token`). The reference is the FLOP/s of a
large float32 `torch.matmul` (2 n^3 FLOPs) on the same threads, measured before
and after training; the better of the two is the peak. Goal: fraction >= 0.5.

The default model trains with dropout 0.1 (the embedded corpus is small enough to
overfit in minutes); the same model is also timed without dropout, to show what
the masks cost.

Prints a human line per measurement, then a JSON object as the last line:
{"fraction_of_matmul_peak": model FLOP/s / matmul FLOP/s, ...}
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import torch

from searchlab.core.device import matmul_flops_per_second
from searchlab.lm import (
    DEFAULT_MODEL,
    DEFAULT_TRAINING,
    DEFAULT_VOCAB,
    ModelConfig,
    TrainConfig,
    load_corpus,
    make_vocab,
    tokenize,
    train,
)

MATMUL_SIZE = 2048
MATMUL_REPEATS = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=80, help="training steps to time (after 10 warm-up steps)")
    args = parser.parse_args()

    corpus = load_corpus()
    vocab = make_vocab(DEFAULT_VOCAB["kind"], corpus, DEFAULT_VOCAB["vocab_size"])
    model_config = ModelConfig(vocab_size=vocab.size, **DEFAULT_MODEL)
    data = tokenize(corpus, vocab, model_config.context)
    settings = {**DEFAULT_TRAINING, "minutes": None, "eval_every": 10**9}

    before = matmul_flops_per_second(size=MATMUL_SIZE, repeats=MATMUL_REPEATS)
    print(f"matmul {MATMUL_SIZE}^3 float32: {before / 1e9:.1f} GFLOP/s")
    train(model_config, TrainConfig(**{**settings, "steps": 10}), data, seed=0)  # warm-up
    result = train(model_config, TrainConfig(**{**settings, "steps": args.steps}), data, seed=0)
    no_dropout = train(
        dataclasses.replace(model_config, dropout=0.0), TrainConfig(**{**settings, "steps": args.steps}), data, seed=0
    )
    for label, timed in (("default", result), ("no dropout", no_dropout)):
        print(
            f"training {timed.model_config} ({label}): {timed.tokens_per_second:.0f} tokens/s, "
            f"{timed.model_flops_per_second / 1e9:.1f} GFLOP/s ({timed.flops_per_token} FLOPs per token)"
        )
    after = matmul_flops_per_second(size=MATMUL_SIZE, repeats=MATMUL_REPEATS)
    print(f"matmul {MATMUL_SIZE}^3 float32: {after / 1e9:.1f} GFLOP/s")
    peak = max(before, after)
    print(
        json.dumps(
            {
                "fraction_of_matmul_peak": round(result.fraction_of_peak(peak), 4),
                "goal": 0.5,
                "fraction_without_dropout": round(no_dropout.fraction_of_peak(peak), 4),
                "model_gflops": round(result.model_flops_per_second / 1e9, 2),
                "matmul_gflops": round(peak / 1e9, 2),
                "tokens_per_second": round(result.tokens_per_second, 1),
                "flops_per_token": result.flops_per_token,
                "steps": result.steps,
                "batch_size": result.train_config.batch_size,
                "model": model_config.to_dict(),
                "vocab": DEFAULT_VOCAB,
                "threads": torch.get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
