"""The digits experiment: config checks, bad image folders through the CLI, and whole runs."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli_checks import error_line
from margins import OPERATORS, margin
from searchlab.cli import main
from searchlab.core.errors import SearchlabError
from searchlab.experiments.base import RunContext
from searchlab.experiments.digits import EXPERIMENT, Config, prepare

FIGURES = ("confusion_matrix.png", "misclassified.png", "vectors.png", "training_curve.png")


def write_png(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels.astype(np.uint8), mode="L").save(path)


def bars(root: Path, per_label: int = 6, seed: int = 0) -> Path:
    """A tiny two-label image folder: horizontal vs vertical bars, with noise."""
    rng = np.random.default_rng(seed)
    for i in range(per_label):
        for label, axis in (("horizontal", 0), ("vertical", 1)):
            pixels = rng.integers(0, 60, size=(12, 12))
            index = [slice(None), slice(None)]
            index[axis] = slice(2 + i % 6, 5 + i % 6)
            pixels[tuple(index)] = 255
            write_png(root / label / f"{i}.png", pixels)
    return root


# ----- config -----------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"hidden": 0}, "--hidden"),
        ({"epochs": 0}, "--epochs"),
        ({"batch_size": -1}, "--batch_size"),
        ({"lr": 0.0}, "--lr"),
        ({"lr": float("nan")}, "--lr"),
        ({"algorithm": "rmsprop"}, "choose one of sgd, adam"),
        ({"optimizer": "magic"}, "choose one of"),
        ({"test_fraction": 1.0}, "--test_fraction"),
        ({"image_size": 16}, "applies to --images only"),
        ({"images": "x", "image_size": 0}, "--image_size"),
        ({"device": "tpu"}, "choose one of cpu"),
        ({"threads": -1}, "--threads"),
        ({"seed": -1}, "--seed"),
    ],
)
def test_bad_settings_are_refused(settings, words):
    with pytest.raises(SearchlabError, match=words):
        Config(**settings)


def test_sizes_shrink_and_defaults_are_the_full_size():
    full, tour, quick = (EXPERIMENT.make_config(size) for size in ("full", "tour", "quick"))
    assert full == Config()
    assert quick.epochs < tour.epochs <= full.epochs
    assert full.optimizer == "gradient" and full.algorithm == "adam"


def test_prepare_splits_and_encodes_the_digits():
    data = prepare(Config())
    assert len(data.train) + len(data.test) == 1797
    assert set(data.train).isdisjoint(data.test)
    assert data.problem.inputs.shape == (len(data.train), 64)
    assert data.problem.targets.shape == (len(data.train), 10)
    assert data.problem.targets.sum(dim=1).eq(1).all()  # one-hot rows
    assert data.test_inputs.shape == (len(data.test), 64)
    assert float(data.problem.inputs.min()) >= 0 and float(data.problem.inputs.max()) <= 1


# ----- bad input through the real command line ----------------------------------


def _missing(root: Path) -> None:
    pass


def _a_file(root: Path) -> None:
    root.write_text("not a folder")


def _no_subfolders(root: Path) -> None:
    write_png(root / "a.png", np.zeros((8, 8)))


def _one_label(root: Path) -> None:
    for i in range(4):
        write_png(root / "cats" / f"{i}.png", np.zeros((8, 8)))


def _empty_label(root: Path) -> None:
    for i in range(4):
        write_png(root / "cats" / f"{i}.png", np.zeros((8, 8)))
    (root / "dogs").mkdir()


def _not_an_image(root: Path) -> None:
    bars(root, per_label=3)
    (root / "vertical" / "notes.txt").write_text("hello")


def _too_few(root: Path) -> None:
    write_png(root / "a" / "1.png", np.zeros((8, 8)))
    write_png(root / "a" / "2.png", np.zeros((8, 8)))
    write_png(root / "b" / "1.png", np.zeros((8, 8)))


@pytest.mark.parametrize(
    "make, words",
    [
        (_missing, "does not exist"),
        (_a_file, "is a file, not a folder"),
        (_no_subfolders, "no subfolders"),
        (_one_label, "at least two labels"),
        (_empty_label, "holds no images"),
        (_not_an_image, "notes.txt is not an image"),
        (_too_few, "label b has only 1 image"),
    ],
)
def test_bad_image_folders_fail_cleanly_and_write_nothing(capsys, tmp_path, make, words):
    images = tmp_path / "images"
    make(images)
    out = tmp_path / "out"
    line = error_line(capsys, ["run", "digits", "--images", str(images), "--out", str(out), "--no-progress"])
    assert words in line
    assert not out.exists()


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--optimizer", "least_squares"], "least_squares cannot train the digits network"),
        (["--optimizer", "exhaustive"], "choose one of"),
        (["--optimizer", "nope"], "unknown --optimizer 'nope'"),
        (["--image_size", "12"], "applies to --images only"),
        (["--test_fraction", "0"], "--test_fraction"),
        (["--hidden", "ten"], "expects a whole number"),
    ],
)
def test_bad_settings_through_the_cli(capsys, tmp_path, argv, words):
    out = tmp_path / "out"
    line = error_line(capsys, ["run", "digits", *argv, "--out", str(out), "--no-progress"])
    assert words in line
    assert not out.exists()


def test_unsupported_optimizer_error_lists_the_ones_that_work(capsys, tmp_path):
    line = error_line(capsys, ["run", "digits", "--optimizer", "least_squares", "--out", str(tmp_path / "o")])
    for name in ("gradient", "local_search", "evolution", "random_search"):
        assert name in line
    assert "choose one of" in line and "exhaustive," not in line.split("choose one of")[1]


# ----- whole runs -------------------------------------------------------------------


def _accuracies(config: Config) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        result = EXPERIMENT.execute(config, prepare(config), RunContext(out=Path(folder), progress=False))
    return {"test_accuracy": result["test_accuracy"], "sklearn_test_accuracy": result["sklearn_test_accuracy"]}


def assert_bounds(quantity, values: dict) -> None:
    """Assert a registered quantity's bounds on values the test computed itself.

    (The values come from the test's own run at the quantity's seed.)
    """
    for name, (op, threshold) in quantity.margin.bounds.items():
        assert OPERATORS[op](values[name], threshold), f"{name} = {values[name]}, expected {op} {threshold}"


# Chance is 0.1. Over seeds 0-9, 1 and 2 torch threads (the run pins itself to one): ours 0.964-0.980
# (0.971 +- 0.005), scikit-learn's 0.960-0.978 (0.972 +- 0.005). The old bound, 0.8, let a run that had
# lost a sixth of its accuracy pass.
@margin(seed=0, test_accuracy=(">", 0.93), sklearn_test_accuracy=(">", 0.93))
def quick_digits(seed: int) -> dict[str, float]:
    """`run digits --quick --seed SEED`: held-out accuracy of our network and of scikit-learn's."""
    return _accuracies(EXPERIMENT.make_config("quick", seed=seed))


