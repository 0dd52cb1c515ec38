"""The digits experiment's claim: searchlab's network is as accurate as scikit-learn's, paired over seeds.

Each seed makes a new train/test split, and both models train on it (same settings, each seeded by it)
and are scored on its test images (`digits.repeat`). The claim row (`claims`) is measured on the
per-seed difference in test accuracy, searchlab minus scikit-learn, paired by seed. "As accurate as" is
stated with a margin: the claim predicts the difference above -`MARGIN` (searchlab at most one
percentage point behind); it is contradicted when the whole interval lies below that, and inconclusive
when the interval straddles it. The majority-class accuracy (the label most frequent in training,
predicted for every test image) stands beside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from searchlab.core.intervals import bootstrap_interval, claim_row, paired_difference

MARGIN = 0.01  # accuracy, as a fraction: one percentage point


def majority_accuracy(labels: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    """Test accuracy of always answering the label most frequent among the training images (ties: the first)."""
    counts = np.bincount(labels[train])
    return float(np.mean(labels[test] == int(np.argmax(counts))))


def seed_numbers(seed: int, measured: dict, reference: dict, majority: float, n_test: int) -> dict[str, Any]:
    """One seed's numbers: both models' test accuracy on that seed's split, and the majority class's.

    Args:
        seed: the seed of the split and of both trainings.
        measured: the network's `test_accuracy` and `test_loss` (cross-entropy on the test images).
        reference: scikit-learn's `test_accuracy` and `final_loss` (its last training loss).
        majority: the majority class's test accuracy.
        n_test: test images.
    """
    return {
        "seed": seed,
        "test_accuracy": measured["test_accuracy"],
        "sklearn_test_accuracy": reference["test_accuracy"],
        "majority_accuracy": majority,
        "n_test": n_test,
        # Continuous numbers beside the accuracies (counts of images, which two seeds may share by chance).
        "test_loss": measured["test_loss"],
        "sklearn_final_loss": reference["final_loss"],
    }


def claims(rows: list[dict[str, Any]], section: str, *, on: str = "digits") -> list[dict[str, Any]]:
    """The claim row from the per-seed numbers; none without them.

    Args:
        rows: `seed_numbers` per seed.
        section: the essay section the claim belongs to.
        on: what the images are ("digits", or "images" for the user's own folder); names the claim.
    """
    if not rows:
        return []
    ours = [row["test_accuracy"] for row in rows]
    theirs = [row["sklearn_test_accuracy"] for row in rows]
    majority = float(np.mean([row["majority_accuracy"] for row in rows]))
    return [
        claim_row(
            f"network_matches_sklearn_on_{on}",
            f"searchlab's network classifies the {on} as accurately as scikit-learn's MLPClassifier trained alike.",
            "test accuracy of searchlab's network minus scikit-learn's, both trained on the same split per seed and "
            f"paired by seed; the claim predicts above -{MARGIN:g} (at most {MARGIN * 100:g} percentage point behind)",
            paired_difference(ours, theirs),
            threshold=-MARGIN,
            predicts="above",
            baseline=f"majority class {majority:.3f}; searchlab {_mean(ours)}, scikit-learn {_mean(theirs)}",
            section=section,
        )
    ]


def _mean(values: list[float]) -> str:
    return bootstrap_interval(values).text(3)
