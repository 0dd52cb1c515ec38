"""The training-signals experiment: config checks and a tiny run end to end with the issue's result keys."""

from __future__ import annotations

import json
import shlex

import pytest

from cli_checks import assert_config_refuses, error_line
from searchlab.cli import main
from searchlab.experiments.signals import EXPERIMENT, Config


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"task": "chess"}, ["--task", "tictactoe"]),
        ({"p": 1.5}, ["--p", "[0, 1]"]),
        ({"fractions": (0.0, 0.1)}, ["--fractions", "(0, 1]"]),
        ({"fractions": (0.1, 0.1)}, ["--fractions", "twice"]),
        ({"label_counts": (400, 100)}, ["--label_counts"]),
        ({"rl_steps": 0}, ["--rl_steps"]),
        ({"device": "cuda"}, ["--device"]),
        ({"task": "arithmetic", "digits": (4,)}, ["--digits"]),
        ({"task": "arithmetic", "digits": (1, 1)}, ["--digits"]),
        ({"task": "arithmetic", "base_error": 1.5}, ["--base_error", "[0, 1]"]),
        ({"task": "arithmetic", "noise": -0.1}, ["--noise"]),
        ({"task": "arithmetic", "demonstrations": 0}, ["--demonstrations"]),
        ({"task": "arithmetic", "best_of_problems": 0}, ["--best_of_problems"]),
    ],
)
def test_bad_configs_are_refused(settings, words):
    assert_config_refuses(Config, settings, words)


def test_bad_settings_on_the_command_line_are_one_line_errors(capsys, tmp_path):
    out = tmp_path / "run"
    assert "--task" in error_line(capsys, ["run", "signals", "--out", str(out), "--task", "go"])
    assert "--digits" in error_line(
        capsys, ["run", "signals", "--out", str(out), "--task", "arithmetic", "--digits", "1,5"]
    )
    # Too large an error rate at the hardest difficulty is caught before anything runs.
    assert "exceeds 1" in error_line(
        capsys,
        [
            "run",
            "signals",
            "--out",
            str(out),
            "--task",
            "arithmetic",
            "--base_error",
            "0.5",
            "--per_digit_error",
            "0.5",
        ],
    )
    assert not out.exists()


def test_sizes_are_per_task_and_the_tour_runs_both_tasks():
    full, tour, quick = (EXPERIMENT.make_config(size, task="arithmetic") for size in ("full", "tour", "quick"))
    assert quick.imitation_steps < tour.imitation_steps < full.imitation_steps == 3000
    assert (
        EXPERIMENT.make_config("full").imitation_steps == 1500 and EXPERIMENT.make_config("tour").imitation_steps == 800
    )
    assert (
        EXPERIMENT.make_config("quick", task="arithmetic", imitation_steps=7).imitation_steps == 7
    )  # the user's value wins
    assert EXPERIMENT.variants == {"arithmetic": {"task": "arithmetic"}}


TINY = [
    "--imitation_steps",
    "60",
    "--rl_steps",
    "10",
    "--demonstration_games",
    "40",
    "--fractions",
    "1,0.1",
    "--label_counts",
    "20,40",
    "--overoptimization_steps",
    "20",
    "--rm_steps",
    "40",
]


def assert_metrics_schema(path, paths) -> None:
    """metrics.jsonl has the one schema in every row (`core.METRICS_COLUMNS`), a series per training path,
    named "path=NAME" and with the path in its values; compute, where a path's curve counts it, is whole.

    (tests/experiments/test_metrics_schema.py checks every other experiment; these runs are made here anyway.)
    """
    from searchlab.core import METRICS_COLUMNS

    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows and all(tuple(row) == METRICS_COLUMNS for row in rows)
    assert all(shlex.split(row["series"]) == [f"path={row['values']['path']}"] for row in rows)
    assert set(paths) <= {row["values"]["path"] for row in rows}
    assert all(row["forward_equivalents"] is None or type(row["forward_equivalents"]) is int for row in rows)


