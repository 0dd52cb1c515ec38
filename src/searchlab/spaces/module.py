"""Any `torch.nn.Module` as a search space: a candidate is the module's parameters laid out as one flat vector.

The hand-built spaces (`MLPSpace`, `LinearSpace`) write their layers out so that a whole population runs in
one batched call. A network with convolutions, two heads or attention is easier to keep as the module it
is: `ModuleSpace` runs a candidate through the module with `torch.func.functional_call`, which swaps the
module's parameters for the candidate's for one call and leaves the module itself untouched. The gradient
optimizer then trains the module's parameters through `searchlab.core.run` like any other candidate (one
flat vector, views shaped like the layers), with the same budgets, checkpoints and accounting.

The space's starting point is the module as its caller built it: `sample` returns copies of the module's
own parameters (its constructor chose their initialisation), and `perturb` adds Gaussian noise, so random
and local search start from the same network that gradient descent starts from.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch.func import functional_call

from searchlab.core.errors import SearchlabError
from searchlab.core.space import ParametricSpace


class ModuleSpace(ParametricSpace):
    """The parameters of `module` (in `named_parameters` order) as a flat vector.

    Args:
        module: the network; its buffers (if any) are shared by every candidate, its parameters are the search.
    """

    def __init__(self, module: torch.nn.Module) -> None:
        named = dict(module.named_parameters())
        if not named:
            raise SearchlabError(f"{type(module).__name__} has no parameters to search over")
        self.template = module
        self._shapes = {name: tuple(parameter.shape) for name, parameter in named.items()}
        self._initial = torch.cat([parameter.detach().reshape(-1) for parameter in named.values()]).clone()

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return self._shapes

    @property
    def initial(self) -> torch.Tensor:
        """(d,) the module's parameters when the space was made."""
        return self._initial

    def sample(self, count: int, generator: torch.Generator) -> torch.Tensor:
        return self._initial.unsqueeze(0).repeat(count, 1)

    def init_scales(self) -> torch.Tensor:
        return self._initial.abs().clamp_min(1e-3)  # where a layer's weights sit (the noise scale of a perturbation)

    def forward_one(self, named: dict[str, torch.Tensor], inputs: torch.Tensor | Sequence[torch.Tensor]):
        """The module run with the candidate's parameters; `inputs` is its one argument or a tuple of them."""
        args = tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)
        return functional_call(self.template, named, args)

    def forward(self, population: torch.Tensor, inputs: torch.Tensor | Sequence[torch.Tensor]):
        """Every candidate in turn: (K, ...) stacked outputs (a tuple of stacks when the module returns a tuple)."""
        views = self.unflatten(population)
        outputs = [
            self.forward_one({name: view[k] for name, view in views.items()}, inputs) for k in range(len(population))
        ]
        if isinstance(outputs[0], tuple):
            return tuple(torch.stack(parts) for parts in zip(*outputs))
        return torch.stack(outputs)

    def module(self, params: torch.Tensor) -> torch.nn.Module:
        """A copy of the module holding the candidate `params` (d,)."""
        if params.shape != (self.dim,):
            raise SearchlabError(
                f"a candidate of this space has {self.dim} parameters, got shape {tuple(params.shape)}"
            )
        copied = copy.deepcopy(self.template)
        torch.nn.utils.vector_to_parameters(params.detach().to(self._initial.dtype), copied.parameters())
        return copied
