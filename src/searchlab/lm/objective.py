"""Next-token prediction as a search problem: one example per window of the training text.

`searchlab.lm.train` trains the transformer through the one loop, `searchlab.core.run`, like every other
network: the parameters are a `ModuleSpace`, the gradient optimizer draws minibatches of example indices,
and this problem turns them into windows and scores them. An example is a window's start position in the
training ids: the window is the context + 1 tokens from there, and the loss is the mean cross-entropy of
its `context` next-token predictions. A window is `context` predictions, so it costs `context`
forward-equivalents (`cost_per_example`), and a training step on B windows costs 3 B context.

What a resumed run needs beyond the optimizer lives in `state()`: dropout's generator (seeded from the run's
seed, drawn once per training step), the trainer's record (the learning curve so far, the losses since its
last point, the seconds spent inside steps), and the model's shape and vocabulary, so that a checkpoint is
also what `searchlab sample` loads (`saved_model`).
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any

import torch
import torch.nn.functional as F

from searchlab.core.errors import SearchlabError
from searchlab.core.problem import DataLossProblem
from searchlab.core.seeding import torch_generator
from searchlab.lm.model import CausalTransformer, ModelConfig
from searchlab.spaces import ModuleSpace


def fresh_record() -> dict[str, Any]:
    """The trainer's record at step 0: no curve points, no losses summed, no seconds spent."""
    return {"curve": [], "loss_sum": 0.0, "loss_count": 0, "train_seconds": 0.0}


