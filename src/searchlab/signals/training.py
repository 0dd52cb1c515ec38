"""How every training signal trains a network: a search through `searchlab.core.run`, like every other search.

Each signal's training is a problem over the network's parameters (`spaces.ModuleSpace`) searched
by Adam (`make_optimizer("gradient", algorithm="adam")`) for a number of steps. This module holds
what the signals' problems share:

* `train`: run that search on one thread (networks this small train fastest on one, and do not
  fight other work for the cores) and copy the answer back into the caller's network, so that a
  path keeps training "in place" as callers expect.
* `Shown`: examples a person was paid for (demonstrations, corrections) as a `DataLossProblem` that
  bills them as labels when the fit begins, so that `Result.labels` is the human signal the fit used.
* `bound`: the network temporarily holding a candidate's parameters, for problems that need the
  network's own methods (sampling answers, playing games) and not only its forward pass.
* `every`: a `core.run` callback that calls back at learning-curve points with the network holding
  the current candidate.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch

from searchlab.core import Budget, DataLossProblem, Optimizer, Problem, Result, Trace
from searchlab.core import run as run_search
from searchlab.core.device import cpu_threads
from searchlab.core.errors import SearchlabError
from searchlab.optimizers import make_optimizer


def train(
    module: torch.nn.Module,
    problem: Problem,
    lr: float,
    steps: int,
    seed: int,
    *,
    batch_size: int | None = None,
    callback: Callable[[Optimizer, Trace], None] | None = None,
) -> Result:
    """`steps` Adam steps on `problem` (whose space is `module`'s parameters), then `module` holds the answer.

    Args:
        module: the network `problem.space` was made from; it holds the final candidate afterwards.
        problem: what to minimise.
        lr: Adam's learning rate.
        steps: how many steps.
        seed: seeds the loop's generator (the minibatches).
        batch_size: examples per step; None for all of them.
        callback: called after every step (see `core.run`).

    Returns:
        The loop's `Result`: its counters (forward_equivalents, examples_seen, labels) are the fit's cost.
    """
    optimizer = make_optimizer("gradient", algorithm="adam", lr=lr, batch_size=batch_size)
    with cpu_threads(1):  # networks this small train fastest on one thread
        result = run_search(problem, optimizer, Budget(steps=steps), seed, callback=callback)
    load(module, result.candidate)
    return result


def load(module: torch.nn.Module, candidate: torch.Tensor) -> None:
    """Copy a flat (d,) candidate into `module`'s parameters, in `named_parameters` order as `ModuleSpace` lays them."""
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(candidate.detach(), module.parameters())


def every(
    module: torch.nn.Module, steps: int, interval: int, point: Callable[[int, Optimizer], None]
) -> Callable[[Optimizer, Trace], None]:
    """A `core.run` callback: at every `interval`-th step and the last of `steps`, load the current candidate
    into `module` and call `point(step, optimizer)` (to measure the network and keep a learning-curve point)."""

    def callback(optimizer: Optimizer, trace: Trace) -> None:
        step = optimizer.step_
        if step % interval == 0 or step == steps:
            load(module, optimizer.candidate_)
            point(step, optimizer)

    return callback


class Shown(DataLossProblem):
    """Examples a person was paid for, as a `DataLossProblem` that bills `bought` labels at its first step.

    The demonstrations are bought before the fit (the data must exist to be trained on), so the fit is
    charged for them when it begins: `Result.labels` of the run, and the trace's labels column from
    step 1 on, are the human signal this fit trained on that no earlier fit paid for.

    Args:
        space, data, loss, name: as `DataLossProblem`.
        bought: the labels to bill (demonstrations shown, answers an overseer wrote).
        cost_per_example: forward-equivalents of one example (the predictions one row asks for).
    """

    def __init__(
        self, space, data: dict[str, torch.Tensor], loss, name: str, bought: int, cost_per_example: int = 1
    ) -> None:
        super().__init__(space, data, loss, name)
        self.bought = int(bought)
        self.cost_per_example = int(cost_per_example)
        self.billed = False

    def _losses(self, population, batch):
        if not self.billed and torch.is_grad_enabled():  # a training step, not a measurement
            self.labels += self.bought
            self.billed = True
        return super()._losses(population, batch)

    def state(self) -> dict[str, Any]:
        return {"billed": self.billed}

    def load_state(self, state: dict[str, Any]) -> None:
        self.billed = bool(state.get("billed", False))


@contextlib.contextmanager
def bound(module: torch.nn.Module, named: dict[str, torch.Tensor]) -> Iterator[torch.nn.Module]:
    """`module` with each named parameter replaced by the candidate's tensor for the duration of the block.

    Gradients of what the block computes flow to `named` (the optimizer's leaves, views of its one flat
    vector), not to the module's own parameters, which come back untouched afterwards. A problem uses this
    where the candidate must run through the network's own methods (sampling with a KV cache, a table of
    move probabilities), which `ModuleSpace.forward_one` (the forward pass only) does not reach.

    Raises:
        SearchlabError: a module that shares one parameter under two names (binding one name would leave
            the other on the old values).
    """
    if len(list(module.named_parameters(remove_duplicate=False))) != len(named):
        raise SearchlabError(
            f"{type(module).__name__} shares parameters between layers; bind a module whose parameters are distinct"
        )
    originals = {}
    try:
        for name, tensor in named.items():
            owner, _, attribute = name.rpartition(".")
            layer = module.get_submodule(owner)
            originals[name] = (layer, attribute, getattr(layer, attribute))
            if not isinstance(tensor, torch.nn.Parameter):  # a population's row: a view, measured without autograd
                tensor = torch.nn.Parameter(tensor, requires_grad=tensor.requires_grad)
            setattr(layer, attribute, tensor)
        yield module
    finally:
        for layer, attribute, original in originals.values():
            setattr(layer, attribute, original)
