"""Handwritten digits: pixels in, one-hot labels out, a network trained by minibatch gradient descent.

Essay: "Why use deep neural networks to define the model class?" (an image
becomes a list of pixel numbers; a label becomes a one-hot vector; the network
answers with probabilities) and "Stochastic gradient descent" (each step
follows the gradient on a small random batch).

The same run trains scikit-learn's `MLPClassifier` with the same hidden size,
epochs, batch size, learning rate and solver as a reference, and reports both
models' test accuracy and training time. Both trainings are then repeated on `seeds`
seeds (a new split each) for the claim that the two are as accurate (`digits_claims`).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from searchlab.core import Budget, CrossEntropy, SupervisedProblem, ZeroOneAccuracy, jsonfile
from searchlab.core import run as run_search
from searchlab.core.device import DEVICES, cpu_threads, resolve_device
from searchlab.core.errors import SearchlabError
from searchlab.core.files import jsonable, write_text
from searchlab.core.optimizer import Optimizer
from searchlab.core.seeding import spawn_seeds
from searchlab.data.images import ImageSet, load_digits, load_image_folder, stratified_split
from searchlab.encodings.onehot import OneHot
from searchlab.experiments.base import Experiment, RunContext, require
from searchlab.experiments.digits_claims import claims, majority_accuracy, seed_numbers
from searchlab.experiments.digits_memory import check_memory
from searchlab.experiments.digits_sklearn import sklearn_metrics, train_sklearn
from searchlab.optimizers import OPTIMIZERS, make_optimizer, settings_of
from searchlab.optimizers.gradient import ALGORITHMS
from searchlab.report import classification
from searchlab.spaces.mlp import INITS, MLPSpace

SECTION = "Why use deep neural networks to define the model class?"
REPORT_MATERIAL = "digits.json"  # checkpoints/report/REPORT_MATERIAL: what the report module draws from


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
        seeds: repeats of both trainings (a new split each, both models seeded by it) behind the claim
            that they are as accurate; seed i is the i-th child of `seed` (`core.seeding.spawn_seeds`);
            0 measures no claim.
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
    seeds: int = 5

    def __post_init__(self) -> None:
        require(self.seed >= 0, f"--seed must be 0 or more, got {self.seed}")
        require(self.seeds >= 0, f"--seeds must be 0 or more repeats, got {self.seeds}")
        require(self.device in DEVICES, f"unknown --device {self.device!r}; choose one of {', '.join(DEVICES)}")
        require(self.hidden >= 1, f"--hidden must be at least 1 neuron, got {self.hidden}")
        require(self.epochs >= 1, f"--epochs must be at least 1, got {self.epochs}")
        require(self.batch_size >= 1, f"--batch_size must be at least 1, got {self.batch_size}")
        require(math.isfinite(self.lr) and self.lr > 0, f"--lr must be a positive number, got {self.lr}")
        require(
            self.algorithm in ALGORITHMS,
            f"unknown --algorithm {self.algorithm!r}; choose one of {', '.join(ALGORITHMS)}",
        )
        require(
            self.optimizer in OPTIMIZERS,
            f"unknown --optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}",
        )
        require(
            0 < self.test_fraction < 1, f"--test_fraction must lie strictly between 0 and 1, got {self.test_fraction}"
        )
        require(
            self.images is None or str(self.images).strip() != "",
            "--images needs a folder path (or none for the bundled digits)",
        )
        require(1 <= self.image_size <= 256, f"--image_size must be 1 to 256 pixels, got {self.image_size}")
        require(
            self.images is not None or self.image_size == 8,
            f"--image_size {self.image_size} applies to --images only; the bundled digits are 8x8 (drop "
            "--image_size or add --images DIR)",
        )
        require(self.init in INITS, f"unknown --init {self.init!r}; choose one of {', '.join(INITS)}")
        require(
            0 <= self.threads <= 1024, f"--threads must be 0 (library default) or a positive count, got {self.threads}"
        )


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


def load_split(config: Config) -> tuple[ImageSet, np.ndarray, np.ndarray]:
    """The labelled images and their seeded train/test split (indices into the images)."""
    images = load_digits() if config.images is None else load_image_folder(config.images, config.image_size)
    train, test = stratified_split(images.labels, config.test_fraction, config.seed, images.label_names)
    return images, train, test


def prepare(config: Config) -> Prepared:
    """Load and split the images, encode the labels, build the problem; raise SearchlabError on bad input."""
    device = resolve_device(config.device)
    images, train, test = load_split(config)
    encoding = OneHot(images.label_names)
    vectors = torch.from_numpy(images.vectors())  # (N, pixels) float32 in [0, 1]
    onehots = encoding.encode_indices(torch.from_numpy(images.labels))  # (N, labels)
    space = MLPSpace([vectors.shape[1], config.hidden, encoding.size], init=config.init)
    problem = SupervisedProblem(space, vectors[train].to(device), onehots[train].to(device), CrossEntropy())
    optimizer = _make_optimizer(config, problem)
    check_memory(config, space, len(images.labels), optimizer, device)
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


def train_both(config: Config, data: Prepared, context: RunContext, *, keep: bool = True) -> tuple:
    """Train the network and scikit-learn's reference on the same split, each seeded by `config.seed`.

    Args:
        keep: checkpoint the network's training in checkpoints/network (and resume it); a repeat keeps
            none, its whole outcome being kept as a stage instead.

    Returns:
        (the network's search `Result`, scikit-learn's numbers, steps per epoch).
    """
    n_train = len(data.train)
    batch = min(config.batch_size, n_train)
    # Both models take the same number of steps: scikit-learn cuts each epoch into
    # ceil(n_train / batch) batches (the last one smaller); searchlab's batches are
    # all full, so it sees a few more examples, counted in its forward-equivalents.
    steps_per_epoch = math.ceil(n_train / batch)
    with cpu_threads(config.threads):
        result = run_search(
            data.problem,
            data.optimizer,
            Budget(steps=config.epochs * steps_per_epoch),
            config.seed,
            checkpoint_dir=context.checkpoint_dir("network") if keep else None,
            resume=context.resume and keep,
            progress=context.bar_label("digits: training the network" if keep else f"digits: seed {config.seed}"),
        )
        reference = train_sklearn(config, data.images, data.train, data.test, batch)
    return result, reference, steps_per_epoch


def run(config: Config, data: Prepared, context: RunContext) -> dict:
    """Train the network and scikit-learn's reference and measure both, then again on each of `config.seeds`
    seeds for the claim; the numbers (the report module draws)."""
    n_train = len(data.train)
    result, reference, steps_per_epoch = train_both(config, data, context)
    measured = _measure(data, result.candidate)
    searchlab_rows = result.trace.metrics_rows("model=searchlab", model="searchlab")
    for row in searchlab_rows:
        row["values"]["epoch"] = row["step"] / steps_per_epoch
    context.write_metrics(searchlab_rows + sklearn_metrics(reference["loss_curve"], n_train, steps_per_epoch))
    write_text(
        report_material(context),
        json.dumps(
            {
                "test_probabilities": measured["probabilities"].tolist(),
                "forward_equivalents": result.trace["forward_equivalents"],
                "loss": result.trace["loss"],
                "sklearn_loss_curve": reference["loss_curve"],
                "steps_per_epoch": steps_per_epoch,
            },
            default=jsonable,
        ),
    )
    repeats = [
        repeat(config, index, seed, context) for index, seed in enumerate(spawn_seeds(config.seed, config.seeds))
    ]
    return {
        **_numbers(config, data, result, reference, measured),
        "majority_accuracy": majority_accuracy(data.images.labels, data.train, data.test),  # the trivial baseline
        "over_seeds": {
            "seeds": len(repeats),
            "note": "each seed makes a new split; both models train on it, seeded by it",
            "runs": repeats,
        },
        "claims": claims(repeats, SECTION, on="digits" if config.images is None else "images"),
    }


def repeat(config: Config, index: int, seed: int, context: RunContext) -> dict:
    """Both models' test accuracy (and the majority class's) on the split of `seed`, kept as a stage for --resume.

    The config is the run's with `seed` in place of its seed (`digits_claims.seed_numbers` has the numbers).
    """
    config = dataclasses.replace(config, seed=seed, seeds=0)

    def compute() -> dict:
        data = prepare(config)
        result, reference, _ = train_both(config, data, context, keep=False)
        majority = majority_accuracy(data.images.labels, data.train, data.test)
        return seed_numbers(seed, _measure(data, result.candidate), reference, majority, len(data.test))

    def check(row: dict, record: Path) -> None:
        if row["seed"] != seed:
            raise SearchlabError(f"{record} holds seed {row['seed']}, not {seed}; delete it to run that seed again")

    return context.stage(context.checkpoint_dir("seeds") / f"seed-{index}.json", compute, _REPEAT_FIELDS, check)


_REPEAT_FIELDS = {
    "seed": int,
    "test_accuracy": jsonfile.NUMBER,
    "sklearn_test_accuracy": jsonfile.NUMBER,
    "majority_accuracy": jsonfile.NUMBER,
    "n_test": int,
    "test_loss": jsonfile.NUMBER,
    "sklearn_final_loss": jsonfile.NUMBER,
}


def report_material(context: RunContext) -> Path:
    """The file where `run` leaves what the report draws: test probabilities and both training curves."""
    return context.checkpoint_dir("report") / REPORT_MATERIAL


def _measure(data: Prepared, trained: torch.Tensor) -> dict:
    """The trained network's test probabilities, accuracies, test loss, predictions and confusion matrix."""
    problem, n_train, n_test = data.problem, len(data.train), len(data.test)
    candidate = trained.unsqueeze(0)  # (1, d)
    with torch.no_grad():
        test_logits = problem.space.forward(candidate.to(data.test_inputs.device), data.test_inputs)
        probabilities = test_logits[0].softmax(dim=-1).cpu().numpy()  # (n_test, labels)
        # Fractions of whole images: round away float32 noise (435/450, not 0.96666664).
        test_accuracy = (
            round(float(problem.score(candidate, data.test_inputs, data.test_targets, ZeroOneAccuracy())[0]) * n_test)
            / n_test
        )
        train_accuracy = (
            round(float(problem.score(candidate, problem.inputs, problem.targets, ZeroOneAccuracy())[0]) * n_train)
            / n_train
        )
        test_loss = float(problem.score(candidate, data.test_inputs, data.test_targets, CrossEntropy())[0])
    true = data.images.labels[data.test]
    predicted = data.encoding.decode_indices(torch.from_numpy(probabilities)).numpy()
    return {
        "probabilities": probabilities,
        "test_accuracy": test_accuracy,
        "train_accuracy": train_accuracy,
        "test_loss": test_loss,
        "misclassified": int((true != predicted).sum()),
        "confusion_matrix": classification.confusion_matrix(true, predicted, data.encoding.size),
    }


def _numbers(config: Config, data: Prepared, result, reference: dict, measured: dict) -> dict:
    """result.json's numbers: both models' accuracy, time, compute and loss, and what was trained on what."""
    space, images = data.problem.space, data.images
    n_train, n_test = len(data.train), len(data.test)
    return {
        "test_accuracy": measured["test_accuracy"],
        "sklearn_test_accuracy": reference["test_accuracy"],
        "train_accuracy": measured["train_accuracy"],
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
        "test_loss": measured["test_loss"],
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
        "misclassified": measured["misclassified"],
        "confusion_matrix": measured["confusion_matrix"].tolist(),
        "source": images.source,
        "threads": config.threads or torch.get_num_threads(),
    }


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
        raise SearchlabError(
            f"--optimizer {config.optimizer} cannot train the digits network: {reason}; choose one of {', '.join(able)}"
        )
    return optimizer


EXPERIMENT = Experiment(
    name="digits",
    title="Digits: pixels in, one-hot labels out",
    essay_section=SECTION,
    config=Config,
    prepare=prepare,
    run=run,
    tour={},  # the full size already takes seconds, five seeds included
    quick={"epochs": 30, "lr": 0.003, "seeds": 2},
)