class NextTokenProblem(DataLossProblem):
    """Windows of `train_ids` scored by next-token cross-entropy, with the transformer's parameters searched.

    Args:
        model: the network at its initial parameters, on the device to train on (the space's template;
            left untouched).
        train_ids: (N,) int64 token ids of the training text, on the model's device, N > context.
        batch_size: windows per training step. With fewer than that many windows in the text, the
            windows repeat so that a step still sees `batch_size` of them.
        dropout_seed: seeds the dropout masks (one draw per training step).
        measure_windows: how many evenly spaced training windows `full_loss` scores.
        saved: what a checkpoint keeps to say what it is of ("model_config", "vocab", ...), returned by
            `state()` and compared on resume.

    Attributes:
        network: once the first training step has run, a copy of the model whose parameters are the
            optimizer's own (views of its flat candidate): the live model, for callbacks and measurements.
        record: the trainer's record (see `fresh_record`), kept in checkpoints.
        step_began: perf_counter() when the last training step's forward pass began.
    """

    def __init__(
        self,
        model: CausalTransformer,
        train_ids: torch.Tensor,
        batch_size: int,
        dropout_seed: int,
        *,
        measure_windows: int = 64,
        saved: dict[str, Any] | None = None,
    ) -> None:
        context = model.config.context
        windows = len(train_ids) - context  # starts 0 .. N - context - 1: each window's last target is in the text
        if windows < 1:
            raise SearchlabError(f"the training text has {len(train_ids)} tokens; it needs more than {context}")
        starts = torch.arange(windows, device=train_ids.device).repeat(math.ceil(batch_size / windows))
        super().__init__(ModuleSpace(model), {"start": starts}, self._window_loss, name="next_token_loss")
        self.cost_per_example = context  # one forward-equivalent per predicted token
        self.train_ids = train_ids
        self.offsets = torch.arange(context + 1, device=train_ids.device)
        measured = torch.linspace(0, windows - 1, min(measure_windows, windows)).round().long().unique()
        self.measured = measured.to(train_ids.device)  # the example indices `full_loss` scores
        self.dropout = torch_generator(dropout_seed)
        self.saved = dict(saved or {})
        self.record = fresh_record()
        self.network: CausalTransformer | None = None
        self.step_began = time.perf_counter()
        self._bound: dict[str, torch.Tensor] | None = None

    def _window_loss(self, run, rows: dict[str, torch.Tensor]) -> torch.Tensor:
        """Mean next-token cross-entropy (nats) of the windows starting at rows["start"] (b,)."""
        windows = self.train_ids[rows["start"][:, None] + self.offsets]  # (b, T + 1)
        logits = run(windows[:, :-1])  # (b, T, V)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1))

    def _losses(self, population, batch: torch.Tensor | None) -> torch.Tensor:
        """A training step (autograd on) runs with dropout, seeded from this problem's generator; else without."""
        training = torch.is_grad_enabled()
        if not (training and self.space.template.config.dropout > 0):
            return self._scored(population, batch, training)
        device = self.train_ids.device
        # Dropout draws from torch's global generator: seed it from ours for this step, and put it back after.
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(int(torch.randint(0, 2**62, (1,), generator=self.dropout)))
            return self._scored(population, batch, training)

    def _scored(self, population, batch: torch.Tensor | None, training: bool) -> torch.Tensor:
        if training:
            self.step_began = time.perf_counter()
        if isinstance(population, dict) and population is not self._bound:
            self._bind(population)
        if population is self._bound:
            # The gradient optimizer's own tensors, already the network's parameters: call it directly
            # (what `functional_call` would compute, without swapping every parameter in and out per step).
            self.network.train(training)
            starts = self.data["start"] if batch is None else self.data["start"].index_select(0, batch)
            return self._window_loss(self.network, {"start": starts}).reshape(1)
        self.space.template.train(training)
        return super()._losses(population, batch)

    def _bind(self, named: dict[str, torch.Tensor]) -> None:
        """Make a copy of the model whose parameters are the tensors `named` (the optimizer's, shared, not copied)."""
        if not all(isinstance(tensor, torch.nn.Parameter) for tensor in named.values()):
            return  # not trainable leaves: leave this population to functional_call
        network = copy.deepcopy(self.space.template)
        for name, parameter in named.items():
            owner, _, attribute = name.rpartition(".")
            setattr(network.get_submodule(owner), attribute, parameter)
        self.network, self._bound = network, named

    def full_loss(self, candidate: torch.Tensor) -> float:
        """Mean next-token loss of `candidate` (d,) on fixed, evenly spaced training windows; uncounted."""
        with torch.no_grad():
            return float(self._losses(candidate.detach().unsqueeze(0), self.measured)[0])

    def state(self) -> dict[str, Any]:
        return {**self.saved, "dropout_generator": self.dropout.get_state(), "record": copy.deepcopy(self.record)}

    def load_state(self, state: dict[str, Any]) -> None:
        """Take back `state()`; another model's is refused (a ValueError, which `checkpoint.restoring` words)."""
        theirs, ours = state.get("model_config"), self.saved.get("model_config")
        if theirs != ours:
            raise ValueError(f"it holds another model ({theirs}; this run's is {ours})")
        self.dropout.set_state(state["dropout_generator"])
        record = state["record"]
        self.record = {key: record[key] for key in fresh_record()}


def saved_model(state: dict[str, Any]) -> tuple[CausalTransformer, Any] | None:
    """The trained model (eval mode) and the saved vocabulary of a checkpoint `searchlab.lm.train` wrote.

    Args:
        state: a checkpoint's state (`checkpoint.load`): the loop's, holding this problem's `state()` and
            the optimizer's candidate.

    Returns:
        (model, the vocabulary's saved state for `vocab_from_state`), or None when `state` is not a
        language model's checkpoint.

    Raises:
        KeyError, TypeError, ValueError: a checkpoint that claims to be a language model's but does not
            fit one (edited, damaged); inside `checkpoint.restoring` these become one SearchlabError.
    """
    problem = state.get("problem")
    if not (isinstance(problem, dict) and "model_config" in problem and isinstance(state.get("optimizer"), dict)):
        return None
    model = CausalTransformer(ModelConfig(**problem["model_config"]), torch_generator(0))
    parameters = state["optimizer"]["candidate"]
    count = sum(parameter.numel() for parameter in model.parameters())
    if not isinstance(parameters, torch.Tensor) or parameters.shape != (count,):
        found = tuple(parameters.shape) if isinstance(parameters, torch.Tensor) else type(parameters).__name__
        raise ValueError(f"its parameters are {found}, a model of its settings has ({count},)")
    torch.nn.utils.vector_to_parameters(parameters.to(torch.float32), model.parameters())
    return model.eval(), problem.get("vocab")
