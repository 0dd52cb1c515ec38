"""Problems: a space, data and a metric, evaluated a whole population at a time.

The problem is the only object that spends compute on candidates, so it keeps
the books: one candidate on one example is one *forward-equivalent*, and a
backward pass adds two per example (one gradient step on a batch of B examples
costs 3B). Optimizers see losses (and gradients) only, never the data.

What "one example" is depends on the problem, and every problem in searchlab
uses the same rule: one forward-equivalent is one decision or prediction of one
candidate, whatever the model.

- a regression or classification example: 1 (one output row);
- a language model's window of T tokens: T (a prediction per position; set
  `cost_per_example`), so a training step on B windows costs 3BT;
- a game move: 1 per move a candidate strategy chooses, whether a lookup in a
  table or a network's forward pass (the opponent's moves are the environment's,
  not the search's); a game of Tic-Tac-Toe played by a candidate costs at most 5;
- a rollout: the moves the policy chose in it, 1 each, plus 2 per move for the
  backward pass of a policy-gradient step (3 per move in all);
- a tree-search simulation: 1 per network evaluation at a leaf.

Human signal is a second currency, counted apart: `labels` is the number of
demonstrations, ratings or checks a problem has bought from a (simulated) person.
A problem that asks a person for something adds to it; most problems never do.

A problem that draws random numbers of its own (rollouts, dropout) or keeps a
record between steps returns them from `state()` and takes them back in
`load_state()`; the loop keeps them in its checkpoints, so a resumed run
continues exactly.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any

import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.metric import Metric
from searchlab.core.space import Space

# Largest (candidates x examples x layer width) block evaluated at once without
# gradients: 2**18 floats (1 MiB) keeps a chunk's activations in cache, which on
# the 2-core development machine ran a 64-256-10 population about 3x faster than
# one chunk of everything (bench/population_eval.py).
_MAX_BLOCK = 1 << 18


class Problem(abc.ABC):
    """Something candidates can be scored on, with exact accounting of the cost.

    Attributes:
        space: the search space whose candidates this problem scores.
        metric: the loss that optimizers minimise.
        forward_equivalents: compute spent so far (see module docstring).
        examples_seen: examples consumed so far, summed over evaluations.
        labels: human signal bought so far (see module docstring).
        cost_per_example: forward-equivalents one candidate spends on one example (1; a window of
            T tokens costs T).
    """

    cost_per_example: int = 1

    def __init__(self, space: Space, metric: Metric) -> None:
        if metric.higher_is_better:
            raise SearchlabError(f"metric {metric.name} is a score, not a loss; optimizers minimise a loss")
        self.space = space
        self.metric = metric
        self.forward_equivalents = 0
        self.examples_seen = 0
        self.labels = 0

    @property
    @abc.abstractmethod
    def n_examples(self) -> int:
        """Number of training examples, the size of a full batch."""

    def evaluate(
        self, population: torch.Tensor, batch: torch.Tensor | None = None, *, gradient: bool = False
    ) -> torch.Tensor:
        """Loss of each candidate on a batch, counted.

        Args:
            population: (K, d) candidates, or one candidate as named (*shape) tensors
                (see `ParametricSpace.forward_one`).
            batch: indices of the examples to use; None for all of them.
            gradient: keep the autograd graph (the population must require grad)
                so that the caller can call `.backward()`; counted as 3 per example.

        Returns:
            (K,) losses; detached unless `gradient`.
        """
        n = self.n_examples if batch is None else int(batch.shape[0])
        k = 1 if isinstance(population, dict) else int(population.shape[0])
        self.forward_equivalents += (3 if gradient else 1) * k * n * self.cost_per_example
        self.examples_seen += n
        if gradient:
            return self._losses(population, batch)
        with torch.no_grad():
            return self._losses(population, batch)

    @abc.abstractmethod
    def _losses(self, population: torch.Tensor, batch: torch.Tensor | None) -> torch.Tensor:
        """(K,) losses of the population on the batch (uncounted; autograd as the caller set)."""

    def full_loss(self, candidate: torch.Tensor) -> float:
        """Loss of one (d,) candidate on all the training data; a measurement, not counted."""
        with torch.no_grad():
            return float(self._losses(candidate.detach().unsqueeze(0), None)[0])

    def counters(self) -> dict[str, int]:
        return {
            "forward_equivalents": self.forward_equivalents,
            "examples_seen": self.examples_seen,
            "labels": self.labels,
        }

    def load_counters(self, counters: dict[str, int]) -> None:
        self.forward_equivalents = int(counters["forward_equivalents"])
        self.examples_seen = int(counters["examples_seen"])
        self.labels = int(counters.get("labels", 0))  # absent from checkpoints written before labels were counted

    def state(self) -> dict[str, Any]:
        """What this problem keeps between steps beyond its counters (a generator's state, a record); {} by default."""
        return {}

    def load_state(self, state: dict[str, Any]) -> None:  # noqa: B027 (most problems keep nothing)
        """Take back what `state()` returned, after a fresh problem was built the same way."""


class SupervisedProblem(Problem):
    """Inputs with known targets: regression and classification.

    Args:
        space: a space with a batched `forward(population, inputs)`.
        inputs: (N, n_in) training inputs.
        targets: (N, n_out) targets, or (N,) class indices.
        metric: the loss to minimise.
    """

    def __init__(self, space: Space, inputs: torch.Tensor, targets: torch.Tensor, metric: Metric) -> None:
        super().__init__(space, metric)
        if inputs.shape[0] != targets.shape[0]:
            raise SearchlabError(f"{inputs.shape[0]} inputs but {targets.shape[0]} targets; they must pair up")
        if inputs.shape[0] == 0:
            raise SearchlabError("the training set is empty; give at least one example")
        self.inputs = inputs
        self.targets = targets

    @property
    def n_examples(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def device(self) -> torch.device:
        return self.inputs.device

    def _losses(self, population: torch.Tensor, batch: torch.Tensor | None) -> torch.Tensor:
        # index_select is the cheapest gather on both CPU and GPU.
        inputs = self.inputs if batch is None else self.inputs.index_select(0, batch)
        targets = self.targets if batch is None else self.targets.index_select(0, batch)
        return self.score(population, inputs, targets, self.metric)

    def score(
        self, population: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor, metric: Metric
    ) -> torch.Tensor:
        """Uncounted (K,) scores on any data: for reports, test sets and human scores.

        Without autograd, large populations are split into chunks so that memory
        stays bounded; with autograd the whole population is one graph.
        """
        if isinstance(population, dict):
            return metric.one(self.space.forward_one(population, inputs), targets).unsqueeze(0)
        if torch.is_grad_enabled() and population.requires_grad:
            return metric(self.space.forward(population, inputs), targets)
        population = population.to(device=inputs.device, dtype=inputs.dtype)
        width = max(1, self._output_width(inputs))
        chunk = max(1, _MAX_BLOCK // (inputs.shape[0] * width))
        parts = [
            metric(self.space.forward(population[i : i + chunk], inputs), targets)
            for i in range(0, population.shape[0], chunk)
        ]
        return torch.cat(parts)

    def _output_width(self, inputs: torch.Tensor) -> int:
        widths = getattr(self.space, "widths", None)
        return max(widths) if widths else (self.targets.shape[1] if self.targets.dim() > 1 else inputs.shape[1])


LossFunction = Callable[[Callable[..., Any], dict[str, torch.Tensor]], "torch.Tensor | tuple[torch.Tensor, dict]"]


class DataLossProblem(Problem):
    """Examples as named tensors, and a loss written as a function of one candidate's forward pass.

    For networks whose loss is not one metric of one output: a policy and a value head, a masked policy,
    a reward model's pairwise loss. `loss(run, rows)` gets `run(*inputs)`, which runs the candidate (see
    `ParametricSpace.forward_one`), and `rows`, the examples of this step by name; it returns the mean loss
    (a 0-d tensor), or (that loss, {name: 0-d tensor}) to report parts of it: the parts of the last
    gradient step are kept in `last_parts` (floats).

    Args:
        space: a parametric space (e.g. `searchlab.spaces.ModuleSpace`).
        data: name -> (N, ...) tensors, one row per example, all on one device.
        loss: the loss function above.
        name: what the loss is called (the trace's and the report's word for it).
    """

    def __init__(self, space: Space, data: dict[str, torch.Tensor], loss: LossFunction, name: str = "loss") -> None:
        super().__init__(space, _NamedLoss(name))
        sizes = {key: int(value.shape[0]) for key, value in data.items()}
        if not sizes or min(sizes.values()) == 0:
            raise SearchlabError("the training set is empty; give at least one example")
        if len(set(sizes.values())) != 1:
            raise SearchlabError(f"every tensor of the data needs one row per example, got rows {sizes}")
        self.data = data
        self.loss = loss
        self.last_parts: dict[str, float] = {}

    @property
    def n_examples(self) -> int:
        return int(next(iter(self.data.values())).shape[0])

    @property
    def device(self) -> torch.device:
        return next(iter(self.data.values())).device

    def _losses(self, population: torch.Tensor | dict[str, torch.Tensor], batch: torch.Tensor | None) -> torch.Tensor:
        rows = self.data if batch is None else {key: value.index_select(0, batch) for key, value in self.data.items()}
        if isinstance(population, dict):
            return self._one(population, rows).reshape(1)
        views = self.space.unflatten(population)
        return torch.stack(
            [self._one({key: view[k] for key, view in views.items()}, rows) for k in range(len(population))]
        )

    def _one(self, named: dict[str, torch.Tensor], rows: dict[str, torch.Tensor]) -> torch.Tensor:
        out = self.loss(lambda *inputs: self.space.forward_one(named, inputs), rows)
        if isinstance(out, tuple):
            out, parts = out
            if torch.is_grad_enabled():  # a training step's parts, not a measurement's
                self.last_parts = {key: float(value.detach()) for key, value in parts.items()}
        return out


class _NamedLoss(Metric):
    """The name of a `DataLossProblem`'s loss (the problem computes the loss itself)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        raise SearchlabError(f"{self.name} is computed by its problem, not from outputs and targets")
