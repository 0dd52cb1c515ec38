"""The command line's contract: clear one-line errors with exit 2, and working help and listing."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from cli_checks import error_line
from searchlab.cli import main


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["run", "nonexistent"], "choose one of tictactoe, regression"),
        (["run", "regression", "--no-such-key", "1"], "valid settings are"),
        (["run", "regression", "--seed", "abc"], "whole number"),
        (["run", "regression", "--seed", "-1"], "whole number >= 0"),
        (["tour", "--seed", "-1"], "whole number >= 0"),
        (["run", "regression", "--budget"], "needs a value"),
        (["run", "regression", "stray"], "unexpected argument"),
        (["run", "regression", "--device", "tpu"], "invalid choice"),
        (["tour", "--only", "nonexistent"], "unknown experiment"),
        (["tour", "--bogus"], "unrecognised arguments"),
        (["--bogus"], "unrecognised arguments"),
        (["frobnicate"], "invalid choice"),
        (["report", "/nonexistent/run"], "not a finished run folder"),
    ],
)
def test_bad_command_lines_fail_cleanly(capsys, tmp_path, argv, needle):
    line = error_line(capsys, argv)
    assert needle in line


def test_resume_without_a_run_is_anerror_line(capsys, tmp_path):
    line = error_line(capsys, ["run", "regression", "--resume", "--out", str(tmp_path / "none")])
    assert "no run to resume" in line
    assert not (tmp_path / "none").exists()


def test_out_folder_that_is_not_empty_is_not_overwritten(capsys, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    line = error_line(capsys, ["run", "regression", "--out", str(tmp_path)])
    assert "not empty" in line
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_list_names_every_experiment_and_optimizer(capsys):
    from searchlab.experiments import EXPERIMENTS
    from searchlab.optimizers import OPTIMIZERS

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in [*EXPERIMENTS, *OPTIMIZERS]:
        assert name in out


def test_help_and_module_entry_point():
    for argv in (["--help"], ["run", "--help"], ["tour", "--help"]):
        done = subprocess.run([sys.executable, "-m", "searchlab", *argv], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "usage: searchlab" in done.stdout, done.stderr


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["run", "regression", "--lr", "nan"], "lr=nan"),
        (["run", "regression", "--sigma", "inf"], "sigma=inf"),
        (["run", "regression", "--csv", ""], "--csv needs a file path"),
        (["run", "digits", "--epochs", "0"], "--epochs"),
    ],
)
def test_non_finite_and_empty_values_are_refused(capsys, argv, needle):
    assert needle in error_line(capsys, argv)


def test_run_name_help_lists_the_experiment_settings(capsys):
    from searchlab.experiments import EXPERIMENTS

    for name, experiment in EXPERIMENTS.items():
        assert main(["run", name, "--help"]) == 0
        out = capsys.readouterr().out
        assert experiment.title in out and experiment.essay_section in out
        for field in dataclasses.fields(experiment.config):
            assert f"--{field.name} " in out
