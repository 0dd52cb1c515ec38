"""The Tic-Tac-Toe experiment's claim rows: their shape, verdicts recomputed from the intervals, and cases
made up so that each verdict must come out."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fake_clock import fake_clock
from searchlab.cli import main
from searchlab.core.intervals import CLAIM_KEYS, Interval, verdict
from searchlab.experiments.tictactoe import EXPERIMENT
from searchlab.experiments.tictactoe_claims import STRONG_LOSSES, claims, self_play_claim
from searchlab.games.roundrobin import SECONDS_PER_AGE_OF_UNIVERSE

TINY = ["--round_robin_seconds", "0.5", "--evaluations", "300", "--seeds", "3", "--net_steps", "5"]
TINY += ["--net_holdout", "0", "--variants", "self_play,random_search"]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("ttt-claims") / "run"
    with pytest.MonkeyPatch.context() as patch:
        fake_clock(patch)
        assert main(["run", "tictactoe", "--out", str(out), "--no-progress", *TINY]) == 0
    return json.loads((out / "result.json").read_text())


def test_the_run_states_both_claims_with_verdicts_computed_from_their_intervals(result):
    rows = {row["id"]: row for row in result["claims"]}
    assert set(rows) == {"exhaustive_search_infeasible", "self_play_finds_strong_play"}
    for row in rows.values():
        assert tuple(row) == CLAIM_KEYS
    interval = lambda row: Interval(row["estimate"], row["ci_low"], row["ci_high"], row["seeds"])  # noqa: E731
    strong = rows["self_play_finds_strong_play"]
    assert strong["verdict"] == verdict(interval(strong), STRONG_LOSSES, predicts="below")
    assert strong["seeds"] == 3
    finals = [run["final_losses_vs_perfect"] for run in result["local_search"]["self_play"]["runs"]]
    assert len(set(finals)) > 1, "the three runs must be different searches"
    assert strong["estimate"] == pytest.approx(float(np.median(finals)))
    assert strong["ci_low"] <= strong["estimate"] <= strong["ci_high"]


def test_the_exhaustive_claim_prices_the_whole_game_at_each_measured_rate(result):
    row = next(r for r in result["claims"] if r["id"] == "exhaustive_search_infeasible")
    exhaustive = result["exhaustive"]
    games_log10 = exhaustive["whole_game"]["games_log10"]
    ages = [
        games_log10 - math.log10(r["games_per_second"]) - math.log10(SECONDS_PER_AGE_OF_UNIVERSE)
        for r in exhaustive["rows"]
    ]
    assert row["estimate"] == pytest.approx(float(np.mean(ages)))
    assert row["verdict"] == "supported"  # 10^567 games: no measured rate comes near one age of the universe
    assert row["seeds"] == 1


def search_of(finals: list[float], start: float = 900.0) -> dict:
    """A made-up self-play search: runs ending at `finals`, every curve starting at `start`."""
    return {
        "runs": [{"final_losses_vs_perfect": value} for value in finals],
        "per_run_losses_vs_perfect": [[start, value] for value in finals],
    }


@pytest.mark.parametrize(
    "finals, expected",
    [
        ([0.0, 12.0, 30.0, 5.0, 20.0], "supported"),
        ([640.0, 700.0, 590.0, 930.0, 610.0], "contradicted"),
        ([20.0, 400.0, 60.0, 350.0, 90.0], "inconclusive"),
        ([10.0], "inconclusive"),  # one run gives no interval
    ],
)
def test_each_verdict_comes_out_where_the_runs_put_it(finals, expected):
    row = self_play_claim(search_of(finals))
    assert row["verdict"] == expected
    assert row["seeds"] == len(finals)
    assert "900 losses per 1,000" in row["baseline"]


def test_without_a_self_play_search_there_is_no_self_play_claim():
    numbers = {
        "exhaustive": {"rows": [], "whole_game": {"games_log10": 567.0}, "largest_k": 0},
        "local_search": {"random_search": search_of([400.0, 420.0])},
    }
    assert claims(numbers) == []


def test_sizes_have_enough_seeds_for_an_interval():
    seeds = {size: EXPERIMENT.make_config(size).seeds for size in ("full", "tour", "quick")}
    assert seeds["full"] >= 5 and seeds["tour"] >= 3 and seeds["quick"] >= 2
