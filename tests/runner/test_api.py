"""The Python API (`searchlab.run`, `searchlab.load_run`) is the command line's runner: same folder, same errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import searchlab
from cli_checks import error_line
from searchlab.cli import main
from searchlab.core.errors import SearchlabError

# A regression run that takes seconds: the closed form and ~660 gradient steps at the quick size.
SETTINGS = {"optimizers": ("least_squares", "gradient"), "lr": 0.05, "cloud": 3, "grid_levels": 5}
ARGV = ["--optimizers", "least_squares,gradient", "--lr", "0.05", "--cloud", "3", "--grid_levels", "5"]
CUT_AT = 600  # a gradient step after the checkpoint at step 500 and before the last one


def _timeless(value):
    """`value` without the keys and table columns that time something (they differ from run to run)."""
    if isinstance(value, dict) and {"columns", "rows"} <= set(value):
        keep = [i for i, column in enumerate(value["columns"]) if "seconds" not in column]
        rows = [[_timeless(row[i]) for i in keep] for row in value["rows"]]
        rest = {k: v for k, v in value.items() if k not in ("columns", "rows")}
        return {**_timeless(rest), "columns": [value["columns"][i] for i in keep], "rows": rows}
    if isinstance(value, dict):
        return {k: _timeless(v) for k, v in value.items() if "seconds" not in k}
    if isinstance(value, list):
        return [_timeless(v) for v in value]
    return value


def _read(folder: Path, name: str):
    return json.loads((folder / name).read_text())


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """The same run made by the command line and by the API."""
    root = tmp_path_factory.mktemp("runs")
    argv = ["run", "regression", "--quick", "--no-progress", "--seed", "3", *ARGV, "--out", str(root / "cli")]
    assert main(argv) == 0
    made = searchlab.run("regression", size="quick", out=root / "api", seed=3, **SETTINGS)
    assert made.folder == root / "api"
    return {"cli": root / "cli", "api": root / "api", "root": root}


def test_the_api_writes_what_the_command_line_writes(folders):
    cli, api = folders["cli"], folders["api"]
    assert _read(api, "config.json") == _read(cli, "config.json")
    assert _read(api, "config.json")["config"]["lr"] == 0.05 and _read(api, "config.json")["config"]["seed"] == 3
    assert _timeless(_read(api, "result.json")) == _timeless(_read(cli, "result.json"))
    rows = [_timeless(json.loads(line)) for line in (api / "metrics.jsonl").read_text().splitlines()]
    assert rows == [_timeless(json.loads(line)) for line in (cli / "metrics.jsonl").read_text().splitlines()]
    assert sorted(p.name for p in (api / "figures").iterdir()) == sorted(p.name for p in (cli / "figures").iterdir())


def test_load_run_reads_back_a_folder_the_command_line_wrote(folders):
    cli = folders["cli"]
    run = searchlab.load_run(str(cli))
    assert run.folder == cli and run.experiment == "regression"
    assert run.config == _read(cli, "config.json")["config"]
    assert run.result == _read(cli, "result.json")
    assert run.metrics == [json.loads(line) for line in (cli / "metrics.jsonl").read_text().splitlines()]
    assert {row["values"]["optimizer"] for row in run.metrics} == {"least_squares", "gradient"}
    assert all(isinstance(row["loss"], float) for row in run.metrics)
    assert run.figures == sorted(run.figures) and all(path.is_file() for path in run.figures)
    assert {cli / item["path"] for item in run.result["report"]["figures"]} <= set(run.figures)
    assert searchlab.load_run(cli) == run
    assert repr(run) == (
        f"Run({str(cli)!r}, experiment='regression', {len(run.config)} settings, "
        f"{len(run.metrics)} metric rows, {len(run.figures)} figures)"
    )


def test_load_run_refuses_a_folder_that_is_no_finished_run(tmp_path):
    with pytest.raises(SearchlabError, match=r"is not a finished run folder \(no result.json\)"):
        searchlab.load_run(tmp_path)
    (tmp_path / "result.json").write_text("{}")
    (tmp_path / "config.json").write_text('{"experiment": "regr')
    with pytest.raises(SearchlabError, match=r"config\.json") as caught:
        searchlab.load_run(tmp_path)
    assert "\n" not in str(caught.value)


def _cases(root: Path) -> list[tuple[str, list[str], dict]]:
    """(what, the command line's arguments after `run`, the API's arguments) for the same mistake."""
    taken = root / "taken"
    taken.mkdir(exist_ok=True)
    (taken / "notes.txt").write_text("mine")
    run = ["regression", "--quick"]
    return [
        ("unknown setting", [*run, "--bogus", "1"], {"bogus": 1}),
        ("text that is no number", [*run, "--lr", "fast"], {"lr": "fast"}),
        ("text that is no whole number", [*run, "--n", "1.5"], {"n": "1.5"}),
        ("a value the config refuses", [*run, "--n", "1"], {"n": 1}),
        ("an unknown optimizer", [*run, "--optimizers", "gradient,nope"], {"optimizers": ["gradient", "nope"]}),
        ("unknown experiment", ["nosuch", "--quick"], {"name": "nosuch"}),
        ("an out folder that is not empty", [*run, "--out", str(taken)], {"out": taken}),
        ("an out path that is a file", [*run, "--out", str(taken / "notes.txt")], {"out": taken / "notes.txt"}),
        ("resume with another setting", [*run, "--resume", "--lr", "0.1", "--out", str(root / "cli")],
         {"resume": True, "lr": 0.1, "out": root / "cli"}),
        ("resume where there is no run", [*run, "--resume", "--out", str(root / "empty")],
         {"resume": True, "out": root / "empty"}),
    ]  # fmt: skip


@pytest.mark.parametrize("index", range(10))
def test_bad_settings_raise_the_command_lines_message(index, folders, capsys):
    what, argv, kwargs = _cases(folders["root"])[index]
    before = sorted(str(p) for p in folders["root"].rglob("*"))
    line = error_line(capsys, ["run", *argv])
    name = kwargs.pop("name", "regression")
    with pytest.raises(SearchlabError) as caught:
        searchlab.run(name, size="quick", **kwargs)
    assert str(caught.value) == line.removeprefix("error: "), what
    assert sorted(str(p) for p in folders["root"].rglob("*")) == before  # neither wrote anything


@pytest.mark.parametrize(
    "kwargs,words",
    [
        ({"lr": [0.1]}, "--lr expects a number, got [0.1]"),
        ({"n": 2.5}, "--n expects a whole number, got 2.5"),
        ({"n": True}, "--n expects a whole number, got True"),
        ({"optimizers": "gradient"}, None),  # text is read as the command line reads it
        ({"optimizers": 3}, "--optimizers expects a list of values, got 3"),
        ({"seed": -1}, "--seed expects a whole number >= 0, got -1"),
        ({"size": "huge"}, "unknown size 'huge'; choose one of full, tour, quick"),
    ],
)
def test_python_values_are_checked_by_type(kwargs, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if words is None:
        from searchlab.experiments import get_experiment
        from searchlab.runner.config import typed_overrides

        assert typed_overrides(get_experiment("regression").config, kwargs) == {"optimizers": ("gradient",)}
        return
    with pytest.raises(SearchlabError) as caught:
        searchlab.run("regression", **{"size": "quick", **kwargs})
    assert str(caught.value) == words
    assert not (tmp_path / "runs").exists()


def test_an_interrupted_api_run_resumes_to_the_same_result(folders, monkeypatch):
    out = folders["root"] / "cut"
    monkeypatch.setenv("SEARCHLAB_INTERRUPT_AT", f"step:{CUT_AT}")
    with pytest.raises(KeyboardInterrupt):
        searchlab.run("regression", size="quick", out=out, seed=3, **SETTINGS)
    monkeypatch.delenv("SEARCHLAB_INTERRUPT_AT")
    assert (out / "config.json").is_file() and not (out / "result.json").exists()
    assert (out / "checkpoints" / "gradient").is_dir()  # the run stopped after its step-500 checkpoint

    resumed = searchlab.run("regression", out=out, resume=True, lr=0.05)  # settings given again must agree
    whole = searchlab.load_run(folders["api"])
    assert resumed.config == whole.config
    assert _timeless(resumed.result) == _timeless(whole.result)
    assert resumed.result["optimizers"]["gradient"]["steps"] > CUT_AT


def test_out_none_takes_the_command_lines_default_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "runs" / "regression").mkdir(parents=True)
    (tmp_path / "runs" / "regression" / "notes.txt").write_text("mine")
    run = searchlab.run("regression", size="quick", optimizers=("least_squares",), cloud=3, grid_levels=5)
    assert run.folder == Path("runs/regression-2")
    assert run.config["optimizers"] == ["least_squares"] and run.metrics and run.figures


def test_importing_searchlab_loads_no_experiment_and_not_torch():
    code = (
        "import sys, searchlab\n"
        "assert callable(searchlab.run) and callable(searchlab.load_run)\n"
        "heavy = ('searchlab.experiments', 'searchlab.report', 'torch')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
