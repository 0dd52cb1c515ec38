"""Feedforward networks (multi-layer perceptrons) as a parametric search space.

Weights are stored like `torch.nn.Linear` (out, in), so a flat parameter vector
copies straight into an ordinary `nn.Sequential`. The essay's names are used
for display: w(l)i,j multiplies input i of layer l on its way to neuron j.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from searchlab.core.errors import SearchlabError
from searchlab.core.space import ParametricSpace

ACTIVATIONS = {"relu": F.relu, "tanh": torch.tanh, "identity": lambda h: h}
_MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "identity": nn.Identity}
_IN_PLACE = {"relu": torch.relu_, "tanh": torch.tanh_, "identity": lambda h: h}
INITS = ("pytorch", "glorot")


class MLPSpace(ParametricSpace):
    """All feedforward networks with the given layer widths.

    Args:
        widths: [inputs, hidden..., outputs], e.g. [3, 2, 2] for the essay's network.
        bias: give every neuron a bias parameter.
        activation: nonlinearity after each hidden layer ("relu", "tanh", "identity").
        output_activation: nonlinearity after the last layer (the essay's network
            applies ReLU there too); "identity" leaves logits or values as they are.
        init: the distribution `sample` draws from, uniform in +-s per layer:
            "pytorch" (s = 1/sqrt(fan_in), nn.Linear's default) or "glorot"
            (s = sqrt(6 / (fan_in + fan_out)), scikit-learn's MLP default).
    """

    def __init__(
        self,
        widths: Sequence[int],
        *,
        bias: bool = True,
        activation: str = "relu",
        output_activation: str = "identity",
        init: str = "pytorch",
    ) -> None:
        widths = [int(w) for w in widths]
        if len(widths) < 2 or any(w <= 0 for w in widths):
            raise SearchlabError(f"widths must list at least an input and an output size, all positive; got {widths}")
        for act in (activation, output_activation):
            if act not in ACTIVATIONS:
                raise SearchlabError(f"unknown activation {act!r}; choose one of {', '.join(ACTIVATIONS)}")
        if init not in INITS:
            raise SearchlabError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
        self.widths = widths
        self.init = init
        self.bias = bias
        self.activation = activation
        self.output_activation = output_activation
        shapes: dict[str, tuple[int, ...]] = {}
        for layer, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:]), start=1):
            shapes[f"weight{layer}"] = (n_out, n_in)
            if bias:
                shapes[f"bias{layer}"] = (n_out,)
        self._shapes = shapes

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return self._shapes

    @property
    def n_layers(self) -> int:
        return len(self.widths) - 1

    def forward(self, population: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        params = self.unflatten(population)
        k, n = population.shape[0], inputs.shape[0]
        # Layer 1: every candidate reads the same inputs, so all K of them are one wide
        # GEMM: (N, n_in) @ (n_in, K * width) -> (N, K * width), bias added in the same call.
        width = self.widths[1]
        weight = params["weight1"].reshape(k * width, self.widths[0])  # (K * width, n_in)
        if self.bias:
            h = torch.addmm(params["bias1"].reshape(k * width), inputs, weight.T)
        else:
            h = inputs @ weight.T
        h = self._activate(h, 1)
        h = h.view(n, k, width).transpose(0, 1)  # (K, N, width), a strided view: no copy
        # Later layers: one batched matmul over the K candidates, bias included.
        for layer in range(2, self.n_layers + 1):
            weight_t = params[f"weight{layer}"].transpose(1, 2)  # (K, in, out)
            if self.bias:
                h = torch.baddbmm(params[f"bias{layer}"].unsqueeze(1), h, weight_t)  # (K, N, out)
            else:
                h = torch.bmm(h, weight_t)
            h = self._activate(h, layer)
        return h

    def _activate(self, h: torch.Tensor, layer: int) -> torch.Tensor:
        """The layer's nonlinearity, in place (h is always a fresh result here)."""
        name = self.activation if layer < self.n_layers else self.output_activation
        return _IN_PLACE[name](h)

    def forward_one(self, named: dict[str, torch.Tensor], inputs: torch.Tensor) -> torch.Tensor:
        # Exactly the operations of the nn.Sequential that `module` builds.
        hidden = ACTIVATIONS[self.activation]
        h = inputs
        for layer in range(1, self.n_layers + 1):
            h = F.linear(h, named[f"weight{layer}"], named[f"bias{layer}"] if self.bias else None)
            h = hidden(h) if layer < self.n_layers else ACTIVATIONS[self.output_activation](h)
        return h

    def init_scales(self) -> torch.Tensor:
        scales = []
        for fan_in, fan_out in zip(self.widths[:-1], self.widths[1:]):
            scale = fan_in**-0.5 if self.init == "pytorch" else (6.0 / (fan_in + fan_out)) ** 0.5
            count = fan_in * fan_out + (fan_out if self.bias else 0)  # the layer's weights, then its biases
            scales.append(torch.full((count,), scale))
        return torch.cat(scales)

    def module(self, params: torch.Tensor) -> nn.Sequential:
        named = self.unflatten(params.detach().reshape(1, -1))
        layers: list[nn.Module] = []
        for layer, (n_in, n_out) in enumerate(zip(self.widths[:-1], self.widths[1:]), start=1):
            linear = nn.Linear(n_in, n_out, bias=self.bias, dtype=params.dtype, device=params.device)
            with torch.no_grad():
                linear.weight.copy_(named[f"weight{layer}"][0])
                if self.bias:
                    linear.bias.copy_(named[f"bias{layer}"][0])
            layers.append(linear)
            act = self.activation if layer < self.n_layers else self.output_activation
            layers.append(_MODULES[act]())
        return nn.Sequential(*layers)

    def params_from_module(self, module: nn.Module) -> torch.Tensor:
        """Flat (d,) vector of an `nn.Sequential` built like `module()` builds it."""
        linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
        named = {}
        for layer, linear in enumerate(linears, start=1):
            named[f"weight{layer}"] = linear.weight.detach()
            if self.bias:
                named[f"bias{layer}"] = linear.bias.detach()
        return self.flatten(named)

    def parameter_names(self) -> list[str]:
        """The essay's names: w(l)i,j for weights, b(l)j for biases (1-based)."""
        names = []
        for name, shape in self.shapes.items():
            if name.startswith("weight"):
                layer = name[6:]
                names.extend(f"w({layer}){i + 1},{j + 1}" for j in range(shape[0]) for i in range(shape[1]))
            else:
                layer = name[4:]
                names.extend(f"b({layer}){j + 1}" for j in range(shape[0]))
        return names

    def describe(self) -> str:
        bias = ", bias" if self.bias else ", no bias"
        return f"MLP {'-'.join(map(str, self.widths))} ({self.dim} parameters, {self.activation}{bias})"
