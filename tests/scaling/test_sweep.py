"""The sweep engine: grid parsing, trial keys, parallel runs, resuming after kill -9, and Ray."""

import dataclasses
import os
import signal
import subprocess
import sys

import pytest

from searchlab.core.errors import SearchlabError
from searchlab.core.trials import Trial, check_grid, expand, pending_trials, run_sweep
from searchlab.experiments.base import require
from searchlab.runner.demo import demo_trial
from searchlab.runner.grid import parse_grid

# No `from __future__ import annotations` here: parse_grid reads these hints as real types.


@dataclasses.dataclass(frozen=True)
class ToyConfig:
    seed: int = 0
    width: int = 4
    lr: float = 0.1
    shuffle: bool = True
    widths: tuple[int, ...] = (4,)
    batch: int | None = None

    def __post_init__(self) -> None:
        require(self.width > 0, f"--width must be positive, got {self.width}")


def test_values_are_typed_by_the_config():
    grid = parse_grid(ToyConfig, ["lr=0.01, 0.1", "width=2,8", "shuffle=true,no", "batch=none,32", "widths=1,4;16"])
    assert grid == {
        "lr": (0.01, 0.1),
        "width": (2, 8),
        "shuffle": (True, False),
        "batch": (None, 32),
        "widths": ((1, 4), (16,)),
    }
    assert all(type(v) is int for v in grid["width"])


def test_log_and_linear_spacing():
    grid = parse_grid(ToyConfig, ["width=log:4:256:7", "lr=log:0.001:0.1:3"])
    assert grid == {"width": (4, 8, 16, 32, 64, 128, 256), "lr": (0.001, 0.01, 0.1)}
    assert parse_grid(ToyConfig, ["width=log:1:4:6"])["width"] == (1, 2, 3, 4)  # rounded, repeats dropped
    assert parse_grid(ToyConfig, ["lr=lin:0:1:5"])["lr"] == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert parse_grid(ToyConfig, ["width=lin:10:30:3"])["width"] == (10, 20, 30)


@pytest.mark.parametrize(
    "spec,words",
    [
        ("nokey=1,2", ["unknown grid key 'nokey'", "width, lr"]),
        ("lr=", ["no values"]),
        ("lr= , ", ["no values"]),
        ("lr=0.1,abc", ["expects a number", "'abc'"]),
        ("width=1.5", ["whole number"]),
        ("seed=0,1", ["--seeds"]),
        ("lr", ["KEY=VALUES"]),
        ("lr=0.1,0.1", ["twice"]),
        ("width=log:0:10:3", ["above 0"]),
        ("width=log:1:10", ["LOW:HIGH:COUNT"]),
        ("width=lin:1:10:0", ["COUNT of at least 1"]),
        ("shuffle=lin:0:1:2", ["number setting"]),
    ],
)
def test_bad_specs_are_one_line_errors(spec, words):
    with pytest.raises(SearchlabError) as caught:
        parse_grid(ToyConfig, [spec])
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message


def test_a_key_given_twice_is_an_error():
    with pytest.raises(SearchlabError, match="given twice"):
        parse_grid(ToyConfig, ["lr=0.1", "lr=0.2"])


def test_every_grid_point_is_checked_by_the_config():
    check_grid(ToyConfig, parse_grid(ToyConfig, ["width=1,2"]), [0])
    with pytest.raises(SearchlabError, match=r"grid point lr=0.1, width=0: --width must be positive"):
        check_grid(ToyConfig, parse_grid(ToyConfig, ["lr=0.1", "width=2,0"]), [0])


def test_trials_come_in_grid_then_seed_order_with_stable_keys():
    trials = expand({"width": (4, 8), "widths": ((1, 4),)}, [0, 1])
    assert [(t.params_dict["width"], t.seed) for t in trials] == [(4, 0), (4, 1), (8, 0), (8, 1)]
    # A key must never change between versions: resuming finds finished trials by it.
    assert trials[0].key == Trial((("width", 4), ("widths", (1, 4))), 0).key
    assert trials[0].key == "width=4_widths=1+4_seed=0-eb47aeee"
    assert len({t.key for t in trials}) == 4
    odd = Trial((("path", "a/b c"),), 0).key
    assert "/" not in odd and " " not in odd


