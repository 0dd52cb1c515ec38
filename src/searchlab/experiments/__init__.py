"""The experiments, one module per essay section, registered in the essay's order."""

from __future__ import annotations

from searchlab.core.errors import SearchlabError
from searchlab.experiments.base import Experiment
from searchlab.experiments.digits import EXPERIMENT as DIGITS
from searchlab.experiments.regression import EXPERIMENT as REGRESSION

# Essay order: linear regression opens "Deep learning: gradient descent on deep
# neural networks"; digits illustrates "Why use deep neural networks" (pixels and
# one-hot labels as vectors) trained by "Stochastic gradient descent".
EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (REGRESSION, DIGITS)}


def get_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise SearchlabError(f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]
