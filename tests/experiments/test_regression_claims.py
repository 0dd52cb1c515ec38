"""The regression experiment's claims: measured over seeds, verdicts computed from the intervals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from claim_checks import check_claim_rows
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import spawn_seeds
from searchlab.experiments import get_experiment
from searchlab.experiments.base import RunContext
from searchlab.experiments.regression import SECTIONS, Config, prepare
from searchlab.experiments.regression_claims import COST_RATIO, ROUNDING, claims, seed_numbers

EXPERIMENT = get_experiment("regression")
# Three seeds of a small run: every optimizer, a budget that lets gradient descent reach the optimum.
SMALL = {"n": 60, "budget": 60_000, "grid_levels": 21, "cloud": 3, "seeds": 3}
THRESHOLDS = {
    "regression_needs_no_search": (ROUNDING, "below"),
    "regression_search_costs_more": (COST_RATIO, "above"),
}


def made_up(closed: list[float], best: list[float], gradient: list[int | None], cost: int = 100) -> list[dict]:
    """Per-seed numbers as `regression_claims.seed_numbers` makes them, from the values given."""
    return [
        {
            "seed": seed,
            "closed_form_loss": c,
            "closed_form_forward_equivalents": cost,
            "mean_loss": 10 * c,
            "best_search": "gradient",
            "best_search_loss": b,
            "gradient_forward_equivalents_to_within_1_percent": g,
            "gradient_reached_1_percent": g is not None,
        }
        for seed, (c, b, g) in enumerate(zip(closed, best, gradient))
    ]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> tuple[Path, dict]:
    config = EXPERIMENT.make_config("full", **SMALL)
    out = tmp_path_factory.mktemp("regression_claims")
    return out, EXPERIMENT.run(config, prepare(config), RunContext(out=out, progress=False))


@pytest.mark.slow
def test_the_claims_are_well_formed_rows_whose_verdicts_follow_from_their_intervals(small_run):
    _, result = small_run
    check_claim_rows(result["claims"], THRESHOLDS, seeds=SMALL["seeds"], section=SECTIONS[0])


@pytest.mark.slow
def test_each_seed_is_its_own_run_from_a_child_seed(small_run):
    _, result = small_run
    runs = result["over_seeds"]["runs"]
    assert [run["seed"] for run in runs] == spawn_seeds(0, SMALL["seeds"])
    # New data each seed: the closed-form losses all differ, and each equals numpy's lstsq on that seed's data.
    assert len({run["closed_form_loss"] for run in runs}) == len(runs)
    for run in runs:
        data = prepare(Config(**{**SMALL, "seed": run["seed"]}))
        design = np.stack([data.x, np.ones_like(data.x)], axis=1)  # (N, 2)
        (a, b), *_ = np.linalg.lstsq(design, data.y, rcond=None)
        assert run["closed_form_loss"] == pytest.approx(np.mean((a * data.x + b - data.y) ** 2), rel=1e-9)
        assert run["mean_loss"] == pytest.approx(np.var(data.y), rel=1e-12)
        assert run["closed_form_forward_equivalents"] == SMALL["n"]  # one pass over the data
        # No search beats the exact minimiser by more than rounding.
        assert run["best_search_loss"] >= run["closed_form_loss"] * (1 - 1e-9)


@pytest.mark.slow
def test_a_resumed_run_reads_each_finished_seed_back_and_refuses_another_seeds_record(small_run, tmp_path):
    out, result = small_run
    config = EXPERIMENT.make_config("full", **SMALL)
    again = EXPERIMENT.run(config, prepare(config), RunContext(out=out, resume=True, progress=False))
    assert again["over_seeds"] == result["over_seeds"] and again["claims"] == result["claims"]
    record = out / "checkpoints" / "seeds" / "seed-1.json"
    kept = json.loads(record.read_text())
    record.write_text(json.dumps({**kept, "seed": kept["seed"] + 1}))
    try:
        with pytest.raises(SearchlabError, match=r"seed-1\.json"):
            EXPERIMENT.run(config, prepare(config), RunContext(out=out, resume=True, progress=False))
    finally:
        record.write_text(json.dumps(kept))


def test_no_seeds_no_claims_and_a_negative_count_is_refused():
    assert claims([], SECTIONS[0]) == []
    with pytest.raises(SearchlabError, match="--seeds"):
        Config(seeds=-1)
    assert EXPERIMENT.make_config("quick").seeds == 2 and EXPERIMENT.make_config("tour").seeds >= 3
    assert Config().seeds >= 5


def test_a_search_that_beats_the_closed_form_contradicts_the_claim():
    rows = claims(made_up([100.0, 200.0, 300.0], [99.0, 198.0, 297.5], [5_000, 6_000, 7_000]), SECTIONS[0])
    by_id = {row["id"]: row for row in rows}
    assert by_id["regression_needs_no_search"]["verdict"] == "contradicted"
    assert by_id["regression_needs_no_search"]["estimate"] == pytest.approx(np.mean([0.01, 0.01, 1 - 297.5 / 300]))
    assert by_id["regression_search_costs_more"]["verdict"] == "supported"  # 50 to 70 times the closed form


def test_cheap_or_mixed_searches_are_contradicted_or_inconclusive():
    cheap = claims(made_up([1.0] * 3, [1.0] * 3, [300, 400, 500]), SECTIONS[0])
    assert {row["id"]: row["verdict"] for row in cheap} == {
        "regression_needs_no_search": "supported",  # all gaps exactly 0: below the rounding threshold
        "regression_search_costs_more": "contradicted",  # 3 to 5 times the closed form, under 10
    }
    mixed = claims(made_up([1.0] * 4, [1.0] * 4, [300, 5_000, 400, 6_000]), SECTIONS[0])
    assert mixed[1]["verdict"] == "inconclusive"  # ratios 3, 50, 4, 60: the interval straddles 10
    one = claims(made_up([1.0], [1.0], [5_000]), SECTIONS[0])
    assert [row["verdict"] for row in one] == ["inconclusive", "inconclusive"]  # one seed gives no interval
    assert [row["seeds"] for row in one] == [1, 1]


def test_a_gradient_run_that_never_got_close_counts_all_it_spent_and_without_gradient_no_cost_claim():
    summaries = {
        "least_squares": {"loss": 2.0, "forward_equivalents": 50, "forward_equivalents_to_within_1_percent": 50},
        "gradient": {"loss": 2.5, "forward_equivalents": 9_000, "forward_equivalents_to_within_1_percent": None},
        "local_search": {"loss": 2.1, "forward_equivalents": 8_000, "forward_equivalents_to_within_1_percent": 700},
    }
    numbers = seed_numbers(7, summaries, {"loss": 2.0, "forward_equivalents": 50}, 9.0)
    assert numbers["best_search"] == "local_search" and numbers["best_search_loss"] == 2.1
    assert numbers["gradient_forward_equivalents_to_within_1_percent"] == 9_000  # a lower bound
    assert numbers["gradient_reached_1_percent"] is False
    del summaries["gradient"]
    numbers = seed_numbers(8, summaries, {"loss": 2.0, "forward_equivalents": 50}, 9.0)
    assert numbers["gradient_forward_equivalents_to_within_1_percent"] is None
    assert [row["id"] for row in claims([numbers, numbers], SECTIONS[0])] == ["regression_needs_no_search"]
    assert claims([seed_numbers(9, {}, {"loss": 2.0, "forward_equivalents": 50}, 9.0)], SECTIONS[0]) == []
