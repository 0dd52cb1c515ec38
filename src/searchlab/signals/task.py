"""What a training-signals task provides, so that the shared machinery can train and score any of them.

A task binds its simulated people and its settings to the truth it is measured by: it makes
and copies the network every path trains, scores a model's true performance, gives the
imitation paths (`searchlab.signals.imitation`) demonstrations, states of the model's own and
a cloning loss, and gives the policy-gradient loop (`searchlab.signals.reinforce`) the model's
own behaviour to reward.
Tic-Tac-Toe (`tictactoe_signals.TicTacToeSignals`) and arithmetic
(`arithmetic_signals.ArithmeticSignals`) implement it; a third task implements it once in
its own module, and `imitation` (behaviour cloning, DAgger), `paths` (approval, reward-model
approval, outcomes), `reinforce`, `pipeline` and `PathResult` serve it unchanged.

The batch a task samples is its own type (games played, or problems with sampled answers);
the shared code only hands it back to the task and to the reward function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch


class People(Protocol):
    """The simulated people of a task, made from one checked config and seed."""

    def demonstrator(self) -> Any:
        """Shows the task done (a move, an answer), right with the configured accuracy."""

    def rater(self) -> Any:
        """Judges a proposed move or answer, right with the configured accuracy."""

    def checker(self) -> Any:
        """The exact check of a move or answer (`persons.Checker`)."""

    def measure(self, samples: int = 10_000, seed: int = 0) -> dict:
        """Each person's configured rates beside the rates measured on samples."""


@dataclass(frozen=True)
class ImitationPlan:
    """How much a task's imitation paths (`searchlab.signals.imitation`) spend, in the task's own units.

    Attributes:
        learning_rate, batch_size: Adam's step size and the rows per step of every imitation fit.
        steps: gradient steps of behaviour cloning, and of DAgger in all.
        demonstrations: what behaviour cloning is shown (games the demonstrator plays, problems it answers).
        rounds: DAgger's rounds of correction.
        round_steps: gradient steps of each round's fit.
        first_demonstrations: what DAgger's first clone is shown.
        visits: the model's own games or problems the overseer looks at in each round.
        overseer_queries: the name DAgger's labels are counted under ("demonstrations", "overseer answers").
        corrections_only: DAgger keeps only the overseer's actions that differ from the model's (else all).
        curve_points: learning-curve points of behaviour cloning's fit, besides its start (each one
            evaluates the model, so a task whose evaluation is dear keeps just the last).
    """

    learning_rate: float
    batch_size: int
    steps: int
    demonstrations: int
    rounds: int
    round_steps: int
    first_demonstrations: int
    visits: int
    overseer_queries: str = "demonstrations"
    corrections_only: bool = False
    curve_points: int = 1


@runtime_checkable
class Task(Protocol):
    """A task with a known truth that every training signal can be pointed at.

    Attributes:
        name: "tictactoe", "arithmetic", ...
        people: the demonstrator and the rater (`People`).
        rl_learning_rate, rl_steps: Adam's step size and the number of steps of every policy-improvement path.
        curve_starts: policy-improvement curves begin with the starting model's score.
        imitation: what behaviour cloning and DAgger spend (`ImitationPlan`).
    """

    name: str
    people: People
    imitation: ImitationPlan
    rl_learning_rate: float
    rl_steps: int
    curve_starts: bool

    def improvement_start(self, seed: int, start: Any = None) -> Any:
        """The model approval and outcomes improve: a copy of `start`, else the task's own starting point."""

    def probe(self, model: Any) -> dict:
        """Numbers measured before and after policy steps (reported as NAME_before, NAME_after); {} for none."""

    def approval_signal(self, model: Any) -> Any:
        """The rater's 0/1 judgement of each sampled action, as a `paths.Signal`."""

    def reward_model_signal(self, model: Any, seed: int, fraction: float | None) -> Any:
        """A reward model fitted (from `seed`) on `fraction` of the rater's labels, as a `paths.Signal`."""

    def outcome_signal(self) -> Any:
        """What actually happened to each sampled action (the game's result, the exact check), as a `paths.Signal`."""

    def new_model(self, seed: int, start: Any = None) -> Any:
        """A fresh network seeded by `seed`, or an independent copy of `start` when given."""

    def evaluate(self, model: Any) -> dict:
        """The model's true performance: a dict whose "score" is the headline number."""

    def record_every(self, steps: int) -> int:
        """Steps between learning-curve points of a loop of `steps` steps."""

    def demonstrations(self, demonstrator: Any, amount: int, seed: int) -> tuple[Any, Any]:
        """(states, actions) `demonstrator` shows: its moves in `amount` games of its own, its answers to
        `amount` sampled problems (the states drawn from `seed`)."""

    def visit(self, model: Any, amount: int, seed: int) -> tuple[Any, Any]:
        """(states, actions) of the model's own: the positions of `amount` games it plays and its moves,
        `amount` fresh problems and its answers; DAgger's overseer acts in these states."""

    def imitation_problem(self, model: Any, states: Any, actions: Any, bought: int) -> Any:
        """The cloning loss of (states, actions) over `model`'s parameters, as a `training.Shown` billing `bought`."""

    def policy_batch(self, model: Any, rng: np.random.Generator) -> Any:
        """The model's own behaviour to reward: one policy-gradient step's samples, drawn with `rng`."""

    def moves(self, batch: Any) -> int:
        """The policy's own decisions in a batch (moves chosen, answer characters written): its forward-equivalents."""

    def log_ratio(self, model: Any, batch: Any, reference: Any) -> np.ndarray:
        """log p_model - log p_reference of every sampled action (as sampled), shaped like the rewards."""

    def advantages(self, batch: Any, rewards: np.ndarray) -> torch.Tensor:
        """(n,) float32 rewards less the task's baseline, one per sampled action."""

    def log_probs(self, model: Any, batch: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(n,) log-probabilities of the sampled actions under `model` (with grad), and an optional extra loss."""
