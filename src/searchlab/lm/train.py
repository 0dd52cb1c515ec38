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
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from searchlab.core import checkpoint, checks, interrupts
from searchlab.core.errors import DivergedError, SearchlabError
from searchlab.core.seeding import spawn_seeds, torch_generator
from searchlab.lm.data import TokenizedCorpus, vocab_to_state
from searchlab.lm.evaluate import bits_per_character, text_nats, window_loss, window_starts
from searchlab.lm.model import CausalTransformer, ModelConfig, flops_per_token
from searchlab.lm.train_config import CURVE_COLUMNS, PACE_STEPS, TrainConfig, TrainResult  # noqa: F401 (this module's API)

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
    run = _Run.fresh(model_config, train_config, data, seed, torch.device(device))
    validation_ids = torch.as_tensor(data.validation_ids, dtype=torch.int64).to(run.device)
    eval_starts = window_starts(len(validation_ids), model_config.context, train_config.eval_windows)
    tokens_per_step = train_config.batch_size * model_config.context
    if resume and checkpoint_dir is not None and checkpoint.exists(checkpoint_dir):
        run.restore(checkpoint_dir, model_config, train_config)
    state = run.state
    bar = _ProgressBar(progress, train_config, state.step)
    start = time.perf_counter() - state.seconds
    last_save = time.perf_counter()
    stopped_because = ""
    run.model.train()
    try:
        while True:
            seconds = time.perf_counter() - start
            stopped_because = _stop_reason(train_config, state.step, seconds)
            if stopped_because:
                break
            if state.horizon is None and state.step >= train_config.pace_steps:
                state.horizon = train_config.horizon_from_pace(state.step, seconds)
            loss_value = run.step(train_config, checkpoint_dir)
            if state.step % train_config.eval_every == 0 or _stop_reason(
                train_config, state.step, time.perf_counter() - start
            ):
                run.add_curve_point(tokens_per_step, start, validation_ids, eval_starts, train_config.batch_size)
            throughput = state.step * tokens_per_step / max(state.train_seconds, 1e-9)
            bar.update(state.step, time.perf_counter() - start, loss_value, throughput)
            if callback is not None:
                callback(run.model, state.step, loss_value)
            now = time.perf_counter()
            if checkpoint_dir is not None and (
                state.step % train_config.checkpoint_every == 0 or now - last_save >= train_config.checkpoint_seconds
            ):
                run.save(checkpoint_dir, model_config, train_config, data, now - start)
                last_save = now
            interrupts.reached("step", state.step)
    finally:
        bar.close()
    if checkpoint_dir is not None:
        run.save(checkpoint_dir, model_config, train_config, data, time.perf_counter() - start)
    return _result(run, model_config, train_config, data, validation_ids, start, stopped_because)


def _stop_reason(config: TrainConfig, step: int, seconds: float) -> str:
    """ "steps" or "minutes" once that budget is spent, else ""."""
    if config.steps is not None and step >= config.steps:
        return "steps"
    if config.minutes is not None and seconds >= 60.0 * config.minutes:
        return "minutes"
    return ""


# What a checkpoint keeps besides the configs, the vocabulary, the model, the optimizer and the generator.
_STATE_KEYS = ("step", "horizon", "seconds", "train_seconds", "curve", "loss_sum", "loss_count")


@dataclass
class _State:
    """A run's counters: steps, the schedule's horizon, time spent, the learning curve, losses since its last point."""

    step: int = 0
    horizon: int | None = None
    seconds: float = 0.0
    train_seconds: float = 0.0
    curve: list[dict[str, float]] = field(default_factory=list)
    loss_sum: float = 0.0
    loss_count: int = 0


