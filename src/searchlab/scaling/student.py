"""The MLP trial of the scaling experiment: a student network learns from the teacher (or digits) with early stopping.

`train_student` is the trial (its docstring states the protocol); `MLP_DEFAULTS` lists its settings. The
teacher, its examples and the held-out mask are in `searchlab.scaling.teacher`.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch

from searchlab.core import Budget, CrossEntropy, SquaredError, SupervisedProblem
from searchlab.core import run as run_search
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, spawn_seeds
from searchlab.optimizers.gradient import GradientDescent
from searchlab.scaling.settings import check_number, check_settings, check_whole, curve_steps
from searchlab.scaling.teacher import TEACHER_SEED, holdout_mask, make_teacher, test_examples, training_examples
from searchlab.spaces.mlp import ACTIVATIONS, MLPSpace

MLP_REQUIRED = ("width", "examples")
MLP_DEFAULTS: dict[str, Any] = {
    "data": "teacher",  # "teacher" (the seeded teacher-student task) or "digits"
    "depth": 2,  # hidden layers of `width` neurons
    "activation": "relu",  # the student's; the teacher's is tanh, so no width fits it exactly
    "noise": 0.3,  # teacher label noise sigma: the loss floor is sigma^2 = 0.09
    "lr": 3e-3,  # Adam
    "batch_size": 64,
    "max_steps": 6000,
    "eval_every": 50,  # steps between early-stopping checks on the held-out part
    "patience": 10,  # checks without a new best before the learning rate drops, or the run stops
    "lr_drops": 1,  # times the learning rate is divided by 10 on a plateau before stopping
    "holdout": 0.2,  # fraction of the D examples held out for early stopping
    "test_size": 8192,  # teacher only; digits test on a fixed 297 images
    "curve_points": 16,
    "teacher_seed": TEACHER_SEED,
}
MLP_DATA = ("teacher", "digits")
DIGITS_TEST = 297  # 1,797 images: a fixed 297 test, the other 1,500 are the trials' pool
DIGITS_POOL = 1797 - DIGITS_TEST  # the training images a digits trial draws its D from


def _mlp_settings(params: dict) -> dict[str, Any]:
    task = "mlp_trial"
    settings = check_settings(task, params, MLP_DEFAULTS, MLP_REQUIRED)
    check_whole(
        task,
        settings,
        "width",
        "examples",
        "depth",
        "batch_size",
        "max_steps",
        "eval_every",
        "patience",
        "test_size",
        "curve_points",
    )
    check_whole(task, settings, "teacher_seed", "lr_drops", minimum=0)
    check_number(task, settings, "lr", 0.0)
    check_number(task, settings, "noise", 0.0, low_open=False)
    check_number(task, settings, "holdout", 0.0, 1.0)
    if settings["data"] not in MLP_DATA:
        raise SearchlabError(f"{task}: unknown data {settings['data']!r}; choose one of {', '.join(MLP_DATA)}")
    if settings["activation"] not in ACTIVATIONS:
        raise SearchlabError(
            f"{task}: unknown activation {settings['activation']!r}; choose one of {', '.join(ACTIVATIONS)}"
        )
    held = int(holdout_mask(settings["examples"], settings["holdout"]).sum())
    if held < 1 or held >= settings["examples"]:
        raise SearchlabError(
            f"{task}: {settings['examples']} examples with holdout {settings['holdout']} leave {held} held out; "
            f"give at least {math.ceil(1 / settings['holdout']) + 1} examples so both parts are non-empty"
        )
    if settings["data"] == "digits" and settings["examples"] > DIGITS_POOL:
        raise SearchlabError(f"{task}: digits has {DIGITS_POOL} training images; examples must be at most that")
    return settings


def _teacher_data(
    settings: dict[str, Any], data_seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
    """(inputs, targets) of the trial's D examples and of the test set, plus facts about the test set."""
    seed = settings["teacher_seed"]
    teacher = make_teacher(seed)
    train = training_examples(teacher, settings["examples"], data_seed, settings["noise"])
    test = test_examples(settings["test_size"], settings["noise"], seed)
    facts = {"noise_floor": float(np.mean((test.y.astype(np.float64) - test.clean) ** 2)), "clean_targets": test.clean}
    return train.x, train.y, test.x, test.y, facts


