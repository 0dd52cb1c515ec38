"""The perturbation experiment: sizes, cost to target, slope fits, config checks, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cli_checks import assert_config_refuses, error_line
from searchlab.cli import main
from searchlab.core import Budget, SquaredError, SupervisedProblem
from searchlab.core import run as run_search
from searchlab.core.intervals import CLAIM_KEYS
from searchlab.core.trace import Trace
from searchlab.experiments.perturbation import EXPERIMENT, prepare
from searchlab.experiments.perturbation_config import Config, parameter_counts, settings_grid, student_space
from searchlab.experiments.perturbation_fits import forward_equivalents_to_target, median_to_target, ratio_slope
from searchlab.optimizers import make_optimizer

FIGURES = (
    "cost_vs_parameters.png",
    "ratio_vs_parameters.png",
    "convergence_largest.png",
    "growing_cost_vs_parameters.png",
    "growing_ratio_vs_parameters.png",
    "ratio_vs_effective_dimension.png",
)


# ----- sizes and the task -----------------------------------------------------


def test_full_size_students_span_ten_to_a_hundred_thousand_parameters():
    config = EXPERIMENT.make_config("full")
    counts = parameter_counts(config)
    assert len(counts) >= 6
    assert counts[0] <= 10 and counts[-1] >= 100_000
    assert counts == sorted(counts)
    for width, count in zip(config.widths, counts):
        assert student_space(config, width).dim == count
        assert count == width**2 + (config.inputs + 3) * width + 1  # two hidden layers with biases
    # Log-spaced: each size is between 3 and 15 times the one before.
    steps = np.diff(np.log10(counts))
    assert steps.min() > np.log10(3) and steps.max() < np.log10(15)


def test_every_size_is_valid_and_smaller_sizes_spend_less():
    full, tour, quick = (EXPERIMENT.make_config(size) for size in ("full", "tour", "quick"))
    assert quick.budget <= tour.budget <= full.budget
    assert len(parameter_counts(quick)) >= 2 and quick.seeds <= full.seeds
    # The tour stops at 15,241 weights: the 100,161-weight student took most of the tour's time (evolution alone
    # about a minute per run), and the growing task now shares the time; the full size keeps it.
    assert parameter_counts(tour)[-1] >= 10_000


def test_the_teacher_task_is_seeded_and_standardised():
    config = Config(examples=32)
    task, again, other = prepare(config), prepare(config), prepare(Config(examples=32, seed=1))
    assert task.inputs.shape == (32, config.inputs) and task.targets.shape == (32, 1)
    assert np.array_equal(task.targets.numpy(), again.targets.numpy())
    assert not np.array_equal(task.targets.numpy(), other.targets.numpy())
    assert task.zero_loss == pytest.approx(1.0, rel=1e-5)  # standardised: mean squared target is 1
    assert task.target_loss == pytest.approx(config.target_fraction * task.zero_loss)


def test_step_lengths_are_spread_over_all_weights():
    config = Config()
    for params in (9, 100_161):
        (_, settings), *_ = [g for g in settings_grid(config, "local_search", params) if g[0] == 1.0]
        assert settings["step_size"] == pytest.approx(1.0 / params**0.5)
    assert [v for v, _ in settings_grid(config, "sgd", 9)] == list(config.sgd_lrs)


# ----- cost to the target -----------------------------------------------------


def _trace(rows: list[tuple[int, float]]) -> Trace:
    trace = Trace()
    for step, (spent, loss) in enumerate(rows, start=1):
        trace.record(step=step, forward_equivalents=spent, examples_seen=0, seconds=0.0, loss=loss, best_loss=loss)
    return trace


def test_forward_equivalents_to_target_is_the_first_step_at_or_below_it():
    trace = _trace([(100, 0.9), (200, 0.5), (300, 0.2), (400, 0.1), (500, 0.3)])
    assert forward_equivalents_to_target(trace, 0.2) == 300  # "at" counts
    assert forward_equivalents_to_target(trace, 0.15) == 400
    assert forward_equivalents_to_target(trace, 0.05) is None
    assert forward_equivalents_to_target(Trace(), 1.0) is None


@pytest.mark.parametrize("method", ["local_search", "sgd"])
def test_cost_to_target_matches_a_real_run_recomputed_independently(method):
    config = Config(examples=16, budget=40_000)
    task = prepare(config)
    problem = SupervisedProblem(student_space(config, 5), task.inputs, task.targets, SquaredError())
    _, settings = settings_grid(config, method, problem.space.dim)[1]
    optimizer = make_optimizer("gradient" if method == "sgd" else method, **settings)
    target = 0.3
    result = run_search(problem, optimizer, Budget(forward_equivalents=config.budget, target_loss=target), seed=3)
    rows = result.trace.rows()
    expected = next((row["forward_equivalents"] for row in rows if row["loss"] <= target), None)
    assert forward_equivalents_to_target(result.trace, target) == expected
    if expected is not None:  # the run stopped right there: the last step is the first at the target
        assert expected == result.forward_equivalents and result.stopped_because == "target_loss"
    never = forward_equivalents_to_target(result.trace, -1.0)
    assert never is None


def test_median_counts_runs_that_did_not_reach_the_target_as_infinitely_costly():
    assert median_to_target([3, 1, 2]) == 2
    assert median_to_target([1, None, 2]) == 2
    assert median_to_target([None, None, 2]) is None
    assert median_to_target([1, 3]) == 2
    assert median_to_target([1, None]) is None


# ----- slopes -----------------------------------------------------------------


def _rows(costs: dict[str, callable], sizes=(10, 100, 1_000, 10_000, 100_000), seeds=3) -> list[dict]:
    return [
        {"params": p, "optimizer": name, "seed": s, "forward_equivalents_to_target": cost(p, s)}
        for p in sizes
        for name, cost in costs.items()
        for s in range(seeds)
    ]


def test_ratio_slope_recovers_a_known_slope():
    rows = _rows(
        {"local_search": lambda p, s: 7.0 * p**1.5 * (1 + 0.01 * s), "sgd": lambda p, s: 3.0 * p**0.5 * (1 + 0.01 * s)}
    )
    fit = ratio_slope(rows, "local_search", "sgd")
    assert fit["slope"] == pytest.approx(1.0, abs=1e-9)
    assert fit["points"] == 5 and fit["params"] == [10, 100, 1_000, 10_000, 100_000]
    assert 10 ** fit["intercept"] == pytest.approx(7.0 / 3.0 * 1.01 / 1.01)


def test_ratio_slope_leaves_out_sizes_not_reached_unless_counted_at_the_budget():
    budget = 1e6
    rows = _rows({"local_search": lambda p, s: None if p >= 10_000 else 2.0 * p**2, "sgd": lambda p, s: 5.0 * p})
    fit = ratio_slope(rows, "local_search", "sgd")
    assert fit["points"] == 3 and fit["slope"] == pytest.approx(1.0)
    bounded = ratio_slope(rows, "local_search", "sgd", censored_at=budget)
    assert bounded["points"] == 5 and bounded["lower_bound"] == [False, False, False, True, True]
    assert bounded["ratios"][-1] == pytest.approx(budget / (5.0 * 100_000))
    one = ratio_slope(
        _rows({"local_search": lambda p, s: None if p > 10 else 1, "sgd": lambda p, s: 1}), "local_search", "sgd"
    )
    assert one["slope"] is None and one["points"] == 1


# ----- config -----------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"optimizers": ("local_search", "annealing")}, ["'annealing'", "sgd", "adam"]),
        ({"optimizers": ("exhaustive",)}, ["exhaustive", "cannot"]),
        ({"optimizers": ("least_squares",)}, ["least_squares", "cannot"]),
        ({"optimizers": ("gradient",)}, ["sgd", "adam"]),
        ({"optimizers": ()}, ["lists none"]),
        ({"optimizers": ("sgd", "sgd")}, ["more than once"]),
        ({"widths": (5,)}, ["--widths", "at least 2"]),
        ({"widths": (16, 5)}, ["--widths", "increase"]),
        ({"widths": (0, 5)}, ["--widths"]),
        ({"budget": 0}, ["--budget"]),
        ({"target_fraction": 1.5}, ["--target_fraction"]),
        ({"target_fraction": 0.0}, ["--target_fraction"]),
        ({"seeds": 0}, ["--seeds"]),
        ({"examples": 1}, ["--examples"]),
        ({"sgd_lrs": (0.1, -1.0)}, ["--sgd_lrs"]),
        ({"adam_lrs": ()}, ["--adam_lrs"]),
        ({"local_search_steps": (float("nan"),)}, ["--local_search_steps"]),
        ({"evolution_population": 7}, ["--evolution_population", "even"]),
        ({"population_size": 0}, ["--population_size"]),
        ({"evolution_sigmas": (0.0, 0.1)}, ["--evolution_sigmas"]),
        ({"teacher_scale": -1.0}, ["--teacher_scale"]),
    ],
)
def test_bad_settings_are_refused_by_the_config(settings, words):
    assert_config_refuses(Config, settings, words)


def test_a_bad_value_on_the_command_line_is_one_error_line(capsys, tmp_path):
    line = error_line(
        capsys, ["run", "perturbation", "--quick", "--target_fraction", "2", "--out", str(tmp_path / "run")]
    )
    assert "--target_fraction" in line
    assert not (tmp_path / "run").exists()


# ----- the run ----------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> Path:
    """A reduced `searchlab run perturbation --quick` through the real CLI, shared by the checks below."""
    out = tmp_path_factory.mktemp("perturbation") / "run"
    argv = [
        "run",
        "perturbation",
        "--quick",
        "--out",
        str(out),
        "--no-progress",
        "--widths",
        "1,5,16",
        "--seeds",
        "1",
        "--budget",
        "60000",
        "--growing_widths",
        "1,2",
    ]
    assert main(argv) == 0
    return out


@pytest.mark.slow
def test_quick_run_writes_rows_slope_and_figures(quick_run):
    result = json.loads((quick_run / "result.json").read_text())
    config = EXPERIMENT.make_config("quick", widths=(1, 5, 16), growing_widths=(1, 2), seeds=1, budget=60_000)
    counts = parameter_counts(config)
    assert {"rows", "slope_local_search_over_sgd", "report", "budget", "target_loss", "medians", "tuning"} <= set(
        result
    )
    assert len(result["rows"]) == len(counts) * len(config.optimizers) * config.seeds
    for row in result["rows"]:
        assert set(row) == {"params", "optimizer", "seed", "forward_equivalents_to_target"}
        assert row["params"] in counts and row["optimizer"] in config.optimizers
        spent = row["forward_equivalents_to_target"]
        assert spent is None or 0 < spent <= config.budget
    # The slope is checked against its definition, not for its sign: at these widths (1, 5, 16) with one seed, the
    # slope of local search's cost over SGD's ran from -0.24 to 0.24 over seeds 0-9 (0.01 +- 0.15, the same with 1
    # and 2 threads; `scripts/measure_margins.py` measured it before the bound was dropped): no effect at this
    # size, so no sign can be asserted. Whether the full sizes show one is the experiment's to measure.
    slope = result["slope_local_search_over_sgd"]
    assert slope is None or np.isfinite(slope)
    assert slope == ratio_slope(result["rows"], "local_search", "sgd")["slope"]
    report = result["report"]
    assert [Path(f["path"]).name for f in report["figures"]] == list(FIGURES)
    for figure in report["figures"]:
        path = quick_run / figure["path"]
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Stochastic gradient descent" in report["summary"]
    growing = result["growing"]
    assert len(growing["rows"]) == 2 * len(config.optimizers) * config.seeds
    assert [t["examples"] for t in growing["tasks"]] == [round(2.0 * p) for p in parameter_counts(config, (1, 2))]
    # One seed: no interval, so the claim is there but cannot be more than inconclusive.
    (claim,) = result["claims"]
    assert set(claim) == set(CLAIM_KEYS) and claim["id"] == "perturbation_too_expensive_at_scale"
    assert claim["verdict"] == "inconclusive" and claim["seeds"] == 1
    assert claim["estimate"] == pytest.approx(result["paired_slopes"]["growing"]["slopes"][0])
    assert "perturbation_too_expensive_at_scale" in report["summary"]
    for edge in result["grid_edges"]:  # every value left at an edge is named in the report
        assert f"{edge['optimizer']} {edge['setting']} {edge['value']:g}" in report["summary"]
    for row in result["effective_dimension"]:  # measured where a gradient run ended; at most the examples
        assert 1 <= row["effective_dimension"] <= min(row["params"], row["examples"])
    metrics = [json.loads(line) for line in (quick_run / "metrics.jsonl").read_text().splitlines()]
    assert metrics and {"axis", "params", "optimizer", "seed"} == set(metrics[0]["values"])
    assert {row["values"]["axis"] for row in metrics} == {"fixed", "growing"}
    assert all(isinstance(row["forward_equivalents"], int) and row["loss"] is not None for row in metrics)


@pytest.mark.slow
def test_a_resumed_run_gives_the_same_rows(quick_run):
    # Every stage is finished, so resuming only reads outcomes back and redraws.
    before = json.loads((quick_run / "result.json").read_text())
    assert main(["run", "perturbation", "--resume", "--out", str(quick_run), "--no-progress"]) == 0
    after = json.loads((quick_run / "result.json").read_text())
    assert after["rows"] == before["rows"]
    assert after["slope_local_search_over_sgd"] == before["slope_local_search_over_sgd"]
    assert after["growing"]["rows"] == before["growing"]["rows"] and after["claims"] == before["claims"]
    assert after["tuning"] == before["tuning"] and after["effective_dimension"] == before["effective_dimension"]