BARS_ARGS = {"image_size": 6, "epochs": 40, "batch_size": 8, "lr": 0.01}
# 24 images a label, 12 held out. With 10 a label (5 held out) one held-out bar sat where no training bar
# did, and both models missed it on 5 of 6 seeds: 0.8, exactly the old threshold.
BARS_PER_LABEL = 24


# Chance is 0.5. Over seeds 0-9, 1 and 2 torch threads: 1.0 on every draw, for both models.
@margin(seed=0, test_accuracy=(">=", 0.9), sklearn_test_accuracy=(">=", 0.9))
def bars_folder(seed: int) -> dict[str, float]:
    """The bars folder of the test below, trained with `--seed SEED`."""
    with tempfile.TemporaryDirectory() as folder:
        images = bars(Path(folder) / "bars", per_label=BARS_PER_LABEL)
        return _accuracies(Config(images=str(images), seed=seed, **BARS_ARGS))


@pytest.mark.slow
def test_quick_run_end_to_end(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "digits", "--quick", "--out", str(out), "--no-progress"]) == 0
    result = json.loads((out / "result.json").read_text())
    for key in (
        "test_accuracy",
        "sklearn_test_accuracy",
        "seconds",
        "sklearn_seconds",
        "train_accuracy",
        "forward_equivalents",
        "report",
    ):
        assert key in result, key
    # A real check on learning: chance is 10%, a broken training loop stays near it.
    assert_bounds(quick_digits, result)
    assert result["n_train"] + result["n_test"] == 1797
    assert result["forward_equivalents"] == 3 * result["examples_seen"]
    assert sum(map(sum, result["confusion_matrix"])) == result["n_test"]
    report = result["report"]
    assert set(report) == {"summary", "headline", "figures", "tables"}
    for figure in report["figures"]:
        assert (out / figure["path"]).is_file() and figure["caption"]
    for name in FIGURES:
        assert (out / "figures" / name).stat().st_size > 1000
    assert f"{result['test_accuracy']:.1%}" in report["summary"]
    assert "Stochastic gradient descent" in report["summary"]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert {row["values"]["model"] for row in rows} == {"searchlab", "scikit-learn"}
    assert sum(row["values"]["model"] == "searchlab" for row in rows) == result["steps"]
    # Both models' compute is counted alike: at the end of training, 3 forward-equivalents per example seen.
    last = {row["series"]: row for row in rows}
    assert last["model=scikit-learn"]["forward_equivalents"] == result["sklearn_forward_equivalents"]
    assert last["model=searchlab"]["forward_equivalents"] == result["forward_equivalents"]

    # --resume on the finished run: the network is restored from its checkpoint, not retrained.
    assert main(["run", "digits", "--resume", "--out", str(out), "--no-progress"]) == 0
    again = json.loads((out / "result.json").read_text())
    assert again["test_accuracy"] == result["test_accuracy"]
    assert again["steps"] == result["steps"]


@pytest.mark.slow
def test_own_image_folder_and_a_search_optimizer(tmp_path):
    images = bars(tmp_path / "bars", per_label=BARS_PER_LABEL)
    out = tmp_path / "run"
    argv = ["run", "digits", "--images", str(images), *[a for k, v in BARS_ARGS.items() for a in (f"--{k}", str(v))]]
    assert main([*argv, "--out", str(out), "--no-progress"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["labels"] == ["horizontal", "vertical"]
    assert result["pixels"] == 36 and result["n_train"] + result["n_test"] == 2 * BARS_PER_LABEL
    assert_bounds(bars_folder, result)
    for name in FIGURES:
        assert (out / "figures" / name).is_file()

    # Random perturbation also runs (and reports what it spent), without gradients.
    out2 = tmp_path / "local"
    assert (
        main(["run", "digits", "--optimizer", "local_search", "--epochs", "2", "--out", str(out2), "--no-progress"])
        == 0
    )
    local = json.loads((out2 / "result.json").read_text())
    assert local["optimizer"] == "local_search"
    assert local["forward_equivalents"] > local["examples_seen"]  # 17 candidates per example
