"""Linear models: y = a*x + b, and its vector form y = W x + b."""

from __future__ import annotations

import torch

from searchlab.spaces.mlp import MLPSpace


class LinearSpace(MLPSpace):
    """All linear (affine) functions from `n_in` inputs to `n_out` outputs.

    A network with no hidden layer: the simplest setting of `MLPSpace`. With one
    input and one output its two parameters are the essay's a and b.
    """

    def __init__(self, n_in: int = 1, n_out: int = 1) -> None:
        super().__init__([n_in, n_out], bias=True, activation="identity", output_activation="identity")

    def design_matrix(self, inputs: torch.Tensor) -> torch.Tensor:
        """(N, n_in + 1): the inputs with a column of ones for the intercept."""
        return torch.cat([inputs, torch.ones(inputs.shape[0], 1, dtype=inputs.dtype, device=inputs.device)], dim=1)

    def from_solution(self, solution: torch.Tensor) -> torch.Tensor:
        """Flat (d,) candidate from a (n_in + 1, n_out) least-squares solution."""
        weight = solution[:-1].T  # (n_out, n_in)
        bias = solution[-1]  # (n_out,)
        return self.flatten({"weight1": weight, "bias1": bias})

    def parameter_names(self) -> list[str]:
        if self.widths == [1, 1]:
            return ["a", "b"]
        return super().parameter_names()

    def describe(self) -> str:
        if self.widths == [1, 1]:
            return "linear functions y = a*x + b (2 parameters)"
        return f"linear functions from {self.widths[0]} inputs to {self.widths[1]} outputs ({self.dim} parameters)"
