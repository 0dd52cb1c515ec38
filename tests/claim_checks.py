"""The checks every experiment's claim rows must pass, shared by the experiments' claim tests."""

from __future__ import annotations

import json

from searchlab.core.intervals import CLAIM_KEYS, Interval, verdict


def check_claim_rows(rows: list[dict], expected: dict[str, tuple[float, str]], *, seeds: int, section: str) -> None:
    """`rows` hold the ids of `expected` ({id: (threshold, "above" or "below")}) in order, exactly the keys of
    a claim row, the run's seed count and essay section, an interval around the estimate, a verdict computed
    again from the row's own interval, and nothing JSON cannot write."""
    assert [row["id"] for row in rows] == list(expected)
    for row in rows:
        assert tuple(row) == CLAIM_KEYS
        assert row["seeds"] == seeds and row["section"] == section
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
        threshold, predicts = expected[row["id"]]
        interval = Interval(row["estimate"], row["ci_low"], row["ci_high"], row["seeds"])
        assert row["verdict"] == verdict(interval, threshold, predicts=predicts)
    json.dumps(rows, allow_nan=False)  # the rows go to claims.json as they are
