"""The experiments, one module per essay section, registered in the essay's order."""

from __future__ import annotations

from searchlab.core.errors import SearchlabError
from searchlab.experiments.base import Experiment
from searchlab.experiments.charlm import EXPERIMENT as CHARLM
from searchlab.experiments.digits import EXPERIMENT as DIGITS
from searchlab.experiments.hybrid import EXPERIMENT as HYBRID
from searchlab.experiments.networks import EXPERIMENT as NETWORKS
from searchlab.experiments.perturbation import EXPERIMENT as PERTURBATION
from searchlab.experiments.regression import EXPERIMENT as REGRESSION
from searchlab.experiments.scaling import EXPERIMENT as SCALING
from searchlab.experiments.signals import EXPERIMENT as SIGNALS
from searchlab.experiments.tictactoe import EXPERIMENT as TICTACTOE

# Essay order: the Tic-Tac-Toe search space is "Basics of machine learning: search
# over programs"; linear regression opens "Deep learning: gradient descent on deep
# neural networks"; the 3-2-2 network is "Example of a simple neural network";
# digits illustrates "Why use deep neural networks to define the model class?"
# (pixels and one-hot labels as vectors), and so is the language model that reads
# and writes text one character at a time; random perturbation against gradient
# descent is "Stochastic gradient descent"; model and data size are "How big would
# these models need to be?", and imitation, approval and outcomes are "Example
# datasets and performance metrics", where the essay's last point, a network combined
# with hard-coded search as in AlphaGo, is the hybrid experiment.
EXPERIMENTS: dict[str, Experiment] = {
    e.name: e for e in (TICTACTOE, REGRESSION, NETWORKS, DIGITS, CHARLM, PERTURBATION, SCALING, SIGNALS, HYBRID)
}


def get_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise SearchlabError(f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}")
    return EXPERIMENTS[name]
