"""Gradient descent through autograd and `torch.optim`: SGD, momentum and Adam.

The update is torch.optim's own functional `adam`/`sgd` (the code `torch.optim.Adam`
and `torch.optim.SGD` call, fused kernels on CPU and CUDA), applied to the one
flat parameter vector. Calling it directly skips the per-step bookkeeping of the
`torch.optim.Optimizer` object (hooks, profiling scopes, state lookups), about
a tenth of a small network's step; the arithmetic is the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch.optim.adam import adam
from torch.optim.sgd import sgd

from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import Optimizer, positive
from searchlab.core.problem import Problem
from searchlab.core.space import ParametricSpace

ALGORITHMS = ("sgd", "adam", "adamw")

Schedule = Callable[[int], float]
"""The learning rate of a step, from the count of steps taken before it (0 for the first).

A schedule that keeps state of its own (a horizon fixed during the run) offers `state_dict()` and
`load_state_dict(state)`; the optimizer keeps that state in its own, so a resumed run follows the same rates.
"""


class GradientDescent(Optimizer):
    """Follow the gradient of the loss: every small tweak tried at once, in one backward pass.

    Plain SGD is `algorithm="sgd", momentum=0`; momentum, Adam and AdamW (Loshchilov & Hutter 2019,
    weight decay decoupled from the gradient) are settings. One step on a batch of B examples costs 3B
    forward-equivalents.

    Args:
        algorithm: "sgd" (with optional momentum), "adam" or "adamw".
        lr: learning rate (the schedule's, when there is one, replaces it step by step).
        momentum: SGD momentum (0 for plain SGD).
        weight_decay: L2 penalty coefficient as torch.optim applies it (decoupled for "adamw").
        batch_size: examples per step (None: all, i.e. full-batch gradient descent).
        betas: Adam's two averaging rates.
        clip_norm: rescale a gradient whose Euclidean norm is above this to this norm, as
            `torch.nn.utils.clip_grad_norm_` does; None never clips.
        schedule: the learning rate of each step (see `Schedule`); None keeps `lr`.
        decays: which of the space's named tensors weight decay applies to, from (name, shape)
            (e.g. matrices but not biases and norm gains); None: all of them.
    """

    name = "gradient"
    uses_gradient = True

    def __init__(
        self,
        *,
        algorithm: str = "adam",
        lr: float = 0.01,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        batch_size: int | None = None,
        betas: tuple[float, float] = (0.9, 0.999),
        clip_norm: float | None = None,
        schedule: Schedule | None = None,
        decays: Callable[[str, tuple[int, ...]], bool] | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size)
        if algorithm not in ALGORITHMS:
            raise SearchlabError(f"unknown gradient algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
        if not (positive(lr) and positive(momentum, zero=True) and positive(weight_decay, zero=True)):
            raise SearchlabError(
                f"gradient: lr must be a positive number and momentum, weight_decay numbers >= 0; got lr={lr}, "
                f"momentum={momentum}, weight_decay={weight_decay}"
            )
        if not all(0 <= beta < 1 for beta in betas) or (clip_norm is not None and not positive(clip_norm)):
            raise SearchlabError(
                f"gradient: betas must lie in [0, 1) and clip_norm be a positive number; got betas={betas}, "
                f"clip_norm={clip_norm}"
            )
        self.algorithm = algorithm
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.betas = tuple(betas)
        self.clip_norm = clip_norm
        self._schedule = schedule
        self._decays = decays

    def unsupported(self, problem: Problem) -> str | None:
        if not isinstance(problem.space, ParametricSpace):
            return "its candidates are not real-valued parameters, so there is no gradient to follow"
        return None

    def _start(self, problem: Problem) -> None:
        inputs = getattr(problem, "inputs", None)
        initial = problem.space.sample(1, self.generator_)[0]
        if inputs is not None:
            initial = initial.to(device=inputs.device, dtype=inputs.dtype)
        elif getattr(problem, "device", None) is not None:  # a problem without one input tensor (DataLossProblem)
            initial = initial.to(problem.device)
        # One flat vector is the candidate, and the one tensor the update touches (one
        # fused kernel call, no Python loop over layers). The forward pass uses views of
        # it shaped like the layers, exactly as a hand-written PyTorch model holds them.
        self._flat = initial.clone()
        self._leaves = problem.space.leaves(self._flat)
        self._leaf_list = list(self._leaves.values())
        self._fused = (
            initial.dtype in (torch.float32, torch.float64) and initial.device.type in ("cpu", "cuda")
        ) or None
        # The optimizer's state, laid out as torch.optim.Adam / SGD keep it.
        self._exp_avg = torch.zeros_like(initial)
        self._exp_avg_sq = torch.zeros_like(initial)
        self._steps = torch.zeros((), dtype=torch.float32, device=initial.device)
        self._momentum_buffer: list[torch.Tensor | None] = [None]
        self.candidate_ = self._flat
        self._seed_gradient = torch.ones(1, dtype=initial.dtype, device=initial.device)
        # Which entries weight decay touches: None for all, else a 0/1 vector over the flat candidate.
        self._decay_mask = None
        if self._decays is not None and self.weight_decay > 0:
            shapes = problem.space.shapes
            self._decay_mask = torch.cat(
                [
                    torch.full((math.prod(shape),), float(self._decays(name, shape)), dtype=initial.dtype)
                    for name, shape in shapes.items()
                ]
            ).to(initial.device)

    def _ask(self, problem: Problem) -> dict[str, torch.Tensor]:
        return self._leaves

    def _tell(self, population: dict[str, torch.Tensor], losses: torch.Tensor) -> float:
        for leaf in self._leaf_list:
            leaf.grad = None
        losses.backward(self._seed_gradient)  # (1,) losses: no indexing op on the graph
        gradient = torch.cat([leaf.grad.reshape(-1) for leaf in self._leaf_list])  # (d,)
        lr = self.lr if self._schedule is None else float(self._schedule(self.step_))
        with torch.no_grad():  # updates the flat vector in place, so the layer views too
            if self.clip_norm is not None:
                # clip_grad_norm_'s rule: scale by clip / (norm + 1e-6) when that is below 1.
                scale = self.clip_norm / (torch.linalg.vector_norm(gradient) + 1e-6)
                gradient.mul_(scale.clamp(max=1.0))
            weight_decay = self.weight_decay
            if self._decay_mask is not None:
                # Only some tensors decay: apply the decay here (decoupled for adamw, into the gradient
                # otherwise) and let the update itself decay nothing.
                if self.algorithm == "adamw":
                    self._flat.addcmul_(self._flat, self._decay_mask, value=-lr * weight_decay)
                else:
                    gradient.addcmul_(self._flat, self._decay_mask, value=weight_decay)
                weight_decay = 0.0
            if self.algorithm in ("adam", "adamw"):
                adam(
                    [self._flat],
                    [gradient],
                    [self._exp_avg],
                    [self._exp_avg_sq],
                    [],
                    [self._steps],
                    fused=self._fused,
                    decoupled_weight_decay=self.algorithm == "adamw",
                    amsgrad=False,
                    beta1=self.betas[0],
                    beta2=self.betas[1],
                    lr=lr,
                    weight_decay=weight_decay,
                    eps=1e-8,
                    maximize=False,
                )
            else:
                sgd(
                    [self._flat],
                    [gradient],
                    self._momentum_buffer,
                    fused=self._fused,
                    weight_decay=weight_decay,
                    momentum=self.momentum,
                    lr=lr,
                    dampening=0.0,
                    nesterov=False,
                    maximize=False,
                )
        return losses.item()  # the loss of the parameters that were evaluated, before this step

    def _state(self) -> dict[str, Any]:
        return {
            "params": self._flat.clone(),
            "exp_avg": self._exp_avg.clone(),
            "exp_avg_sq": self._exp_avg_sq.clone(),
            "steps": self._steps.clone(),
            "momentum_buffer": self._momentum_buffer[0],
            "schedule": getattr(self._schedule, "state_dict", dict)(),
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        device = self._flat.device
        with torch.no_grad():
            self._flat.copy_(state["params"])  # the leaves see it: they share storage
        self._exp_avg.copy_(state["exp_avg"])
        self._exp_avg_sq.copy_(state["exp_avg_sq"])
        self._steps.copy_(state["steps"])
        buffer = state["momentum_buffer"]
        self._momentum_buffer = [None if buffer is None else buffer.to(device)]
        if hasattr(self._schedule, "load_state_dict"):
            self._schedule.load_state_dict(state.get("schedule", {}))
        self.candidate_ = self._flat
