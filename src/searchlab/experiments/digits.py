"""Handwritten digits: pixels in, one-hot labels out, a network trained by minibatch gradient descent.

Essay: "Why use deep neural networks to define the model class?" (an image
becomes a list of pixel numbers; a label becomes a one-hot vector; the network
answers with probabilities) and "Stochastic gradient descent" (each step
follows the gradient on a small random batch).

The same run trains scikit-learn's `MLPClassifier` with the same hidden size,
epochs, batch size, learning rate and solver as a reference, and reports both
models' test accuracy and training time.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from searchlab.core import Budget, CrossEntropy, SupervisedProblem, ZeroOneAccuracy
from searchlab.core import run as run_search
from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import Optimizer
from searchlab.data.images import ImageSet, load_digits, load_image_folder, stratified_split
from searchlab.encodings.onehot import OneHot
from searchlab.experiments.base import DEVICES, Experiment, RunContext, require, resolve_device
from searchlab.optimizers import OPTIMIZERS, make_optimizer, settings_of
from searchlab.optimizers.gradient import ALGORITHMS
from searchlab.report import classification
from searchlab.spaces.mlp import INITS, MLPSpace

SECTION = "Why use deep neural networks to define the model class?"
SGD_SECTION = "Stochastic gradient descent"
MAX_MISTAKES_SHOWN = 12


@dataclass(frozen=True)
class Config:
    """Settings of the digits experiment; the defaults are the full size.

    Attributes:
        seed: seeds the split, the network's initial weights, the batches and scikit-learn.
        device: where the tensors live: cpu, cuda or auto.
        hidden: neurons in the network's one hidden layer.
        epochs: passes over the training images; both models take epochs x ceil(n_train / batch_size) steps.
        batch_size: images per gradient step.
        lr: learning rate of gradient descent (both models).
        algorithm: "adam" or "sgd" (plain SGD, no momentum), for both models.
        optimizer: the searchlab optimizer that trains the network (a registry
            name; lr and algorithm apply to "gradient", the others use their own defaults).
        test_fraction: share of the images held out to measure accuracy.
        images: your own images: a folder with one subfolder per label (None: the bundled digits).
        image_size: your images are resized to image_size x image_size pixels.
        threads: CPU threads for both models while they train (0: leave the
            libraries' own setting); restored afterwards.
        init: initial weight distribution of the network: "glorot" (the one
            scikit-learn's MLPClassifier uses, so that both start alike) or "pytorch".
    """

    seed: int = 0
    device: str = "cpu"
    hidden: int = 100
    epochs: int = 200
    batch_size: int = 200
    lr: float = 0.001
    algorithm: str = "adam"
    optimizer: str = "gradient"
    test_fraction: float = 0.25
    images: str | None = None
    image_size: int = 8
    threads: int = 1
    init: str = "glorot"

    def __post_init__(self) -> None:
        require(self.seed >= 0, f"--seed must be 0 or more, got {self.seed}")
        require(self.device in DEVICES, f"unknown --device {self.device!r}; choose one of {', '.join(DEVICES)}")
        require(self.hidden >= 1, f"--hidden must be at least 1 neuron, got {self.hidden}")
        require(self.epochs >= 1, f"--epochs must be at least 1, got {self.epochs}")
        require(self.batch_size >= 1, f"--batch_size must be at least 1, got {self.batch_size}")
        require(math.isfinite(self.lr) and self.lr > 0, f"--lr must be a positive number, got {self.lr}")
        require(self.algorithm in ALGORITHMS, f"unknown --algorithm {self.algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
        require(self.optimizer in OPTIMIZERS, f"unknown --optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        require(0 < self.test_fraction < 1, f"--test_fraction must lie strictly between 0 and 1, got {self.test_fraction}")
        require(self.images is None or str(self.images).strip() != "", "--images needs a folder path (or none for the bundled digits)")
        require(1 <= self.image_size <= 256, f"--image_size must be 1 to 256 pixels, got {self.image_size}")
        require(
            self.images is not None or self.image_size == 8,
            f"--image_size {self.image_size} applies to --images only; the bundled digits are 8x8 (drop --image_size or add --images DIR)",
        )
        require(self.init in INITS, f"unknown --init {self.init!r}; choose one of {', '.join(INITS)}")
        require(0 <= self.threads <= 1024, f"--threads must be 0 (library default) or a positive count, got {self.threads}")


@dataclass
class Prepared:
    """Everything `run` needs, checked and built by `prepare` (nothing written).

    Attributes:
        images: the labelled images.
        encoding: labels <-> one-hot vectors.
        train, test: indices into `images`.
        problem: the network's training problem (pixel vectors, one-hot targets, cross-entropy).
        test_inputs, test_targets: (n_test, pixels) and (n_test, labels) tensors on the device.
        optimizer: the configured searchlab optimizer.
    """

    images: ImageSet
    encoding: OneHot
    train: np.ndarray
    test: np.ndarray
    problem: SupervisedProblem
    test_inputs: torch.Tensor
    test_targets: torch.Tensor
    optimizer: Optimizer


def prepare(config: Config) -> Prepared:
    """Load and split the images, encode the labels, build the problem; raise SearchlabError on bad input."""
    device = resolve_device(config.device)
    images = load_digits() if config.images is None else load_image_folder(config.images, config.image_size)
    train, test = stratified_split(images.labels, config.test_fraction, config.seed, images.label_names)
    encoding = OneHot(images.label_names)
    vectors = torch.from_numpy(images.vectors())  # (N, pixels) float32 in [0, 1]
    onehots = encoding.encode_indices(torch.from_numpy(images.labels))  # (N, labels)
    space = MLPSpace([vectors.shape[1], config.hidden, encoding.size], init=config.init)
    problem = SupervisedProblem(space, vectors[train].to(device), onehots[train].to(device), CrossEntropy())
    optimizer = _make_optimizer(config, problem)
    return Prepared(
        images=images,
        encoding=encoding,
        train=train,
        test=test,
        problem=problem,
        test_inputs=vectors[test].to(device),
        test_targets=onehots[test].to(device),
        optimizer=optimizer,
    )


def run(config: Config, data: Prepared, context: RunContext) -> dict:
    """Train the network and scikit-learn's reference, measure both, draw the figures."""
    problem, images, encoding = data.problem, data.images, data.encoding
    n_train, n_test = len(data.train), len(data.test)
    batch = min(config.batch_size, n_train)
    # Both models take the same number of steps: scikit-learn cuts each epoch into
    # ceil(n_train / batch) batches (the last one smaller); searchlab's batches are
    # all full, so it sees a few more examples, counted in its forward-equivalents.
    steps_per_epoch = math.ceil(n_train / batch)
    steps = config.epochs * steps_per_epoch
    with _threads(config.threads):
        result = run_search(
            problem,
            data.optimizer,
            Budget(steps=steps),
            config.seed,
            checkpoint_dir=context.checkpoint_dir("network"),
            resume=context.resume,
            progress=context.bar_label("digits: training the network"),
        )
        reference = _train_sklearn(config, images, data.train, data.test, batch)

    candidate = result.candidate.unsqueeze(0)  # (1, d)
    space = problem.space
    with torch.no_grad():
        test_logits = space.forward(candidate.to(data.test_inputs.device), data.test_inputs)  # (1, n_test, labels)
        probabilities = test_logits[0].softmax(dim=-1).cpu().numpy()  # (n_test, labels)
        # Fractions of whole images: round away float32 noise (435/450, not 0.96666664).
        test_accuracy = round(float(problem.score(candidate, data.test_inputs, data.test_targets, ZeroOneAccuracy())[0]) * n_test) / n_test
        train_accuracy = round(float(problem.score(candidate, problem.inputs, problem.targets, ZeroOneAccuracy())[0]) * n_train) / n_train
        test_loss = float(problem.score(candidate, data.test_inputs, data.test_targets, CrossEntropy())[0])
    true = images.labels[data.test]
    predicted = encoding.decode_indices(torch.from_numpy(probabilities)).numpy()
    matrix = classification.confusion_matrix(true, predicted, encoding.size)

    figures = _figures(config, data, result, reference, true, predicted, probabilities, matrix, test_accuracy, steps_per_epoch, context)
    context.write_metrics(
        [{"model": "searchlab", "epoch": row["step"] / steps_per_epoch, **row} for row in result.trace.rows()]
        + [
            {"model": "scikit-learn", "epoch": epoch, "forward_equivalents": 3 * n_train * epoch, "loss": float(loss)}
            for epoch, loss in enumerate(reference["loss_curve"], start=1)
        ]
    )
    numbers = {
        "test_accuracy": test_accuracy,
        "sklearn_test_accuracy": reference["test_accuracy"],
        "train_accuracy": train_accuracy,
        "sklearn_train_accuracy": reference["train_accuracy"],
        "seconds": round(result.seconds, 4),
        "sklearn_seconds": round(reference["seconds"], 4),
        "seconds_ratio": round(result.seconds / max(reference["seconds"], 1e-9), 4),
        "forward_equivalents": result.forward_equivalents,
        "sklearn_forward_equivalents": 3 * n_train * reference["epochs"],
        "examples_seen": result.examples_seen,
        "sklearn_examples_seen": n_train * reference["epochs"],
        "final_loss": result.final_loss,
        "sklearn_final_loss": reference["final_loss"],
        "test_loss": test_loss,
        "steps": result.steps,
        "epochs": config.epochs,
        "sklearn_epochs": reference["epochs"],
        "stopped_because": result.stopped_because,
        "optimizer": data.optimizer.name,
        "optimizer_settings": data.optimizer.settings(),
        "network": space.widths,
        "parameters": space.dim,
        "pixels": int(space.widths[0]),
        "labels": list(images.label_names),
        "n_train": n_train,
        "n_test": n_test,
        "misclassified": int((true != predicted).sum()),
        "confusion_matrix": matrix.tolist(),
        "source": images.source,
        "threads": config.threads or torch.get_num_threads(),
    }
    numbers["report"] = _report(config, data, numbers, matrix, figures)
    return numbers


# ----- the two trainings ------------------------------------------------------


def _make_optimizer(config: Config, problem: SupervisedProblem) -> Optimizer:
    """The configured optimizer, or a SearchlabError naming the ones that can train this network."""
    cls = OPTIMIZERS[config.optimizer]
    wanted = {"batch_size": config.batch_size}
    if config.optimizer == "gradient":
        wanted.update(algorithm=config.algorithm, lr=config.lr)
    valid = settings_of(cls)
    optimizer = make_optimizer(config.optimizer, **{k: v for k, v in wanted.items() if k in valid})
    reason = optimizer.unsupported(problem)
    if reason:
        able = [name for name, other in OPTIMIZERS.items() if other().unsupported(problem) is None]
        raise SearchlabError(f"--optimizer {config.optimizer} cannot train the digits network: {reason}; choose one of {', '.join(able)}")
    return optimizer


def _train_sklearn(config: Config, images: ImageSet, train: np.ndarray, test: np.ndarray, batch: int) -> dict:
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


@contextlib.contextmanager
def _threads(count: int) -> Iterator[None]:
    """Use `count` CPU threads in torch and in numpy's BLAS for the block, then restore (0: change nothing)."""
    if count <= 0:
        yield
        return
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        with threadpool_limits(limits=count):
            yield
    finally:
        torch.set_num_threads(before)


# ----- figures and report -----------------------------------------------------


def _figures(config, data: Prepared, result, reference, true, predicted, probabilities, matrix, test_accuracy, steps_per_epoch, context) -> dict[str, str]:
    images, encoding = data.images, data.encoding
    names = images.label_names
    test_images = images.images[data.test]
    paths = {}
    paths["confusion"] = context.figure(
        classification.confusion_figure(matrix, names, title=f"searchlab network {'-'.join(map(str, data.problem.space.widths))}, test set"),
        "confusion_matrix.png",
    )
    wrong = np.flatnonzero(true != predicted)
    # Most confident mistakes first: the ones the network was surest about.
    wrong = wrong[np.argsort(-probabilities[wrong, predicted[wrong]], kind="stable")]
    shown = wrong[:MAX_MISTAKES_SHOWN]
    paths["mistakes"] = context.figure(
        classification.misclassified_figure(
            test_images[shown], true[shown], predicted[shown], probabilities[shown], names, ink_is_high=images.ink_is_high, total_wrong=len(wrong)
        ),
        "misclassified.png",
    )
    examples = _one_per_label(images.labels[data.train], count=3)
    chosen = data.train[examples]
    onehots = encoding.encode_indices(torch.from_numpy(images.labels[chosen])).numpy()
    paths["vectors"] = context.figure(
        classification.vectors_figure(images.images[chosen], images.labels[chosen], onehots, names, ink_is_high=images.ink_is_high),
        "vectors.png",
    )
    trace = result.trace
    x = np.asarray(trace["forward_equivalents"], dtype=float)
    losses = np.asarray(trace["loss"], dtype=float)
    epoch_ends = np.arange(steps_per_epoch, len(losses) + 1, steps_per_epoch)
    epoch_means = [losses[end - steps_per_epoch : end].mean() for end in epoch_ends]
    n_train = len(data.train)
    curves = [
        {"label": f"searchlab {data.optimizer.name}: loss on each batch", "x": x, "y": losses, "faint": True, "color": "#1c7ed6"},
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
            curves, title=f"Training loss, {config.epochs} epochs of batches of {min(config.batch_size, n_train)} (test accuracy {test_accuracy:.1%})"
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


def _report(config: Config, data: Prepared, numbers: dict, matrix: np.ndarray, figures: dict[str, str]) -> dict:
    names = data.images.label_names
    side = data.images.size
    acc, sk_acc = numbers["test_accuracy"], numbers["sklearn_test_accuracy"]
    seconds, sk_seconds = numbers["seconds"], numbers["sklearn_seconds"]
    n_test, n_train = numbers["n_test"], numbers["n_train"]
    widths = "-".join(map(str, numbers["network"]))
    batch = min(config.batch_size, n_train)
    if data.optimizer.name == "gradient":
        how = (
            f"As in \"{SGD_SECTION}\", searchlab trained the network with "
            f"{'Adam' if config.algorithm == 'adam' else 'plain SGD'} (learning rate {config.lr:g}), "
            f"following the gradient on random batches of {batch} images"
        )
    else:
        how = (
            f"searchlab trained the network with {data.optimizer.name}, which tries random changes instead of "
            f"following the gradient that \"{SGD_SECTION}\" describes (batches of {batch} images)"
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
    speed_words = f"took {ratio:.2f}x as long" if ratio > 1 else f"took {ratio:.2f}x the time ({1 / ratio:.2f}x as fast)"
    same = (
        "given the same hidden size, epochs, batch size, learning rate and solver"
        if data.optimizer.name == "gradient"
        else f"trained by {config.algorithm} with the same hidden size, epochs and batch size"
    )
    paragraphs = [
        f"Following the essay's section \"{SECTION}\", each of the {len(data.images):,} images ({data.images.source}) is read as "
        f"{side}x{side} gray levels, i.e. one vector of {side * side} numbers, and each label as a one-hot vector with "
        f"{len(names)} positions. The model class is every network {widths} with ReLU hidden units "
        f"({numbers['parameters']:,} parameters); a softmax turns its {len(names)} outputs into probabilities.",
        f"{how}, for {config.epochs} epochs "
        f"({numbers['steps']:,} steps, {numbers['forward_equivalents']:,} forward-equivalents) in {seconds:.2f} s. "
        f"It classified {acc:.1%} of the {n_test} held-out test images correctly ({numbers['train_accuracy']:.1%} of the "
        f"{n_train:,} training images).",
        f"scikit-learn's MLPClassifier, {same}, reached {sk_acc:.1%} on the same test images in {sk_seconds:.2f} s. The searchlab network is {accuracy_words}, "
        f"and {speed_words} to train (both timed around training alone, {numbers['threads']} CPU "
        f"{'thread' if numbers['threads'] == 1 else 'threads'} each).",
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
            "columns": ["model", "test accuracy", "train accuracy", "training seconds", "epochs", "forward-equivalents"],
            "rows": [
                [f"searchlab {widths} ({data.optimizer.name})", f"{acc:.2%}", f"{numbers['train_accuracy']:.2%}", f"{seconds:.2f}", config.epochs, numbers["forward_equivalents"]],
                [f"scikit-learn MLPClassifier ({config.algorithm})", f"{sk_acc:.2%}", f"{numbers['sklearn_train_accuracy']:.2%}", f"{sk_seconds:.2f}", numbers["sklearn_epochs"], numbers["sklearn_forward_equivalents"]],
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
        "figures": [{"path": figures[key], "caption": captions[key]} for key in ("vectors", "curve", "confusion", "mistakes")],
        "tables": tables,
    }


EXPERIMENT = Experiment(
    name="digits",
    title="Digits: pixels in, one-hot labels out",
    essay_section=SECTION,
    config=Config,
    prepare=prepare,
    run=run,
    tour={},  # the full size already takes seconds
    quick={"epochs": 30, "lr": 0.003},
)
