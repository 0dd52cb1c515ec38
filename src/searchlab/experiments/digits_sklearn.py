"""The digits experiment's reference: scikit-learn's MLPClassifier trained alike, and its rows in metrics.jsonl."""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from searchlab.data.images import ImageSet
from searchlab.experiments.base import series_row


def train_sklearn(config: Any, images: ImageSet, train: np.ndarray, test: np.ndarray, batch: int) -> dict:
    """scikit-learn's MLPClassifier with the same network and training settings, timed around `fit`."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    vectors = images.vectors()
    model = MLPClassifier(
        hidden_layer_sizes=(config.hidden,),
        activation="relu",
        solver=config.algorithm,
        alpha=0.0,  # no weight penalty, like searchlab's optimizer
        batch_size=batch,
        learning_rate_init=config.lr,
        momentum=0.0,  # used by "sgd" only: plain SGD, as searchlab's default
        nesterovs_momentum=False,
        max_iter=config.epochs,
        tol=0.0,
        n_iter_no_change=config.epochs + 1,  # never stop early: train for exactly `epochs`
        shuffle=True,
        random_state=config.seed % 2**32,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(vectors[train], images.labels[train])
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "test_accuracy": float(model.score(vectors[test], images.labels[test])),
        "train_accuracy": float(model.score(vectors[train], images.labels[train])),
        "epochs": int(model.n_iter_),
        "final_loss": float(model.loss_),
        "loss_curve": list(model.loss_curve_),
    }


def sklearn_metrics(losses: list[float], n_train: int, steps_per_epoch: int) -> list[dict]:
    """scikit-learn's loss after each epoch as metrics.jsonl rows of the series "model=scikit-learn".

    scikit-learn reports only a loss per epoch, so a row counts what an epoch of minibatch gradient
    steps costs: every training example once, at 3 forward-equivalents each (forward and backward),
    over the same `steps_per_epoch` steps that searchlab's network takes.
    """
    return [
        series_row(
            {"model": "scikit-learn"},
            step=epoch * steps_per_epoch,
            forward_equivalents=3 * n_train * epoch,
            examples_seen=n_train * epoch,
            loss=float(loss),
            epoch=epoch,
        )
        for epoch, loss in enumerate(losses, start=1)
    ]
