"""Train a `CausalTransformer` on a tokenized corpus, with checkpoints that resume exactly.

One step: draw `batch_size` random windows of context + 1 tokens from the
training ids (a seeded CPU generator), take the mean next-token cross-entropy,
clip the gradient norm, and take an AdamW step (weight decay on matrices only).
The learning rate warms up linearly, then follows a cosine down to
`min_lr_fraction` of its peak, and stays there. It is a function of the step
count alone, never of the clock, so a run is reproducible: the cosine spans the
step budget when there is one (a time budget as well only cuts the run short).
With a time budget alone, the pace of the first `TrainConfig.pace_steps` steps
fixes once how many steps the cosine spans (the horizon), and the checkpoint
keeps that number, so a resumed run follows the same schedule.

Checkpoints hold the model, the optimizer, the generator's state, the step, the
horizon, the elapsed seconds, the learning curve and the vocabulary, so
`resume=True` continues exactly: with a step budget, an interrupted and resumed
run ends with bitwise the same parameters as an uninterrupted one (on the same
machine and thread count). With a time budget the clock decides when the run
stops (and the horizon), so there the steps taken are exact, not their number.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from searchlab.core import checkpoint, checks, interrupts
from searchlab.core.errors import DivergedError, SearchlabError
from searchlab.core.seeding import spawn_seeds, torch_generator
from searchlab.lm.data import TokenizedCorpus, vocab_to_state
from searchlab.lm.evaluate import bits_per_character, text_nats, window_loss, window_starts
from searchlab.lm.model import CausalTransformer, ModelConfig, flops_per_token

CURVE_COLUMNS = ("step", "tokens", "seconds", "train_loss", "validation_loss")
PACE_STEPS = 20  # with a time budget alone, the horizon is fixed after at least this many steps (and the warmup)


@dataclass(frozen=True)
class TrainConfig:
    """How to train.

    Attributes:
        batch_size: windows per step (each of context + 1 tokens).
        steps: stop after this many steps (None: no step limit); the cosine spans them.
        minutes: stop after this much wall time, evaluation included (None: no limit).
            It never changes the learning rate of a step: alone, it fixes the
            cosine's horizon once, from the pace of the first `pace_steps` steps.
        lr: peak learning rate.
        min_lr_fraction: the cosine ends at this fraction of `lr`.
        warmup_steps: steps of linear warmup from lr / warmup_steps to lr.
        weight_decay: AdamW decay of the matrices (embeddings and linear layers).
        beta1, beta2: AdamW's moment decay rates.
        grad_clip: largest gradient norm (0 turns clipping off).
        eval_every: steps between learning-curve points (validation loss on
            `eval_windows` fixed windows); also the last step gets one.
        eval_windows: evenly spaced validation windows that each point scores.
        checkpoint_every: steps between checkpoints.
        checkpoint_seconds: also checkpoint when this long has passed since the last one.
    """

    batch_size: int = 32
    steps: int | None = None
    minutes: float | None = 10.0
    lr: float = 2e-3
    min_lr_fraction: float = 0.1
    warmup_steps: int = 100
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.99
    grad_clip: float = 1.0
    eval_every: int = 100
    eval_windows: int = 64
    checkpoint_every: int = 500
    checkpoint_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.steps is None and self.minutes is None:
            raise SearchlabError("give the training a budget: steps, minutes or both")
        if self.steps is not None:
            checks.whole("steps", self.steps, 1)
        if self.minutes is not None and not self.minutes > 0:
            raise SearchlabError(f"minutes must be > 0, got {self.minutes}")
        for name in ("batch_size", "eval_every", "eval_windows", "checkpoint_every"):
            value = getattr(self, name)
            checks.whole(name, value, 1)
        if not self.lr > 0 or not 0 <= self.min_lr_fraction <= 1:
            raise SearchlabError(f"need lr > 0 and 0 <= min_lr_fraction <= 1, got {self.lr}, {self.min_lr_fraction}")
        if self.warmup_steps < 0 or self.weight_decay < 0 or self.grad_clip < 0:
            raise SearchlabError("warmup_steps, weight_decay and grad_clip must be >= 0")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise SearchlabError(f"beta1 and beta2 must be in [0, 1), got {self.beta1}, {self.beta2}")

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def pace_steps(self) -> int:
        """With a time budget alone: the step after which the pace so far fixes the horizon (the cosine starts)."""
        return max(self.warmup_steps, PACE_STEPS)

    def horizon_from_pace(self, steps_done: int, seconds: float) -> int:
        """Where the cosine ends, for a time budget alone: `steps_done` took `seconds`; the rest keeps that pace."""
        budget = 60.0 * self.minutes
        return max(steps_done + 1, int(steps_done * budget / max(seconds, 1e-9)))

    def learning_rate(self, step: int, horizon: int | None = None) -> float:
        """The learning rate of step `step` (0-based): a function of counted steps only.

        Args:
            step: the step about to be taken.
            horizon: the step the cosine ends at (then the rate stays at its floor);
                default the step budget. With neither (a time budget whose horizon
                is not fixed yet) the rate stays at its peak after the warmup.
        """
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        if horizon is None:
            horizon = self.steps
        if horizon is None:
            return self.lr
        # A step budget's cosine starts after the warmup; a time budget's where its horizon was fixed.
        start = self.warmup_steps if self.steps is not None else min(self.pace_steps, horizon - 1)
        done = min(1.0, max(0.0, (step - start) / max(1, horizon - start)))
        cosine = 0.5 * (1.0 + math.cos(math.pi * done))
        return self.lr * (self.min_lr_fraction + (1.0 - self.min_lr_fraction) * cosine)


@dataclass
class TrainResult:
    """What `train` returns.

    Attributes:
        model: the trained model (in eval mode).
        model_config, train_config: the settings.
        curve: one row per evaluation: step, tokens (seen so far), seconds
            (wall, evaluation included), train_loss (mean over the steps since
            the last row), validation_loss (nats per token on the fixed windows).
        validation_loss: nats per token over the whole validation text (`text_nats`).
        validation_bpc: bits per character of the whole validation text.
        steps, tokens: what training did.
        seconds: wall time, evaluation included.
        train_seconds: time spent in training steps only.
        tokens_per_second: tokens / train_seconds.
        flops_per_token: `flops_per_token(model_config)`.
        parameters: {"total", "non_embedding"} counts.
        stopped_because: "steps" or "minutes".
    """

    model: CausalTransformer
    model_config: ModelConfig
    train_config: TrainConfig
    curve: list[dict[str, float]]
    validation_loss: float
    validation_bpc: float
    steps: int
    tokens: int
    seconds: float
    train_seconds: float
    tokens_per_second: float
    flops_per_token: int
    parameters: dict[str, int]
    stopped_because: str

    @property
    def model_flops_per_second(self) -> float:
        """Training FLOP/s by the model's own count (`flops_per_token` x tokens/s)."""
        return self.flops_per_token * self.tokens_per_second

    def fraction_of_peak(self, peak_flops_per_second: float) -> float:
        """Model FLOP utilization against a measured peak (e.g. a large matmul's FLOP/s)."""
        return self.model_flops_per_second / peak_flops_per_second

    def summary(self) -> dict[str, Any]:
        """The numbers as a JSON-ready dict (no model)."""
        return {
            "model_config": self.model_config.to_dict(),
            "train_config": self.train_config.to_dict(),
            "validation_loss": self.validation_loss,
            "validation_bpc": self.validation_bpc,
            "steps": self.steps,
            "tokens": self.tokens,
            "seconds": self.seconds,
            "train_seconds": self.train_seconds,
            "tokens_per_second": self.tokens_per_second,
            "flops_per_token": self.flops_per_token,
            "model_flops_per_second": self.model_flops_per_second,
            "parameters": self.parameters,
            "stopped_because": self.stopped_because,
            "curve": self.curve,
        }


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
        seed: seeds the initial weights and the batches (and dropout, if any).
        checkpoint_dir: where to keep checkpoints; None keeps none.
        resume: continue from the checkpoint in `checkpoint_dir` if there is one.
        progress: label of a progress bar on stderr (loss and tokens/s); None shows none.
        device: where the model trains; random numbers are drawn on the CPU.
        callback: called after every step with (model, step, loss).

    Returns:
        The `TrainResult`, its validation numbers over the whole validation text.

    Raises:
        SearchlabError: a config that does not fit the data.
        DivergedError: the loss stopped being finite (the message says whether a checkpoint is kept).
    """
    if model_config.vocab_size != data.vocab.size:
        raise SearchlabError(
            f"the model's vocab_size {model_config.vocab_size} is not the vocabulary's size {data.vocab.size}"
        )
    context = model_config.context
    device = torch.device(device)
    init_seed, batch_seed = spawn_seeds(seed, 2)
    model = CausalTransformer(model_config, torch_generator(init_seed)).to(device)
    optimizer = _adamw(model, train_config, device)
    batches = torch_generator(batch_seed)
    train_ids = torch.as_tensor(data.train_ids, dtype=torch.int64).to(device)
    validation_ids = torch.as_tensor(data.validation_ids, dtype=torch.int64).to(device)
    eval_starts = window_starts(len(validation_ids), context, train_config.eval_windows)
    offsets = torch.arange(context + 1)
    tokens_per_step = train_config.batch_size * context

    step, seconds_before, train_seconds = 0, 0.0, 0.0
    horizon = train_config.steps  # where the cosine ends; a time budget alone fixes it after `pace_steps` steps
    curve: list[dict[str, float]] = []
    loss_sum, loss_count = 0.0, 0  # train losses since the last curve point
    if resume and checkpoint_dir is not None and checkpoint.exists(checkpoint_dir):
        state = checkpoint.load(
            checkpoint_dir,
            keys=(
                "model_config",
                "model",
                "optimizer",
                "batch_generator",
                "step",
                "seconds",
                "train_seconds",
                "curve",
                "loss_sum",
                "loss_count",
            ),
        )
        if state.get("model_config") != model_config.to_dict():
            raise SearchlabError(f"the checkpoint in {checkpoint_dir} is of another model; resume with its settings")
        with checkpoint.restoring(checkpoint_dir):
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            batches.set_state(state["batch_generator"])
        step, seconds_before, train_seconds = state["step"], state["seconds"], state["train_seconds"]
        if train_config.steps is None:
            horizon = state.get("horizon")  # the horizon this run's pace fixed, if it got that far
            if horizon is not None and (isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1):
                raise SearchlabError(
                    f"the checkpoint in {checkpoint_dir} holds a bad schedule horizon {horizon!r}; "
                    "start the run again without --resume"
                )
        curve, loss_sum, loss_count = state["curve"], state["loss_sum"], state["loss_count"]

    def save(seconds: float) -> None:
        if checkpoint_dir is None:
            return
        state = {
            "model_config": model_config.to_dict(),
            "train_config": train_config.to_dict(),
            "vocab": vocab_to_state(data.vocab),
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "batch_generator": batches.get_state(),
            "step": step,
            "horizon": horizon,
            "seconds": seconds,
            "train_seconds": train_seconds,
            "curve": curve,
            "loss_sum": loss_sum,
            "loss_count": loss_count,
        }
        checkpoint.save(checkpoint_dir, state, tag=str(step))

    bar = _ProgressBar(progress, train_config, step)
    start = time.perf_counter() - seconds_before
    last_save = time.perf_counter()
    stopped_because = ""
    model.train()
    try:
        while True:
            seconds = time.perf_counter() - start
            if train_config.steps is not None and step >= train_config.steps:
                stopped_because = "steps"
            elif train_config.minutes is not None and seconds >= 60.0 * train_config.minutes:
                stopped_because = "minutes"
            if stopped_because:
                break
            if horizon is None and step >= train_config.pace_steps:
                horizon = train_config.horizon_from_pace(step, seconds)
            lr = train_config.learning_rate(step, horizon)
            for group in optimizer.param_groups:
                group["lr"] = lr
            step_start = time.perf_counter()
            starts = torch.randint(0, len(train_ids) - context, (train_config.batch_size,), generator=batches)
            windows = train_ids[(starts[:, None] + offsets).to(device)]  # (B, T + 1)
            if model_config.dropout > 0:
                # Dropout draws from the global generator: seed it from ours, and put it back after.
                with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
                    torch.manual_seed(int(torch.randint(0, 2**62, (1,), generator=batches)))
                    loss = model.loss(windows[:, :-1], windows[:, 1:])
                    loss_value = _checked_loss(loss, step, checkpoint_dir)
                    loss.backward()
            else:
                loss = model.loss(windows[:, :-1], windows[:, 1:])
                loss_value = _checked_loss(loss, step, checkpoint_dir)
                loss.backward()
            if train_config.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), train_config.grad_clip, foreach=True)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            train_seconds += time.perf_counter() - step_start
            step += 1
            loss_sum += loss_value
            loss_count += 1
            finished = (train_config.steps is not None and step >= train_config.steps) or (
                train_config.minutes is not None and time.perf_counter() - start >= 60.0 * train_config.minutes
            )
            if step % train_config.eval_every == 0 or finished:
                curve.append(
                    {
                        "step": step,
                        "tokens": step * tokens_per_step,
                        "seconds": time.perf_counter() - start,
                        "train_loss": loss_sum / loss_count,
                        "validation_loss": window_loss(model, validation_ids, eval_starts, train_config.batch_size),
                    }
                )
                loss_sum, loss_count = 0.0, 0
            bar.update(step, time.perf_counter() - start, loss_value, step * tokens_per_step / max(train_seconds, 1e-9))
            if callback is not None:
                callback(model, step, loss_value)
            now = time.perf_counter()
            if checkpoint_dir is not None and (
                step % train_config.checkpoint_every == 0 or now - last_save >= train_config.checkpoint_seconds
            ):
                save(now - start)
                last_save = now
            interrupts.reached("step", step)
    finally:
        bar.close()
    save(time.perf_counter() - start)
    model.eval()
    nats, _ = text_nats(model, validation_ids, batch_size=train_config.batch_size)
    tokens = step * tokens_per_step
    return TrainResult(
        model=model,
        model_config=model_config,
        train_config=train_config,
        curve=curve,
        validation_loss=nats / (len(validation_ids) - 1),
        validation_bpc=bits_per_character(nats, data.validation_characters),
        steps=step,
        tokens=tokens,
        seconds=time.perf_counter() - start,
        train_seconds=train_seconds,
        tokens_per_second=tokens / train_seconds if train_seconds > 0 else 0.0,
        flops_per_token=flops_per_token(model_config),
        parameters=model.parameter_counts(),
        stopped_because=stopped_because,
    )


def _adamw(model: CausalTransformer, config: TrainConfig, device: torch.device) -> torch.optim.AdamW:
    """AdamW that decays matrices (embeddings, linear weights) but not LayerNorm gains and biases."""
    matrices = [p for p in model.parameters() if p.ndim >= 2]
    vectors = [p for p in model.parameters() if p.ndim < 2]
    groups = [{"params": matrices, "weight_decay": config.weight_decay}, {"params": vectors, "weight_decay": 0.0}]
    # fused: one kernel for all parameters; on two CPU cores it is ~8x faster than foreach.
    return torch.optim.AdamW(groups, lr=config.lr, betas=(config.beta1, config.beta2), fused=True)


def _checked_loss(loss: torch.Tensor, step: int, checkpoint_dir: str | Path | None) -> float:
    value = float(loss.detach())
    if not math.isfinite(value):
        raise DivergedError(
            f"the language model's loss became {value} at step {step + 1}; "
            f"lower the learning rate ({checkpoint.kept(checkpoint_dir)})"
        )
    return value


class _ProgressBar:
    """A tqdm bar on stderr over steps (or seconds with only a time budget), showing loss and tokens/s."""

    def __init__(self, label: str | None, config: TrainConfig, step: int) -> None:
        self.by_steps = config.steps is not None
        self.bar = None
        if label is not None:
            total = config.steps if self.by_steps else round(60 * config.minutes)
            self.bar = tqdm(
                total=total,
                initial=step if self.by_steps else 0,
                desc=label,
                unit="step" if self.by_steps else "s",
                leave=False,
                mininterval=0.5,
                dynamic_ncols=True,
            )

    def update(self, step: int, seconds: float, loss: float, tokens_per_second: float) -> None:
        if self.bar is None:
            return
        self.bar.update((step if self.by_steps else min(int(seconds), self.bar.total)) - self.bar.n)
        if step % 10 == 0:
            self.bar.set_postfix(loss=f"{loss:.3f}", tok_s=f"{tokens_per_second:.0f}", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
