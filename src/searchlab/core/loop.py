"""The one driver: loop any optimizer on any problem until its budget is spent."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import torch
from tqdm.auto import tqdm

from searchlab.core import checkpoint, interrupts
from searchlab.core.budget import Budget
from searchlab.core.errors import DivergedError
from searchlab.core.optimizer import Optimizer
from searchlab.core.problem import Problem
from searchlab.core.seeding import torch_generator
from searchlab.core.trace import Result, Trace


def run(
    problem: Problem,
    optimizer: Optimizer,
    budget: Budget,
    seed: int,
    *,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    checkpoint_every: int = 500,
    checkpoint_seconds: float = 20.0,
    progress: str | None = None,
    callback: Callable[[Optimizer, Trace], None] | None = None,
) -> Result:
    """Search `problem` with `optimizer` until `budget` is spent or the search is finished.

    Args:
        problem: what to search; its counters are reset (or restored on resume).
        optimizer: how to search.
        budget: when to stop.
        seed: seeds the run's one random generator.
        checkpoint_dir: where to keep checkpoints; None keeps none.
        resume: continue from the checkpoint in `checkpoint_dir` if there is one.
        checkpoint_every: steps between checkpoints.
        checkpoint_seconds: also checkpoint when this long has passed since the
            last one. An interrupted run loses at most the steps since then:
            checkpoints are only taken between whole steps, so resuming is exact.
        progress: label of a progress bar on stderr; None shows none.
        callback: called after every step with the optimizer and trace.

    Returns:
        The `Result`. A run resumed from a checkpoint ends bitwise where an
        uninterrupted run with the same seed would (budgets in seconds aside).

    Raises:
        SearchlabError: the optimizer cannot search the problem.
        SearchlabError: resuming from a checkpoint that is unreadable or not of this search.
        DivergedError: the loss stopped being a finite number (a SearchlabError;
            the last good checkpoint is kept, and the message says whether there is one).
    """
    problem.load_counters({"forward_equivalents": 0, "examples_seen": 0, "labels": 0})
    optimizer.start(problem, torch_generator(seed))
    trace = Trace()
    seconds_before = 0.0
    if resume and checkpoint_dir is not None and checkpoint.exists(checkpoint_dir):
        trace, seconds_before = _restore(checkpoint_dir, problem, optimizer)
    loop = _Loop(problem, optimizer, trace, checkpoint_dir, time.perf_counter() - seconds_before)
    bar = _ProgressBar(progress, budget, optimizer.step_, problem.forward_equivalents)
    last_save = time.perf_counter()
    try:
        while not (stopped_because := loop.stop_reason(budget)):
            loss = loop.step()
            bar.update(optimizer.step_, problem.forward_equivalents, loss)
            if callback is not None:
                callback(optimizer, trace)
            if checkpoint_dir is not None:
                now = time.perf_counter()
                if optimizer.step_ % checkpoint_every == 0 or now - last_save >= checkpoint_seconds:
                    loop.save(now - loop.start)
                    last_save = now
            interrupts.reached("step", optimizer.step_)
    finally:
        bar.close()
    seconds = time.perf_counter() - loop.start
    loop.save(seconds)
    spent = problem.counters()  # before the final measurement, which a problem that buys labels must not bill
    return Result(
        optimizer=optimizer.name,
        candidate=optimizer.candidate_.detach(),
        final_loss=problem.full_loss(optimizer.candidate_),
        best_loss=optimizer.best_loss_,
        forward_equivalents=spent["forward_equivalents"],
        examples_seen=spent["examples_seen"],
        labels=spent["labels"],
        seconds=seconds,
        steps=optimizer.step_,
        stopped_because=stopped_because,
        trace=trace,
    )


class _Loop:
    """One search's moving parts between steps: when to stop, one traced step, a checkpoint."""

    def __init__(
        self, problem: Problem, optimizer: Optimizer, trace: Trace, checkpoint_dir: str | Path | None, start: float
    ) -> None:
        self.problem, self.optimizer, self.trace = problem, optimizer, trace
        self.checkpoint_dir = checkpoint_dir
        self.start = start  # perf_counter() at the (possibly earlier, resumed) start

    def stop_reason(self, budget: Budget) -> str | None:
        if self.optimizer.finished_:
            return "finished"
        return budget.exhausted(
            forward_equivalents=self.problem.forward_equivalents,
            seconds=time.perf_counter() - self.start,
            steps=self.optimizer.step_,
            best_loss=self.optimizer.best_loss_,
        )

    def step(self) -> float:
        """One optimizer step, refused when its loss is not finite, recorded in the trace."""
        optimizer, problem = self.optimizer, self.problem
        loss = optimizer.step(problem)
        if not math.isfinite(loss):
            raise DivergedError(
                f"{optimizer.name}: the loss became {loss} at step {optimizer.step_}; "
                f"lower the learning rate or step size ({checkpoint.kept(self.checkpoint_dir)})"
            )
        self.trace.record(
            step=optimizer.step_,
            forward_equivalents=problem.forward_equivalents,
            examples_seen=problem.examples_seen,
            labels=problem.labels,
            seconds=time.perf_counter() - self.start,
            loss=loss,
            best_loss=optimizer.best_loss_,
        )
        return loss

    def save(self, seconds: float) -> None:
        if self.checkpoint_dir is not None:
            state = {
                "optimizer": self.optimizer.state_dict(),
                "counters": self.problem.counters(),
                "problem": self.problem.state(),
                "trace": self.trace.state(),
                "seconds": seconds,
            }
            checkpoint.save(self.checkpoint_dir, state, tag=str(self.optimizer.step_))


