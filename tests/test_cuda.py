"""Runs only where a CUDA GPU is present (skipped on CPU-only machines and in CI)."""

from __future__ import annotations

import json

import pytest
import torch

from searchlab.cli import main
from searchlab.core import Budget, run
from searchlab.experiments import EXPERIMENTS
from searchlab.optimizers import OPTIMIZERS, make_optimizer

from small_problems import PROBLEMS

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _on(problem, device: str):
    problem.inputs = problem.inputs.to(device)
    problem.targets = problem.targets.to(device)
    return problem


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_runs_on_cuda_like_on_cpu(name):
    for problem_name, make in PROBLEMS.items():
        if make_optimizer(name).unsupported(make()) is not None:
            continue
        cpu = run(make(), make_optimizer(name), Budget(steps=20), seed=0)
        gpu = run(_on(make(), "cuda"), make_optimizer(name), Budget(steps=20), seed=0)
        assert gpu.forward_equivalents == cpu.forward_equivalents
        assert gpu.final_loss == pytest.approx(cpu.final_loss, rel=1e-2, abs=1e-4), (name, problem_name)


# Their networks are tiny or their work is spread over CPU worker processes: they refuse cuda on purpose.
CPU_ONLY = {"scaling", "signals"}


@pytest.mark.parametrize("experiment", sorted(CPU_ONLY))
def test_cpu_only_experiments_refuse_cuda_in_one_line(experiment, tmp_path, capsys):
    assert main(["run", experiment, "--quick", "--device", "cuda", "--no-progress", "--out", str(tmp_path / "x")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "\n" not in error and "--device cpu" in error
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("experiment", [name for name in EXPERIMENTS if name not in CPU_ONLY])
def test_experiments_run_with_device_cuda(experiment, tmp_path):
    out = tmp_path / experiment
    assert main(["run", experiment, "--quick", "--device", "cuda", "--no-progress", "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    config = json.loads((out / "config.json").read_text())
    assert config["config"]["device"] == "cuda"
    assert result["report"]["figures"]
