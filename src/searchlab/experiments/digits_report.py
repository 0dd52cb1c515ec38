"""The digits experiment's figures and report prose (numbers in, words and pictures out).

The registry attaches `report` to the experiment; this module imports the experiment, never the reverse.
It draws from result.json's numbers, the images (loaded and split again, as the run did) and what the run
left in `digits.report_material`: the network's test probabilities and both models' training curves.
"""

from __future__ import annotations

import numpy as np
import torch

from searchlab.core import jsonfile
from searchlab.core.intervals import bootstrap_interval, paired_difference
from searchlab.data.images import ImageSet
from searchlab.encodings.onehot import OneHot
from searchlab.experiments.base import RunContext
from searchlab.experiments.digits import SECTION, Config, load_split, report_material
from searchlab.experiments.digits_claims import MARGIN
from searchlab.report import classification

SGD_SECTION = "Stochastic gradient descent"
MAX_MISTAKES_SHOWN = 12
CAPTIONS = {
    "vectors": "Three training images as the network sees them: the pixels, read row by row, become one vector, and "
    "the label becomes a one-hot vector.",
    "curve": "Training loss against compute spent; both models see the same examples per epoch, so their curves "
    "share the x axis.",
    "confusion": "How the network's answers on the test images spread over the labels: the diagonal is right, every "
    "other cell is a mistake.",
    "mistakes": "Test images the network got wrong, surest mistakes first, each with the probabilities it gave every "
    "label.",
}
MATERIAL = {
    "test_probabilities": list,
    "forward_equivalents": list,
    "loss": list,
    "sklearn_loss_curve": list,
    "steps_per_epoch": int,
}


def report(config: Config, result: dict, context: RunContext) -> dict:
    """Draw the four figures into the run folder; the result's report section."""
    images, train, test = load_split(config)
    path = report_material(context)
    material = jsonfile.read_object(path, fix=f"delete {path.parent.parent} and run again", fields=MATERIAL)
    return _section(config, result, images, figures(config, result, images, train, test, material, context))


def figures(
    config: Config,
    result: dict,
    images: ImageSet,
    train: np.ndarray,
    test: np.ndarray,
    material: dict,
    context: RunContext,
) -> dict[str, str]:
    """Draw the four figures into the run folder; returns their relative paths by key."""
    names = images.label_names
    encoding = OneHot(names)
    probabilities = np.asarray(material["test_probabilities"], dtype=np.float32).reshape(len(test), len(names))
    true = images.labels[test]
    predicted = encoding.decode_indices(torch.from_numpy(probabilities)).numpy()
    matrix = np.asarray(result["confusion_matrix"], dtype=np.int64)
    paths = {}
    paths["confusion"] = context.figure(
        classification.confusion_figure(
            matrix, names, title=f"searchlab network {'-'.join(map(str, result['network']))}, test set"
        ),
        "confusion_matrix.png",
    )
    wrong = np.flatnonzero(true != predicted)
    # Most confident mistakes first: the ones the network was surest about.
    wrong = wrong[np.argsort(-probabilities[wrong, predicted[wrong]], kind="stable")]
    shown = wrong[:MAX_MISTAKES_SHOWN]
    paths["mistakes"] = context.figure(
        classification.misclassified_figure(
            images.images[test][shown],
            true[shown],
            predicted[shown],
            probabilities[shown],
            names,
            ink_is_high=images.ink_is_high,
            total_wrong=len(wrong),
        ),
        "misclassified.png",
    )
    chosen = train[_one_per_label(images.labels[train], count=3)]
    onehots = encoding.encode_indices(torch.from_numpy(images.labels[chosen])).numpy()
    paths["vectors"] = context.figure(
        classification.vectors_figure(
            images.images[chosen], images.labels[chosen], onehots, names, ink_is_high=images.ink_is_high
        ),
        "vectors.png",
    )
    paths["curve"] = context.figure(
        classification.training_curve_figure(_curves(result, material, len(train)), title=_curve_title(config, result)),
        "training_curve.png",
    )
    return paths


