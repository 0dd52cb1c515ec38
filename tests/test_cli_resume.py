"""Ctrl-C and SIGKILL through the real command line, then --resume: the same parameters, bit for bit.

The interruption comes at a chosen step through SEARCHLAB_INTERRUPT_AT (see
searchlab.core.interrupts), never after a sleep, so the test means the same on a
fast machine and a slow one. Both runs happen here, on this machine and thread count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from searchlab.core import checkpoint

ARGS = ["run", "regression", "--optimizers", "gradient", "--budget", "3000000", "--no-progress"]
STEPS = 5000  # the budget above buys 5,000 gradient steps
CUT_AT = 1200  # checkpoints come every 500 steps (and every 20 s), so the last one is at 1,000 or later


def _searchlab(*argv: str, interrupt_at: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "SEARCHLAB_INTERRUPT_AT"}
    if interrupt_at is not None:
        env["SEARCHLAB_INTERRUPT_AT"] = interrupt_at
    return subprocess.run(
        [sys.executable, "-m", "searchlab", *argv], capture_output=True, text=True, env=env, timeout=600
    )


def _final_params(out: Path) -> torch.Tensor:
    return checkpoint.load(out / "checkpoints" / "gradient")["optimizer"]["own"]["params"]


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("whole") / "run"
    done = _searchlab(*ARGS, "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.slow
@pytest.mark.parametrize("how", ["ctrl-c", "sigkill"])
def test_interrupted_cli_run_resumes_bitwise(how, whole, tmp_path):
    cut = tmp_path / "cut"
    interrupted = _searchlab(
        *ARGS, "--out", str(cut), interrupt_at=f"step:{CUT_AT}" + (":kill" if how == "sigkill" else "")
    )
    if how == "ctrl-c":
        assert interrupted.returncode == 130, interrupted.stderr
        assert "--resume" in interrupted.stderr and "Traceback" not in interrupted.stderr
    else:
        assert interrupted.returncode == -9, interrupted.stderr  # killed: nothing got to tidy up
    assert not (cut / "result.json").exists()
    interrupted_at = checkpoint.load(cut / "checkpoints" / "gradient")["optimizer"]["step"]
    assert 1000 <= interrupted_at <= CUT_AT

    resumed = _searchlab(*ARGS, "--out", str(cut), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert torch.equal(_final_params(cut), _final_params(whole))
    ours = json.loads((cut / "result.json").read_text())["optimizers"]["gradient"]
    theirs = json.loads((whole / "result.json").read_text())["optimizers"]["gradient"]
    assert ours["steps"] == theirs["steps"] == STEPS
    assert (ours["a"], ours["b"], ours["forward_equivalents"]) == (
        theirs["a"],
        theirs["b"],
        theirs["forward_equivalents"],
    )


def test_resume_refuses_a_changed_setting(tmp_path, capsys):
    from searchlab.cli import main

    out = tmp_path / "run"
    assert (
        main(["run", "regression", "--quick", "--optimizers", "least_squares", "--no-progress", "--out", str(out)]) == 0
    )
    capsys.readouterr()
    before = (out / "result.json").read_bytes()
    assert main(["run", "regression", "--resume", "--out", str(out), "--seed", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "differs from the run being resumed" in err[0]
    assert (out / "result.json").read_bytes() == before
