"""A cheap proxy for a task's effective dimension: how many directions of weight space the loss can feel.

Random search pays for the number of directions along which the loss curves, not for the raw number
of weights (Li et al. 2018, "Measuring the intrinsic dimension of objective landscapes", measure the
same thing by training in random subspaces). For a squared error the Gauss-Newton matrix
G = J^T J / N, with J the (N, d) Jacobian of the N outputs over the d weights, is the loss's curvature
near a fit; its rank is at most min(N, d), so a task with 64 examples offers at most 64 directions
however many weights the network has. The proxy counts G's eigenvalues above a fraction of the
largest, computed from J's singular values (eigenvalue i of G is sigma_i^2 / N).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from searchlab.core.errors import SearchlabError


def output_jacobian(
    output: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], params: torch.Tensor, inputs: torch.Tensor
) -> torch.Tensor:
    """The (N, d) Jacobian of the outputs over the weights: row i is the gradient of `output(params, inputs[i])`.

    Args:
        output: (flat (d,) weights, one example) -> a scalar output.
        params: the flat (d,) weights where the Jacobian is taken.
        inputs: (N, ...) examples.

    Computed as per-example gradients (torch.func.grad, vectorised over the examples by vmap).
    """
    from torch.func import grad, vmap

    return vmap(grad(output), in_dims=(None, 0))(params.detach(), inputs)


def gauss_newton_eigenvalues(jacobian: torch.Tensor) -> np.ndarray:
    """Eigenvalues of J^T J (unscaled by 1/N), largest first, from the smaller of J^T J and J J^T.

    Both share their nonzero eigenvalues, so the (min(N, d),) spectrum costs min(N, d)^3, not an SVD of J.
    """
    gram = jacobian.T @ jacobian if jacobian.shape[1] <= jacobian.shape[0] else jacobian @ jacobian.T
    eigenvalues = torch.linalg.eigvalsh(gram).cpu().numpy()[::-1]
    return np.clip(eigenvalues, 0.0, None)  # rounding can leave tiny negatives


def effective_dimension(eigenvalues: np.ndarray | torch.Tensor, fraction: float) -> int:
    """How many of the curvature `eigenvalues` exceed `fraction` times the largest.

    Raises:
        SearchlabError: `fraction` is not strictly between 0 and 1.
    """
    if not 0 < fraction < 1:
        raise SearchlabError(f"the eigenvalue fraction must lie strictly between 0 and 1, got {fraction}")
    values = np.asarray(eigenvalues, dtype=float)
    if values.size == 0 or not values.max() > 0:
        return 0
    return int((values > fraction * values.max()).sum())


def network_effective_dimension(space, params: torch.Tensor, inputs: torch.Tensor, fraction: float) -> int:
    """`effective_dimension` of a one-output network `space` (an MLPSpace) at `params` on `inputs` (N, inputs).

    Computed in float64, so that eigenvalues far below the largest are not float32 rounding.
    """

    def output(flat: torch.Tensor, example: torch.Tensor) -> torch.Tensor:
        named = {name: value[0] for name, value in space.unflatten(flat.unsqueeze(0)).items()}
        return space.forward_one(named, example.unsqueeze(0))[0, 0]  # plain layers, which torch.func handles fast

    jacobian = output_jacobian(output, params.detach().double(), inputs.detach().double())
    return effective_dimension(gauss_newton_eigenvalues(jacobian), fraction)
