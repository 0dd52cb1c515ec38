"""The digits experiment's figures and report prose (numbers in, words and pictures out)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from searchlab.report import classification

if TYPE_CHECKING:
    from searchlab.experiments.digits import Config, Prepared

SECTION = "Why use deep neural networks to define the model class?"
SGD_SECTION = "Stochastic gradient descent"
MAX_MISTAKES_SHOWN = 12


def figures(
    config: Config,
    data: Prepared,
    result,
    reference,
    true,
    predicted,
    probabilities,
    matrix,
    test_accuracy,
    steps_per_epoch,
    context,
) -> dict[str, str]:
    images, encoding = data.images, data.encoding
    """Draw the four figures into the run folder; returns their relative paths by key."""
    names = images.label_names
    test_images = images.images[data.test]
    paths = {}
    paths["confusion"] = context.figure(
        classification.confusion_figure(
            matrix, names, title=f"searchlab network {'-'.join(map(str, data.problem.space.widths))}, test set"
        ),
        "confusion_matrix.png",
    )
    wrong = np.flatnonzero(true != predicted)
    # Most confident mistakes first: the ones the network was surest about.
    wrong = wrong[np.argsort(-probabilities[wrong, predicted[wrong]], kind="stable")]
    shown = wrong[:MAX_MISTAKES_SHOWN]
    paths["mistakes"] = context.figure(
        classification.misclassified_figure(
            test_images[shown],
            true[shown],
            predicted[shown],
            probabilities[shown],
            names,
            ink_is_high=images.ink_is_high,
            total_wrong=len(wrong),
        ),
        "misclassified.png",
    )
    examples = _one_per_label(images.labels[data.train], count=3)
    chosen = data.train[examples]
    onehots = encoding.encode_indices(torch.from_numpy(images.labels[chosen])).numpy()
    paths["vectors"] = context.figure(
        classification.vectors_figure(
            images.images[chosen], images.labels[chosen], onehots, names, ink_is_high=images.ink_is_high
        ),
        "vectors.png",
    )
    trace = result.trace
    x = np.asarray(trace["forward_equivalents"], dtype=float)
    losses = np.asarray(trace["loss"], dtype=float)
    epoch_ends = np.arange(steps_per_epoch, len(losses) + 1, steps_per_epoch)
    epoch_means = [losses[end - steps_per_epoch : end].mean() for end in epoch_ends]
    n_train = len(data.train)
    curves = [
        {
            "label": f"searchlab {data.optimizer.name}: loss on each batch",
            "x": x,
            "y": losses,
            "faint": True,
            "color": "#1c7ed6",
        },
        {"label": "searchlab: mean over each epoch", "x": x[epoch_ends - 1], "y": epoch_means, "color": "#1c7ed6"},
        {
            "label": "scikit-learn MLPClassifier: mean over each epoch",
            "x": [3 * n_train * (i + 1) for i in range(len(reference["loss_curve"]))],
            "y": reference["loss_curve"],
            "color": "#e8590c",
        },
    ]
    paths["curve"] = context.figure(
        classification.training_curve_figure(
            curves,
            title=f"Training loss, {config.epochs} epochs of batches of {min(config.batch_size, n_train)} (test accuracy {test_accuracy:.1%})",
        ),
        "training_curve.png",
    )
    return paths


def _one_per_label(labels: np.ndarray, count: int) -> np.ndarray:
    """Positions of the first example of each of the first `count` labels to appear."""
    seen: dict[int, int] = {}
    for position, label in enumerate(labels.tolist()):
        if label not in seen:
            seen[label] = position
            if len(seen) == count:
                break
    return np.asarray(sorted(seen.values(), key=lambda p: labels[p]), dtype=np.int64)


def report(config: Config, data: Prepared, numbers: dict, matrix: np.ndarray, figures: dict[str, str]) -> dict:
    """The report section of result.json: prose, headline numbers, figures and tables."""
    names = data.images.label_names
    side = data.images.size
    acc, sk_acc = numbers["test_accuracy"], numbers["sklearn_test_accuracy"]
    seconds, sk_seconds = numbers["seconds"], numbers["sklearn_seconds"]
    n_test, n_train = numbers["n_test"], numbers["n_train"]
    widths = "-".join(map(str, numbers["network"]))
    batch = min(config.batch_size, n_train)
    if data.optimizer.name == "gradient":
        how = (
            f'As in "{SGD_SECTION}", searchlab trained the network with '
            f"{'Adam' if config.algorithm == 'adam' else 'plain SGD'} (learning rate {config.lr:g}), "
            f"following the gradient on random batches of {batch} images"
        )
    else:
        how = (
            f"searchlab trained the network with {data.optimizer.name}, which tries random changes instead of "
            f'following the gradient that "{SGD_SECTION}" describes (batches of {batch} images)'
        )
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    worst_true, worst_pred = np.unravel_index(int(off.argmax()), off.shape)
    gap = (acc - sk_acc) * 100
    gap_images = round((acc - sk_acc) * n_test)
    accuracy_words = (
        f"as accurate as scikit-learn's (both got {round(acc * n_test)} of {n_test} test images right)"
        if gap_images == 0
        else f"{'more' if gap > 0 else 'less'} accurate than scikit-learn's by {abs(gap):.1f} percentage points ({abs(gap_images)} test images)"
    )
    ratio = numbers["seconds_ratio"]
    speed_words = (
        f"took {ratio:.2f}x as long" if ratio > 1 else f"took {ratio:.2f}x the time ({1 / ratio:.2f}x as fast)"
    )
    same = (
        "given the same hidden size, epochs, batch size, learning rate and solver"
        + (" and the same initial weight distribution (Glorot uniform)" if config.init == "glorot" else "")
        if data.optimizer.name == "gradient"
        else f"trained by {config.algorithm} with the same hidden size, epochs and batch size"
    )
    paragraphs = [
        f'Following the essay\'s section "{SECTION}", each of the {len(data.images):,} images ({data.images.source}) is read as '
        f"{side}x{side} gray levels, i.e. one vector of {side * side} numbers, and each label as a one-hot vector with "
        f"{len(names)} positions. The model class is every network {widths} with ReLU hidden units "
        f"({numbers['parameters']:,} parameters); a softmax turns its {len(names)} outputs into probabilities.",
        f"{how}, for {config.epochs} epochs "
        f"({numbers['steps']:,} steps, {numbers['forward_equivalents']:,} forward-equivalents) in {seconds:.2f} s. "
        f"It classified {acc:.1%} of the {n_test} held-out test images correctly ({numbers['train_accuracy']:.1%} of the "
        f"{n_train:,} training images).",
        f"scikit-learn's MLPClassifier, {same}, reached {sk_acc:.1%} on the same test images in {sk_seconds:.2f} s. The searchlab network is {accuracy_words}, "
        f"and {speed_words} to train (both timed around training alone, {numbers['threads']} CPU "
        f"{'thread' if numbers['threads'] == 1 else 'threads'} each). With {n_test} test images, one image is "
        f"{100 / n_test:.2f} percentage points, so a gap of a few images is within the luck of the split and the seed; "
        "bench/digits_vs_sklearn.py compares the two over several seeds.",
        f"It got {numbers['misclassified']} test images wrong"
        + (
            f"; the most frequent confusion was a true {names[worst_true]} read as {names[worst_pred]} "
            f"({int(off[worst_true, worst_pred])} times)."
            if numbers["misclassified"]
            else "."
        ),
    ]
    headline = [
        {"label": "test accuracy, searchlab network", "value": f"{acc:.1%}"},
        {"label": "test accuracy, scikit-learn MLPClassifier", "value": f"{sk_acc:.1%}"},
        {"label": "training time, searchlab vs scikit-learn", "value": f"{seconds:.2f} s vs {sk_seconds:.2f} s"},
        {"label": "misclassified test images", "value": f"{numbers['misclassified']} of {n_test}"},
    ]
    per_label = []
    for i, name in enumerate(names):
        count = int(matrix[i].sum())
        row_off = off[i]
        confused = names[int(row_off.argmax())] if row_off.max() > 0 else "-"
        per_label.append([name, count, int(matrix[i, i]), f"{matrix[i, i] / max(count, 1):.1%}", confused])
    tables = [
        {
            "title": "searchlab network vs scikit-learn MLPClassifier (same settings)",
            "columns": [
                "model",
                "test accuracy",
                "train accuracy",
                "training seconds",
                "epochs",
                "forward-equivalents",
            ],
            "rows": [
                [
                    f"searchlab {widths} ({data.optimizer.name})",
                    f"{acc:.2%}",
                    f"{numbers['train_accuracy']:.2%}",
                    f"{seconds:.2f}",
                    config.epochs,
                    numbers["forward_equivalents"],
                ],
                [
                    f"scikit-learn MLPClassifier ({config.algorithm})",
                    f"{sk_acc:.2%}",
                    f"{numbers['sklearn_train_accuracy']:.2%}",
                    f"{sk_seconds:.2f}",
                    numbers["sklearn_epochs"],
                    numbers["sklearn_forward_equivalents"],
                ],
            ],
        },
        {
            "title": "Test accuracy per label (searchlab network)",
            "columns": ["label", "test images", "right", "accuracy", "most often mistaken for"],
            "rows": per_label,
        },
    ]
    captions = {
        "vectors": "Three training images as the network sees them: the pixels, read row by row, become one vector, and the label becomes a one-hot vector.",
        "curve": "Training loss against compute spent; both models see the same examples per epoch, so their curves share the x axis.",
        "confusion": "How the network's answers on the test images spread over the labels: the diagonal is right, every other cell is a mistake.",
        "mistakes": "Test images the network got wrong, surest mistakes first, each with the probabilities it gave every label.",
    }
    return {
        "summary": "\n".join(paragraphs),
        "headline": headline,
        "figures": [
            {"path": figures[key], "caption": captions[key]} for key in ("vectors", "curve", "confusion", "mistakes")
        ],
        "tables": tables,
    }
