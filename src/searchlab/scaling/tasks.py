"""The trials of the scaling experiment: one model size, one data size, one seed each.

A trial is a top-level function ``trial(params, seed, folder) -> dict`` that the
sweep runs in a worker process (one torch thread each). Its answer is JSON-ready
and, apart from the ``"seconds"`` key, a function of (params, seed) alone:

- ``params``: N, the trainable parameters (for the language model Kaplan's
  non-embedding count; ``params_total`` counts everything);
- ``examples``: D, the training examples the trial was given (MLP: the
  training-set size; language model: the training-text length in characters);
- ``loss``: the final held-out loss (MLP: MSE on a fixed test set, or
  cross-entropy for digits; language model: nats per character on a fixed
  piece of the validation text);
- ``curve``: ``[[examples_seen, held_out_loss], ...]`` at log-spaced steps;
- ``steps`` and the rest of what the trial measured.

The protocol is the same for every trial of a task, and honest: the test or
validation set is never used to make a choice. Each trial holds out part of its
own D examples (`holdout`) and keeps the parameters that did best there (early
stopping). So a small D must pay for its own stopping decision, as it would in
practice, and the returned loss is what a user with D examples would get.

The MLP task (the seeded teacher, digits, and the student's training) is in
`searchlab.scaling.teacher`; this module holds the entry points, the language
model trial and the settings checks both use. `TRIALS` names the trials.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed

# ----- settings ------------------------------------------------------------------


def check_settings(task: str, params: dict, defaults: dict[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    """`params` over `defaults`, checked: every key known, every required key present.

    Raises:
        SearchlabError: an unknown or missing key.
    """
    if not isinstance(params, dict):
        raise SearchlabError(f"{task}: params must be a dict of settings, got {type(params).__name__}")
    unknown = sorted(set(params) - set(defaults) - set(required))
    if unknown:
        raise SearchlabError(
            f"{task}: unknown setting {', '.join(map(repr, unknown))}; known: {', '.join(sorted([*required, *defaults]))}"
        )
    missing = [key for key in required if key not in params]
    if missing:
        raise SearchlabError(
            f"{task}: missing setting {', '.join(map(repr, missing))}; every trial needs {', '.join(required)}"
        )
    return {**defaults, **params}


def check_whole(task: str, settings: dict[str, Any], *names: str, minimum: int = 1) -> None:
    """Each named setting must be a whole number >= `minimum` (stored back as an int); else SearchlabError."""
    for name in names:
        value = settings[name]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise SearchlabError(f"{task}: {name} must be a whole number >= {minimum}, got {value!r}")
        settings[name] = int(value)


def check_number(
    task: str, settings: dict[str, Any], name: str, low: float, high: float = math.inf, *, low_open: bool = True
) -> None:
    """The setting must be a finite number above `low` (or at it, unless `low_open`) and below `high`; else SearchlabError."""
    value = settings[name]
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and value < high
    if not ok:
        bound = f"{'>' if low_open else '>='} {low}" + (f" and < {high}" if math.isfinite(high) else "")
        raise SearchlabError(f"{task}: {name} must be a number {bound}, got {value!r}")
    settings[name] = float(value)


def curve_steps(max_steps: int, points: int) -> list[int]:
    """About `points` distinct steps from 1 to `max_steps`, log-spaced: where a learning curve is measured."""
    return sorted({int(round(s)) for s in np.geomspace(1, max_steps, num=max(points, 2))})


# ----- the trials ------------------------------------------------------------------


def mlp_trial(params: dict, seed: int, folder: Path) -> dict:
    """One student MLP of `width` trained on `examples` (D) examples of the fixed teacher (or digits).

    The task and its protocol are in `searchlab.scaling.teacher` (`MLP_DEFAULTS`
    lists the settings; `train_student` the protocol and the answer's keys).
    `folder` is unused: the trial writes nothing.

    Raises:
        SearchlabError: an unknown key or a bad value in `params`, or a bad seed.
    """
    # Imported here: teacher.py uses this module's settings checks.
    from searchlab.scaling.teacher import train_student

    return train_student(params, seed)


LM_REQUIRED = ("width", "characters")
LM_DEFAULTS: dict[str, Any] = {
    "layers": 2,
    "heads": 2,
    "context": 64,
    "batch_size": 16,
    "steps": 300,  # the same for every trial: a fixed budget of steps x batch_size x context tokens
    "lr": 3e-3,
    "warmup_steps": 30,
    "dropout": 0.0,
    "holdout": 0.1,  # the last 10% of the D training characters decide which parameters to keep
    "validation_characters": 20000,  # the fixed piece of the validation text that `loss` is measured on
    "eval_every": 25,  # steps between checks on the held-out characters
    "eval_windows": 32,  # windows of context + 1 characters per check and per curve point
    "curve_points": 12,
}


@lru_cache(maxsize=1)
def _corpus_and_vocab():
    """The embedded corpus and its character vocabulary (every character of train and validation; fixed across trials)."""
    from searchlab.encodings.text import CharVocab
    from searchlab.lm import load_corpus

    corpus = load_corpus()
    return corpus, CharVocab.from_text(corpus.text)


def _lm_settings(params: dict) -> dict[str, Any]:
    task = "charlm_trial"
    settings = check_settings(task, params, LM_DEFAULTS, LM_REQUIRED)
    check_whole(
        task,
        settings,
        "width",
        "characters",
        "layers",
        "heads",
        "context",
        "batch_size",
        "steps",
        "validation_characters",
        "eval_every",
        "eval_windows",
        "curve_points",
    )
    check_whole(task, settings, "warmup_steps", minimum=0)
    check_number(task, settings, "lr", 0.0)
    check_number(task, settings, "dropout", 0.0, 1.0, low_open=False)
    check_number(task, settings, "holdout", 0.0, 1.0)
    if settings["width"] % settings["heads"]:
        raise SearchlabError(f"{task}: width {settings['width']} must be a multiple of heads {settings['heads']}")
    corpus, _ = _corpus_and_vocab()
    characters, context = settings["characters"], settings["context"]
    if characters > len(corpus.train):
        raise SearchlabError(
            f"{task}: characters {characters} is more than the {len(corpus.train)} of the training text"
        )
    held = int(round(characters * settings["holdout"]))
    if min(held, characters - held) <= context:
        smallest = math.ceil((context + 1) / min(settings["holdout"], 1 - settings["holdout"])) + 1
        raise SearchlabError(
            f"{task}: {characters} characters with holdout {settings['holdout']} leave a part no longer than the "
            f"context {context}; give at least {smallest} characters or a shorter context"
        )
    if settings["validation_characters"] > len(corpus.validation) or settings["validation_characters"] <= context:
        raise SearchlabError(
            f"{task}: validation_characters must be above the context {context} and at most {len(corpus.validation)}"
        )
    return settings


def charlm_trial(params: dict, seed: int, folder: Path) -> dict:
    """Train one small character-level transformer on the first D characters and measure it.

    Protocol (the same for every trial): the first D characters of the corpus's
    training part are split into a training text (the first 90%) and a held-out
    tail (`holdout`). The model trains with `searchlab.lm.train` (AdamW, warmup,
    cosine decay) for a fixed `steps` of `batch_size` random windows, whatever D:
    every trial costs the same, so the sweep's time is predictable, and a small D
    is seen for many epochs. Every `eval_every` steps the loss on fixed windows of
    the held-out tail is measured and the best parameters are kept (early stopping
    by selection); the validation text only measures.

    Args:
        params: "width" and "characters" (D) are required; the other keys of
            `LM_DEFAULTS` override its defaults.
        seed: the initial weights and the batches.
        folder: unused (no checkpoints: a trial takes seconds).

    Returns:
        params (non-embedding, Kaplan's N), params_total, examples (D characters),
        loss (nats per character on the first `validation_characters` of the
        validation text, kept parameters), final_loss (the same for the last
        parameters), bpc, curve ([tokens_seen, validation loss on fixed windows] at
        log-spaced steps), steps, best_step, holdout_loss, train_loss, tokens_seen,
        epochs, flops_per_token, training_flops.

    Raises:
        SearchlabError: an unknown key or a bad value in `params`, or a bad seed.
    """
    from searchlab.lm import Corpus, ModelConfig, TrainConfig, text_nats, tokenize, train
    from searchlab.lm.evaluate import window_loss, window_starts

    start = time.perf_counter()
    settings = _lm_settings(params)
    seed = check_seed(seed)
    corpus, vocab = _corpus_and_vocab()
    characters, context, steps = settings["characters"], settings["context"], settings["steps"]
    cut = characters - int(round(characters * settings["holdout"]))
    text = corpus.train[:characters]
    # The trainer scores its "validation" part once at the end: give it the fixed validation piece.
    piece = corpus.validation[: settings["validation_characters"]]
    data = tokenize(Corpus(source=corpus.source, train=text[:cut], validation=piece), vocab, context)
    holdout_ids = torch.as_tensor(vocab.encode(text[cut:]), dtype=torch.int64)  # (D - cut,)
    validation_ids = torch.as_tensor(data.validation_ids, dtype=torch.int64)  # (validation_characters,)
    holdout_starts = window_starts(len(holdout_ids), context, settings["eval_windows"])
    validation_starts = window_starts(len(validation_ids), context, settings["eval_windows"])
    model_config = ModelConfig(
        vocab_size=vocab.size,
        layers=settings["layers"],
        heads=settings["heads"],
        width=settings["width"],
        context=context,
        dropout=settings["dropout"],
    )
    train_config = TrainConfig(
        batch_size=settings["batch_size"],
        steps=steps,
        minutes=None,
        lr=settings["lr"],
        warmup_steps=min(settings["warmup_steps"], steps - 1),
        eval_every=steps,
        eval_windows=settings["eval_windows"],
    )
    tokens_per_step = settings["batch_size"] * context
    measure_at = set(curve_steps(steps, settings["curve_points"]))
    curve: list[list[float]] = []
    best: dict[str, Any] = {"loss": math.inf, "step": 0, "state": None}
    recent: list[float] = []  # train losses since the last check

    def after_step(model, step: int, loss: float) -> None:
        recent.append(loss)
        if step in measure_at:
            curve.append(
                [step * tokens_per_step, window_loss(model, validation_ids, validation_starts, settings["batch_size"])]
            )
        if step % settings["eval_every"] == 0 or step == steps:
            held = window_loss(model, holdout_ids, holdout_starts, settings["batch_size"])
            if held < best["loss"]:
                state = {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}
                best.update(loss=held, step=step, state=state, train_loss=sum(recent) / len(recent))
            recent.clear()

    result = train(model_config, train_config, data, seed, callback=after_step)
    model = result.model
    loss = result.validation_loss
    if best["step"] != result.steps:
        model.load_state_dict(best["state"])
        nats, count = text_nats(model, validation_ids, batch_size=settings["batch_size"])
        loss = nats / count
    counts = result.parameters
    return {
        "params": counts["non_embedding"],
        "params_total": counts["total"],
        "examples": characters,
        "loss": loss,
        "final_loss": result.validation_loss,
        "bpc": loss / math.log(2),
        "curve": curve,
        "steps": result.steps,
        "best_step": best["step"],
        "holdout_loss": best["loss"],
        "train_loss": best["train_loss"],
        "tokens_seen": result.tokens,
        "epochs": result.tokens / len(data.train_ids),
        "flops_per_token": result.flops_per_token,
        "training_flops": result.flops_per_token * result.tokens,  # by Kaplan's count, about 6 N per token processed
        "width": settings["width"],
        "layers": settings["layers"],
        "heads": settings["heads"],
        "context": context,
        "vocab_size": vocab.size,
        "seconds": time.perf_counter() - start,
    }


# What the scaling experiment and the sweep can run, by name.
TRIALS = {"mlp": mlp_trial, "charlm": charlm_trial}


def scaling_trial(params: dict, seed: int, folder: Path) -> dict:
    """The trial named by params["task"] ("mlp" or "charlm") with the other params.

    One function for both tasks lets the scaling experiment run them as one sweep,
    so the two workers stay busy until the last trial of either.

    Raises:
        SearchlabError: no or an unknown task, or what that trial raises.
    """
    settings = dict(params)
    task = settings.pop("task", None)
    if task not in TRIALS:
        raise SearchlabError(f"params['task'] must be one of {', '.join(TRIALS)}, got {task!r}")
    return TRIALS[task](settings, seed, folder)
