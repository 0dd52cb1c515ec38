"""Every optimizer in one registry, which the command line and the conformance tests both use.

`ExpertIteration` is exported but not registered: it searches only problems that play with their
candidate (`games.alphazero_problem.SelfPlayProblem`), none of the small problems the registry's
conformance tests and the command line's optimizer choices run on.
"""

from __future__ import annotations

import inspect
from typing import Any

from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import Optimizer
from searchlab.optimizers.evolution import EvolutionStrategy
from searchlab.optimizers.exhaustive import Exhaustive
from searchlab.optimizers.expert_iteration import ExpertIteration
from searchlab.optimizers.gradient import GradientDescent
from searchlab.optimizers.least_squares import LeastSquares
from searchlab.optimizers.local_search import LocalSearch
from searchlab.optimizers.random_search import RandomSearch

OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (LeastSquares, Exhaustive, RandomSearch, LocalSearch, EvolutionStrategy, GradientDescent)
}


def make_optimizer(name: str, **settings: Any) -> Optimizer:
    """Build a registered optimizer by name; unknown names and settings are errors that list the valid ones."""
    if name not in OPTIMIZERS:
        raise SearchlabError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    cls = OPTIMIZERS[name]
    valid = settings_of(cls)
    unknown = sorted(set(settings) - set(valid))
    if unknown:
        raise SearchlabError(
            f"optimizer {name} has no setting {unknown[0]!r}; its settings are {', '.join(valid) or 'none'}"
        )
    return cls(**settings)


def settings_of(cls: type[Optimizer]) -> dict[str, Any]:
    """The constructor's keyword settings and their defaults."""
    parameters = inspect.signature(cls.__init__).parameters.values()
    return {p.name: p.default for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


__all__ = [
    "OPTIMIZERS",
    "EvolutionStrategy",
    "Exhaustive",
    "ExpertIteration",
    "GradientDescent",
    "LeastSquares",
    "LocalSearch",
    "RandomSearch",
    "make_optimizer",
    "settings_of",
]
