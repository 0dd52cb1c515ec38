"""The regression experiment: config checks, data, the closed form, every optimizer, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from cli_checks import assert_config_refuses
from margins import OPERATORS, margin
from searchlab.cli import main
from searchlab.experiments import get_experiment
from searchlab.experiments.base import RunContext
from searchlab.experiments.regression import Config, prepare
from searchlab.optimizers import OPTIMIZERS

EXPERIMENT = get_experiment("regression")  # as registered: with its report module
FIGURES = ("convergence.png", "computational_graph.png", "candidate_cloud.png")


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under `folder` with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> Path:
    """One `searchlab run regression --quick` through the real CLI, shared by the checks below."""
    out = tmp_path_factory.mktemp("regression") / "run"
    assert main(["run", "regression", "--quick", "--out", str(out), "--no-progress"]) == 0
    return out


# ----- config -----------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"optimizers": ("gradient", "simulated_annealing")}, ["'simulated_annealing'", *OPTIMIZERS]),
        ({"optimizers": ()}, ["lists none"]),
        ({"optimizers": ("gradient", "gradient")}, ["more than once"]),
        ({"budget": 0}, ["--budget", "positive"]),
        ({"budget": -5}, ["--budget", "positive"]),
        ({"n": 1}, ["--n", "at least 2"]),
        ({"n": -3}, ["--n"]),
        ({"noise": -1.0}, ["--noise"]),
        ({"grid_levels": 1}, ["--grid_levels"]),
        ({"grid_levels": 0}, ["--grid_levels"]),
        ({"grid_range": 0.0}, ["--grid_range"]),
        ({"population_size": 7}, ["--population_size", "even"]),
        ({"batch_size": 0}, ["--batch_size"]),
        ({"lr": -0.1}, ["lr"]),
        ({"algorithm": "newton"}, ["'newton'", "sgd", "adam"]),
        ({"x": "temp"}, ["--csv"]),
    ],
)
def test_bad_settings_are_refused_by_the_config(settings, words):
    assert_config_refuses(Config, settings, words)


def test_every_size_is_a_valid_config_of_registered_optimizers():
    assert set(Config().optimizers) <= set(OPTIMIZERS)
    assert set(Config().optimizers) == {
        "least_squares",
        "gradient",
        "random_search",
        "local_search",
        "evolution",
        "exhaustive",
    }
    for size in ("full", "tour", "quick"):
        config = EXPERIMENT.make_config(size)
        n_examples = config.n
        # Exhaustive search must be able to finish its grid within the budget at every size.
        assert config.grid_levels**2 * n_examples <= config.budget, size
    assert EXPERIMENT.make_config("quick").budget < EXPERIMENT.make_config("tour").budget <= Config().budget


# ----- data -------------------------------------------------------------------


def test_prepare_reads_the_users_csv(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 30, 25)
    y = 3.0 * x + rng.normal(0, 1, 25)
    rows = "".join(f"{i},{float(a)!r},{float(b)!r}\n" for i, (a, b) in enumerate(zip(x, y)))
    path = tmp_path / "shop.csv"
    path.write_text("day,degrees,cones\n" + rows, encoding="utf-8")
    data = prepare(Config(csv=str(path), x="degrees", y="cones"))
    np.testing.assert_array_equal(data.x, x)
    np.testing.assert_array_equal(data.y, y)
    assert (data.x_name, data.y_name, data.truth) == ("degrees", "cones", None)


def test_prepare_makes_the_same_synthetic_pairs_from_the_same_seed():
    first, again, other = prepare(Config(n=30)), prepare(Config(n=30)), prepare(Config(n=30, seed=1))
    np.testing.assert_array_equal(first.x, again.x)
    np.testing.assert_array_equal(first.y, again.y)
    assert not np.array_equal(first.y, other.y)
    assert first.x.shape == (30,) and first.truth is not None


# ----- the run ----------------------------------------------------------------


@pytest.mark.slow
def test_quick_run_writes_result_figures_and_metrics(quick_run):
    result = json.loads((quick_run / "result.json").read_text())
    config = EXPERIMENT.make_config("quick")
    assert {"closed_form", "optimizers", "report"} <= set(result)
    assert set(result["closed_form"]) >= {"a", "b", "loss"}
    assert list(result["optimizers"]) == list(config.optimizers)
    for name, summary in result["optimizers"].items():
        assert {"final_loss", "forward_equivalents", "a", "b", "seconds", "steps"} <= set(summary), name
    report = result["report"]
    assert set(report) >= {"summary", "headline", "figures", "tables"}
    assert [Path(f["path"]).name for f in report["figures"]] == list(FIGURES)
    for figure in report["figures"]:
        path = quick_run / figure["path"]
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert figure["caption"]
    assert "standardised" in report["summary"]
    assert "Deep learning: gradient descent on deep neural networks" in report["summary"]
    rows = [json.loads(line) for line in (quick_run / "metrics.jsonl").read_text().splitlines()]
    assert {row["values"]["optimizer"] for row in rows} == set(config.optimizers)
    assert {row["series"] for row in rows} == {f"optimizer={name}" for name in config.optimizers}
    for name, summary in result["optimizers"].items():
        mine = [row for row in rows if row["values"]["optimizer"] == name]
        assert len(mine) == summary["steps"]
        assert [row["step"] for row in mine] == list(range(1, len(mine) + 1))
        assert mine[-1]["forward_equivalents"] == summary["forward_equivalents"]
        # Losses in metrics.jsonl are in the data's units, as in result.json.
        assert mine[-1]["loss"] >= result["closed_form"]["loss"] * (1 - 1e-9)
    assert json.loads((quick_run / "config.json").read_text())["config"]["budget"] == config.budget


@pytest.mark.slow
def test_closed_form_equals_lstsq_in_the_datas_units(quick_run):
    result = json.loads((quick_run / "result.json").read_text())
    data = prepare(EXPERIMENT.make_config("quick"))
    design = np.stack([data.x, np.ones_like(data.x)], axis=1)  # (N, 2)
    (a, b), *_ = np.linalg.lstsq(design, data.y, rcond=None)
    closed = result["closed_form"]
    assert closed["a"] == pytest.approx(a, rel=1e-8)
    assert closed["b"] == pytest.approx(b, rel=1e-8)
    assert closed["loss"] == pytest.approx(np.mean((a * data.x + b - data.y) ** 2), rel=1e-8)


def excess_over_the_closed_form(result: dict) -> dict[str, float]:
    """How far each optimizer's final loss sits above the exact minimiser's, as a fraction of it."""
    best = result["closed_form"]["loss"]
    return {name: summary["final_loss"] / best - 1 for name, summary in result["optimizers"].items()}


# Each optimizer's excess over the closed form on the quick run, over seeds 0-19 (data and searches both change
# with the seed), 1 and 2 torch threads (float64: both gave the same values). A line left at a random start is
# hundreds of percent worse. Least squares and gradient descent: within 7e-16. Exhaustive search (its grid's
# spacing): up to 0.0037, 0.001 +- 0.001. Random search: up to 0.050, 0.014 +- 0.016, a long tail (3 of 20 seeds
# above 0.044, so the old 5% was a coin toss on another machine). Local search: up to 0.0002. Evolution: up to 0.008.
@margin(seed=0, least_squares=("<", 1e-9), gradient=("<", 1e-6), exhaustive=("<", 0.02), random_search=("<", 0.15),
        local_search=("<", 0.005), evolution=("<", 0.05))  # fmt: skip
def quick_regression(seed: int) -> dict[str, float]:
    """The quick run at `seed`, as the fixture runs it at seed 0: every optimizer's excess over the closed form."""
    config = EXPERIMENT.make_config("quick", seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        result = EXPERIMENT.execute(config, prepare(config), RunContext(out=Path(folder), progress=False))
    return excess_over_the_closed_form(result)


@pytest.mark.slow
def test_every_optimizer_gets_near_the_closed_form(quick_run):
    result = json.loads((quick_run / "result.json").read_text())
    config = EXPERIMENT.make_config("quick")
    excess = excess_over_the_closed_form(result)
    for name, (op, threshold) in quick_regression.margin.bounds.items():
        assert OPERATORS[op](excess[name], threshold), (name, excess[name], op, threshold)
        # Nobody beats the exact minimiser.
        assert excess[name] >= -1e-9, name
    for name, summary in result["optimizers"].items():
        assert summary["forward_equivalents"] <= config.budget + config.population_size * 2 * config.n, name
    assert result["optimizers"]["exhaustive"]["grid_candidates_evaluated"] == config.grid_levels**2


@pytest.mark.slow
def test_resuming_a_finished_run_reports_the_same_numbers(tmp_path):
    config = EXPERIMENT.make_config("quick", optimizers=("gradient", "local_search"), budget=30_000)
    data = prepare(config)
    first = EXPERIMENT.execute(config, data, RunContext(out=tmp_path, progress=False))
    assert list(first["optimizers"]) == ["gradient", "local_search"]
    assert set(first["closed_form"]) >= {"a", "b", "loss"}  # computed even when least_squares is not listed
    for name in ("gradient", "local_search", "least_squares"):
        assert (tmp_path / "checkpoints" / name / "latest.json").is_file()
    again = EXPERIMENT.execute(config, data, RunContext(out=tmp_path, resume=True, progress=False))
    assert again["closed_form"] == first["closed_form"]
    assert again["report"]["figures"] == first["report"]["figures"]  # the report is drawn again from the numbers
    for name in config.optimizers:
        for key in ("a", "b", "final_loss", "forward_equivalents", "steps"):
            assert again["optimizers"][name][key] == first["optimizers"][name][key], (name, key)


# ----- bad input through the command line -----------------------------------


def bad_csv(folder: Path, kind: str) -> Path:
    path = folder / f"{kind}.csv"
    content = {
        "unknown_column": "temp,sales\n1,2\n3,4\n",
        "non_numeric": "temperature,sales\n1,2\n3,many\n",
        "nan": "temperature,sales\n1,2\nNaN,4\n",
        "empty": "",
    }
    if kind == "binary":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    elif kind != "missing":
        path.write_text(content[kind], encoding="utf-8")
    return path


CLI_CASES = {
    "missing": (["--csv", "{missing}"], "does not exist"),
    "unknown_column": (["--csv", "{unknown_column}"], "'temperature' is not in"),
    "non_numeric": (["--csv", "{non_numeric}"], "not a number"),
    "nan": (["--csv", "{nan}"], "finite"),
    "empty": (["--csv", "{empty}"], "is empty"),
    "binary": (["--csv", "{binary}"], "binary"),
    "zero_budget": (["--budget", "0"], "--budget must be a positive"),
    "negative_budget": (["--budget", "-5"], "--budget must be a positive"),
    "unknown_optimizer": (["--optimizers", "gradient,annealing"], "unknown optimizer 'annealing'"),
    "unknown_setting": (["--learning_rate", "0.1"], "unknown setting --learning_rate"),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_bad_input_through_the_cli_is_one_error_line_and_writes_nothing(tmp_path, capsys, case):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    paths = {
        kind: str(bad_csv(inputs, kind))
        for kind in ("missing", "unknown_column", "non_numeric", "nan", "empty", "binary")
    }
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "keep.txt").write_text("an earlier result", encoding="utf-8")
    out = runs / "regression"
    before = snapshot(tmp_path)
    args, words = CLI_CASES[case]
    capsys.readouterr()
    code = main(["run", "regression", *[a.format(**paths) for a in args], "--out", str(out), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert words in lines[0], lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_the_console_command_prints_one_error_line(tmp_path):
    missing = tmp_path / "no-such-file.csv"
    process = subprocess.run(
        [sys.executable, "-m", "searchlab", "run", "regression", "--csv", str(missing), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 2
    assert process.stderr.splitlines() == [
        f"error: CSV file {missing} does not exist; check the path (relative paths start at {Path.cwd()})"
    ]
    assert not (tmp_path / "out").exists()


def test_n_is_a_setting_on_the_command_line(tmp_path, capsys):
    code = main(["run", "regression", "--n", "1", "--out", str(tmp_path / "out")])
    assert code == 2
    assert "--n must be at least 2" in capsys.readouterr().err
