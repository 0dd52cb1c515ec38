"""The networks experiment's claim that width approximates any function, measured over seeds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from claim_checks import check_claim_rows
from searchlab.core.errors import SearchlabError
from searchlab.experiments.base import RunContext
from searchlab.experiments.networks import EXPERIMENT, SECTIONS, Config, prepare, repeat_seeds
from searchlab.experiments.networks_claims import APPROXIMATES, claims, constant_error, error_slope, target_curves

# A small run: the approximation stage repeated on three seeds, everything else cut to the bone.
SMALL = {
    "examples": 32,
    "gradient_restarts": 1,
    "gradient_steps": 20,
    "approximation_steps": 150,
    "approximation_points": 64,
    "widths": (1, 8, 32),
    "view_steps": 3,
    "view_resolution": 11,
    "seeds": 3,
}
THRESHOLDS = {"width_approximates_any_function": APPROXIMATES, "approximation_error_falls_with_width": 0.0}


def made_up(errors: list[list[float]], constant: float = 1.0, widths=(1, 10, 100)) -> list[dict]:
    """Per-seed outcomes as `approximation_repeat` returns them, with the errors given."""
    return [
        {"seed": seed, "widths": list(widths), "errors": e, "train_losses": e, "constant_error": constant}
        for seed, e in enumerate(errors)
    ]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> tuple[Path, dict]:
    config = EXPERIMENT.make_config("full", **SMALL)
    out = tmp_path_factory.mktemp("networks_claims")
    return out, EXPERIMENT.run(config, prepare(config), RunContext(out=out, progress=False))


@pytest.mark.slow
def test_the_claims_are_well_formed_rows_whose_verdicts_follow_from_their_intervals(small_run):
    _, result = small_run
    check_claim_rows(
        result["claims"],
        {key: (value, "below") for key, value in THRESHOLDS.items()},
        seeds=SMALL["seeds"],
        section=SECTIONS[2],
    )


@pytest.mark.slow
def test_each_seed_fits_a_new_target_from_a_child_seed(small_run):
    out, result = small_run
    runs = result["approximation_over_seeds"]["runs"]
    config = EXPERIMENT.make_config("full", **SMALL)
    assert [run["seed"] for run in runs] == [seed for seed, _, _ in repeat_seeds(config)]
    assert all(run["widths"] == list(SMALL["widths"]) for run in runs)
    # Different seeds: different targets (so different baselines) and different errors at every width.
    assert len({run["constant_error"] for run in runs}) == len(runs)
    for column in zip(*(run["errors"] for run in runs)):
        assert len(set(column)) == len(runs)
    # The baseline is the training points' mean, scored on the dense grid, computed here with numpy.
    data = prepare(config)
    for run, (_, target_seed, _) in zip(runs, repeat_seeds(config)):
        curves = target_curves(data, target_seed, SMALL["approximation_points"])
        train, dense = curves.curve_y.numpy()[:, 0], curves.dense_y.numpy()[:, 0]
        assert run["constant_error"] == pytest.approx(np.mean((dense - train.mean()) ** 2), rel=1e-12)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    repeated = [row for row in rows if row["values"]["stage"] == "approximation_over_seeds"]
    assert len(repeated) == len(runs) * len(SMALL["widths"])


@pytest.mark.slow
def test_a_resumed_run_reads_each_finished_seed_back_with_its_metrics(small_run):
    out, result = small_run
    before = (out / "metrics.jsonl").read_text()
    config = EXPERIMENT.make_config("full", **SMALL)
    again = EXPERIMENT.run(config, prepare(config), RunContext(out=out, resume=True, progress=False))
    assert again["approximation_over_seeds"] == result["approximation_over_seeds"]
    assert again["claims"] == result["claims"]
    assert (out / "metrics.jsonl").read_text().count("approximation_over_seeds") == before.count(
        "approximation_over_seeds"
    )


def test_the_target_of_a_seed_is_new_and_the_constant_baseline_is_its_mean():
    data = prepare(Config(examples=16))
    first, again, other = (target_curves(data, seed, 40) for seed in (5, 5, 6))
    assert torch.equal(first.curve_y, again.curve_y) and not torch.equal(first.curve_y, other.curve_y)
    assert first.curve_y.shape == (40, 1) and first.teacher is data.teacher  # the rest of the data is kept
    flat = target_curves(data, 5, 40)
    flat = type(flat)(**{**flat.__dict__, "curve_y": torch.zeros(40, 1), "dense_y": torch.full((1001, 1), 2.0)})
    assert constant_error(flat) == pytest.approx(4.0)


def test_made_up_errors_give_every_verdict():
    supported = claims(made_up([[0.5, 0.1, 0.01], [0.4, 0.05, 0.02], [0.6, 0.2, 0.03]]), SECTIONS[2])
    assert [row["verdict"] for row in supported] == ["supported", "supported"]
    assert supported[1]["estimate"] == pytest.approx(np.mean([np.polyfit([0, 1, 2], np.log10(e), 1)[0] for e in (
        [0.5, 0.1, 0.01], [0.4, 0.05, 0.02], [0.6, 0.2, 0.03])]))  # fmt: skip
    # Width does not help: the widest is as bad as the constant, and error grows with width.
    flat = claims(made_up([[0.5, 0.8, 0.9], [0.4, 0.7, 1.0], [0.3, 0.9, 1.1]]), SECTIONS[2])
    assert [row["verdict"] for row in flat] == ["contradicted", "contradicted"]
    # Seeds that disagree leave the claim open.
    mixed = claims(made_up([[0.5, 0.1, 0.01], [0.5, 0.6, 0.9], [0.5, 0.1, 0.02], [0.5, 0.7, 0.8]]), SECTIONS[2])
    assert [row["verdict"] for row in mixed] == ["inconclusive", "inconclusive"]
    assert claims([], SECTIONS[2]) == []
    assert error_slope(made_up([[0.3]], widths=(4,))[0]) is None
    assert [row["id"] for row in claims(made_up([[0.3], [0.2]], widths=(4,)), SECTIONS[2])] == [
        "width_approximates_any_function"
    ]


def test_seeds_are_a_setting_of_every_size():
    with pytest.raises(SearchlabError, match="--seeds"):
        Config(seeds=-1)
    assert EXPERIMENT.make_config("quick").seeds == 2 and EXPERIMENT.make_config("tour").seeds >= 3
    assert Config().seeds >= 5
