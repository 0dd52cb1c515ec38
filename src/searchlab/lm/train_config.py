"""The settings and the result of `searchlab.lm.train`: the budget, AdamW's settings, the learning-rate schedule."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from searchlab.core import checks
from searchlab.core.errors import SearchlabError
from searchlab.lm.model import CausalTransformer, ModelConfig

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


class LearningRateSchedule:
    """`TrainConfig.learning_rate` as the gradient optimizer's schedule, holding the horizon of its cosine.

    With a step budget the horizon is the budget. With a time budget alone it is unknown until
    `fix_horizon` sets it from the pace of the first `pace_steps` steps; `state_dict` keeps it, so a run
    resumed from a checkpoint follows the same schedule instead of fixing a new horizon at a new pace.

    Args:
        config: the training settings.
    """

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.horizon: int | None = config.steps

    def __call__(self, step: int) -> float:
        """The learning rate of step `step` (0-based: the steps taken before it)."""
        return self.config.learning_rate(step, self.horizon)

    def fix_horizon(self, steps_done: int, seconds: float) -> None:
        """With a time budget alone: once `pace_steps` steps are done (in `seconds`), fix the horizon from that pace."""
        if self.horizon is None and steps_done >= self.config.pace_steps:
            self.horizon = self.config.horizon_from_pace(steps_done, seconds)

    def state_dict(self) -> dict[str, Any]:
        return {"horizon": self.horizon}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Take back the horizon a time budget fixed (a step budget's is the budget, whatever was saved).

        Raises:
            ValueError: a saved horizon that is not a whole number >= 1 (`checkpoint.restoring` names the file).
        """
        if self.config.steps is not None:
            return
        horizon = state["horizon"]
        if horizon is not None and not (checks.is_whole(horizon) and horizon >= 1):
            raise ValueError(f"its schedule horizon is {horizon!r}, not a whole number >= 1")
        self.horizon = None if horizon is None else int(horizon)


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
        validation_token_nats: (validation tokens - 1,) float64: the nats of each validation token after
            the first (`token_nats`), whose sum `validation_loss` and `validation_bpc` come from.
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
    validation_token_nats: np.ndarray | None = field(default=None, repr=False)

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