@dataclass
class _Run:
    """The model, its optimizer and batch generator, and the counters: what one step changes and a checkpoint keeps."""

    model: CausalTransformer
    batches: torch.Generator
    train_ids: torch.Tensor
    offsets: torch.Tensor
    device: torch.device
    state: _State
    optimizer: torch.optim.Optimizer | None = None

    @classmethod
    def fresh(
        cls,
        model_config: ModelConfig,
        train_config: TrainConfig,
        data: TokenizedCorpus,
        seed: int,
        device: torch.device,
    ) -> _Run:
        """A new model (weights from `seed`), its AdamW, the batch generator, the counters at step 0."""
        init_seed, batch_seed = spawn_seeds(seed, 2)
        model = CausalTransformer(model_config, torch_generator(init_seed)).to(device)
        return cls(
            model=model,
            batches=torch_generator(batch_seed),
            train_ids=torch.as_tensor(data.train_ids, dtype=torch.int64).to(device),
            offsets=torch.arange(model_config.context + 1),
            device=device,
            state=_State(horizon=train_config.steps),  # a time budget alone fixes the horizon after `pace_steps`
            optimizer=_adamw(model, train_config, device),
        )

    def step(self, config: TrainConfig, checkpoint_dir: str | Path | None) -> float:
        """One AdamW step on a fresh random batch at the schedule's rate; returns the batch's loss."""
        model, state, device = self.model, self.state, self.device
        lr = config.learning_rate(state.step, state.horizon)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        step_start = time.perf_counter()
        context = model.config.context
        starts = torch.randint(0, len(self.train_ids) - context, (config.batch_size,), generator=self.batches)
        windows = self.train_ids[(starts[:, None] + self.offsets).to(device)]  # (B, T + 1)
        if model.config.dropout > 0:
            # Dropout draws from the global generator: seed it from ours, and put it back after.
            with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
                torch.manual_seed(int(torch.randint(0, 2**62, (1,), generator=self.batches)))
                loss = model.loss(windows[:, :-1], windows[:, 1:])
                loss_value = _checked_loss(loss, state.step, checkpoint_dir)
                loss.backward()
        else:
            loss = model.loss(windows[:, :-1], windows[:, 1:])
            loss_value = _checked_loss(loss, state.step, checkpoint_dir)
            loss.backward()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip, foreach=True)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        state.train_seconds += time.perf_counter() - step_start
        state.step += 1
        state.loss_sum += loss_value
        state.loss_count += 1
        return loss_value

    def add_curve_point(
        self, tokens_per_step: int, start: float, validation_ids: torch.Tensor, eval_starts, batch_size: int
    ) -> None:
        """A learning-curve row: the mean train loss since the last row, the loss on the fixed validation windows."""
        state = self.state
        state.curve.append(
            {
                "step": state.step,
                "tokens": state.step * tokens_per_step,
                "seconds": time.perf_counter() - start,
                "train_loss": state.loss_sum / state.loss_count,
                "validation_loss": window_loss(self.model, validation_ids, eval_starts, batch_size),
            }
        )
        state.loss_sum, state.loss_count = 0.0, 0

    def save(
        self,
        checkpoint_dir: str | Path,
        model_config: ModelConfig,
        train_config: TrainConfig,
        data: TokenizedCorpus,
        seconds: float,
    ) -> None:
        counters = {key: getattr(self.state, key) for key in _STATE_KEYS} | {"seconds": seconds}
        state = {
            "model_config": model_config.to_dict(),
            "train_config": train_config.to_dict(),
            "vocab": vocab_to_state(data.vocab),
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "batch_generator": self.batches.get_state(),
            **counters,
        }
        checkpoint.save(checkpoint_dir, state, tag=str(self.state.step))

    def restore(self, checkpoint_dir: str | Path, model_config: ModelConfig, train_config: TrainConfig) -> None:
        """Load the checkpoint in `checkpoint_dir` into this fresh run (same model settings, or SearchlabError)."""
        keys = ("model_config", "model", "optimizer", "batch_generator", *_STATE_KEYS)
        saved = checkpoint.load(checkpoint_dir, keys=tuple(key for key in keys if key != "horizon"))
        if saved.get("model_config") != model_config.to_dict():
            raise SearchlabError(f"the checkpoint in {checkpoint_dir} is of another model; resume with its settings")
        with checkpoint.restoring(checkpoint_dir):
            self.model.load_state_dict(saved["model"])
            self.optimizer.load_state_dict(saved["optimizer"])
            self.batches.set_state(saved["batch_generator"])
        state = self.state
        state.step, state.seconds, state.train_seconds = saved["step"], saved["seconds"], saved["train_seconds"]
        if train_config.steps is None:
            state.horizon = saved.get("horizon")  # the horizon this run's pace fixed, if it got that far
            if state.horizon is not None and not (checks.is_whole(state.horizon) and state.horizon >= 1):
                raise SearchlabError(
                    f"the checkpoint in {checkpoint_dir} holds a bad schedule horizon {state.horizon!r}; "
                    "start the run again without --resume"
                )
        state.curve, state.loss_sum, state.loss_count = saved["curve"], saved["loss_sum"], saved["loss_count"]


def _result(
    run: _Run,
    model_config: ModelConfig,
    train_config: TrainConfig,
    data: TokenizedCorpus,
    validation_ids: torch.Tensor,
    start: float,
    stopped_because: str,
) -> TrainResult:
    """The trained model in eval mode, scored on the whole validation text (`start`: the run's perf_counter origin)."""
    model, state = run.model.eval(), run.state
    nats, _ = text_nats(model, validation_ids, batch_size=train_config.batch_size)
    tokens = state.step * train_config.batch_size * model_config.context
    return TrainResult(
        model=model,
        model_config=model_config,
        train_config=train_config,
        curve=state.curve,
        validation_loss=nats / (len(validation_ids) - 1),
        validation_bpc=bits_per_character(nats, data.validation_characters),
        steps=state.step,
        tokens=tokens,
        seconds=time.perf_counter() - start,  # the final evaluation included
        train_seconds=state.train_seconds,
        tokens_per_second=tokens / state.train_seconds if state.train_seconds > 0 else 0.0,
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