def _restore(checkpoint_dir: str | Path, problem: Problem, optimizer: Optimizer) -> tuple[Trace, float]:
    """Load the checkpoint into a started `problem` and `optimizer`; return the trace so far and the seconds spent.

    Raises:
        SearchlabError: naming the checkpoint, when it is unreadable or does not fit this search
            (another optimizer, another problem, or edited by hand).
    """
    state = checkpoint.load(checkpoint_dir, keys=("optimizer", "counters", "trace", "seconds"))
    fresh = optimizer.candidate_
    with checkpoint.restoring(checkpoint_dir):
        optimizer.load_state_dict(state["optimizer"])
        problem.load_counters(state["counters"])
        problem.load_state(state.get("problem", {}))  # absent from checkpoints of problems written before the hook
        trace = Trace.from_state(state["trace"])
        seconds_before = float(state["seconds"])
        restored = optimizer.candidate_
        # Shapes only: an optimizer may keep its candidate in another dtype than it started with
        # (least squares solves in float64).
        if isinstance(fresh, torch.Tensor) and not (
            isinstance(restored, torch.Tensor) and restored.shape == fresh.shape
        ):
            found = f"shape {tuple(restored.shape)}" if isinstance(restored, torch.Tensor) else type(restored).__name__
            raise ValueError(f"its candidate is {found}, this search's is shape {tuple(fresh.shape)}")
        if len(trace) != optimizer.step_ or not math.isfinite(seconds_before) or seconds_before < 0:
            raise ValueError(
                f"its trace has {len(trace)} rows for {optimizer.step_} steps, after {seconds_before} seconds"
            )
    return trace, seconds_before


class _ProgressBar:
    """A tqdm bar on stderr counting steps, or forward-equivalents when that is the budget."""

    def __init__(self, label: str | None, budget: Budget, step: int, forward_equivalents: int) -> None:
        self.by_steps = budget.steps is not None or budget.forward_equivalents is None
        self.bar = None
        if label is not None:
            total, initial = (
                (budget.steps, step) if self.by_steps else (budget.forward_equivalents, forward_equivalents)
            )
            unit = "step" if self.by_steps else "fe"
            self.bar = tqdm(
                total=total,
                initial=initial,
                desc=label,
                unit=unit,
                unit_scale=not self.by_steps,
                leave=False,
                mininterval=0.5,
                dynamic_ncols=True,
            )

    def update(self, step: int, forward_equivalents: int, loss: float) -> None:
        if self.bar is None:
            return
        self.bar.update((step if self.by_steps else forward_equivalents) - self.bar.n)
        if step % 50 == 0:
            self.bar.set_postfix(loss=f"{loss:.4g}", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
