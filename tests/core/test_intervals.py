"""Bootstrap intervals, paired comparisons and verdicts against textbook references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from searchlab.core.errors import SearchlabError
from searchlab.core.intervals import Interval, bootstrap_interval, paired_difference, verdict


def test_for_many_normal_values_the_interval_of_the_mean_agrees_with_the_t_interval():
    values = np.random.default_rng(0).normal(3.0, 2.0, 400)
    got = bootstrap_interval(values, resamples=4999)
    low, high = stats.t.interval(0.95, df=values.size - 1, loc=values.mean(), scale=stats.sem(values))
    assert got.estimate == pytest.approx(values.mean())
    # Both estimate the same sampling spread; they differ by resampling noise and the t's heavier tails.
    assert got.low == pytest.approx(low, abs=0.08 * (high - low))
    assert got.high == pytest.approx(high, abs=0.08 * (high - low))


def test_intervals_cover_the_true_mean_about_as_often_as_they_claim():
    rng = np.random.default_rng(1)
    hits = [
        (interval := bootstrap_interval(rng.normal(0.0, 1.0, 12), resamples=999, seed=k)).low <= 0 <= interval.high
        for k in range(300)
    ]
    # The percentile bootstrap under-covers a little at n = 12 (about 0.92); 300 trials put the observed
    # rate within about +-0.03 of that. A broken interval (too narrow or too wide) leaves this band.
    assert 0.85 <= np.mean(hits) <= 0.99


def test_a_paired_comparison_sees_a_difference_that_two_separate_intervals_hide():
    rng = np.random.default_rng(2)
    seed_effect = rng.normal(0.0, 5.0, 8)  # what the seeds share: large
    first = seed_effect + 1.0 + rng.normal(0.0, 0.1, 8)
    second = seed_effect + rng.normal(0.0, 0.1, 8)
    a, b = bootstrap_interval(first), bootstrap_interval(second)
    assert a.low < b.high and b.low < a.high  # separately, the intervals overlap
    difference = paired_difference(first, second)
    assert difference.low > 0.5 and difference.high < 1.5  # paired, the +1 stands out
    assert verdict(difference, 0.0) == "supported"


def test_verdicts_follow_the_stated_rule():
    above, below, straddles = Interval(2.0, 1.5, 2.5, 5), Interval(-2.0, -2.5, -1.5, 5), Interval(0.1, -0.2, 0.4, 5)
    assert verdict(above, 0.0) == "supported" and verdict(above, 0.0, predicts="below") == "contradicted"
    assert verdict(below, 0.0) == "contradicted" and verdict(below, 0.0, predicts="below") == "supported"
    assert verdict(straddles, 0.0) == verdict(straddles, 0.0, predicts="below") == "inconclusive"
    assert verdict(bootstrap_interval([4.0]), 0.0) == "inconclusive"  # one seed: no interval, no verdict
    with pytest.raises(SearchlabError, match="above' or 'below"):
        verdict(above, 0.0, predicts="more")


def test_degenerate_and_bad_inputs():
    same = bootstrap_interval([0.5, 0.5, 0.5])
    assert (same.estimate, same.low, same.high, same.n) == (0.5, 0.5, 0.5, 3)
    assert bootstrap_interval([1.0, 2.0, 4.0], np.median).estimate == 2.0
    assert bootstrap_interval([1.0, 2.0, 4.0], seed=3) == bootstrap_interval([1.0, 2.0, 4.0], seed=3)
    assert bootstrap_interval([1.0, 2.0]).text().startswith("1.5 [")
    for bad in ([], [1.0, float("nan")], [float("inf")]):
        with pytest.raises(SearchlabError, match="finite value"):
            bootstrap_interval(bad)
    with pytest.raises(SearchlabError, match="one value of each per seed"):
        paired_difference([1.0, 2.0], [1.0])
    with pytest.raises(SearchlabError, match="confidence"):
        bootstrap_interval([1.0, 2.0], confidence=1.5)


def test_a_claim_rows_verdict_is_computed_from_its_interval():
    from searchlab.core.intervals import CLAIM_KEYS, claim_row

    interval = bootstrap_interval([0.82, 0.9, 0.86, 0.88, 0.85])
    row = claim_row(
        "x_beats_chance",
        "X beats chance",
        "accuracy; chance is 0.5",
        interval,
        threshold=0.5,
        baseline=0.5,
        section="S",
    )
    assert tuple(row) == CLAIM_KEYS
    assert (row["verdict"], row["seeds"], row["estimate"]) == ("supported", 5, interval.estimate)
    flipped = claim_row(
        "x", "X is worse than chance", "accuracy", interval, threshold=0.5, predicts="below", section="S"
    )
    assert flipped["verdict"] == "contradicted"


def test_two_agreeing_seeds_give_no_verdict_however_narrow_their_interval():
    from searchlab.core.intervals import MIN_VALUES

    two = bootstrap_interval([0.0, 0.0])
    assert (two.low, two.high) == (0.0, 0.0)  # every resample agrees: an interval of zero width
    assert verdict(two, -0.01) == "inconclusive"
    assert verdict(bootstrap_interval([0.0] * MIN_VALUES), -0.01) == "supported"
    assert verdict(bootstrap_interval([-1.0, -1.0]), 0.0) == "inconclusive"
