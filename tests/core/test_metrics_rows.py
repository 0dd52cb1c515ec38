"""The one metrics.jsonl schema: `metrics_row`, `Trace.metrics_rows` and `check_metrics_rows`."""

from __future__ import annotations

import json

import pytest
import torch

from searchlab.core import (
    METRICS_COLUMNS,
    Budget,
    SquaredError,
    SupervisedProblem,
    Trace,
    check_metrics_rows,
    metrics_row,
)
from searchlab.core import run as run_search
from searchlab.optimizers import make_optimizer
from searchlab.spaces import LinearSpace


def test_the_columns_are_the_documented_ones_in_order():
    assert METRICS_COLUMNS == (
        "series",
        "step",
        "forward_equivalents",
        "examples_seen",
        "labels",
        "seconds",
        "loss",
        "values",
    )


def test_a_row_has_every_column_in_order_and_extras_go_into_values():
    row = metrics_row("optimizer=adam", step=3, forward_equivalents=90, loss=0.5, optimizer="adam", best_loss=0.4)
    assert tuple(row) == METRICS_COLUMNS
    assert row == {
        "series": "optimizer=adam",
        "step": 3,
        "forward_equivalents": 90,
        "examples_seen": None,  # not measured: null, never a made-up 0
        "labels": 0,  # no human signal bought unless said
        "seconds": None,
        "loss": 0.5,
        "values": {"optimizer": "adam", "best_loss": 0.4},
    }
    assert json.loads(json.dumps(row)) == row  # JSON-ready as it is
    assert metrics_row("s", step=None, forward_equivalents=None)["values"] == {}


def test_check_refuses_rows_of_another_shape():
    good = metrics_row("a", step=1, forward_equivalents=3)
    check_metrics_rows([good, good])  # does not raise
    check_metrics_rows([])
    missing = {key: value for key, value in good.items() if key != "labels"}
    extra = {**good, "optimizer": "sgd"}
    reordered = {"step": 1, **{key: value for key, value in good.items() if key != "step"}}
    flat_values = {**good, "values": 3}
    for bad in (missing, extra, reordered, flat_values):
        with pytest.raises(TypeError, match="metrics row 1 has columns"):
            check_metrics_rows([good, bad])


def _trace(losses: list[float]) -> Trace:
    trace = Trace()
    best = float("inf")
    for step, loss in enumerate(losses, start=1):
        best = min(best, loss)
        trace.record(
            step=step,
            forward_equivalents=10 * step,
            examples_seen=4 * step,
            labels=step // 2,
            seconds=0.1 * step,
            loss=loss,
            best_loss=best,
        )
    return trace


def test_trace_rows_keep_every_column_and_the_best_loss_as_a_value():
    rows = _trace([3.0, 1.0, 2.0]).metrics_rows("optimizer=sgd", optimizer="sgd")
    check_metrics_rows(rows)
    assert [row["step"] for row in rows] == [1, 2, 3]
    assert [row["forward_equivalents"] for row in rows] == [10, 20, 30]
    assert all(isinstance(row["forward_equivalents"], int) for row in rows)
    assert [row["examples_seen"] for row in rows] == [4, 8, 12]
    assert [row["labels"] for row in rows] == [0, 1, 1]
    assert [row["loss"] for row in rows] == [3.0, 1.0, 2.0]
    assert [row["values"] for row in rows] == [
        {"best_loss": 3.0, "optimizer": "sgd"},
        {"best_loss": 1.0, "optimizer": "sgd"},
        {"best_loss": 1.0, "optimizer": "sgd"},
    ]
    rows[0]["values"]["mine"] = 1  # each row's values are its own dict
    assert "mine" not in rows[1]["values"]


def test_every_nth_trace_row_and_always_the_last():
    trace = _trace([float(v) for v in range(10, 0, -1)])
    assert [row["step"] for row in trace.metrics_rows("s", every=3)] == [3, 6, 9, 10]
    assert [row["step"] for row in trace.metrics_rows("s", every=5)] == [5, 10]
    assert [row["step"] for row in trace.metrics_rows("s", every=20)] == [10]
    assert Trace().metrics_rows("s") == []


def test_a_real_run_gives_rows_that_add_up_to_its_result():
    torch.manual_seed(0)
    inputs = torch.linspace(-1, 1, 16, dtype=torch.float64).reshape(-1, 1)  # (16, 1)
    problem = SupervisedProblem(LinearSpace(1, 1), inputs, 2 * inputs + 1, SquaredError())
    result = run_search(problem, make_optimizer("gradient", lr=0.1), Budget(steps=7), 0)
    rows = result.trace.metrics_rows("optimizer=gradient", optimizer="gradient")
    check_metrics_rows(rows)
    assert len(rows) == result.steps == 7
    assert rows[-1]["forward_equivalents"] == result.forward_equivalents == 7 * 3 * 16  # 3 per example a step
    assert rows[-1]["examples_seen"] == result.examples_seen
    assert rows[-1]["values"]["best_loss"] == pytest.approx(min(row["loss"] for row in rows))
