"""Batched population evaluation against a Python loop over candidates, and against matmul peak.

(a) Small nets, where per-call overhead dominates: K = 1024 candidates of the
    essay's 3-2-2 net on 32 examples, and K = 256 of a 10-32-1 net on 64
    examples. Goal: speedup >= 10 for each.
(b) A large net: K = 256 candidates of a 64-256-10 MLP on 256 examples.
    Goal: never slower than the loop, and FLOP/s at least 0.3 of what one
    large torch.matmul reaches in the same run.

Every figure is measured in this one run (best of several repeats). The last
line printed is a JSON object:
{"speedup_small": min of (a), "speedup_large": ..., "fraction_of_matmul_peak_large": ...}
"""

from __future__ import annotations

import json
import time

import torch

from searchlab.core import SquaredError, SupervisedProblem
from searchlab.core.device import matmul_flops_per_second
from searchlab.spaces import MLPSpace

REPEATS = 7


def best_time(fn, repeats: int = REPEATS) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def problem_for(widths: list[int], n: int, k: int, seed: int, **space_kwargs) -> tuple[SupervisedProblem, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    space = MLPSpace(widths, **space_kwargs)
    x = torch.randn(n, widths[0], generator=g)
    y = torch.randn(n, widths[-1], generator=g)
    return SupervisedProblem(space, x, y, SquaredError()), space.sample(k, g)


def loop_losses(problem: SupervisedProblem, population: torch.Tensor) -> torch.Tensor:
    """The straightforward alternative: one candidate at a time, a forward pass each."""
    space, x, y = problem.space, problem.inputs, problem.targets
    out = torch.empty(population.shape[0])
    with torch.no_grad():
        for k in range(population.shape[0]):
            named = {name: t[0] for name, t in space.unflatten(population[k : k + 1]).items()}
            out[k] = (space.forward_one(named, x) - y).square().sum(dim=1).mean()
    return out


def compare(widths: list[int], n: int, k: int, **space_kwargs) -> dict:
    problem, population = problem_for(widths, n, k, seed=0, **space_kwargs)
    batched = problem.evaluate(population)
    looped = loop_losses(problem, population)
    torch.testing.assert_close(batched, looped, rtol=1e-4, atol=1e-5)  # the same numbers, or the timing means nothing
    t_batched = best_time(lambda: problem.evaluate(population))
    t_loop = best_time(lambda: loop_losses(problem, population), repeats=3)
    flops = 2 * n * k * sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    return {
        "net": "-".join(map(str, widths)),
        "k": k,
        "n": n,
        "batched_s": t_batched,
        "loop_s": t_loop,
        "speedup": t_loop / t_batched,
        "gflops": flops / t_batched / 1e9,
    }


def main() -> None:
    small = [
        compare([3, 2, 2], n=32, k=1024, bias=False, output_activation="relu"),
        compare([10, 32, 1], n=64, k=256),
    ]
    large = compare([64, 256, 10], n=256, k=256)
    peak = matmul_flops_per_second(size=1024) / 1e9
    for row in [*small, large]:
        print(
            f"{row['net']:>10} K={row['k']:<5} N={row['n']:<4} batched {row['batched_s'] * 1e3:8.3f} ms  "
            f"loop {row['loop_s'] * 1e3:9.2f} ms  speedup {row['speedup']:7.1f}  {row['gflops']:7.2f} GFLOP/s"
        )
    print(f"large torch.matmul (1024x1024x1024): {peak:.1f} GFLOP/s on {torch.get_num_threads()} threads")
    print(
        json.dumps(
            {
                "speedup_small": round(min(r["speedup"] for r in small), 2),
                "speedup_large": round(large["speedup"], 2),
                "fraction_of_matmul_peak_large": round(large["gflops"] / peak, 3),
                "goals": {"speedup_small": 10, "speedup_large": 1, "fraction_of_matmul_peak_large": 0.3},
            }
        )
    )


if __name__ == "__main__":
    main()
