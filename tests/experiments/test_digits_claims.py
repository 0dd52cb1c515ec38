"""The digits experiment's claim: searchlab's network against scikit-learn's, paired over seeds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from searchlab.core.errors import SearchlabError
from searchlab.core.intervals import CLAIM_KEYS, Interval, verdict
from searchlab.core.seeding import spawn_seeds
from searchlab.experiments.base import RunContext
from searchlab.experiments.digits import EXPERIMENT, SECTION, Config, load_split, prepare
from searchlab.experiments.digits_claims import MARGIN, claims, majority_accuracy

SMALL = {"epochs": 8, "lr": 0.005, "hidden": 32, "seeds": 3}
CLAIM = "network_matches_sklearn_on_digits"


def recomputed(row: dict) -> str:
    """The verdict of the claim row, computed again from its own interval."""
    return verdict(Interval(row["estimate"], row["ci_low"], row["ci_high"], row["seeds"]), -MARGIN, predicts="above")


def made_up(ours: list[float], theirs: list[float]) -> list[dict]:
    """Per-seed numbers as `digits.repeat` keeps them, with the accuracies given."""
    return [
        {"seed": seed, "test_accuracy": a, "sklearn_test_accuracy": b, "majority_accuracy": 0.1, "n_test": 450}
        for seed, (a, b) in enumerate(zip(ours, theirs))
    ]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> tuple[Path, dict]:
    config = Config(**SMALL)
    out = tmp_path_factory.mktemp("digits_claims")
    return out, EXPERIMENT.run(config, prepare(config), RunContext(out=out, progress=False))


@pytest.mark.slow
def test_the_claim_is_a_well_formed_row_whose_verdict_follows_from_its_interval(small_run):
    _, result = small_run
    (row,) = result["claims"]
    assert tuple(row) == CLAIM_KEYS and row["id"] == CLAIM
    assert row["seeds"] == SMALL["seeds"] and row["section"] == SECTION
    assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
    assert row["verdict"] == recomputed(row)
    runs = result["over_seeds"]["runs"]
    differences = [run["test_accuracy"] - run["sklearn_test_accuracy"] for run in runs]
    assert row["estimate"] == pytest.approx(np.mean(differences))
    assert "majority class 0.1" in row["baseline"]
    json.dumps(row, allow_nan=False)


@pytest.mark.slow
def test_each_seed_is_its_own_split_and_training(small_run):
    _, result = small_run
    runs = result["over_seeds"]["runs"]
    assert [run["seed"] for run in runs] == spawn_seeds(0, SMALL["seeds"])
    # Different runs: the network's test loss and scikit-learn's last training loss differ from seed to seed.
    assert len({run["test_loss"] for run in runs}) == len(runs)
    assert len({run["sklearn_final_loss"] for run in runs}) == len(runs)
    for run in runs:
        images, train, test = load_split(Config(**{**SMALL, "seed": run["seed"]}))
        assert run["n_test"] == len(test)
        assert run["majority_accuracy"] == majority_accuracy(images.labels, train, test)
        assert 0.09 < run["majority_accuracy"] < 0.11  # ten balanced labels
        for key in ("test_accuracy", "sklearn_test_accuracy"):
            assert round(run[key] * run["n_test"]) == pytest.approx(run[key] * run["n_test"])  # whole images
    splits = [load_split(Config(seed=run["seed"]))[2] for run in runs[:2]]
    assert not np.array_equal(splits[0], splits[1])
    images, train, test = load_split(Config(**SMALL))  # the main run's split, at --seed 0
    assert result["majority_accuracy"] == majority_accuracy(images.labels, train, test)


@pytest.mark.slow
def test_a_resumed_run_reads_each_finished_seed_back_and_refuses_another_seeds_record(small_run):
    out, result = small_run
    config = Config(**SMALL)
    again = EXPERIMENT.run(config, prepare(config), RunContext(out=out, resume=True, progress=False))
    assert again["over_seeds"] == result["over_seeds"] and again["claims"] == result["claims"]
    record = out / "checkpoints" / "seeds" / "seed-2.json"
    kept = json.loads(record.read_text())
    record.write_text(json.dumps({**kept, "seed": 7}))
    try:
        with pytest.raises(SearchlabError, match=r"seed-2\.json"):
            EXPERIMENT.run(config, prepare(config), RunContext(out=out, resume=True, progress=False))
    finally:
        record.write_text(json.dumps(kept))


def test_the_majority_class_is_the_most_frequent_training_label():
    labels = np.array([0, 1, 1, 2, 2, 2, 1, 1, 0, 2])
    train, test = np.arange(6), np.arange(6, 10)  # training: 2 is most frequent; test: [1, 1, 0, 2]
    assert majority_accuracy(labels, train, test) == 0.25
    assert majority_accuracy(labels, np.arange(3), test) == 0.5  # training [0, 1, 1]: 1


def test_made_up_accuracies_give_every_verdict():
    assert claims(made_up([0.97, 0.965, 0.98], [0.97, 0.97, 0.975]), SECTION)[0]["verdict"] == "supported"
    behind = claims(made_up([0.90, 0.91, 0.89], [0.97, 0.96, 0.98]), SECTION)[0]
    assert behind["verdict"] == "contradicted" and behind["estimate"] == pytest.approx(-0.07)
    # Seeds that disagree: the interval straddles one point behind.
    assert claims(made_up([0.90, 0.98, 0.91, 0.97], [0.97, 0.97, 0.97, 0.96]), SECTION)[0]["verdict"] == "inconclusive"
    assert claims(made_up([0.97], [0.96]), SECTION)[0]["verdict"] == "inconclusive"  # one seed: no interval
    assert claims([], SECTION) == []
    assert claims(made_up([0.9, 0.9], [0.9, 0.9]), SECTION, on="images")[0]["id"] == "network_matches_sklearn_on_images"


def test_seeds_are_a_setting_of_every_size():
    with pytest.raises(SearchlabError, match="--seeds"):
        Config(seeds=-1)
    assert EXPERIMENT.make_config("quick").seeds == 2
    assert Config().seeds >= 5 and EXPERIMENT.make_config("tour").seeds >= 3
