"""Train a `CausalTransformer` on a tokenized corpus through the one loop, with checkpoints that resume exactly.

The training is a search like every other in searchlab: the model's parameters are a `ModuleSpace`, the
windows of the training text a `NextTokenProblem` (lm/objective.py), and `searchlab.core.run` drives the
gradient optimizer, which owns the update. One step: `batch_size` windows of context + 1 tokens (the
optimizer draws their start positions as epochs of shuffles), the mean next-token cross-entropy, the
gradient norm clipped, and an AdamW step (weight decay on matrices only). The loop owns the budgets, the
progress bar, the checkpoints and exact resume, and the NaN stop.

The learning rate warms up linearly, then follows a cosine down to `min_lr_fraction` of its peak, and
stays there (`LearningRateSchedule`). It is a function of the step count alone, never of the clock, so a
run is reproducible: the cosine spans the step budget when there is one (a time budget as well only cuts
the run short). With a time budget alone, the pace of the first `TrainConfig.pace_steps` steps fixes once
how many steps the cosine spans (the horizon); the schedule's state keeps that number in the checkpoint,
so a resumed run follows the same schedule.

A checkpoint holds the optimizer (parameters, AdamW's moments, the batch order, the horizon), the trace,
and the problem's state: dropout's generator, the learning curve and its running sums, the seconds spent
in steps, the model's settings and the vocabulary. So `resume=True` continues exactly: with a step budget,
an interrupted and resumed run ends with bitwise the same parameters as an uninterrupted one (on the
same machine and thread count). With a time budget the clock decides when the run stops (and the
horizon), so there the steps taken are exact, not their number.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import torch

from searchlab.core import checkpoint
from searchlab.core.budget import Budget
from searchlab.core.errors import SearchlabError
from searchlab.core.loop import run
from searchlab.core.seeding import spawn_seeds, torch_generator
from searchlab.core.trace import Result, Trace
from searchlab.lm.data import TokenizedCorpus, vocab_to_state
from searchlab.lm.evaluate import bits_per_character, token_nats, window_loss, window_starts
from searchlab.lm.model import CausalTransformer, ModelConfig, flops_per_token
from searchlab.lm.objective import NextTokenProblem
from searchlab.lm.train_config import (  # noqa: F401 (CURVE_COLUMNS, PACE_STEPS: this module's API)
    CURVE_COLUMNS,
    PACE_STEPS,
    LearningRateSchedule,
    TrainConfig,
    TrainResult,
)
from searchlab.optimizers import GradientDescent, make_optimizer

StepCallback = Callable[[CausalTransformer, int, float], None]


def train(
    model_config: ModelConfig,
    train_config: TrainConfig,
    data: TokenizedCorpus,
    seed: int,
    *,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    progress: str | None = None,
    device: str | torch.device = "cpu",
    callback: StepCallback | None = None,
) -> TrainResult:
    """Train a fresh model (or resume one) until the step or time budget is spent.

    Args:
        model_config: the model's shape; its vocab_size must be the vocabulary's.
        train_config: the budget and optimizer settings.
        data: the tokenized corpus (from `tokenize`).
        seed: seeds the initial weights, the batches and dropout.
        checkpoint_dir: where to keep checkpoints; None keeps none.
        resume: continue from the checkpoint in `checkpoint_dir` if there is one.
        progress: label of a progress bar on stderr; None shows none.
        device: where the model trains; random numbers are drawn on the CPU.
        callback: called after every step with (model, step, loss); the model holds the current
            parameters (they are the optimizer's own: change them and the training changes).

    Returns:
        The `TrainResult`, its validation numbers over the whole validation text.

    Raises:
        SearchlabError: a config that does not fit the data, or a checkpoint of another model.
        DivergedError: the loss stopped being finite (the message says whether a checkpoint is kept).
    """
    if model_config.vocab_size != data.vocab.size:
        raise SearchlabError(
            f"the model's vocab_size {model_config.vocab_size} is not the vocabulary's size {data.vocab.size}"
        )
    init_seed, batch_seed, dropout_seed = spawn_seeds(seed, 3)
    problem, optimizer, schedule = _search(model_config, train_config, data, (init_seed, dropout_seed), device)
    validation_ids = torch.as_tensor(data.validation_ids, dtype=torch.int64).to(problem.device)
    recorder = _Recorder(problem, schedule, train_config, validation_ids, callback)
    if resume and checkpoint_dir is not None and checkpoint.exists(checkpoint_dir):
        _check_same_model(checkpoint_dir, model_config)
    minutes = train_config.minutes
    result = run(
        problem,
        optimizer,
        Budget(steps=train_config.steps, seconds=None if minutes is None else 60.0 * minutes),
        batch_seed,
        checkpoint_dir=checkpoint_dir,
        resume=resume,
        checkpoint_every=train_config.checkpoint_every,
        checkpoint_seconds=train_config.checkpoint_seconds,
        progress=progress,
        callback=recorder,
    )
    ended = time.perf_counter()
    model = problem.space.module(result.candidate).eval()
    recorder.finish(model, result)
    return _result(model, problem, train_config, data, validation_ids, result, ended)


def _search(
    model_config: ModelConfig,
    train_config: TrainConfig,
    data: TokenizedCorpus,
    seeds: tuple[int, int],
    device: str | torch.device,
) -> tuple[NextTokenProblem, GradientDescent, LearningRateSchedule]:
    """The problem (a fresh model from `seeds[0]`, dropout masks from `seeds[1]`), AdamW and its schedule."""
    init_seed, dropout_seed = seeds
    device = torch.device(device)
    problem = NextTokenProblem(
        CausalTransformer(model_config, torch_generator(init_seed)).to(device),
        torch.as_tensor(data.train_ids, dtype=torch.int64).to(device),
        train_config.batch_size,
        dropout_seed,
        measure_windows=train_config.eval_windows,
        saved={
            "model_config": model_config.to_dict(),
            "train_config": train_config.to_dict(),
            "vocab": vocab_to_state(data.vocab),
        },
    )
    schedule = LearningRateSchedule(train_config)
    optimizer = make_optimizer(
        "gradient",
        algorithm="adamw",
        lr=train_config.lr,
        betas=(train_config.beta1, train_config.beta2),
        weight_decay=train_config.weight_decay,
        clip_norm=train_config.grad_clip or None,
        schedule=schedule,
        decays=lambda name, shape: len(shape) >= 2,  # matrices (embeddings, linear layers), not LayerNorms
        batch_size=train_config.batch_size,
    )
    return problem, optimizer, schedule


class _Recorder:
    """The loop's callback: the time spent in steps, the horizon, the learning curve, then the user's callback.

    Everything it keeps between steps is in `problem.record` (or the schedule), which checkpoints hold.
    """

    def __init__(
        self,
        problem: NextTokenProblem,
        schedule: LearningRateSchedule,
        config: TrainConfig,
        validation_ids: torch.Tensor,
        callback: StepCallback | None,
    ) -> None:
        self.problem, self.schedule, self.config = problem, schedule, config
        self.validation_ids = validation_ids
        context = problem.space.template.config.context
        self.validation_starts = window_starts(len(validation_ids), context, config.eval_windows)  # fixed windows
        self.callback = callback

    def __call__(self, optimizer, trace: Trace) -> None:
        problem, record, config = self.problem, self.problem.record, self.config
        record["train_seconds"] += time.perf_counter() - problem.step_began
        step, loss, seconds = optimizer.step_, trace["loss"][-1], trace["seconds"][-1]
        record["loss_sum"] += loss
        record["loss_count"] += 1
        self.schedule.fix_horizon(step, seconds)
        if step % config.eval_every == 0 or step == config.steps:
            self.add_point(problem.network, step, seconds)
        if self.callback is not None:
            self.callback(problem.network, step, loss)

    def add_point(self, model: CausalTransformer, step: int, seconds: float) -> None:
        """A learning-curve row: the mean train loss since the last row, the loss on the fixed validation windows."""
        record, config = self.problem.record, self.config
        context = model.config.context
        record["curve"].append(
            {
                "step": step,
                "tokens": step * config.batch_size * context,
                "seconds": seconds,
                "train_loss": record["loss_sum"] / record["loss_count"],
                "validation_loss": window_loss(model, self.validation_ids, self.validation_starts, config.batch_size),
            }
        )
        record["loss_sum"], record["loss_count"] = 0.0, 0

    def finish(self, model: CausalTransformer, result: Result) -> None:
        """The last step's curve point, when the loop stopped between points (a time budget)."""
        record = self.problem.record
        if record["loss_count"] > 0 and (not record["curve"] or record["curve"][-1]["step"] != result.steps):
            self.add_point(model, result.steps, result.seconds)


def _check_same_model(checkpoint_dir: str | Path, model_config: ModelConfig) -> None:
    """Refuse, before anything is restored, to resume a checkpoint that holds another model."""
    saved = checkpoint.load(checkpoint_dir).get("problem")
    if isinstance(saved, dict) and saved.get("model_config") != model_config.to_dict():
        raise SearchlabError(f"the checkpoint in {checkpoint_dir} is of another model; resume with its settings")


def _result(
    model: CausalTransformer,
    problem: NextTokenProblem,
    train_config: TrainConfig,
    data: TokenizedCorpus,
    validation_ids: torch.Tensor,
    result: Result,
    ended: float,
) -> TrainResult:
    """The trained model scored on the whole validation text (`ended`: perf_counter() when the loop returned)."""
    model_config, record = model.config, problem.record
    per_token = token_nats(model, validation_ids, batch_size=train_config.batch_size)
    nats = float(per_token.sum())
    tokens = result.steps * train_config.batch_size * model_config.context
    train_seconds = record["train_seconds"]
    return TrainResult(
        model=model,
        model_config=model_config,
        train_config=train_config,
        curve=record["curve"],
        validation_loss=nats / (len(validation_ids) - 1),
        validation_bpc=bits_per_character(nats, data.validation_characters),
        steps=result.steps,
        tokens=tokens,
        seconds=result.seconds + time.perf_counter() - ended,  # the final evaluation included
        train_seconds=train_seconds,
        tokens_per_second=tokens / train_seconds if train_seconds > 0 else 0.0,
        flops_per_token=flops_per_token(model_config),
        parameters=model.parameter_counts(),
        stopped_because="minutes" if result.stopped_because == "seconds" else result.stopped_because,
        validation_token_nats=per_token,
    )