GRID = {"width": (4, 8, 0), "steps": (100,)}  # width 0 fails: a failed trial must not stop the sweep


def test_parallel_sweep_matches_serial_records_failures_and_resumes(tmp_path):
    trials = expand(GRID, [0, 1])
    serial = run_sweep(demo_trial, trials, tmp_path / "serial", workers=1, progress=False)
    parallel = run_sweep(demo_trial, trials, tmp_path / "parallel", workers=2, progress=False)
    assert serial == parallel
    assert [row["status"] for row in serial] == ["done"] * 4 + ["failed"] * 2
    assert (tmp_path / "serial" / "table.csv").read_text() == (tmp_path / "parallel" / "table.csv").read_text()
    failed = (tmp_path / "serial" / "trials" / f"{trials[-1].key}.json").read_text()
    assert "width must be at least 1" in failed

    # Again: finished trials are kept as they are (not rewritten); failed ones run again.
    finished = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "serial" / "trials").glob("*.json")}
    assert pending_trials(trials, tmp_path / "serial") == trials[4:]
    again = run_sweep(demo_trial, trials, tmp_path / "serial", workers=1, progress=False)
    assert again == serial
    for trial in trials:
        mtime = (tmp_path / "serial" / "trials" / f"{trial.key}.json").stat().st_mtime_ns
        assert (mtime == finished[f"{trial.key}.json"]) == (trial.params_dict["width"] != 0)


DRIVER = """
import sys
from pathlib import Path
from searchlab.core.trials import expand, run_sweep
from searchlab.runner.demo import demo_trial
trials = expand({"steps": (600,), "width": (8, 16)}, range(3))
run_sweep(demo_trial, trials, Path(sys.argv[1]), workers=2, progress=False)
"""


def test_a_sweep_killed_mid_way_resumes_with_only_the_missing_trials(tmp_path):
    out = tmp_path / "sweep"
    trials = expand({"steps": (600,), "width": (8, 16)}, range(3))
    # SIGKILL right after the driver has written its second trial (searchlab.core.interrupts): no timing involved.
    env = {**os.environ, "SEARCHLAB_INTERRUPT_AT": "trial:2:kill"}
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(out)],
        start_new_session=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        code = process.wait(timeout=300)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # the orphaned workers, if they are still there
        except ProcessLookupError:
            pass
    assert code == -signal.SIGKILL, process.stderr.read().decode()
    survivors = {p.name: p.stat().st_mtime_ns for p in (out / "trials").glob("*.json")}
    assert len(survivors) == 2
    assert not (out / "table.csv").exists()
    missing = pending_trials(trials, out)
    assert {f"{t.key}.json" for t in missing} == {f"{t.key}.json" for t in trials} - set(survivors)

    rows = run_sweep(demo_trial, trials, out, workers=1, progress=False)
    for name, mtime in survivors.items():  # finished before the kill: not run again
        assert (out / "trials" / name).stat().st_mtime_ns == mtime
    reference = run_sweep(demo_trial, trials, tmp_path / "reference", workers=1, progress=False)
    assert rows == reference and all(row["status"] == "done" for row in rows)
    assert (out / "table.csv").read_text() == (tmp_path / "reference" / "table.csv").read_text()


@pytest.mark.slow
def test_ray_gives_the_same_results_as_the_local_backend(tmp_path):
    import ray

    trials = expand({"width": (4, 8), "steps": (150,)}, [0, 1])
    local = run_sweep(demo_trial, trials, tmp_path / "local", workers=1, progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = run_sweep(demo_trial, trials, tmp_path / "ray", backend="ray", progress=False)
        assert ray.is_initialized()  # a Ray it did not start is left running
    finally:
        ray.shutdown()
    assert remote == local and all(row["status"] == "done" for row in remote)


def test_ray_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(SearchlabError, match=r"pip install 'searchlab\[ray\]'"):
        run_sweep(demo_trial, expand({"width": (4,)}, [0]), tmp_path, backend="ray", progress=False)
