"""The networks experiment's two-weight view: the loss over two of the ten weights, and two searches across it.

Essay: "Stochastic gradient descent" pictures random perturbations against the gradient by moving two
weights. `two_weights` frees two weights of the 3-2-2 network (the others stay at the teacher's values),
maps the loss over a grid of them, and follows local search and plain gradient descent from one start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from searchlab.core import SquaredError, SupervisedProblem
from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import Optimizer
from searchlab.core.seeding import torch_generator
from searchlab.experiments.networks_task import AUTO, ESSAY_NAMES, essay_space
from searchlab.optimizers import make_optimizer
from searchlab.spaces import PlaneSpace


@dataclass
class SearchPath:
    """Where one search went: the points it stood on, their losses, and what it spent."""

    points: torch.Tensor  # (T+1, 2), points[0] is the start
    losses: list[float]  # (T+1,) the loss the optimizer reported at each point
    forward_equivalents: int
    spent: list[int]  # (T+1,) forward-equivalents spent when the search stood on each point (0 at the start)


def follow(problem: SupervisedProblem, optimizer: Optimizer, steps: int, seed: int) -> SearchPath:
    """Run `optimizer` for `steps` ask/tell rounds, recording its current candidate after each.

    A gradient method reports the loss of the point it stood on before stepping;
    a perturbation search reports the loss of the point it keeps. Either way the
    path's losses are the optimizer's own reports, put next to the points they
    belong to; the one point no report covers (the start, or the gradient's
    final point) is measured with the problem's loss function.
    """
    problem.load_counters({"forward_equivalents": 0, "examples_seen": 0, "labels": 0})
    optimizer.start(problem, torch_generator(seed))
    points = [optimizer.candidate_.detach().to("cpu", torch.float64).clone()]
    reported, spent = [], [problem.forward_equivalents]
    for _ in range(steps):
        reported.append(optimizer.step(problem))
        points.append(
            optimizer.candidate_.detach().to("cpu", torch.float64).clone()
        )  # the gradient's is a live view: copy
        spent.append(problem.forward_equivalents)
    if optimizer.uses_gradient:
        losses = [*reported, problem.full_loss(points[-1].to(problem.inputs.dtype))]
    else:
        losses = [problem.full_loss(points[0].to(problem.inputs.dtype)), *reported]
    return SearchPath(torch.stack(points), losses, spent[-1], spent)


def plane_losses(problem: SupervisedProblem, points: torch.Tensor) -> torch.Tensor:
    """The loss function the two-weight picture shows, at (M, 2) points: (M,) (uncounted)."""
    with torch.no_grad():
        return problem.score(points.to(problem.inputs.dtype), problem.inputs, problem.targets, problem.metric)


def view_weights(config, teacher: torch.Tensor) -> tuple[str, str]:
    """The two weights the view frees: the config's, or for "auto" the two largest first-layer
    weights (in size) into the hidden neuron whose outgoing weights are largest."""
    if config.weight_x != AUTO:
        return config.weight_x, config.weight_y
    named = essay_space().unflatten(teacher.unsqueeze(0))
    first, second = named["weight1"][0], named["weight2"][0]  # (2, 3) and (2, 2): (neuron, input)
    neuron = int(second.abs().sum(dim=0).argmax())
    inputs = sorted(first[neuron].abs().argsort(descending=True)[:2].tolist())
    return f"w(1){inputs[0] + 1},{neuron + 1}", f"w(1){inputs[1] + 1},{neuron + 1}"


def stable_lr(problem: SupervisedProblem, point: torch.Tensor) -> float:
    """1 / the largest eigenvalue of the loss's Hessian at `point` (plain SGD is stable below 2 / that)."""

    def loss(pair: torch.Tensor) -> torch.Tensor:
        return problem.score({"pair": pair}, problem.inputs, problem.targets, problem.metric)[0]

    hessian = torch.autograd.functional.hessian(loss, point.to(problem.inputs))
    largest = float(torch.linalg.eigvalsh(hessian).max())
    if not math.isfinite(largest) or largest <= 0:
        raise SearchlabError(
            "the loss is flat at the teacher's values for these two weights; "
            "choose others with --weight_x and --weight_y, or set --view_lr"
        )
    return 1.0 / largest


def two_weights(config, data, seed: int, device) -> tuple[dict, dict]:
    """The view's numbers for the result, and what its figures draw (grid, surface, both searches' paths)."""
    base = essay_space()
    names = view_weights(config, data.teacher)
    indices = (ESSAY_NAMES.index(names[0]), ESSAY_NAMES.index(names[1]))
    teacher = data.teacher.to(torch.float64)
    center = teacher[list(indices)]
    plane = PlaneSpace(base, teacher.to(device), indices, center.to(device), config.view_radius)
    # float64, so that the grid and the searches' own reports agree to rounding.
    problem = SupervisedProblem(
        plane, data.inputs.to(device, torch.float64), data.targets.to(device, torch.float64), SquaredError()
    )
    offsets = torch.linspace(-config.view_radius, config.view_radius, config.view_resolution, dtype=torch.float64)
    xs, ys = center[0] + offsets, center[1] + offsets
    mesh_y, mesh_x = torch.meshgrid(ys, xs, indexing="ij")  # (R, R) each, row = y
    surface = (
        plane_losses(problem, torch.stack([mesh_x.reshape(-1), mesh_y.reshape(-1)], dim=1))
        .reshape(len(ys), len(xs))
        .cpu()
    )
    lr = config.view_lr if config.view_lr is not None else stable_lr(problem, center.to(device))
    searches = {
        "local_search": make_optimizer(
            "local_search", population_size=config.view_population, step_size=config.view_step_size
        ),
        "gradient": make_optimizer("gradient", algorithm="sgd", lr=lr),
    }
    # One seed for both: each draws its start first from an identically seeded generator.
    paths = {name: follow(problem, optimizer, config.view_steps, seed) for name, optimizer in searches.items()}
    if not torch.equal(paths["local_search"].points[0], paths["gradient"].points[0]):
        raise SearchlabError("the two searches in the two-weight view did not start from the same point")
    view = {
        "weights": list(names),
        "sgd_lr": lr,
        "others_fixed_at": "the teacher's values",
        "center": center.tolist(),
        "radius": config.view_radius,
        "resolution": config.view_resolution,
        "start": paths["gradient"].points[0].tolist(),
        "surface_min": float(surface.min()),
        "surface_max": float(surface.max()),
    }
    for name, path in paths.items():
        view[name] = {
            "final_loss": path.losses[-1],
            "start_loss": path.losses[0],
            "steps": config.view_steps,
            "forward_equivalents": path.forward_equivalents,
            "final_point": path.points[-1].tolist(),
            "distance_to_teacher": float(torch.linalg.norm(path.points[-1] - center.cpu())),
        }
    view["local_search"]["moves_kept"] = int((paths["local_search"].points.diff(dim=0).abs().sum(dim=1) > 0).sum())
    drawing = {
        "xs": xs.numpy(),
        "ys": ys.numpy(),
        "surface": surface.numpy(),
        "paths": paths,
        "center": center.tolist(),
        "problem": problem,
    }
    return view, drawing