def _curves(result: dict, material: dict, n_train: int) -> list[dict]:
    """The network's loss on each batch and per epoch, and scikit-learn's per epoch, against forward-equivalents."""
    steps_per_epoch = material["steps_per_epoch"]
    x = np.asarray(material["forward_equivalents"], dtype=float)
    losses = np.asarray(material["loss"], dtype=float)
    epoch_ends = np.arange(steps_per_epoch, len(losses) + 1, steps_per_epoch)
    epoch_means = [losses[end - steps_per_epoch : end].mean() for end in epoch_ends]
    reference = material["sklearn_loss_curve"]
    return [
        {
            "label": f"searchlab {result['optimizer']}: loss on each batch",
            "x": x,
            "y": losses,
            "faint": True,
            "color": "#1c7ed6",
        },
        {"label": "searchlab: mean over each epoch", "x": x[epoch_ends - 1], "y": epoch_means, "color": "#1c7ed6"},
        {
            "label": "scikit-learn MLPClassifier: mean over each epoch",
            "x": [3 * n_train * (i + 1) for i in range(len(reference))],
            "y": reference,
            "color": "#e8590c",
        },
    ]


def _curve_title(config: Config, result: dict) -> str:
    batch = min(config.batch_size, result["n_train"])
    return f"Training loss, {config.epochs} epochs of batches of {batch} (test accuracy {result['test_accuracy']:.1%})"


def _one_per_label(labels: np.ndarray, count: int) -> np.ndarray:
    """Positions of the first example of each of the first `count` labels to appear."""
    seen: dict[int, int] = {}
    for position, label in enumerate(labels.tolist()):
        if label not in seen:
            seen[label] = position
            if len(seen) == count:
                break
    return np.asarray(sorted(seen.values(), key=lambda p: labels[p]), dtype=np.int64)


def _section(config: Config, numbers: dict, images: ImageSet, figures: dict[str, str]) -> dict:
    """The report section of result.json: prose, headline numbers, figures and tables."""
    acc, sk_acc, n_test = numbers["test_accuracy"], numbers["sklearn_test_accuracy"], numbers["n_test"]
    headline = [
        {
            "label": "test accuracy, searchlab network",
            "value": f"{acc:.1%} (always the majority class: {numbers['majority_accuracy']:.1%})",
        },
        {"label": "test accuracy, scikit-learn MLPClassifier", "value": f"{sk_acc:.1%}"},
        {
            "label": "training time, searchlab vs scikit-learn",
            "value": f"{numbers['seconds']:.2f} s vs {numbers['sklearn_seconds']:.2f} s",
        },
        {"label": "misclassified test images", "value": f"{numbers['misclassified']} of {n_test}"},
        *_seed_headline(numbers),
    ]
    return {
        "summary": "\n".join(_paragraphs(config, numbers, images) + _seed_paragraphs(numbers)),
        "headline": headline,
        "figures": [
            {"path": figures[key], "caption": CAPTIONS[key]} for key in ("vectors", "curve", "confusion", "mistakes")
        ],
        "tables": _tables(config, numbers, images.label_names) + _seed_tables(numbers),
    }


def _off_diagonal(numbers: dict) -> np.ndarray:
    """The confusion matrix's mistakes: every cell but the diagonal."""
    off = np.asarray(numbers["confusion_matrix"], dtype=np.int64)
    np.fill_diagonal(off, 0)
    return off


