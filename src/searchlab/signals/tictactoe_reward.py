"""The Tic-Tac-Toe reward model: the rater's label book of every legal pair, and a reward model fitted on a share.

The rater judges each of the 16,167 legal (position, move) pairs once (a fixed label book); a
`RewardEnsemble` on `pair_features` is fitted on `fraction` of the book, and the rest of the book
is the held-out set its accuracy is measured on.
"""

from __future__ import annotations

import numpy as np
import torch

from searchlab.core.seeding import numpy_generator, spawn_seeds
from searchlab.signals.people import TicTacToePeople
from searchlab.signals.tictactoe_policy import legal_pairs, pair_features
from searchlab.signals.tictactoe_settings import SignalSettings
from searchlab.signals.tictactoe_task import default_task


def label_book(people: TicTacToePeople) -> tuple[np.ndarray, np.ndarray, np.ndarray, torch.Tensor]:
    """The rater's one judgement of every legal pair: positions, moves, labels (bool) and (16167, 36) features."""
    positions, moves = legal_pairs()
    rater = people.rater()
    return positions, moves, rater.rate(positions, moves), pair_features(positions, moves)


def fit_reward_model(
    people: TicTacToePeople, settings: SignalSettings, fraction: float, seed: int
) -> tuple[np.ndarray, dict]:
    """Fit a `RewardEnsemble` on `fraction` of the label book; its (decisions, 9) approval table and accuracies."""
    positions, moves, labels, features = label_book(people)
    pick_seed, fit_seed = spawn_seeds(seed, 2)
    count = max(2, round(fraction * labels.size))
    order = numpy_generator(pick_seed).permutation(labels.size)
    seen, rest = order[:count], order[count:]
    model = settings.reward_ensemble().fit(features[seen], labels[seen], fit_seed)
    predicted = model.predict(features)  # (pairs,)
    truth = default_task().optimal[positions, moves]
    table = np.zeros(default_task().legal.shape)
    table[positions, moves] = predicted
    accuracy = {
        "fraction": fraction,
        "labels": count,
        "heldout accuracy": float(((predicted[rest] >= 0.5) == labels[rest]).mean()) if rest.size else float("nan"),
        "truth accuracy": float(((predicted >= 0.5) == truth).mean()),
    }
    return table, accuracy
