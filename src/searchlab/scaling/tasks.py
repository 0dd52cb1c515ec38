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
`searchlab.scaling.teacher` and `searchlab.scaling.student`; this module holds the entry points and the language
model trial; the settings checks both use are in `searchlab.scaling.settings`.
`TRIALS` names the trials.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed
from searchlab.scaling.settings import check_number, check_settings, check_whole, curve_steps
from searchlab.scaling.student import train_student

# ----- the trials ------------------------------------------------------------------


def mlp_trial(params: dict, seed: int, folder: Path) -> dict:
    """One student MLP of `width` trained on `examples` (D) examples of the fixed teacher (or digits).

    The task and its protocol are in `searchlab.scaling.student` (`MLP_DEFAULTS`
    lists the settings; `train_student` the protocol and the answer's keys).
    `folder` is unused: the trial writes nothing.

    Raises:
        SearchlabError: an unknown key or a bad value in `params`, or a bad seed.
    """
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
    """The embedded corpus and its character vocabulary (every character of train and validation).

    Both are fixed across trials.
    """
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
    held = round(characters * settings["holdout"])
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
    from searchlab.lm import text_nats, train

    start = time.perf_counter()
    settings = _lm_settings(params)
    seed = check_seed(seed)
    corpus, vocab = _corpus_and_vocab()
    data = _LMTrialData(settings, corpus, vocab)
    model_config, train_config = _lm_configs(settings, vocab.size)
    keeper = _BestKeeper(settings, data)
    result = train(model_config, train_config, data.tokens, seed, callback=keeper.after_step)
    model = result.model
    loss = result.validation_loss
    if keeper.best["step"] != result.steps:
        model.load_state_dict(keeper.best["state"])
        nats, count = text_nats(model, data.validation_ids, batch_size=settings["batch_size"])
        loss = nats / count
    counts = result.parameters
    return {
        "params": counts["non_embedding"],
        "params_total": counts["total"],
        "examples": settings["characters"],
        "loss": loss,
        "final_loss": result.validation_loss,
        "bpc": loss / math.log(2),
        "curve": keeper.curve,
        "steps": result.steps,
        "best_step": keeper.best["step"],
        "holdout_loss": keeper.best["loss"],
        "train_loss": keeper.best["train_loss"],
        "tokens_seen": result.tokens,
        "epochs": result.tokens / len(data.tokens.train_ids),
        "flops_per_token": result.flops_per_token,
        "training_flops": result.flops_per_token * result.tokens,  # by Kaplan's count, about 6 N per token processed
        "width": settings["width"],
        "layers": settings["layers"],
        "heads": settings["heads"],
        "context": settings["context"],
        "vocab_size": vocab.size,
        "seconds": time.perf_counter() - start,
    }


class _LMTrialData:
    """A language-model trial's text: the training part, its held-out tail and the fixed validation piece.

    Attributes:
        tokens: the trainer's data: the first part of the D characters to train on, and the validation piece
            as its "validation" part (the trainer scores it once, at the end).
        holdout_ids, validation_ids: the held-out tail's and the validation piece's ids.
        holdout_starts, validation_starts: the fixed windows each is checked on.
    """

    def __init__(self, settings: dict[str, Any], corpus, vocab) -> None:
        from searchlab.lm import Corpus, tokenize
        from searchlab.lm.evaluate import window_starts

        characters, context = settings["characters"], settings["context"]
        cut = characters - round(characters * settings["holdout"])
        text = corpus.train[:characters]
        piece = corpus.validation[: settings["validation_characters"]]
        self.tokens = tokenize(Corpus(source=corpus.source, train=text[:cut], validation=piece), vocab, context)
        self.holdout_ids = torch.as_tensor(vocab.encode(text[cut:]), dtype=torch.int64)  # (D - cut,)
        self.validation_ids = torch.as_tensor(self.tokens.validation_ids, dtype=torch.int64)  # (validation_characters,)
        self.holdout_starts = window_starts(len(self.holdout_ids), context, settings["eval_windows"])
        self.validation_starts = window_starts(len(self.validation_ids), context, settings["eval_windows"])


def _lm_configs(settings: dict[str, Any], vocab_size: int):
    """The transformer's shape and its training (a fixed number of steps; the trainer evaluates once, at the end)."""
    from searchlab.lm import ModelConfig, TrainConfig

    steps = settings["steps"]
    model_config = ModelConfig(
        vocab_size=vocab_size,
        layers=settings["layers"],
        heads=settings["heads"],
        width=settings["width"],
        context=settings["context"],
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
    return model_config, train_config


class _BestKeeper:
    """The trainer's callback: the learning curve on the validation piece, and the parameters best on the tail."""

    def __init__(self, settings: dict[str, Any], data: _LMTrialData) -> None:
        self.settings = settings
        self.data = data
        self.tokens_per_step = settings["batch_size"] * settings["context"]
        self.measure_at = set(curve_steps(settings["steps"], settings["curve_points"]))
        self.curve: list[list[float]] = []
        self.best: dict[str, Any] = {"loss": math.inf, "step": 0, "state": None}
        self.recent: list[float] = []  # train losses since the last check

    def after_step(self, model, step: int, loss: float) -> None:
        from searchlab.lm.evaluate import window_loss

        settings, data, batch_size = self.settings, self.data, self.settings["batch_size"]
        self.recent.append(loss)
        if step in self.measure_at:
            self.curve.append(
                [
                    step * self.tokens_per_step,
                    window_loss(model, data.validation_ids, data.validation_starts, batch_size),
                ]
            )
        if step % settings["eval_every"] == 0 or step == settings["steps"]:
            held = window_loss(model, data.holdout_ids, data.holdout_starts, batch_size)
            if held < self.best["loss"]:
                state = {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}
                self.best.update(loss=held, step=step, state=state, train_loss=sum(self.recent) / len(self.recent))
            self.recent.clear()


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