def _paragraphs(config: Config, numbers: dict, images: ImageSet) -> list[str]:
    """The summary: how the images became vectors, how each model was trained and how well, and the mistakes."""
    names, side = images.label_names, images.size
    acc, sk_acc = numbers["test_accuracy"], numbers["sklearn_test_accuracy"]
    n_test, n_train = numbers["n_test"], numbers["n_train"]
    gradient = numbers["optimizer"] == "gradient"
    off = _off_diagonal(numbers)
    worst_true, worst_pred = np.unravel_index(int(off.argmax()), off.shape)
    same = (
        "given the same hidden size, epochs, batch size, learning rate and solver"
        + (" and the same initial weight distribution (Glorot uniform)" if config.init == "glorot" else "")
        if gradient
        else f"trained by {config.algorithm} with the same hidden size, epochs and batch size"
    )
    return [
        f'Following the essay\'s section "{SECTION}", each of the {len(images):,} images ({images.source}) is read '
        f"as {side}x{side} gray levels, i.e. one vector of {side * side} numbers, and each label as a one-hot vector "
        f"with {len(names)} positions. The model class is every network {'-'.join(map(str, numbers['network']))} "
        f"with ReLU hidden units ({numbers['parameters']:,} parameters); a softmax turns its {len(names)} outputs "
        "into probabilities.",
        f"{_how(config, numbers)}, for {config.epochs} epochs "
        f"({numbers['steps']:,} steps, {numbers['forward_equivalents']:,} forward-equivalents) in "
        f"{numbers['seconds']:.2f} s. It classified {acc:.1%} of the {n_test} held-out test images correctly "
        f"({numbers['train_accuracy']:.1%} of the {n_train:,} training images).",
        f"scikit-learn's MLPClassifier, {same}, reached {sk_acc:.1%} on the same test images in "
        f"{numbers['sklearn_seconds']:.2f} s. The searchlab network is {_accuracy_words(numbers)}, "
        f"and {_speed_words(numbers['seconds_ratio'])} to train (both timed around training alone, "
        f"{numbers['threads']} CPU {'thread' if numbers['threads'] == 1 else 'threads'} each). With {n_test} test "
        f"images, one image is {100 / n_test:.2f} percentage points, so a gap of a few images is within the luck of "
        "the split and the seed; the comparison over seeds below says how much.",
        f"It got {numbers['misclassified']} test images wrong"
        + (
            f"; the most frequent confusion was a true {names[worst_true]} read as {names[worst_pred]} "
            f"({int(off[worst_true, worst_pred])} times)."
            if numbers["misclassified"]
            else "."
        ),
    ]


def _how(config: Config, numbers: dict) -> str:
    """How searchlab trained the network: the gradient on random batches, or another optimizer's random changes."""
    batch = min(config.batch_size, numbers["n_train"])
    if numbers["optimizer"] == "gradient":
        return (
            f'As in "{SGD_SECTION}", searchlab trained the network with '
            f"{'Adam' if config.algorithm == 'adam' else 'plain SGD'} (learning rate {config.lr:g}), "
            f"following the gradient on random batches of {batch} images"
        )
    return (
        f"searchlab trained the network with {numbers['optimizer']}, which tries random changes instead of "
        f'following the gradient that "{SGD_SECTION}" describes (batches of {batch} images)'
    )


def _accuracy_words(numbers: dict) -> str:
    acc, sk_acc, n_test = numbers["test_accuracy"], numbers["sklearn_test_accuracy"], numbers["n_test"]
    gap = (acc - sk_acc) * 100
    gap_images = round((acc - sk_acc) * n_test)
    if gap_images == 0:
        return f"as accurate as scikit-learn's (both got {round(acc * n_test)} of {n_test} test images right)"
    return (
        f"{'more' if gap > 0 else 'less'} accurate than scikit-learn's by {abs(gap):.1f} percentage points "
        f"({abs(gap_images)} test images)"
    )


def _speed_words(ratio: float) -> str:
    return f"took {ratio:.2f}x as long" if ratio > 1 else f"took {ratio:.2f}x the time ({1 / ratio:.2f}x as fast)"


