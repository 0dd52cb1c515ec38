"""The experiments, one module per essay section, registered in the essay's order."""

from __future__ import annotations

from dataclasses import replace

from searchlab.core.errors import SearchlabError
from searchlab.experiments import (
    charlm,
    charlm_report,
    digits,
    digits_report,
    hybrid,
    hybrid_report,
    networks,
    networks_report,
    perturbation,
    perturbation_report,
    regression,
    regression_report,
    scaling,
    scaling_report,
    signals,
    signals_report,
    tictactoe,
    tictactoe_report,
)
from searchlab.experiments.base import Experiment

# One line per experiment. An experiment with a report module X_report is registered here as
# `replace(X.EXPERIMENT, report=X_report.report)`: the report imports the experiment, never the reverse.
TICTACTOE = replace(tictactoe.EXPERIMENT, report=tictactoe_report.report)
REGRESSION = replace(regression.EXPERIMENT, report=regression_report.report)
NETWORKS = replace(networks.EXPERIMENT, report=networks_report.report)
DIGITS = replace(digits.EXPERIMENT, report=digits_report.report)
CHARLM = replace(charlm.EXPERIMENT, report=charlm_report.report)
PERTURBATION = replace(perturbation.EXPERIMENT, report=perturbation_report.report)
SCALING = replace(scaling.EXPERIMENT, report=scaling_report.report)
SIGNALS = replace(signals.EXPERIMENT, report=signals_report.report)
HYBRID = replace(hybrid.EXPERIMENT, report=hybrid_report.report)

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
