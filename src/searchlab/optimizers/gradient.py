"""Gradient descent through autograd and `torch.optim`: SGD, momentum and Adam.

The update is torch.optim's own functional `adam`/`sgd` (the code `torch.optim.Adam`
and `torch.optim.SGD` call, fused kernels on CPU and CUDA), applied to the one
flat parameter vector. Calling it directly skips the per-step bookkeeping of the
`torch.optim.Optimizer` object (hooks, profiling scopes, state lookups), about
a tenth of a small network's step; the arithmetic is the same.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.optim.adam import adam
from torch.optim.sgd import sgd

from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import Optimizer, positive
from searchlab.core.problem import Problem
from searchlab.core.space import ParametricSpace

ALGORITHMS = ("sgd", "adam")


class GradientDescent(Optimizer):
    """Follow the gradient of the loss: every small tweak tried at once, in one backward pass.

    Plain SGD is `algorithm="sgd", momentum=0`; momentum and Adam are settings.
    One step on a batch of B examples costs 3B forward-equivalents.

    Args:
        algorithm: "sgd" (with optional momentum) or "adam".
        lr: learning rate.
        momentum: SGD momentum (0 for plain SGD).
        weight_decay: L2 penalty coefficient, as torch.optim applies it.
        batch_size: examples per step (None: all, i.e. full-batch gradient descent).
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
    ) -> None:
        super().__init__(batch_size=batch_size)
        if algorithm not in ALGORITHMS:
            raise SearchlabError(f"unknown gradient algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
        if not (positive(lr) and positive(momentum, zero=True) and positive(weight_decay, zero=True)):
            raise SearchlabError(
                f"gradient: lr must be a positive number and momentum, weight_decay numbers >= 0; got lr={lr}, "
                f"momentum={momentum}, weight_decay={weight_decay}"
            )
        self.algorithm = algorithm
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay

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

    def _ask(self, problem: Problem) -> dict[str, torch.Tensor]:
        return self._leaves

    def _tell(self, population: dict[str, torch.Tensor], losses: torch.Tensor) -> float:
        for leaf in self._leaf_list:
            leaf.grad = None
        losses.backward(self._seed_gradient)  # (1,) losses: no indexing op on the graph
        gradient = torch.cat([leaf.grad.reshape(-1) for leaf in self._leaf_list])  # (d,)
        with torch.no_grad():  # updates the flat vector in place, so the layer views too
            if self.algorithm == "adam":
                adam(
                    [self._flat],
                    [gradient],
                    [self._exp_avg],
                    [self._exp_avg_sq],
                    [],
                    [self._steps],
                    fused=self._fused,
                    amsgrad=False,
                    beta1=0.9,
                    beta2=0.999,
                    lr=self.lr,
                    weight_decay=self.weight_decay,
                    eps=1e-8,
                    maximize=False,
                )
            else:
                sgd(
                    [self._flat],
                    [gradient],
                    self._momentum_buffer,
                    fused=self._fused,
                    weight_decay=self.weight_decay,
                    momentum=self.momentum,
                    lr=self.lr,
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
        self.candidate_ = self._flat
