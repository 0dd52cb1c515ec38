"""The one policy-gradient loop every task's approval, reward-model and outcome paths use: REINFORCE with a baseline.

Each step the task samples the model's own behaviour (`Task.policy_batch`), `reward` scores
every sampled action, an optional KL penalty to a `reference` model is subtracted
(``kl_coef * log(p / p_reference)``, the usual penalty that keeps the policy near where a
reward model was fitted), the task subtracts its baseline (`Task.advantages`: a group mean
on Tic-Tac-Toe, the other answers' mean on arithmetic), and Adam ascends
mean(advantage * log p). Learning-curve points hold the step, the mean reward, the true
score and, with a reference, the estimated KL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from searchlab.core.device import cpu_threads
from searchlab.core.seeding import numpy_generator
from searchlab.signals.task import Task


def reinforce(
    task: Task,
    model: Any,
    reward: Callable[[Any], np.ndarray],
    seed: int,
    steps: int,
    *,
    reference: Any = None,
    kl_coef: float = 0.0,
    on_eval: Callable[[dict], None] | None = None,
    start_point: bool = False,
) -> tuple[list[dict], int]:
    """Policy-gradient steps on `model`, in place.

    Args:
        task: samples, scores and differentiates the model's behaviour.
        model: the task's network, trained in place.
        reward: batch -> rewards, one per sampled action (shaped as `Task.log_ratio`'s).
        seed: seeds the samples.
        steps: how many policy steps.
        reference: the model the KL is measured to (and penalised with `kl_coef` > 0); None for neither.
        on_eval: called with each curve point before it is kept (to add numbers to it).
        start_point: begin the curve with the starting model's score at step 0.

    Returns:
        The learning curve and the number of actions rewarded.
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=task.rl_learning_rate)
    every = task.record_every(steps)
    rng = numpy_generator(seed)
    curve = [{"step": 0, "score": task.evaluate(model)["score"]}] if start_point else []
    rewarded = 0
    with cpu_threads(1):  # networks this small train fastest on one thread
        for step in range(1, steps + 1):
            batch = task.policy_batch(model, rng)
            rewards = np.asarray(reward(batch), dtype=float)
            log_ratio = np.zeros_like(rewards) if reference is None else task.log_ratio(model, batch, reference)
            advantages = task.advantages(batch, rewards - kl_coef * log_ratio)
            log_probs, extra_loss = task.log_probs(model, batch)
            loss = -(advantages * log_probs).mean()
            if extra_loss is not None:
                loss = loss + extra_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            rewarded += rewards.size
            if step % every == 0 or step == steps:
                point = {"step": step, "reward": float(rewards.mean()), "score": task.evaluate(model)["score"]}
                if reference is not None:
                    point["kl"] = float(log_ratio.mean())
                if on_eval is not None:
                    on_eval(point)
                curve.append(point)
    return curve, rewarded
