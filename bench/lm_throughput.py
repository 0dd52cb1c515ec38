"""The language model's training FLOP/s against a large matmul's, measured in one run.

Model FLOP/s = flops_per_token(config) x tokens/s of `searchlab.lm.train` at the
default model size on the embedded corpus (6 N + 6 L T d per token, Kaplan et
al.; see `searchlab.lm.model.flops_per_token`). The reference is the FLOP/s of a
large float32 `torch.matmul` (2 n^3 FLOPs) on the same threads, measured before
and after training; the better of the two is the peak. Goal: fraction >= 0.5.

The default model trains without dropout (a budget of minutes is too short to
overfit a megabyte); the same model is also timed with dropout 0.1 (--dropout),
to show what the masks cost.

Prints a human line per measurement, then a JSON object as the last line:
{"fraction_of_matmul_peak": model FLOP/s / matmul FLOP/s, ...}

--load measures what another process costs the training instead: for each thread count (1, every
usable core, and charlm's automatic choice, `searchlab.lm.auto_threads`) it times the same steps
alone and then beside one busy process (a Python loop that keeps a core busy), and prints tokens/s
with and without it and their ratio. The machine's load average is printed with each, since other
work on it counts too. The last line is JSON: {"load": [{"threads", "tokens_per_second_alone",
"tokens_per_second_busy", "ratio"}, ...], ...}.

--write-text PATH writes about 1 MB of English that ships with Python, a stand-in for a user's own
text (nothing downloaded): the help topics of pydoc_data, then the docstrings of the standard library's
modules and of their public names (`inspect.getdoc`), in sorted order.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import json
import os
import subprocess
import sys
import time
import warnings

import torch

from searchlab.core.device import cpu_threads, matmul_flops_per_second
from searchlab.lm import (
    DEFAULT_MODEL,
    DEFAULT_TRAINING,
    DEFAULT_VOCAB,
    ModelConfig,
    TrainConfig,
    auto_threads,
    load_corpus,
    make_vocab,
    tokenize,
    train,
)
from searchlab.lm.threads import usable_cores

MATMUL_SIZE = 2048
MATMUL_REPEATS = 10
TEXT_CHARACTERS = 1_000_000
SKIPPED_MODULES = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo"}  # side effects, windows


def english_text(characters: int = TEXT_CHARACTERS) -> str:
    """About `characters` of English from what Python ships: pydoc's help topics, then stdlib docstrings."""
    from pydoc_data.topics import topics

    parts = [topics[key] for key in sorted(topics)]
    seen: set[str] = set()
    names = sorted(name for name in sys.stdlib_module_names if not name.startswith("_") and name not in SKIPPED_MODULES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            try:
                module = importlib.import_module(name)
            except Exception:  # a module this platform lacks, or one that refuses to import here
                continue
            for item in [module, *(getattr(module, attr, None) for attr in sorted(dir(module)) if attr[0] != "_")]:
                try:
                    doc = inspect.getdoc(item)
                except Exception:
                    doc = None
                if doc and len(doc) > 80 and doc not in seen:  # prose, each text once
                    seen.add(doc)
                    parts.append(doc)
    return "\n\n".join(parts)[:characters]


def timed_steps(model_config, data, steps: int, threads: int) -> float:
    """Tokens per second of `steps` training steps (after 5 warm-up steps) on `threads` threads."""
    settings = {**DEFAULT_TRAINING, "minutes": None, "eval_every": 10**9}
    with cpu_threads(threads):
        train(model_config, TrainConfig(**{**settings, "steps": 5}), data, seed=0)
        return train(model_config, TrainConfig(**{**settings, "steps": steps}), data, seed=0).tokens_per_second


def load_mode(model_config, data, steps: int) -> dict:
    """Tokens/s alone and beside one busy process, for 1 thread, every core, and the automatic choice."""
    cores = usable_cores()
    auto = auto_threads(DEFAULT_TRAINING["batch_size"], model_config.context, model_config.width)
    rows = []
    for threads in sorted({1, cores, auto}):
        alone = timed_steps(model_config, data, steps, threads)
        load_alone = os.getloadavg()[0]
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            time.sleep(1.0)  # let it take its core
            beside = timed_steps(model_config, data, steps, threads)
            load_busy = os.getloadavg()[0]
        finally:
            busy.kill()
            busy.wait()
        label = f"{threads} thread{'s' if threads > 1 else ''}{' (auto)' if threads == auto else ''}"
        print(
            f"{label}: {alone:.0f} tokens/s alone (load {load_alone:.1f}), {beside:.0f} beside a busy process "
            f"(load {load_busy:.1f}): ratio {beside / alone:.2f}",
            flush=True,
        )
        rows.append(
            {
                "threads": threads,
                "auto": threads == auto,
                "tokens_per_second_alone": round(alone, 1),
                "tokens_per_second_busy": round(beside, 1),
                "ratio": round(beside / alone, 3),
                "load_average_alone": round(load_alone, 2),
                "load_average_busy": round(load_busy, 2),
            }
        )
    return {"load": rows, "cores": cores, "auto_threads": auto, "steps": steps, "model": model_config.to_dict()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=80, help="training steps to time (after 10 warm-up steps)")
    parser.add_argument("--load", action="store_true", help="tokens/s alone and beside a busy process, and the ratio")
    parser.add_argument("--text", default=None, help="a UTF-8 text file to train on (default: pydoc_data's topics)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: charlm's automatic choice)")
    parser.add_argument("--write-text", default=None, metavar="PATH", help="write ~1 MB of English there and stop")
    args = parser.parse_args()
    if args.write_text:
        text = english_text()
        with open(args.write_text, "w", encoding="utf-8") as file:
            file.write(text)
        print(f"wrote {len(text):,} characters to {args.write_text}")
        return

    corpus = load_corpus(args.text)
    vocab = make_vocab(DEFAULT_VOCAB["kind"], corpus, DEFAULT_VOCAB["vocab_size"])
    model_config = ModelConfig(vocab_size=vocab.size, **DEFAULT_MODEL)
    data = tokenize(corpus, vocab, model_config.context)
    if args.load:
        print(json.dumps(load_mode(model_config, data, args.steps)))
        return
    threads = args.threads or auto_threads(DEFAULT_TRAINING["batch_size"], model_config.context, model_config.width)
    with cpu_threads(threads):
        measure(model_config, data, args.steps)


def measure(model_config: ModelConfig, data, steps: int) -> None:
    """The default mode: the model's FLOP/s as a fraction of a large matmul's, with and without dropout."""
    settings = {**DEFAULT_TRAINING, "minutes": None, "eval_every": 10**9}

    before = matmul_flops_per_second(size=MATMUL_SIZE, repeats=MATMUL_REPEATS)
    print(f"matmul {MATMUL_SIZE}^3 float32: {before / 1e9:.1f} GFLOP/s")
    train(model_config, TrainConfig(**{**settings, "steps": 10}), data, seed=0)  # warm-up
    result = train(model_config, TrainConfig(**{**settings, "steps": steps}), data, seed=0)
    with_dropout = train(
        dataclasses.replace(model_config, dropout=0.1), TrainConfig(**{**settings, "steps": steps}), data, seed=0
    )
    for label, timed in (("default", result), ("dropout 0.1", with_dropout)):
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
                "fraction_with_dropout": round(with_dropout.fraction_of_peak(peak), 4),
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
