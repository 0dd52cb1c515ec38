"""Every registered experiment writes metrics.jsonl with the one schema, `core.METRICS_COLUMNS`, in every row.

Each experiment (and each tour variant) runs once at a size that takes seconds, without its report (the
report reads metrics.jsonl only for regression, whose own tests draw it); the training signals' runs are
the ones tests/experiments/test_signals.py makes anyway. Where an experiment counts the compute it spends,
forward_equivalents is a whole number in every row (and, along a single run's curve, never decreases).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from searchlab.core import METRICS_COLUMNS
from searchlab.experiments import EXPERIMENTS
from searchlab.experiments.base import RunContext

pytestmark = pytest.mark.slow  # each case runs a whole (tiny) experiment

# The language model at a size that trains in a second (both vocabularies use it).
CHARLM_TINY = {
    "steps": 10,
    "warmup_steps": 2,
    "layers": 1,
    "heads": 2,
    "width": 16,
    "context": 16,
    "batch_size": 4,
    "sample_chars": 5,
    "dropout": 0.0,
    "threads": 1,
}

# name -> (tour variant or None, overrides of the quick size that make the run take seconds).
RUNS = {
    "tictactoe": (
        None,
        {"round_robin_seconds": 0.1, "evaluations": 50, "seeds": 1, "net_steps": 10, "net_holdout": 0.2},
    ),
    "regression": (None, {"optimizers": ("least_squares", "gradient", "local_search"), "budget": 3_000}),
    "networks": (
        None,
        {"gradient_restarts": 1, "gradient_steps": 30, "approximation_steps": 30, "view_steps": 5, "widths": (1, 4)},
    ),
    "digits": (None, {"epochs": 2}),
    "charlm": (None, CHARLM_TINY),
    "charlm-essay": ("essay", CHARLM_TINY),
    "perturbation": (None, {"widths": (1, 2), "seeds": 1, "budget": 3_000}),
    "scaling": (
        None,
        {
            "mlp_widths": (2, 4),
            "mlp_examples": (64, 128, 256),
            "mlp_seeds": 1,
            "lm_widths": (8, 16),
            "lm_characters": (1000, 2000, 4000),
            "lm_seeds": 1,
            "lm_steps": 5,
            "workers": 1,
            "huber_resamples": 0,
        },
    ),
    "hybrid": (
        None,
        {
            "iterations": 1,
            "selfplay_games": 4,
            "selfplay_simulations": 8,
            "train_steps": 5,
            "arena_games": 2,
            "positions": 10,
            "simulations": (1, 4),
            "games_vs_perfect": 2,
        },
    ),
}

# The training signals' tiny runs take half a minute each; tests/experiments/test_signals.py makes them
# anyway and checks their metrics.jsonl with `check_metrics_file` below.
CHECKED_ELSEWHERE = {"signals", "signals-arithmetic"}

# Experiments whose every row counts compute in forward_equivalents. The others count it in some series
# only: hybrid's ablation measures finished movers (null) and the training signals' curves count queries
# bought, so there the column may be null, but a series that counts compute counts it in every row.
EVERY_ROW_COUNTS = {"regression", "networks", "digits", "charlm", "perturbation", "scaling", "tictactoe"}


def test_every_registered_experiment_and_variant_is_run_here():
    expected = {
        name if not variant else f"{name}-{variant}"
        for name, experiment in EXPERIMENTS.items()
        for variant in (None, *experiment.variants)
    }
    assert set(RUNS) | CHECKED_ELSEWHERE == expected and not set(RUNS) & CHECKED_ELSEWHERE


@pytest.mark.parametrize("case", sorted(RUNS))
def test_metrics_rows_have_exactly_the_schema(case, tmp_path):
    variant, overrides = RUNS[case]
    experiment = EXPERIMENTS[case.split("-")[0]]
    config = experiment.make_config("quick", **{**experiment.variants.get(variant, {}), **overrides})
    out = tmp_path / case
    out.mkdir()
    experiment.run(config, experiment.prepare(config), RunContext(out=out, progress=False))
    curves = check_metrics_file(out / "metrics.jsonl", every_row_counts=case in EVERY_ROW_COUNTS)
    if case == "hybrid":  # its AlphaZero training counts compute: searches' evaluations and training examples
        assert all(isinstance(fe, int) and fe > 0 for s, fes in curves.items() if "training" in s for fe in fes)


def check_metrics_file(path: Path, *, every_row_counts: bool) -> dict[str, list[int | None]]:
    """Assert that every row of the metrics.jsonl at `path` has exactly `METRICS_COLUMNS`; each series' compute.

    A series' name must take apart (`shlex.split`) into key=value parts that its values repeat. Where a
    series counts compute (every series when `every_row_counts`), forward_equivalents is a whole number in
    each of its rows, never decreasing when `every_row_counts` (those experiments' curves are single runs).

    Returns:
        series -> its forward_equivalents, row by row.
    """
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows, f"{path} holds no rows"
    curves: dict[str, list[int | None]] = {}
    for row in rows:
        assert tuple(row) == METRICS_COLUMNS, row
        assert isinstance(row["series"], str) and row["series"] and isinstance(row["values"], dict)
        assert all(isinstance(row[name], (int, type(None))) for name in ("step", "examples_seen", "labels"))
        for part in shlex.split(row["series"]):
            key, _, value = part.partition("=")
            assert str(row["values"].get(key)) == value, (part, row["values"])
        curves.setdefault(row["series"], []).append(row["forward_equivalents"])
    for series, spent in curves.items():
        if every_row_counts or any(fe is not None for fe in spent):
            assert all(isinstance(fe, int) and not isinstance(fe, bool) for fe in spent), (series, spent)
        if every_row_counts:
            assert all(a <= b for a, b in zip(spent, spent[1:])), (series, spent)
    return curves
