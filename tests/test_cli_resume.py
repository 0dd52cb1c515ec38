"""Ctrl-C through the real command line, then --resume: the same parameters, bit for bit."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from searchlab.core import checkpoint

ARGS = ["run", "regression", "--optimizers", "gradient", "--budget", "3000000", "--no-progress"]


def _searchlab(*argv: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "searchlab", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def _final_params(out: Path) -> torch.Tensor:
    return checkpoint.load(out / "checkpoints" / "gradient")["optimizer"]["own"]["params"]


@pytest.mark.slow
def test_interrupted_cli_run_resumes_bitwise(tmp_path):
    whole = tmp_path / "whole"
    done = _searchlab(*ARGS, "--out", str(whole))
    assert done.wait(timeout=300) == 0, done.stderr.read()

    cut = tmp_path / "cut"
    process = _searchlab(*ARGS, "--out", str(cut))
    pointer = cut / "checkpoints" / "gradient" / "latest.json"
    deadline = time.monotonic() + 120
    while not pointer.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    code = process.wait(timeout=120)
    stderr = process.stderr.read()
    if code == 0:
        pytest.skip("the run finished before it could be interrupted (machine too fast for this test)")
    assert code == 130, stderr
    assert "--resume" in stderr and "Traceback" not in stderr
    assert not (cut / "result.json").exists()
    interrupted_at = checkpoint.load(cut / "checkpoints" / "gradient")["optimizer"]["step"]
    assert 0 < interrupted_at < 5000

    resumed = _searchlab(*ARGS, "--out", str(cut), "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    assert torch.equal(_final_params(cut), _final_params(whole))
    ours = json.loads((cut / "result.json").read_text())["optimizers"]["gradient"]
    theirs = json.loads((whole / "result.json").read_text())["optimizers"]["gradient"]
    assert (ours["a"], ours["b"], ours["forward_equivalents"]) == (theirs["a"], theirs["b"], theirs["forward_equivalents"])


def test_resume_refuses_a_changed_setting(tmp_path, capsys):
    from searchlab.cli import main

    out = tmp_path / "run"
    assert main(["run", "regression", "--quick", "--optimizers", "least_squares", "--no-progress", "--out", str(out)]) == 0
    capsys.readouterr()
    before = (out / "result.json").read_bytes()
    assert main(["run", "regression", "--resume", "--out", str(out), "--seed", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "differs from the run being resumed" in err[0]
    assert (out / "result.json").read_bytes() == before
