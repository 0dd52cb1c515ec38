"""SEARCHLAB_INTERRUPT_AT: a Ctrl-C or a SIGKILL at a chosen point, and exact resume after either."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from searchlab.core import Budget, checkpoint, interrupts, run
from searchlab.optimizers import make_optimizer
from small_problems import mlp_problem

TESTS = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("text", "parsed"), [
    ("step:120", ("step", 120, "interrupt")),
    ("trial:2:kill", ("trial", 2, "kill")),
    (" checkpoint:3 ", ("checkpoint", 3, "interrupt")),
])  # fmt: skip
def test_parse(text, parsed):
    assert interrupts.parse(text) == parsed


@pytest.mark.parametrize("text", ["step", "step:x", "step:-1", "stepp:3", "step:3:term", "step:3:kill:now", ""])
def test_parse_refuses_malformed_settings(text):
    with pytest.raises(ValueError, match="SEARCHLAB_INTERRUPT_AT"):
        interrupts.parse(text)


def test_nothing_happens_without_the_variable(monkeypatch):
    monkeypatch.delenv(interrupts.VARIABLE, raising=False)
    interrupts.reached("step", 1)
    monkeypatch.setenv(interrupts.VARIABLE, "step:5")
    interrupts.reached("step", 4)  # another count
    interrupts.reached("trial", 5)  # another point
    with pytest.raises(KeyboardInterrupt):
        interrupts.reached("step", 5)


def _adam():
    return make_optimizer("gradient", batch_size=16, algorithm="adam")


def test_run_is_interrupted_after_the_chosen_step_and_resumes_exactly(monkeypatch, tmp_path):
    budget = Budget(steps=20)
    monkeypatch.delenv(interrupts.VARIABLE, raising=False)
    whole = run(mlp_problem(), _adam(), budget, seed=5)

    monkeypatch.setenv(interrupts.VARIABLE, "step:11")
    steps_seen = []
    with pytest.raises(KeyboardInterrupt):
        run(
            mlp_problem(),
            _adam(),
            budget,
            seed=5,
            checkpoint_dir=tmp_path,
            checkpoint_every=4,
            callback=lambda optimizer, trace: steps_seen.append(optimizer.step_),
        )
    assert steps_seen[-1] == 11  # step 11 finished, step 12 never began
    assert checkpoint.load(tmp_path)["optimizer"]["step"] == 8

    monkeypatch.delenv(interrupts.VARIABLE)
    resumed = run(mlp_problem(), _adam(), budget, seed=5, checkpoint_dir=tmp_path, resume=True)
    assert torch.equal(resumed.candidate, whole.candidate)
    assert resumed.trace["loss"] == whole.trace["loss"]


KILLED_IN_A_WRITE = """
import sys
from searchlab.core import Budget, run
from searchlab.optimizers import make_optimizer
from small_problems import mlp_problem
run(mlp_problem(), make_optimizer("gradient", batch_size=16, algorithm="adam"), Budget(steps=20), seed=5,
    checkpoint_dir=sys.argv[1], checkpoint_every=3)
"""


def test_a_kill_inside_a_checkpoint_write_keeps_the_previous_checkpoint(monkeypatch, tmp_path):
    """SIGKILL between the tensor file and the pointer: the old pointer still names a whole checkpoint."""
    monkeypatch.delenv(interrupts.VARIABLE, raising=False)
    whole = run(mlp_problem(), _adam(), Budget(steps=20), seed=5)

    env = {**os.environ, interrupts.VARIABLE: "checkpoint:3:kill", "PYTHONPATH": str(TESTS)}
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_IN_A_WRITE, str(tmp_path)], env=env, capture_output=True, text=True, timeout=300
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (tmp_path / "state-9.safetensors").exists()  # the third save's tensors were written ...
    assert checkpoint.load(tmp_path)["optimizer"]["step"] == 6  # ... but the pointer still names the second

    resumed = run(mlp_problem(), _adam(), Budget(steps=20), seed=5, checkpoint_dir=tmp_path, resume=True)
    assert torch.equal(resumed.candidate, whole.candidate)
    assert resumed.trace["loss"] == whole.trace["loss"]
