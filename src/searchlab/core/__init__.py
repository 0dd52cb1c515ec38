"""The core: spaces, metrics, problems, optimizers, the run driver and its records."""

from searchlab.core.budget import Budget
from searchlab.core.errors import DivergedError, SearchlabError
from searchlab.core.metric import CrossEntropy, Metric, SquaredError, ZeroOneAccuracy
from searchlab.core.optimizer import Optimizer
from searchlab.core.problem import DataLossProblem, Problem, SupervisedProblem
from searchlab.core.run import run
from searchlab.core.space import FiniteSpace, ParametricSpace, Space
from searchlab.core.trace import Result, Trace

__all__ = [
    "Budget",
    "CrossEntropy",
    "DataLossProblem",
    "DivergedError",
    "FiniteSpace",
    "Metric",
    "Optimizer",
    "ParametricSpace",
    "Problem",
    "Result",
    "SearchlabError",
    "Space",
    "SquaredError",
    "SupervisedProblem",
    "Trace",
    "ZeroOneAccuracy",
    "run",
]
