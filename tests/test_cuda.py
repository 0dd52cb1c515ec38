"""Runs only where a CUDA GPU is present (skipped on CPU-only machines and in CI)."""

from __future__ import annotations

import json

import pytest
import torch

from searchlab.cli import main
from searchlab.core import Budget, run
from searchlab.experiments import EXPERIMENTS
from searchlab.optimizers import OPTIMIZERS, make_optimizer
from small_problems import GAP_BOUNDS, GAP_BUDGET, PROBLEMS, optimum, random_median

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _on(problem, device: str):
    problem.inputs = problem.inputs.to(device)
    problem.targets = problem.targets.to(device)
    return problem


@pytest.mark.parametrize("problem_name", list(PROBLEMS))
def test_problems_score_a_population_alike_on_cpu_and_cuda(problem_name):
    """One population scored on both devices: float32 sums may differ in order, not in value beyond rounding."""
    make = PROBLEMS[problem_name]
    population = make().space.sample(64, torch.Generator().manual_seed(0))
    cpu = make().evaluate(population)
    gpu = _on(make(), "cuda").evaluate(population.to("cuda")).cpu()
    torch.testing.assert_close(gpu, cpu, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_closes_the_gap_on_cuda_as_on_cpu(name):
    """A run on the GPU meets the CPU conformance bound against the exact optimum.

    (The bounds are tests/optimizers/test_conformance.py's.)

    Two runs on different devices need not follow the same path (rounding differs, and a search that branches
    on a comparison amplifies it), so the test asks the GPU run what is asked of every CPU run, not to copy one.
    """
    for problem_name, make in PROBLEMS.items():
        if make_optimizer(name).unsupported(make()) is not None:
            continue
        gpu = run(_on(make(), "cuda"), make_optimizer(name), Budget(forward_equivalents=GAP_BUDGET), seed=7)
        cpu_count = run(make(), make_optimizer(name), Budget(steps=20), seed=7).forward_equivalents
        assert run(_on(make(), "cuda"), make_optimizer(name), Budget(steps=20), seed=7).forward_equivalents == cpu_count
        baseline, best = random_median(make()), optimum(problem_name)
        gap_left = (gpu.final_loss - best) / (baseline - best)
        assert -1e-6 <= gap_left < GAP_BOUNDS[name, problem_name], (name, problem_name, gap_left)


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