@pytest.mark.slow
def test_a_tiny_run_has_the_issue_keys(tmp_path):
    out = tmp_path / "signals"
    assert main(["run", "signals", "--out", str(out), "--no-progress", *TINY]) == 0
    result = json.loads((out / "result.json").read_text())
    assert set(result) >= {"paths", "demonstrator", "rater", "reward_model", "overoptimization", "pipeline"}
    assert set(result["paths"]) >= {"behaviour cloning", "dagger", "approval (rater)", "outcomes"}
    assert {"approval (reward model, 1)", "approval (reward model, 0.1)"} <= set(result["paths"])
    assert all(0.0 <= score <= 1.0 for score in result["paths"].values())
    # Approval and outcomes start from the behaviour-cloned policy, measured exactly the same way.
    details = {row["name"]: row for row in result["path_details"]}
    cloned = result["paths"]["behaviour cloning"]
    assert all(
        details[name]["start"]["score"] == cloned
        for name in result["paths"]
        if name.startswith(("approval", "outcomes"))
    )
    # The simulated people have the accuracies they were given (binomial tolerance, 10,000 samples).
    assert abs(result["demonstrator"]["measured_accuracy"] - 0.7) < 0.025
    assert abs(result["rater"]["measured_accuracy"] - 0.9) < 0.015
    assert [row["knob"] for row in result["overoptimization"]["best_of_n"]["rows"]][:3] == [1, 2, 4]
    assert len(result["pipeline"]) == 4
    # The reward model's accuracy is reported per share of labels: every legal (position, move) pair, then a tenth.
    by_fraction = result["reward_model"]["by_fraction"]
    assert [row["fraction"] for row in by_fraction] == [1.0, 0.1]
    assert [row["labels"] for row in by_fraction] == [16_167, 1_617]
    assert by_fraction[0]["heldout accuracy"] is None and 0.0 <= by_fraction[1]["heldout accuracy"] <= 1.0
    for name in ("paths.png", "reward_model.png", "overoptimization.png"):
        assert (out / "figures" / name).is_file()
    assert_metrics_schema(out / "metrics.jsonl", result["paths"])


# The run checks the plumbing, not learning (tests/signals trains the paths): each training loop is a step or a few,
# since every curve point costs a greedy pass over the 1,000 held-out problems, and best-of-n samples one problem.
TINY_ARITHMETIC = [
    "--task",
    "arithmetic",
    "--digits",
    "1",
    "--imitation_steps",
    "4",
    "--rl_steps",
    "1",
    "--demonstrations",
    "300",
    "--fractions",
    "1,0.1",
    "--label_counts",
    "20,40",
    "--overoptimization_steps",
    "2",
    "--rm_steps",
    "10",
    "--best_of_problems",
    "1",
]


