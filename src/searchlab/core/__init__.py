"""The core: spaces, metrics, problems, optimizers, the run driver and its records.

The names below load on first use (PEP 562), so `import searchlab.core.errors` (which every command
line does) does not pay for importing torch; `from searchlab.core import run` works as ever.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from searchlab.core.budget import Budget
    from searchlab.core.errors import DivergedError, SearchlabError
    from searchlab.core.loop import run
    from searchlab.core.metric import CrossEntropy, Metric, SquaredError, ZeroOneAccuracy
    from searchlab.core.optimizer import Optimizer
    from searchlab.core.problem import DataLossProblem, Problem, SupervisedProblem
    from searchlab.core.space import FiniteSpace, ParametricSpace, Space
    from searchlab.core.trace import METRICS_COLUMNS, Result, Trace, check_metrics_rows, metrics_row

# Exported name -> the module of the core that defines it.
_HOMES = {
    "Budget": "budget",
    "CrossEntropy": "metric",
    "DataLossProblem": "problem",
    "DivergedError": "errors",
    "FiniteSpace": "space",
    "METRICS_COLUMNS": "trace",
    "Metric": "metric",
    "Optimizer": "optimizer",
    "ParametricSpace": "space",
    "Problem": "problem",
    "Result": "trace",
    "SearchlabError": "errors",
    "Space": "space",
    "SquaredError": "metric",
    "SupervisedProblem": "problem",
    "Trace": "trace",
    "check_metrics_rows": "trace",
    "metrics_row": "trace",
    "ZeroOneAccuracy": "metric",
    "run": "loop",
}

__all__ = [  # the same names as _HOMES (tests/core/test_budget_and_spaces.py checks each loads)
    "METRICS_COLUMNS",
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
    "check_metrics_rows",
    "metrics_row",
    "run",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'searchlab.core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"searchlab.core.{_HOMES[name]}"), name)
    globals()[name] = value  # once loaded, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
