"""The training-signals experiment: config checks and a tiny run end to end with the issue's result keys."""

from __future__ import annotations

import json

import pytest
from cli_checks import assert_config_refuses, error_line

from searchlab.cli import main
from searchlab.experiments.signals import Config


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
    ],
)
def test_bad_configs_are_refused(settings, words):
    assert_config_refuses(Config, settings, words)


def test_bad_settings_on_the_command_line_are_one_line_errors(capsys, tmp_path):
    out = tmp_path / "run"
    assert "--task" in error_line(capsys, ["run", "signals", "--out", str(out), "--task", "go"])
    assert not out.exists()


TINY = ["--imitation_steps", "60", "--rl_steps", "10", "--demonstration_games", "40", "--fractions", "1,0.1",
        "--label_counts", "20,40", "--overoptimization_steps", "20", "--rm_steps", "40"]


@pytest.mark.slow
def test_a_tiny_run_has_the_issue_keys(tmp_path):
    out = tmp_path / "signals"
    assert main(["run", "signals", "--out", str(out), "--no-progress", *TINY]) == 0
    result = json.loads((out / "result.json").read_text())
    assert set(result) >= {"paths", "demonstrator", "rater", "reward_model", "overoptimization", "pipeline"}
    assert set(result["paths"]) >= {"behaviour cloning", "dagger", "approval (rater)", "outcomes"}
    assert {"approval (reward model, 1)", "approval (reward model, 0.1)"} <= set(result["paths"])
    assert all(0.0 <= score <= 1.0 for score in result["paths"].values())
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
