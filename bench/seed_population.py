"""Seeds as one population: K independently seeded trainings of a small MLP in one batched forward and backward
per step, against the same K trainings one after another.

Issue 17 asks what running the seeds of a small model together would buy. Each seed is its own initial
weights; all seeds see the same full-batch data (as the networks and regression experiments train). Adam is
elementwise, so one Adam over the (K, d) population, with the sum of the K losses as the objective, is
exactly K independent Adams: the bench first checks that after CHECK_STEPS steps the population's weights
match the sequential runs' to float32 rounding (over hundreds of steps the two drift apart by more: a
batched matmul sums in another order, and ReLU's kinks and Adam's normalisation amplify the last bit).

Cases (every figure measured in this one run, best of 3):
- the essay-sized 3-2-2 net on 32 examples (tiny: per-call overhead is everything);
- a 10-32-1 net on 64 examples;
- a digits-sized 64-100-10 net on 512 examples.

Prints one line per case, then a JSON object as the last line:
{"cases": [{"net", "seeds", "steps", "sequential_seconds", "population_seconds", "speedup", "max_weight_gap"}],
 "speedup_min": ..., "speedup_max": ...}

Run: `python bench/seed_population.py [--seeds 5] [--steps 200]`.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from searchlab.core import SquaredError, SupervisedProblem
from searchlab.core.device import cpu_threads
from searchlab.spaces import MLPSpace

CASES = (([3, 2, 2], 32), ([10, 32, 1], 64), ([64, 100, 10], 512))
REPEATS = 3
CHECK_STEPS = 10
LR = 1e-2


def make_problem(widths: list[int], examples: int, seeds: int) -> tuple[SupervisedProblem, torch.Tensor]:
    """A seeded regression task and `seeds` initial weight vectors, one per seed, as a (seeds, d) tensor."""
    data = torch.Generator().manual_seed(1234)
    space = MLPSpace(widths)
    inputs = torch.randn(examples, widths[0], generator=data)
    targets = torch.randn(examples, widths[-1], generator=data)
    starts = torch.stack([space.sample(1, torch.Generator().manual_seed(seed))[0] for seed in range(seeds)])
    return SupervisedProblem(space, inputs, targets, SquaredError()), starts


def train(problem: SupervisedProblem, start: torch.Tensor, steps: int) -> torch.Tensor:
    """Adam on a (K, d) population for `steps` full-batch steps; K = 1 is one seed alone."""
    weights = start.clone().requires_grad_(True)
    adam = torch.optim.Adam([weights], lr=LR)
    for _ in range(steps):
        adam.zero_grad(set_to_none=True)
        problem.evaluate(weights, gradient=True).sum().backward()
        adam.step()
    return weights.detach()


def best_of(fn) -> tuple[float, torch.Tensor]:
    times, out = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def case(widths: list[int], examples: int, seeds: int, steps: int) -> dict:
    problem, starts = make_problem(widths, examples, seeds)
    one_by_one = torch.cat([train(problem, s[None], CHECK_STEPS) for s in starts])
    gap = float((one_by_one - train(problem, starts, CHECK_STEPS)).abs().max())
    if gap > 1e-5 * max(float(one_by_one.abs().max()), 1.0):
        raise SystemExit(f"after {CHECK_STEPS} steps the population differs from the sequential runs by {gap:.3g}")
    sequential, _ = best_of(lambda: [train(problem, s[None], steps) for s in starts])
    together, _ = best_of(lambda: train(problem, starts, steps))
    return {
        "net": "-".join(map(str, widths)),
        "seeds": seeds,
        "steps": steps,
        "sequential_seconds": round(sequential, 4),
        "population_seconds": round(together, 4),
        "speedup": round(sequential / together, 2),
        "max_weight_gap": gap,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds trained together (default: 5)")
    parser.add_argument("--steps", type=int, default=200, help="Adam steps per seed (default: 200)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default: 1, as the sweep's workers)")
    args = parser.parse_args()
    cases = []
    with cpu_threads(args.threads):
        for widths, examples in CASES:
            row = case(widths, examples, args.seeds, args.steps)
            cases.append(row)
            print(
                f"{row['net']:>10} on {examples:>4} examples, {args.seeds} seeds x {args.steps} steps: "
                f"one after another {row['sequential_seconds']:.3f} s, as one population "
                f"{row['population_seconds']:.3f} s, speedup {row['speedup']:.1f}x "
                f"(weights after {CHECK_STEPS} steps agree to {row['max_weight_gap']:.1e})"
            )
    speedups = [row["speedup"] for row in cases]
    print(json.dumps({"cases": cases, "speedup_min": min(speedups), "speedup_max": max(speedups)}))


if __name__ == "__main__":
    main()
