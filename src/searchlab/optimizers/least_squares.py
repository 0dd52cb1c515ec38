"""The closed form: linear regression needs no search at all."""

from __future__ import annotations

import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.metric import SquaredError
from searchlab.core.optimizer import Optimizer
from searchlab.core.problem import Problem, SupervisedProblem
from searchlab.spaces.linear import LinearSpace


class LeastSquares(Optimizer):
    """Solve linear least squares in one step (QR in float64), then evaluate the answer once.

    Only linear spaces scored by squared error have this shortcut; for them the
    answer is the exact minimiser, which every search optimizer can be compared to.
    The solve reads every example once; the one evaluation of its answer is what
    the accounting counts.
    """

    name = "least_squares"

    def __init__(self) -> None:
        super().__init__(batch_size=None)

    def unsupported(self, problem: Problem) -> str | None:
        if not isinstance(problem, SupervisedProblem):
            return "the closed form needs inputs paired with targets"
        if not isinstance(problem.space, LinearSpace):
            return "the closed form exists only for linear models (y = a*x + b), not for networks or grids"
        if not isinstance(problem.metric, SquaredError):
            return f"the closed form minimises squared error, not {problem.metric.name}"
        if problem.targets.dim() != 2:
            return "targets must be (N, outputs) real values"
        return None

    def _start(self, problem: Problem) -> None:
        self.candidate_ = torch.zeros(problem.space.dim)

    def _ask(self, problem: Problem) -> torch.Tensor:
        design = problem.space.design_matrix(problem.inputs.to(torch.float64))  # (N, n_in + 1)
        targets = problem.targets.to(torch.float64)  # (N, n_out)
        q, r = torch.linalg.qr(design)
        diagonal = r.diagonal().abs()
        if design.shape[0] < design.shape[1] or diagonal.min() <= 1e-12 * max(1.0, float(diagonal.max())):
            raise SearchlabError(
                "the inputs do not determine a unique line (too few examples, or an input column "
                "that is constant or a copy of another); give varied x values"
            )
        solution = torch.linalg.solve_triangular(r, q.T @ targets, upper=True)  # (n_in + 1, n_out)
        return problem.space.from_solution(solution).to(problem.inputs.dtype).unsqueeze(0)

    def _tell(self, population: torch.Tensor, losses: torch.Tensor) -> float:
        self.candidate_ = population[0]
        self.finished_ = True
        return float(losses[0])