def _digits_data(
    settings: dict[str, Any], data_seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
    """sklearn's digits: a fixed test set of `DIGITS_TEST` images.

    The trial's D are the first of its own shuffle of the rest.
    """
    from searchlab.data.images import load_digits

    images = load_digits()
    vectors, labels = images.vectors(), images.labels  # (1797, 64) float32, (1797,) int64
    order = np.random.default_rng(np.random.SeedSequence([settings["teacher_seed"], 0xD1617])).permutation(len(labels))
    test, pool = order[:DIGITS_TEST], order[DIGITS_TEST:]
    # The first D of one seeded permutation of the pool: nested as D grows.
    chosen = pool[np.random.default_rng(data_seed).permutation(len(pool))[: settings["examples"]]]
    return vectors[chosen], labels[chosen], vectors[test], labels[test], {}


def train_student(params: dict, seed: int) -> dict:
    """Train one student MLP on D examples of the teacher (or digits) and measure its test loss.

    Protocol (the same for every trial): the D examples are split by index into a
    training part and a held-out part (`holdout`, every fifth example by default,
    so both stay nested as D grows). Minibatch Adam (`lr`, `batch_size`; full
    batch when the training part is smaller) runs through the core `run` driver
    for at most `max_steps` steps. Every `eval_every` steps the held-out loss is
    measured and the best parameters so far are kept. After `patience` checks
    without a new best the learning rate drops tenfold (`lr_drops` times, which
    lets large models settle about 15% lower at large D), and after the next such
    plateau the run stops. The answer is the parameters that did best on the
    held-out part; the test set only measures.

    Why early stopping on part of D rather than a fixed step budget: with a fixed
    budget a small D memorises its noise, and its loss would say more about the
    budget than about D; stopping on the test set would be a choice made with
    data the trial was not given. Small D stop within about a thousand steps;
    large D use more, up to the cap.

    Args:
        params: "width" and "examples" (D) are required; the other keys of
            `MLP_DEFAULTS` override its defaults.
        seed: picks the D examples (the first D of this seed's stream), the
            student's initial weights and the batch order. The teacher and the
            test set do not depend on it.

    Returns:
        params, examples, loss (test MSE against noisy targets; cross-entropy for
        digits), curve ([examples_seen, test loss] at log-spaced steps up to the
        stop), steps, best_step, holdout_loss, train_loss, and for the teacher
        excess_loss (test MSE against noise-free targets) and noise_floor (the test
        set's own mean squared noise, ~sigma^2); for digits test_accuracy.

    Raises:
        SearchlabError: an unknown key or a bad value in `params`, or a bad seed.
    """
    start = time.perf_counter()
    settings = _mlp_settings(params)
    seed = check_seed(seed)
    data_seed, run_seed = spawn_seeds(seed, 2)
    make = _teacher_data if settings["data"] == "teacher" else _digits_data
    x, y, test_x, test_y, facts = make(settings, data_seed)
    student = _Student(settings, x, y, test_x, test_y)
    result = run_search(
        student.problem, student.optimizer, Budget(steps=settings["max_steps"]), run_seed, callback=student.after_step
    )
    answer = student.answer(result, facts)
    answer["seconds"] = time.perf_counter() - start
    return answer


def _tensors(inputs: np.ndarray, targets: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(np.ascontiguousarray(inputs)), torch.from_numpy(np.ascontiguousarray(targets))


class _Student:
    """One student's problem and optimizer, and the early stopping, learning-rate drops and curve of its training.

    `after_step` is the core run's callback; `answer` measures the kept parameters once the run has ended.
    """

    def __init__(
        self, settings: dict[str, Any], x: np.ndarray, y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray
    ) -> None:
        self.settings = settings
        self.examples = len(x)
        self.held = holdout_mask(len(x), settings["holdout"])
        self.regression = settings["data"] == "teacher"
        self.metric = SquaredError() if self.regression else CrossEntropy()
        outputs = 1 if self.regression else 10
        width, depth = settings["width"], settings["depth"]
        self.space = MLPSpace([x.shape[1], *([width] * depth), outputs], activation=settings["activation"])
        self.problem = SupervisedProblem(self.space, *_tensors(x[~self.held], y[~self.held]), self.metric)
        self.holdout_x, self.holdout_y = _tensors(x[self.held], y[self.held])
        self.test_x, self.test_y = _tensors(test_x, test_y)
        self.batch = min(settings["batch_size"], self.problem.n_examples)
        self.optimizer = GradientDescent(algorithm="adam", lr=settings["lr"], batch_size=self.batch)
        self.measure_at = set(curve_steps(settings["max_steps"], settings["curve_points"]))
        self.curve: list[list[float]] = []
        self.best = {"loss": math.inf, "step": 0, "candidate": None, "checks_since": 0, "drops": 0}

    def loss_on(self, candidate: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> float:
        return float(self.problem.score(candidate.detach().unsqueeze(0), inputs, targets, self.metric)[0])

    def check(self, candidate: torch.Tensor, step: int) -> None:
        """Score the held-out part; keep the parameters when they are the best so far."""
        loss = self.loss_on(candidate, self.holdout_x, self.holdout_y)
        if loss < self.best["loss"]:
            self.best.update(loss=loss, step=step, candidate=candidate.detach().clone(), checks_since=0)
        else:
            self.best["checks_since"] += 1

    def after_step(self, opt: GradientDescent, trace) -> None:
        step, settings, best = opt.step_, self.settings, self.best
        if step in self.measure_at:
            self.curve.append([step * self.batch, self.loss_on(opt.candidate_, self.test_x, self.test_y)])
        if step % settings["eval_every"] == 0:
            self.check(opt.candidate_, step)
            if best["checks_since"] >= settings["patience"]:
                if best["drops"] < settings["lr_drops"]:
                    # A plateau at this step size: smaller steps settle deeper (the optimizer reads lr every step).
                    opt.lr /= 10
                    best.update(drops=best["drops"] + 1, checks_since=0)
                else:
                    # `run` stops a search that is finished; here: no new best for `patience` checks.
                    opt.finished_ = True

    def answer(self, result, facts: dict) -> dict[str, Any]:
        """The trial's answer: the kept parameters measured on the test set, and how the training went."""
        settings, batch = self.settings, self.batch
        if result.steps % settings["eval_every"]:
            self.check(result.candidate, result.steps)  # the last parameters get their check too
        if not self.curve or self.curve[-1][0] != result.steps * batch:
            self.curve.append([result.steps * batch, self.loss_on(result.candidate, self.test_x, self.test_y)])
        chosen = self.best["candidate"]
        answer = {
            "params": self.space.dim,
            "examples": self.examples,
            "loss": self.loss_on(chosen, self.test_x, self.test_y),
            "curve": self.curve,
            "steps": result.steps,
            "best_step": self.best["step"],
            "stopped_because": "patience" if result.stopped_because == "finished" else "max_steps",
            "examples_seen": result.examples_seen,
            "forward_equivalents": result.forward_equivalents,
            "holdout_loss": self.best["loss"],
            "train_loss": self.problem.full_loss(chosen),
            "train_examples": self.problem.n_examples,
            "holdout_examples": int(self.held.sum()),
            "width": settings["width"],
            "depth": settings["depth"],
            "data": settings["data"],
        }
        if self.regression:
            clean = torch.from_numpy(facts["clean_targets"])
            answer["excess_loss"] = self.loss_on(chosen, self.test_x, clean)
            answer["noise_floor"] = facts["noise_floor"]
        else:
            with torch.no_grad():
                predicted = self.space.forward(chosen.unsqueeze(0), self.test_x)[0].argmax(dim=1)
            answer["test_accuracy"] = float((predicted == self.test_y).double().mean())
        return answer