@pytest.mark.slow
def test_a_tiny_arithmetic_run_has_the_issue_keys(tmp_path):
    from searchlab.signals.reward_model import bon_distance

    out = tmp_path / "signals"
    assert main(["run", "signals", "--out", str(out), "--no-progress", *TINY_ARITHMETIC]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["task"] == "arithmetic" and "arithmetic" in result["title"]
    assert set(result) >= {"paths", "demonstrator", "rater", "reward_model", "overoptimization", "pipeline"}
    assert set(result["paths"]) == {
        "behaviour cloning",
        "dagger",
        "approval (rater)",
        "approval (reward model, 1)",
        "approval (reward model, 0.1)",
        "outcomes",
    }
    # Scores are exact accuracies on the 1,000 held-out problems: whole thousandths.
    assert all(
        0.0 <= score <= 1.0 and round(score * 1000) == pytest.approx(score * 1000, abs=1e-6)
        for score in result["paths"].values()
    )
    # Every approval and outcome path starts from the behaviour-cloned model.
    details = {row["name"]: row for row in result["path_details"]}
    cloned = result["paths"]["behaviour cloning"]
    assert all(
        details[name]["start"]["score"] == cloned
        for name in result["paths"]
        if name not in ("behaviour cloning", "dagger")
    )
    # Labels bought: 300 demonstrations; the overseer answers 30 problems in each of 3 rounds;
    # 1 policy step of 32 problems x 4 answers.
    assert [details[name]["queries"] for name in ("behaviour cloning", "dagger", "outcomes")] == [
        {"demonstrations": 300},
        {"overseer answers": 30 + 3 * 30},
        {"exact checks": 128},
    ]
    # The people's measured rates agree with their settings (10,000 samples; 1-digit problems only).
    demonstrator, rater = result["demonstrator"]["measured"], result["rater"]["measured"]
    assert abs(demonstrator["demonstrator error rate at 1 digits"]["measured"] - 0.05) < 0.01
    assert abs(rater["rater accuracy on answers not round"]["measured"] - 0.9) < 0.015
    assert abs(rater["rater bias firing on round answers"]["measured"] - 0.5) < 0.03
    # The demonstrator's level on the 1,000 held-out problems: 0.95 within 5 binomial sd (0.034).
    assert abs(result["demonstrator"]["performance"]["score"] - 0.95) < 0.034
    rater_level = result["rater"]["performance"]
    assert (
        rater_level["score"] <= rater_level["pass_at_n"] and rater_level["candidates"] == 8
    )  # a pick among 8 is right only if one is
    # Every reward model is scored on held-out labels, even the one that saw all of its pool (128 labels, then a tenth).
    by_fraction = result["reward_model"]["by_fraction"]
    assert [(row["fraction"], row["labels"]) for row in by_fraction] == [(1.0, 128), (0.1, 13)]
    assert all(0.0 <= row["heldout accuracy"] <= 1.0 and 0.0 <= row["truth accuracy"] <= 1.0 for row in by_fraction)
    assert (
        result["reward_model"]["active"]["counts"] == [20, 40]
        and len(result["reward_model"]["random"]["accuracy"]) == 2
    )
    best_of_n = result["overoptimization"]["best_of_n"]["rows"]
    assert [row["knob"] for row in best_of_n] == [2**k for k in range(11)]
    assert [row["d"] for row in best_of_n] == pytest.approx(list(bon_distance([2**k for k in range(11)])))
    proxy = [row["proxy"] for row in best_of_n]
    assert all(
        b >= a - 1e-9 for a, b in zip(proxy, proxy[1:])
    )  # the best of 2n is at least the mean best of its two halves
    assert [row["knob"] for row in result["overoptimization"]["rl"]["rows"]] == [0, 1, 2]
    assert list(result["pipeline"]) == [
        "generic demonstrations",
        "expert demonstrations",
        "approval via reward model",
        "outcomes",
    ]
    stages = result["pipeline_details"]  # each stage starts where the one before ended, measured the same way
    assert all(later["start"]["score"] == earlier["performance"]["score"] for earlier, later in zip(stages, stages[1:]))
    assert [sum(stage["queries"].values()) for stage in stages] == [300, 75, 13, 128]
    for name in ("paths.png", "reward_model.png", "overoptimization.png"):
        assert (out / "figures" / name).is_file()
    assert_metrics_schema(out / "metrics.jsonl", result["paths"])
    assert "round answer" in result["report"]["summary"]


def test_the_ordering_verdict_allows_for_sampling_noise_only_where_scores_are_sampled():
    from searchlab.experiments.signals_report import _verdict

    order = [("imitation", 0.958), ("outcomes", 0.999), ("approval", 1.0)]
    assert _verdict(order, None) == "does not follow the essay's ordering"  # exact scores: any swap counts
    assert "within the noise of 1,000" in _verdict(order, 1000)
    assert (
        _verdict([("approval", 0.5), ("imitation", 0.7), ("outcomes", 0.9)], 1000)
        == "does not follow the essay's ordering"
    )
    assert (
        _verdict([("imitation", 0.4), ("approval", 0.6), ("outcomes", 0.7)], None) == "agrees with the essay's ordering"
    )
