"""The optimizer base: a public ask/tell template with private hooks.

A new optimizer writes `_start`, `_ask` and `_tell` (and `_state`/`_load_state`
when it keeps state); the base class draws minibatches, calls the problem, and
keeps the books: the current answer, best so far, step count and RNG. Callers
either let `run` drive `step`, or call `ask`, score the candidates themselves
and `tell` the losses.
"""

from __future__ import annotations

import abc
import math
from typing import Any, ClassVar

import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.problem import Problem


class Optimizer(abc.ABC):
    """Searches a problem's space for a low-loss candidate.

    Constructors only store settings. Fitted attributes end in `_`:
    `candidate_` (the optimizer's current answer, shape (d,)), `loss_` (the loss
    it reported for the last step), `best_loss_` (the lowest such loss),
    `step_` (steps taken) and `finished_` (nothing left to search). Gradient
    methods report the loss of the parameters they evaluated, before stepping.

    Args:
        batch_size: examples per evaluation; None evaluates on the whole dataset.
    """

    name: ClassVar[str] = "optimizer"
    uses_gradient: ClassVar[bool] = False

    def __init__(self, *, batch_size: int | None = None) -> None:
        if batch_size is not None and batch_size <= 0:
            raise SearchlabError(f"batch_size must be a positive integer, got {batch_size}")
        self.batch_size = batch_size

    # ----- public template -------------------------------------------------

    def unsupported(self, problem: Problem) -> str | None:
        """Why this optimizer cannot search `problem`, or None when it can."""
        return None

    def start(self, problem: Problem, generator: torch.Generator) -> None:
        """Reset all fitted state for a fresh search of `problem`."""
        reason = self.unsupported(problem)
        if reason:
            raise SearchlabError(f"{self.name} cannot search this problem: {reason}")
        self.generator_ = generator
        self.step_ = 0
        self.finished_ = False
        self.loss_ = math.inf
        self.best_loss_ = math.inf
        self.candidate_: torch.Tensor | None = None
        self._order: torch.Tensor | None = None
        self._cursor = 0
        self._start(problem)

    def ask(self, problem: Problem) -> torch.Tensor | dict[str, torch.Tensor]:
        """The candidates to evaluate next: a (K, d) population (or, for gradient
        methods, the one candidate's trainable tensors)."""
        return self._ask(problem)

    def tell(self, population: torch.Tensor | dict[str, torch.Tensor], losses: torch.Tensor) -> float:
        """Update from the (K,) losses of what `ask` returned; returns the current candidate's loss."""
        self.loss_ = self._tell(population, losses)
        self.step_ += 1
        if self.loss_ < self.best_loss_:
            self.best_loss_ = self.loss_
        return self.loss_

    def step(self, problem: Problem) -> float:
        """One round: draw a batch, ask for candidates, let the problem evaluate them, tell the losses."""
        batch = self._next_batch(problem)
        population = self.ask(problem)
        return self.tell(population, problem.evaluate(population, batch, gradient=self.uses_gradient))

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly where this optimizer stands."""
        return {
            "generator": self.generator_.get_state(),
            "step": self.step_,
            "finished": self.finished_,
            "loss": _finite_or_none(self.loss_),
            "best_loss": _finite_or_none(self.best_loss_),
            "candidate": self.candidate_,
            "order": self._order,
            "cursor": self._cursor,
            "own": self._state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a `state_dict()`; call after `start` on the same problem."""
        self.generator_.set_state(state["generator"])
        self.step_ = int(state["step"])
        self.finished_ = bool(state["finished"])
        self.loss_ = math.inf if state["loss"] is None else float(state["loss"])
        self.best_loss_ = math.inf if state["best_loss"] is None else float(state["best_loss"])
        self.candidate_ = state["candidate"]
        self._order = state["order"]
        self._cursor = int(state["cursor"])
        self._load_state(state["own"])

    def settings(self) -> dict[str, Any]:
        """The constructor's settings, to save beside results."""
        return {key: value for key, value in vars(self).items() if not key.startswith("_") and not key.endswith("_")}

    # ----- private hooks ---------------------------------------------------

    @abc.abstractmethod
    def _start(self, problem: Problem) -> None:
        """Initialise the search; must set `candidate_`."""

    @abc.abstractmethod
    def _ask(self, problem: Problem) -> torch.Tensor:
        """Candidates to evaluate next, a (K, d) population."""

    @abc.abstractmethod
    def _tell(self, population: torch.Tensor, losses: torch.Tensor) -> float:
        """Update the state from the population's (K,) losses; return the current candidate's loss."""

    def _state(self) -> dict[str, Any]:
        return {}

    def _load_state(self, state: dict[str, Any]) -> None:  # noqa: B027 (stateless optimizers keep nothing)
        """Restore what `_state` returned; optimizers without state have nothing to restore."""

    # ----- helpers for subclasses ------------------------------------------

    def _next_batch(self, problem: Problem) -> torch.Tensor | None:
        """Indices of the next minibatch: a fresh shuffle every epoch; None for full batch."""
        if self.batch_size is None or self.batch_size >= problem.n_examples:
            return None
        if self._order is None or self._cursor + self.batch_size > problem.n_examples:
            self._order = torch.randperm(problem.n_examples, generator=self.generator_)
            self._cursor = 0
        batch = self._order[self._cursor : self._cursor + self.batch_size]
        self._cursor += self.batch_size
        device = getattr(problem, "device", None)
        return batch if device is None else batch.to(device)

    @property
    def full_batch(self) -> bool:
        return self.batch_size is None


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def positive(value: float, *, zero: bool = False) -> bool:
    """True for a finite number above 0 (or at 0 with `zero`); False for NaN, inf and the rest."""
    return math.isfinite(value) and (value > 0 or (zero and value == 0))