def _tables(config: Config, numbers: dict, names: tuple[str, ...]) -> list[dict]:
    """Both models side by side, and the network's accuracy per label."""
    matrix = np.asarray(numbers["confusion_matrix"], dtype=np.int64)
    off = _off_diagonal(numbers)
    per_label = []
    for i, name in enumerate(names):
        count = int(matrix[i].sum())
        row_off = off[i]
        confused = names[int(row_off.argmax())] if row_off.max() > 0 else "-"
        per_label.append([name, count, int(matrix[i, i]), f"{matrix[i, i] / max(count, 1):.1%}", confused])
    widths = "-".join(map(str, numbers["network"]))
    return [
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
                    f"searchlab {widths} ({numbers['optimizer']})",
                    f"{numbers['test_accuracy']:.2%}",
                    f"{numbers['train_accuracy']:.2%}",
                    f"{numbers['seconds']:.2f}",
                    config.epochs,
                    numbers["forward_equivalents"],
                ],
                [
                    f"scikit-learn MLPClassifier ({config.algorithm})",
                    f"{numbers['sklearn_test_accuracy']:.2%}",
                    f"{numbers['sklearn_train_accuracy']:.2%}",
                    f"{numbers['sklearn_seconds']:.2f}",
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


# ----- over seeds -------------------------------------------------------------------


def _accuracies(numbers: dict) -> dict[str, list[float]]:
    """Per model, its test accuracy on each seed's split (empty lists when no seeds were repeated)."""
    runs = numbers["over_seeds"]["runs"]
    keys = {"searchlab": "test_accuracy", "scikit-learn": "sklearn_test_accuracy", "majority": "majority_accuracy"}
    return {name: [run[key] for run in runs] for name, key in keys.items()}


def _seed_headline(numbers: dict) -> list[dict]:
    accuracies = _accuracies(numbers)
    seeds = len(accuracies["searchlab"])
    if not seeds:
        return []
    ours, theirs, majority = (
        bootstrap_interval(accuracies[name]) for name in ("searchlab", "scikit-learn", "majority")
    )
    difference = paired_difference(accuracies["searchlab"], accuracies["scikit-learn"])
    return [
        {
            "label": f"test accuracy over {seeds} seeds (new split each): searchlab / scikit-learn / majority class",
            "value": f"{ours.text(3)} / {theirs.text(3)} / {majority.text(3)}",
        },
        {"label": f"searchlab minus scikit-learn, paired over {seeds} seeds", "value": difference.text(3)},
    ]


def _seed_paragraphs(numbers: dict) -> list[str]:
    accuracies = _accuracies(numbers)
    seeds = len(accuracies["searchlab"])
    if not seeds:
        return ["No seeds were repeated (--seeds 0), so the two models are not compared over seeds."]
    difference = paired_difference(accuracies["searchlab"], accuracies["scikit-learn"])
    return [
        f"One split and one seed prove little, so both trainings were repeated on {seeds} seeds, each with a new "
        "train/test split that both models share. On those, searchlab's network minus scikit-learn's test accuracy, "
        f"paired by seed, was {difference.text(3)} (mean and 95% bootstrap interval); the claim that they are as "
        f"accurate allows searchlab to be at most {MARGIN * 100:g} percentage point behind. Always answering the "
        f"most frequent training label would score {bootstrap_interval(accuracies['majority']).text(3)}."
    ]


def _seed_tables(numbers: dict) -> list[dict]:
    runs = numbers["over_seeds"]["runs"]
    if not runs:
        return []
    return [
        {
            "title": f"Both models on {len(runs)} seeds (a new split each)",
            "columns": [
                "seed",
                "searchlab test accuracy",
                "scikit-learn test accuracy",
                "difference",
                "majority class",
            ],
            "rows": [
                [
                    run["seed"],
                    f"{run['test_accuracy']:.2%}",
                    f"{run['sklearn_test_accuracy']:.2%}",
                    f"{(run['test_accuracy'] - run['sklearn_test_accuracy']) * 100:+.2f} points",
                    f"{run['majority_accuracy']:.2%}",
                ]
                for run in runs
            ],
        }
    ]
