"""searchlab's gradient-descent run against a hand-written PyTorch loop doing the same work.

Same MLP (64-128-10 on scikit-learn's digits), same initial weights, same
minibatches (one shuffle per epoch from the same seed), same Adam settings,
same number of steps. The two are timed alternately, several times, and the
best time of each is compared. Goal: ratio <= 1.05.

Prints a human line per repeat, then a JSON object as the last line:
{"ratio": searchlab_seconds / plain_seconds, ...}
"""

from __future__ import annotations

import json
import time

import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

from searchlab.core import Budget, CrossEntropy, SupervisedProblem, run
from searchlab.optimizers import GradientDescent
from searchlab.spaces import MLPSpace

STEPS = 1500
BATCH = 64
HIDDEN = 128
LR = 1e-3
SEED = 0
REPEATS = 5


def data() -> tuple[torch.Tensor, torch.Tensor]:
    digits = load_digits()
    x = torch.tensor(digits.data / 16.0, dtype=torch.float32)
    y = torch.tensor(digits.target, dtype=torch.int64)
    return x, y


def searchlab_loop(x: torch.Tensor, y: torch.Tensor) -> tuple[float, torch.Tensor]:
    space = MLPSpace([64, HIDDEN, 10])
    problem = SupervisedProblem(space, x, y, CrossEntropy())
    optimizer = GradientDescent(algorithm="adam", lr=LR, batch_size=BATCH)
    start = time.perf_counter()
    result = run(problem, optimizer, Budget(steps=STEPS), seed=SEED)
    return time.perf_counter() - start, result.candidate


def plain_loop(x: torch.Tensor, y: torch.Tensor) -> tuple[float, torch.Tensor]:
    """What one would write by hand, drawing the same random numbers in the same order."""
    space = MLPSpace([64, HIDDEN, 10])
    generator = torch.Generator().manual_seed(SEED)
    model = space.module(space.sample(1, generator)[0])
    adam = torch.optim.Adam(model.parameters(), lr=LR, fused=True)  # what searchlab uses on the CPU
    n = x.shape[0]
    start = time.perf_counter()
    order, cursor = None, n
    for _ in range(STEPS):
        if cursor + BATCH > n:
            order, cursor = torch.randperm(n, generator=generator), 0
        batch = order[cursor : cursor + BATCH]
        cursor += BATCH
        loss = F.cross_entropy(model(x[batch]), y[batch])
        adam.zero_grad(set_to_none=True)
        loss.backward()
        adam.step()
        loss.item()  # both loops read the loss each step
    seconds = time.perf_counter() - start
    return seconds, space.params_from_module(model)


def main() -> None:
    torch.manual_seed(0)  # nothing below uses the global generator; set for safety
    x, y = data()
    searchlab_loop(x, y)  # warm-up: one-off imports and allocations are not what is measured
    plain_loop(x, y)
    ours, theirs = [], []
    for repeat in range(REPEATS):
        t_ours, params_ours = searchlab_loop(x, y)
        t_plain, params_plain = plain_loop(x, y)
        ours.append(t_ours)
        theirs.append(t_plain)
        print(f"repeat {repeat + 1}: searchlab {t_ours:.3f} s, plain PyTorch {t_plain:.3f} s")
    same = torch.allclose(params_ours, params_plain, rtol=1e-4, atol=1e-5)
    ratio = min(ours) / min(theirs)
    print(
        json.dumps(
            {
                "ratio": round(ratio, 4),
                "goal": 1.05,
                "searchlab_seconds": round(min(ours), 4),
                "plain_seconds": round(min(theirs), 4),
                "steps": STEPS,
                "batch_size": BATCH,
                "same_parameters": bool(same),
                "threads": torch.get_num_threads(),
            }
        )
    )


if __name__ == "__main__":
    main()
