"""The sweep under hostile conditions: kill -9 leaves no process behind, damaged files are one-line errors,
huge grids are refused."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from cli_checks import assert_config_refuses, error_line
from searchlab.core import trials as sweep
from searchlab.core.errors import SearchlabError
from searchlab.core.trials import check_grid, expand, pending_trials, run_sweep, table_rows
from searchlab.runner.demo import demo_trial
from searchlab.runner.grid import parse_grid

# ----- kill -9 of a sweep ------------------------------------------------------------

TRIALS = """
import os
import time


def trial(params, seed, folder):
    if seed < 2:  # the two trials the sweep writes before it is killed
        return {"pid": os.getpid(), "parent": os.getppid()}
    time.sleep(600)  # still running when the sweep is killed: its worker must not outlive the sweep
    return {}
"""

DRIVER = """
import sys
from pathlib import Path
from hostile_trials import trial
from searchlab.core.trials import expand, run_sweep
run_sweep(trial, expand({"x": (1,)}, range(6)), Path(sys.argv[1]), workers=2, progress=False)
"""


def _alive(pid: int) -> bool:
    """Whether `pid` is a process that still runs (a zombie has ended: it only waits for its parent to note it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _marked(marker: str) -> dict[int, str]:
    """The running processes whose environment holds `marker` (NAME=VALUE), with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if marker.encode() in environ and _alive(int(entry.name)):
            found[int(entry.name)] = command
    return found


def _wait_until_gone(marker: str, pids: set[int], deadline_s: float) -> dict[int, str]:
    """Poll until no process carries `marker` and none of `pids` runs, or the deadline passes; what is left."""
    deadline = time.monotonic() + deadline_s
    while True:
        left = {**_marked(marker), **{pid: "(recorded by a trial)" for pid in pids if _alive(pid)}}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds the sweep's processes through /proc")
def test_kill_9_of_a_sweep_leaves_no_process_behind(tmp_path):
    name, value = "SEARCHLAB_SWEEP_KILL_TEST", uuid.uuid4().hex
    marker = f"{name}={value}"
    env = {**os.environ, name: value}

    # The process scan must see a marked process, or the check below would pass for nothing.
    probe = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE, env=env)
    try:
        assert probe.pid in _marked(marker)
    finally:
        probe.communicate()

    (tmp_path / "hostile_trials.py").write_text(TRIALS)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    env["SEARCHLAB_INTERRUPT_AT"] = "trial:2:kill"  # SIGKILL right after the second trial is written
    out = tmp_path / "sweep"
    with open(tmp_path / "stderr.txt", "wb") as stderr:  # a file: orphans holding a pipe would block its reader
        process = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(out)],
            start_new_session=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        code = process.wait(timeout=300)
        assert code == -signal.SIGKILL, (tmp_path / "stderr.txt").read_text()
        records = [json.loads(p.read_text()) for p in (out / "trials").glob("*.json")]
        assert len(records) == 2 and all(r["status"] == "done" for r in records)
        # A worker that wrote a trial and the fork server that started it: alive when the sweep was killed.
        recorded = {r["result"][k] for r in records for k in ("pid", "parent")}
        left = _wait_until_gone(marker, recorded, deadline_s=60)
        assert not left, f"processes outlived the killed sweep: {left}"
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # whatever is left, so a failure does not leave it running
        except ProcessLookupError:
            pass


# ----- damaged files ---------------------------------------------------------------

TRIAL_GRID = {"width": (4, 8)}


def _done_record(trial: sweep.Trial) -> dict:
    return {
        "key": trial.key,
        "params": trial.params_dict,
        "seed": trial.seed,
        "status": "done",
        "result": {"final_loss": 0.5},
        "error": None,
        "seconds": 0.1,
    }


@pytest.mark.parametrize(
    "text,words",
    [
        ("[1, 2]", ["holds a list", "not a trial record"]),
        ('{"status": "done", "result": {"final_l', ["not valid JSON", "line 1"]),
        ("", ["not valid JSON"]),
        ('{"status": "started"}', ["status 'started'", "done or failed"]),
        ('{"status": "done", "result": [1]}', ["result is a list", "not an object"]),
        ("\udcff", ["not UTF-8"]),
    ],
)
def test_a_damaged_trial_record_is_a_one_line_error_naming_it(tmp_path, text, words):
    trials = expand(TRIAL_GRID, [0])
    path = tmp_path / "trials" / f"{trials[0].key}.json"
    path.parent.mkdir()
    path.write_bytes(text.encode(errors="surrogateescape"))
    for read in (
        lambda: pending_trials(trials, tmp_path),
        lambda: table_rows(trials, tmp_path),
        lambda: sweep.read_record(path),
    ):
        with pytest.raises(SearchlabError) as caught:
            read()
        message = str(caught.value)
        assert "\n" not in message and str(path) in message and "delete it to run that trial again" in message
        for word in words:
            assert word in message, message
    assert path.read_bytes() == text.encode(errors="surrogateescape")  # left as it was


def test_a_record_of_another_trial_is_refused(tmp_path):
    trials = expand(TRIAL_GRID, [0])
    (tmp_path / "trials").mkdir()
    (tmp_path / "trials" / f"{trials[0].key}.json").write_text(json.dumps(_done_record(trials[1])))
    with pytest.raises(SearchlabError, match=f"is the record of trial {trials[1].key}"):
        pending_trials(trials, tmp_path)


def test_run_sweep_refuses_a_damaged_record_before_running_anything(tmp_path):
    trials = expand(TRIAL_GRID, [0])
    (tmp_path / "trials").mkdir()
    (tmp_path / "trials" / f"{trials[0].key}.json").write_text("[]")
    with pytest.raises(SearchlabError, match="holds a list"):
        run_sweep(demo_trial, trials, tmp_path, workers=1, progress=False)
    assert sorted(p.name for p in (tmp_path / "trials").iterdir()) == [f"{trials[0].key}.json"]
    assert not (tmp_path / "table.csv").exists()


def test_good_records_still_read(tmp_path):
    trials = expand(TRIAL_GRID, [0])
    (tmp_path / "trials").mkdir()
    (tmp_path / "trials" / f"{trials[0].key}.json").write_text(json.dumps(_done_record(trials[0])))
    failed = {**_done_record(trials[1]), "status": "failed", "result": None, "error": "boom"}
    (tmp_path / "trials" / f"{trials[1].key}.json").write_text(json.dumps(failed))
    assert pending_trials(trials, tmp_path) == [trials[1]]
    assert [row["status"] for row in table_rows(trials, tmp_path)] == ["done", "failed"]
    assert sweep.read_record(tmp_path / "trials" / "missing.json") is None


def test_a_trial_record_that_is_a_list_is_an_error_line_from_the_cli(capsys, tmp_path):
    out = tmp_path / "sweep"
    (out / "trials").mkdir(parents=True)
    spec = {
        "experiment": "regression",
        "size": "quick",
        "grid": {"n": [50, 100]},
        "seeds": [0],
        "overrides": {"device": "cpu"},
    }
    (out / "sweep.json").write_text(json.dumps(spec))
    path = out / "trials" / f"{expand({'n': (50, 100)}, [0])[0].key}.json"
    path.write_text("[]")
    line = error_line(
        capsys, ["sweep", "regression", "--quick", "--grid", "n=50,100", "--resume", "--no-progress", "--out", str(out)]
    )
    assert str(path) in line and "holds a list" in line
    assert sorted(p.name for p in (out / "trials").iterdir()) == [path.name]


GOOD_SPEC = {
    "experiment": "regression",
    "size": "quick",
    "grid": {"n": [50, 100]},
    "seeds": [0],
    "overrides": {"device": "cpu"},
}


@pytest.mark.parametrize(
    "text,words",
    [
        (json.dumps(GOOD_SPEC)[:40], ["not valid JSON"]),
        ("[]", ["holds a list"]),
        (json.dumps({**GOOD_SPEC, "grid": [1]}), ["'grid'"]),
        (json.dumps({**GOOD_SPEC, "seeds": "0"}), ["'seeds'"]),
        (json.dumps({k: v for k, v in GOOD_SPEC.items() if k != "size"}), ["'size'"]),
    ],
)
def test_a_damaged_sweep_spec_is_a_one_line_error_naming_it(tmp_path, text, words):
    (tmp_path / "sweep.json").write_text(text)
    with pytest.raises(SearchlabError) as caught:
        sweep.read_spec(tmp_path)
    message = str(caught.value)
    assert "\n" not in message and str(tmp_path / "sweep.json") in message and "another --out" in message
    for word in words:
        assert word in message, message


def test_a_good_sweep_spec_reads_back(tmp_path):
    (tmp_path / "sweep.json").write_text(json.dumps(GOOD_SPEC))
    assert sweep.read_spec(tmp_path) == GOOD_SPEC
    with pytest.raises(SearchlabError, match="no sweep to resume"):
        sweep.read_spec(tmp_path / "elsewhere")


# ----- grids too large to run --------------------------------------------------------


def test_a_huge_grid_is_refused_at_once_with_its_size():
    calls = []
    grid = {"n": tuple(range(1000)), "lr": tuple(range(1000))}
    started = time.perf_counter()
    with pytest.raises(SearchlabError) as caught:
        check_grid(lambda **point: calls.append(point), grid, [0, 1])
    assert time.perf_counter() - started < 1 and not calls  # no config built before refusing
    message = str(caught.value)
    assert "2,000,000 trials" in message and "1,000 x 1,000 values x 2 seeds" in message
    assert f"{sweep.MAX_TRIALS:,}" in message
    check_grid(lambda **point: calls.append(point), {"n": tuple(range(sweep.MAX_TRIALS))}, [0])  # at the cap: fine
    assert len(calls) == sweep.MAX_TRIALS


def test_a_huge_spacing_count_is_refused_before_expanding():
    from searchlab.experiments import get_experiment

    with pytest.raises(SearchlabError, match=f"COUNT of at most {sweep.MAX_TRIALS:,}"):
        parse_grid(get_experiment("regression").config, ["lr=log:0.001:1:100000000"])


def test_a_million_point_grid_is_refused_by_the_cli_at_once(capsys, tmp_path):
    out = tmp_path / "sweep"
    started = time.perf_counter()
    line = error_line(
        capsys,
        [
            "sweep",
            "regression",
            "--quick",
            "--grid",
            "n=lin:10:1009:1000",
            "--grid",
            "lr=lin:0.001:1:1000",
            "--out",
            str(out),
        ],
    )
    assert time.perf_counter() - started < 5
    assert "1,000,000 trials" in line and not out.exists()


def test_the_scaling_experiment_refuses_a_huge_grid():
    from searchlab.experiments.scaling import Config

    assert_config_refuses(
        Config, {"tasks": ("mlp",), "mlp_seeds": 2000}, ["mlp grid has 144,000 trials", f"at most {sweep.MAX_TRIALS:,}"]
    )


@pytest.mark.parametrize(
    "record,words",
    [
        ([], ["holds a list"]),
        ({"status": "done", "result": {"loss": 1.0}}, ["has no params, examples, curve", "not a scaling trial's"]),
    ],
)
def test_the_scaling_analysis_refuses_a_damaged_trial_record(tmp_path, record, words):
    from searchlab.experiments.scaling import Config, _outcomes, prepare

    trials = prepare(Config(tasks=("mlp",))).trials["mlp"][:1]
    path = tmp_path / "trials" / f"{trials[0].key}.json"
    path.parent.mkdir()
    path.write_text(json.dumps(record))
    with pytest.raises(SearchlabError) as caught:
        _outcomes(tmp_path, trials)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message and "delete it to run that trial again" in message
    for word in words:
        assert word in message, message
