"""The one policy-gradient loop every task's approval, reward-model and outcome paths use: REINFORCE with a baseline.

Policy improvement is a search like every other: `PolicyGradient` is a `core.Problem` over the
network's parameters (`spaces.ModuleSpace`), and Adam takes its steps through `searchlab.core.run`.
Each evaluation the problem samples the candidate's own behaviour (`Task.policy_batch`, drawn with
the problem's own seeded generator), `reward` scores every sampled action, an optional KL penalty
to a `reference` model is subtracted (``kl_coef * log(p / p_reference)``, the usual penalty that keeps
the policy near where a reward model was fitted), the task subtracts its baseline (`Task.advantages`:
a group mean on Tic-Tac-Toe, the other answers' mean on arithmetic), and the loss is the surrogate
-mean(advantage * log p), whose gradient is the policy gradient. Learning-curve points hold the step,
the mean reward, the true score, the compute spent so far and, with a reference, the estimated KL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from searchlab.core import Metric, Optimizer, Problem, Result
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import numpy_generator
from searchlab.signals.task import Task
from searchlab.signals.training import bound, every, train
from searchlab.spaces.module import ModuleSpace


class PolicyGradient(Problem):
    """The REINFORCE surrogate loss of a task's network on its own sampled behaviour, counted.

    What one evaluation costs (the convention of `core/problem.py`): each policy move sampled is one
    forward-equivalent, and two more for the backward pass of a gradient step (3 per move in all). A
    move is what `Task.moves` counts: on Tic-Tac-Toe a move the learner chose in its games (the pool's
    replies are the environment's); on arithmetic an answer character the model chose, the end marker
    included unless the answer's length forced it. The reward function's work (a rater, a reward model,
    a game result, an exact check) and the reference model's pass for the KL are not the policy's
    decisions and are not counted. `examples_seen` counts the actions rewarded. `labels` counts the
    human signal bought during the steps: with `buys_labels` (approval) the rater judged every rewarded
    action once; a reward model or an outcome check buys none here (a reward model's labels were bought
    before the steps, by its fit).

    Args:
        task: samples, scores and differentiates the network's behaviour.
        model: the task's network; its parameters are the space, and it is bound to each candidate
            while that candidate is evaluated (see `training.bound`).
        reward: batch -> rewards, one per sampled action (shaped as `Task.log_ratio`'s).
        seed: seeds the problem's own generator, which draws every sample.
        reference: the model the KL is measured to (and penalised with `kl_coef` > 0); None for neither.
        kl_coef: the KL penalty's weight.
        buys_labels: each rewarded action costs one label (the rater is asked about it).
    """

    def __init__(
        self,
        task: Task,
        model: torch.nn.Module,
        reward: Callable[[Any], np.ndarray],
        seed: int,
        *,
        reference: Any = None,
        kl_coef: float = 0.0,
        buys_labels: bool = False,
    ) -> None:
        super().__init__(ModuleSpace(model), _Surrogate())
        self.task, self.model, self.reward = task, model, reward
        self.reference, self.kl_coef, self.buys_labels = reference, float(kl_coef), bool(buys_labels)
        self.generator = numpy_generator(seed)
        self.last = {"loss": float("nan"), "reward": float("nan"), "kl": float("nan")}

    @property
    def n_examples(self) -> int:
        return 1  # one batch of fresh samples per evaluation; there is no fixed data set to split

    def evaluate(self, population, batch=None, *, gradient: bool = False) -> torch.Tensor:
        """(K,) surrogate losses, each on a fresh batch of the candidate's own behaviour; counted per move sampled."""
        if gradient:
            return self._losses(population, batch, gradient=True)
        with torch.no_grad():
            return self._losses(population, batch)

    def _losses(self, population, batch, *, gradient: bool = False) -> torch.Tensor:
        if isinstance(population, dict):
            return self._one(population, gradient).reshape(1)
        views = self.space.unflatten(population)
        return torch.stack(
            [self._one({key: view[k] for key, view in views.items()}, gradient) for k in range(len(population))]
        )

    def _one(self, named: dict[str, torch.Tensor], gradient: bool) -> torch.Tensor:
        task = self.task
        with bound(self.model, named) as model:
            sampled = task.policy_batch(model, self.generator)
            rewards = np.asarray(self.reward(sampled), dtype=float)
            log_ratio = (
                np.zeros_like(rewards) if self.reference is None else task.log_ratio(model, sampled, self.reference)
            )
            advantages = task.advantages(sampled, rewards - self.kl_coef * log_ratio)
            log_probs, extra_loss = task.log_probs(model, sampled)
        loss = -(advantages * log_probs).mean()
        if extra_loss is not None:
            loss = loss + extra_loss
        self.forward_equivalents += (3 if gradient else 1) * task.moves(sampled)
        self.examples_seen += rewards.size
        if self.buys_labels:
            self.labels += rewards.size
        self.last = {"loss": float(loss.detach()), "reward": float(rewards.mean()), "kl": float(log_ratio.mean())}
        return loss

    def full_loss(self, candidate: torch.Tensor) -> float:
        """The last step's surrogate loss: measuring afresh would sample again, and a rater would be asked again."""
        return self.last["loss"]

    def state(self) -> dict[str, Any]:
        return {"generator": self.generator.bit_generator.state}

    def load_state(self, state: dict[str, Any]) -> None:
        self.generator.bit_generator.state = state["generator"]


class _Surrogate(Metric):
    """The name of `PolicyGradient`'s loss (the problem computes it from samples, not from outputs and targets)."""

    name = "policy_gradient_surrogate"

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        raise SearchlabError(f"{self.name} is computed by its problem from sampled behaviour, not from outputs")


def reinforce(
    task: Task,
    model: Any,
    reward: Callable[[Any], np.ndarray],
    seed: int,
    steps: int,
    *,
    reference: Any = None,
    kl_coef: float = 0.0,
    buys_labels: bool = False,
    on_eval: Callable[[dict], None] | None = None,
    start_point: bool = False,
) -> tuple[list[dict], Result]:
    """Policy-gradient steps on `model` through `core.run`; `model` holds the trained parameters afterwards.

    Args:
        task: samples, scores and differentiates the model's behaviour.
        model: the task's network, trained in place.
        reward: batch -> rewards, one per sampled action (shaped as `Task.log_ratio`'s).
        seed: seeds the samples (the problem's generator) and the loop.
        steps: how many policy steps.
        reference: the model the KL is measured to (and penalised with `kl_coef` > 0); None for neither.
        kl_coef: the KL penalty's weight.
        buys_labels: every rewarded action is one label bought from the rater (approval).
        on_eval: called with each curve point before it is kept (to add numbers to it).
        start_point: begin the curve with the starting model's score at step 0.

    Returns:
        The learning curve ({"step", "reward", "score", "forward_equivalents", ...}, "labels" when the
        steps buy labels, "kl" with a reference) and the loop's `Result` (its counters are the cost).
    """
    problem = PolicyGradient(task, model, reward, seed, reference=reference, kl_coef=kl_coef, buys_labels=buys_labels)
    curve = [{"step": 0, "score": task.evaluate(model)["score"], "forward_equivalents": 0}] if start_point else []

    def point(step: int, optimizer: Optimizer) -> None:
        spent = {"forward_equivalents": problem.forward_equivalents} | (
            {"labels": problem.labels} if buys_labels else {}
        )
        entry = {"step": step, "reward": problem.last["reward"], "score": task.evaluate(model)["score"], **spent}
        if reference is not None:
            entry["kl"] = problem.last["kl"]
        if on_eval is not None:
            on_eval(entry)
        curve.append(entry)

    callback = every(model, steps, task.record_every(steps), point)
    result = train(model, problem, task.rl_learning_rate, steps, seed, callback=callback)
    return curve, result
