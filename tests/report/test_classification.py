"""Classifier figures: the confusion matrix against scikit-learn, and every figure draws and saves."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sklearn_confusion_matrix

from searchlab.report import classification


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_confusion_matrix_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    true = rng.integers(0, 7, size=300)
    predicted = np.where(rng.random(300) < 0.7, true, rng.integers(0, 7, size=300))
    ours = classification.confusion_matrix(true, predicted, 7)
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours, sklearn_confusion_matrix(true, predicted, labels=range(7)))


def test_confusion_matrix_keeps_labels_that_never_occur():
    matrix = classification.confusion_matrix([0, 0, 2], [0, 2, 2], 4)
    assert matrix.shape == (4, 4)
    assert matrix.tolist() == [[1, 0, 1, 0], [0, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]


def save(fig, path):
    fig.savefig(path)
    plt.close(fig)
    assert path.stat().st_size > 1000


def test_every_figure_draws(tmp_path):
    rng = np.random.default_rng(0)
    names = tuple(str(i) for i in range(10))
    images = rng.random((5, 8, 8)).astype(np.float32)
    true = np.array([1, 2, 3, 4, 5])
    predicted = np.array([7, 2, 8, 9, 0])
    probabilities = rng.dirichlet(np.ones(10), size=5)
    matrix = classification.confusion_matrix(true, predicted, 10)

    save(classification.confusion_figure(matrix, names, title="test"), tmp_path / "confusion.png")
    save(
        classification.misclassified_figure(images, true, predicted, probabilities, names, total_wrong=9),
        tmp_path / "wrong.png",
    )
    save(
        classification.misclassified_figure(images[:0], true[:0], predicted[:0], probabilities[:0], names),
        tmp_path / "none.png",
    )
    onehots = np.eye(10)[true[:3]]
    save(
        classification.vectors_figure(images[:3], true[:3], onehots, names, ink_is_high=False), tmp_path / "vectors.png"
    )
    curves = [
        {"label": "a", "x": [1, 2, 3], "y": [1.0, 0.5, 0.2], "faint": True},
        {"label": "b", "x": [1, 3], "y": [0.9, 0.3]},
    ]
    save(classification.training_curve_figure(curves, title="t"), tmp_path / "curve.png")


def test_long_label_names_and_large_images_draw(tmp_path):
    names = ("apple", "banana", "cherry")
    images = np.random.default_rng(1).random((2, 16, 16))
    save(classification.confusion_figure(np.array([[3, 1, 0], [0, 2, 0], [1, 0, 4]]), names), tmp_path / "c.png")
    probabilities = np.array([[0.1, 0.8, 0.1], [0.6, 0.1, 0.3]])
    save(classification.misclassified_figure(images, [0, 2], [1, 0], probabilities, names), tmp_path / "m.png")
    save(classification.vectors_figure(images, [0, 2], np.eye(3)[[0, 2]], names), tmp_path / "v.png")
