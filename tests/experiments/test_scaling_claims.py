"""The scaling experiment's claim rows, on synthetic grids whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from searchlab.core.intervals import CLAIM_KEYS
from searchlab.experiments.scaling_claims import ceiling_gap, claims, examples_ratio_log10

SIZES = (100, 1_000, 10_000)
DATA = (100, 1_000, 10_000, 100_000)


def grid_rows(loss, seeds: int = 5, noise: float = 0.0) -> list[dict]:
    """Trial rows of every (N, D, seed) with loss(N, D) plus seeded noise."""
    rng = np.random.default_rng(0)
    return [
        {"params": n, "examples": d, "seed": seed, "loss": loss(n, d) + noise * rng.standard_normal()}
        for n in SIZES
        for d in DATA
        for seed in range(seeds)
    ]


def chinchilla(n: float, d: float) -> float:
    return 0.1 + 5.0 / n**0.5 + 20.0 / d**0.5


def test_a_law_where_size_helps_supports_both_claims():
    rows = {row["id"]: row for row in claims({"mlp": grid_rows(chinchilla, noise=0.002)})}
    assert set(rows) == {"bigger_nets_max_out_higher", "bigger_nets_need_fewer_examples"}
    for row in rows.values():
        assert tuple(row) == CLAIM_KEYS and row["seeds"] == 5
        assert row["verdict"] == "supported", row
    expected_gap = chinchilla(10_000, 100_000) - chinchilla(100, 100_000)
    assert rows["bigger_nets_max_out_higher"]["estimate"] == pytest.approx(expected_gap, abs=0.01)
    assert "MLP task" in rows["bigger_nets_max_out_higher"]["measure"]


def test_a_law_where_size_hurts_contradicts_both_claims():
    worse = lambda n, d: 0.1 + 0.01 * math.log10(n) + 20.0 * math.log10(n) / d**0.5  # noqa: E731 (bigger: worse)
    rows = {row["id"]: row for row in claims({"charlm": grid_rows(worse, noise=0.0005)})}
    assert rows["bigger_nets_max_out_higher"]["verdict"] == "contradicted"
    assert rows["bigger_nets_need_fewer_examples"]["verdict"] == "contradicted"
    assert "character language model" in rows["bigger_nets_need_fewer_examples"]["measure"]


def test_one_seed_gives_no_interval_and_no_verdict():
    rows = claims({"mlp": grid_rows(chinchilla, seeds=1)})
    assert all(row["verdict"] == "inconclusive" and row["ci_low"] is None for row in rows)


def test_the_examples_ratio_is_exact_on_a_power_law():
    # Loss = 1 + 100 / D (the small model) and 1 + 10 / D (the large one): the small model's loss with the
    # most data, 1.001, is reached by the large one at D = 10,000, by the small one at 100,000: one decade.
    rows = [
        {"params": n, "examples": d, "seed": 0, "loss": 1.0 + scale / d}
        for n, scale in ((100, 100.0), (10_000, 10.0))
        for d in DATA
    ]
    assert examples_ratio_log10(rows) == pytest.approx(-1.0, abs=1e-6)
    assert ceiling_gap(rows) == pytest.approx(10.0 / 100_000 - 100.0 / 100_000)


def test_a_larger_model_that_learns_slower_needs_more_examples():
    # The large model: 1 + 1000 / D, the small: 1 + 100 / D. The target is the large model's loss with the most
    # data, 1.01, which the small one reaches at D = 10,000: the large one needs ten times as much.
    rows = [
        {"params": n, "examples": d, "seed": 0, "loss": 1.0 + scale / d}
        for n, scale in ((100, 100.0), (10_000, 1000.0))
        for d in DATA
    ]
    assert examples_ratio_log10(rows) == pytest.approx(1.0, abs=1e-6)
