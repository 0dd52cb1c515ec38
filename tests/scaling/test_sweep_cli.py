"""`searchlab sweep`: bad specs are one-line errors that write nothing; a real sweep end to end."""

from __future__ import annotations

import csv
import json

import pytest

from cli_checks import error_line
from searchlab.cli import main
from searchlab.core.intervals import bootstrap_interval
from searchlab.runner.summary import summarise

BASE = ["sweep", "regression", "--quick"]


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["--grid", "nokey=1,2"], "unknown grid key 'nokey'; valid keys are device, n"),
        ([], "nothing to sweep"),
        (["--seeds", "4"], "nothing to sweep"),
        (["--grid", "lr="], "lists no values"),
        (["--grid", "lr=0.1,fast"], "expects a number, got 'fast'"),
        (["--grid", "n=log:10:100"], "LOW:HIGH:COUNT"),
        (["--grid", "budget=1000,-5"], "grid point budget=-5: --budget must be a positive"),
        (["--grid", "optimizers=gradient;nosuch"], "grid point optimizers=nosuch: unknown optimizer"),
        (["--grid", "lr=0.1", "--grid", "lr=0.2"], "given twice"),
        (["--grid", "seed=0,1"], "--seeds"),
        (["--grid", "lr=0.1", "--seed", "3"], "--seeds 0,1,2, not --seed"),
        (["--grid", "lr=0.1", "--lr", "0.2"], "--lr is both fixed and in the grid"),
        (["--grid", "lr=0.1", "--no-such-setting", "2"], "unknown setting --no-such-setting"),
        (["--grid", "lr=0.1", "--seeds", "0,0"], "lists a seed twice"),
        (["--grid", "lr=0.1", "--seeds", "x"], "whole number"),
        (["--grid", "lr=0.1", "--workers", "0"], "whole number >= 1"),
        (["--grid", "lr=0.1", "--backend", "slurm"], "invalid choice"),
        (["--grid", "lr=0.1", "--csv", "/nonexistent/data.csv"], "does not exist"),
    ],
)
def test_bad_sweeps_are_one_line_errors_and_write_nothing(capsys, tmp_path, argv, needle):
    out = tmp_path / "sweep"
    line = error_line(capsys, [*BASE, *argv, "--out", str(out)])
    assert needle in line
    assert not out.exists()


def test_an_unknown_experiment_is_an_error(capsys):
    assert "unknown experiment" in error_line(capsys, ["sweep", "nosuch", "--grid", "lr=0.1"])


def test_resume_needs_a_sweep_and_the_same_spec(capsys, tmp_path):
    out = tmp_path / "sweep"
    line = error_line(capsys, [*BASE, "--grid", "n=50,100", "--resume", "--out", str(out)])
    assert "no sweep to resume" in line and not out.exists()

    out.mkdir()
    (out / "sweep.json").write_text(
        json.dumps(
            {
                "experiment": "regression",
                "size": "quick",
                "grid": {"n": [50, 100]},
                "seeds": [0],
                "overrides": {"device": "cpu"},
            }
        )
    )
    line = error_line(capsys, [*BASE, "--grid", "n=50,200", "--resume", "--out", str(out)])
    assert "grid" in line and "differs" in line
    line = error_line(capsys, [*BASE, "--grid", "n=50,100", "--out", str(out)])  # without --resume
    assert "not empty" in line and "--resume" in line
    assert sorted(p.name for p in out.iterdir()) == ["sweep.json"]


def test_help_explains_the_grid_syntax(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["sweep", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    for word in ("--grid", "log:", "lin:", "--seeds", "--backend", "--resume", "Example"):
        assert word in text


@pytest.mark.slow
def test_a_sweep_over_a_real_experiment_end_to_end(capsys, tmp_path):
    out = tmp_path / "sweep"
    argv = [
        *BASE,
        "--optimizers",
        "least_squares",
        "--grid",
        "n=50,100",
        "--seeds",
        "3",
        "--workers",
        "2",
        "--no-progress",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "2 to run" in printed and "closed_form.loss" in printed and f"wrote {out}/" in printed

    with open(out / "table.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["n"], row["seed"], row["status"]) for row in rows] == [("50", "3", "done"), ("100", "3", "done")]
    assert rows[0]["closed_form.loss"] != rows[1]["closed_form.loss"]
    assert not any("seconds" in column for column in rows[0])  # timings are not results
    spec = json.loads((out / "sweep.json").read_text())
    assert spec["grid"] == {"n": [50, 100]} and spec["seeds"] == [3]

    for n in (50, 100):
        record = json.loads(next((out / "trials").glob(f"n={n}_seed=3-*.json")).read_text())
        assert record["status"] == "done" and record["result"]["data.n"] == n
        config = json.loads((out / "trials" / record["key"] / "config.json").read_text())["config"]
        assert (config["n"], config["seed"], config["device"]) == (
            n,
            3,
            "cpu",
        )  # the trial's seed reaches the experiment
        assert (out / "trials" / record["key"] / "result.json").is_file()

    assert main([*argv, "--resume"]) == 0  # nothing left to run
    assert "0 to run" in capsys.readouterr().out


def test_the_summary_folds_seeds_into_a_mean_with_an_interval_and_skips_what_never_varies():
    rows = [
        {"lr": 0.1, "seed": seed, "status": "done", "loss": loss, "n": 50, "ok": True}
        for seed, loss in enumerate([0.5, 0.7, 0.6])
    ]
    rows += [{"lr": 0.2, "seed": 0, "status": "done", "loss": 0.9, "n": 50, "ok": True}]
    rows += [{"lr": 0.2, "seed": 1, "status": "failed"}]
    summary = summarise(rows, ["lr"])
    assert [(row["lr"], row["number"], row["seeds"]) for row in summary] == [(0.1, "loss", 3)]
    expected = bootstrap_interval([0.5, 0.7, 0.6])
    assert summary[0]["mean"] == pytest.approx(0.6)
    assert (summary[0]["ci_low"], summary[0]["ci_high"]) == (expected.low, expected.high)
    assert expected.low < 0.6 < expected.high
    assert summary[0]["std"] == pytest.approx(0.1)


@pytest.mark.slow
def test_a_sweep_over_seeds_alone_writes_each_numbers_interval(capsys, tmp_path):
    out = tmp_path / "seeds"
    argv = [*BASE, "--optimizers", "least_squares", "--seeds", "0,1,2", "--workers", "2", "--no-progress"]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "over seeds" in printed and "summary.csv" in printed
    with open(out / "table.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    with open(out / "summary.csv", newline="") as handle:
        summary = {row["number"]: row for row in csv.DictReader(handle)}
    losses = [float(row["closed_form.loss"]) for row in table]
    assert len(losses) == 3 and len(set(losses)) == 3  # the seeds draw different data
    row = summary["closed_form.loss"]
    assert int(row["seeds"]) == 3 and float(row["mean"]) == pytest.approx(sum(losses) / 3)
    assert min(losses) <= float(row["ci_low"]) <= float(row["mean"]) <= float(row["ci_high"]) <= max(losses)
