"""A small, real trial function for tests and benches of the sweep engine (`searchlab.core.trials`).

It lives above the core because it trains with an optimizer on a space, which the core may not import.
"""

from __future__ import annotations

from pathlib import Path

from searchlab.core.errors import SearchlabError


def demo_trial(params: dict, seed: int, folder: Path) -> dict:
    """Fit a student MLP to a random teacher MLP with searchlab's gradient descent.

    Cheap, deterministic given (params, seed), and real searchlab work: the tests and
    `bench/sweep_parallelism.py` sweep it. Params (all optional): width (hidden
    units, 16), steps (Adam steps, 200), lr (0.01), examples (256).

    Raises:
        SearchlabError: an unknown param or a width below 1 (the sweep records it as failed).
    """
    import torch

    from searchlab.core import Budget, SquaredError, SupervisedProblem, run
    from searchlab.core.seeding import spawn_seeds, torch_generator
    from searchlab.optimizers import GradientDescent
    from searchlab.spaces import MLPSpace

    settings = {"width": 16, "steps": 200, "lr": 0.01, "examples": 256}
    unknown = set(params) - set(settings)
    if unknown:
        raise SearchlabError(f"demo_trial has no param {', '.join(sorted(unknown))}; it takes {', '.join(settings)}")
    settings.update(params)
    if int(settings["width"]) < 1:
        raise SearchlabError(f"width must be at least 1, got {settings['width']}")
    data_seed, teacher_seed, run_seed = spawn_seeds(seed, 3)
    x = torch.randn((int(settings["examples"]), 8), generator=torch_generator(data_seed))  # (N, 8)
    teacher = MLPSpace([8, 32, 1], activation="tanh")
    y = teacher.module(teacher.sample(1, torch_generator(teacher_seed))[0])(x).detach()  # (N, 1)
    student = MLPSpace([8, int(settings["width"]), 1], activation="tanh")
    problem = SupervisedProblem(student, x, y, SquaredError())
    result = run(
        problem,
        GradientDescent(algorithm="adam", lr=float(settings["lr"])),
        Budget(steps=int(settings["steps"])),
        seed=run_seed,
    )
    return {"final_loss": result.final_loss, "parameters": student.dim, "steps": result.steps}
