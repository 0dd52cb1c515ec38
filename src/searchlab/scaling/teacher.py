"""The teacher-student task: a fixed random network labels Gaussian inputs, plus noise.

The *teacher* is a random tanh network (8 inputs, two hidden layers of 64, one
output) drawn once from `TEACHER_SEED`. It is the same for every trial: a trial's
seed changes only which examples the student gets, its initial weights and its
batch order. The teacher's output is shifted and scaled to mean 0 and variance 1
(measured on a fixed probe sample), so losses of different teachers compare.
Weights are drawn with a gain of 1.5 and the biases are not zero, so the target
is far from linear: a least-squares line leaves 36% of its variance unexplained,
a quadratic 31%.

Why 8 inputs: how fast the loss falls with N and D depends on the input
dimension (roughly as 4/d for smooth targets, Sharma & Kaplan 2020). With 16
inputs the students of a 2-core budget all ended near the same loss; with 8 the
loss falls as a clear power law in both N and D over the grid's range.

Labels carry Gaussian noise of standard deviation `noise` (sigma), on the
training examples and on the test set alike. The test loss is the mean squared
error against the *noisy* test targets, so it can never fall below the noise:
its floor is sigma^2 (exactly the test set's own mean squared noise, reported
as `noise_floor`), the irreducible term E of the scaling-law fits.

Examples come from one stream per trial seed: the first D inputs and the first
D noise draws, so a trial with more data sees every example of a trial with
less data (same seed) plus new ones.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import torch

from searchlab.core import Budget, CrossEntropy, SquaredError, SupervisedProblem
from searchlab.core import run as run_search
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, spawn_seeds
from searchlab.optimizers.gradient import GradientDescent
from searchlab.scaling.tasks import check_number, check_settings, check_whole, curve_steps
from searchlab.spaces.mlp import ACTIVATIONS, MLPSpace

# The task is fixed: these define the teacher and the test set of every trial.
TEACHER_SEED = 0
INPUTS = 8
TEACHER_WIDTH = 64
TEACHER_LAYERS = 2
TEACHER_GAIN = 1.5  # weights ~ N(0, gain^2 / fan_in): pre-activations of std ~1.5, into tanh's bend
TEACHER_BIAS = 0.5  # biases ~ N(0, 0.5^2): breaks tanh's odd symmetry, so the target has even parts too
PROBE_SIZE = 1 << 16  # inputs used to normalise the teacher's output
# Entropy mixed into the teacher's seed, so that its streams never coincide with a
# trial's streams (which come from the trial seed alone) even when the seeds are equal.
_TEACHER_DOMAIN = 0x7EAC4E5


@dataclass(frozen=True, eq=False)
class Teacher:
    """A fixed random tanh network with its output normalised to mean 0, variance 1.

    Attributes:
        seed: the seed it was drawn from (the test set is drawn from it too).
        weights: per layer a (fan_out, fan_in) float64 matrix.
        biases: per layer a (fan_out,) float64 vector.
        shift, scale: the raw output's mean and standard deviation on the probe sample.
    """

    seed: int
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    shift: float
    scale: float

    @property
    def inputs(self) -> int:
        return int(self.weights[0].shape[1])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Noise-free targets: (N, inputs) -> (N, 1), float64."""
        return (self._raw(x) - self.shift) / self.scale

    def _raw(self, x: np.ndarray) -> np.ndarray:
        h = np.asarray(x, dtype=np.float64)
        last = len(self.weights) - 1
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            h = h @ weight.T + bias  # (N, fan_out)
            if layer < last:
                h = np.tanh(h)
        return h


def _teacher_streams(seed: int, count: int) -> list[np.random.Generator]:
    children = np.random.SeedSequence([seed, _TEACHER_DOMAIN]).spawn(count)
    return [np.random.default_rng(child) for child in children]


@lru_cache(maxsize=8)
def make_teacher(seed: int = TEACHER_SEED, inputs: int = INPUTS, width: int = TEACHER_WIDTH) -> Teacher:
    """The teacher drawn from `seed` (cached: every trial in a process shares it)."""
    weight_rng, probe_rng = _teacher_streams(seed, 4)[:2]
    fans = [inputs] + [width] * TEACHER_LAYERS
    outs = [width] * TEACHER_LAYERS + [1]
    weights, biases = [], []
    for fan_in, fan_out in zip(fans, outs):
        weights.append(weight_rng.standard_normal((fan_out, fan_in)) * TEACHER_GAIN / np.sqrt(fan_in))
        biases.append(weight_rng.standard_normal(fan_out) * TEACHER_BIAS)
    unnormalised = Teacher(seed, tuple(weights), tuple(biases), 0.0, 1.0)
    raw = unnormalised._raw(probe_rng.standard_normal((PROBE_SIZE, inputs)))  # (PROBE_SIZE, 1)
    return Teacher(seed, tuple(weights), tuple(biases), float(raw.mean()), float(raw.std()))


@dataclass(frozen=True)
class LabelledSet:
    """Inputs with noisy and noise-free targets, float32 numpy arrays.

    Attributes:
        x: (N, inputs) standard normal inputs.
        y: (N, 1) noisy targets: teacher(x) + noise * standard normal.
        clean: (N, 1) noise-free targets teacher(x).
    """

    x: np.ndarray
    y: np.ndarray
    clean: np.ndarray

    def __len__(self) -> int:
        return int(self.x.shape[0])


def _label(teacher: Teacher, x: np.ndarray, unit_noise: np.ndarray, noise: float) -> LabelledSet:
    clean = teacher(x)
    return LabelledSet(
        x=x.astype(np.float32),
        y=(clean + noise * unit_noise).astype(np.float32),
        clean=clean.astype(np.float32),
    )


def training_examples(teacher: Teacher, examples: int, seed: int, noise: float) -> LabelledSet:
    """The first `examples` of trial seed `seed`'s stream (nested: more examples extend fewer).

    Inputs and noise come from two separate child streams of `seed`, each read in
    order, so the first D rows never depend on how many rows were asked for.
    """
    children = np.random.SeedSequence(seed).spawn(2)
    x = np.random.default_rng(children[0]).standard_normal((examples, teacher.inputs))  # (D, inputs)
    unit_noise = np.random.default_rng(children[1]).standard_normal((examples, 1))  # (D, 1)
    return _label(teacher, x, unit_noise, noise)


@lru_cache(maxsize=8)
def test_examples(
    size: int, noise: float, seed: int = TEACHER_SEED, inputs: int = INPUTS, width: int = TEACHER_WIDTH
) -> LabelledSet:
    """The fixed test set of the teacher drawn from `seed`: the same `size` examples in every trial (cached).

    Its streams are children 2 and 3 of the teacher's seed (`make_teacher` uses 0 and 1).
    """
    teacher = make_teacher(seed, inputs, width)
    x_rng, noise_rng = _teacher_streams(seed, 4)[2:]
    x = x_rng.standard_normal((size, inputs))  # (size, inputs)
    return _label(teacher, x, noise_rng.standard_normal((size, 1)), noise)


def holdout_mask(examples: int, fraction: float) -> np.ndarray:
    """(examples,) bool: which of the first `examples` are held out for early stopping.

    Example i is held out when floor((i + 1) f) > floor(i f): a fixed, evenly
    spread floor(D f) of them (every fifth for f = 0.2). Whether an example is held
    out depends on its index only, so both parts stay nested as D grows.
    """
    index = np.arange(examples)
    return np.floor((index + 1) * fraction) > np.floor(index * fraction)


# ----- the trial: settings, data and training -----------------------------------------

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
    """sklearn's digits: a fixed test set of `DIGITS_TEST` images; the trial's D are the first of its own shuffle of the rest."""
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
    held = holdout_mask(len(x), settings["holdout"])
    regression = settings["data"] == "teacher"
    metric = SquaredError() if regression else CrossEntropy()
    outputs = 1 if regression else 10
    width, depth = settings["width"], settings["depth"]
    space = MLPSpace([x.shape[1], *([width] * depth), outputs], activation=settings["activation"])

    def tensors(inputs: np.ndarray, targets: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.from_numpy(np.ascontiguousarray(inputs)), torch.from_numpy(np.ascontiguousarray(targets))

    problem = SupervisedProblem(space, *tensors(x[~held], y[~held]), metric)
    holdout_x, holdout_y = tensors(x[held], y[held])
    test_x, test_y = tensors(test_x, test_y)
    batch = min(settings["batch_size"], problem.n_examples)
    optimizer = GradientDescent(algorithm="adam", lr=settings["lr"], batch_size=batch)

    def loss_on(candidate: torch.Tensor, inputs: torch.Tensor, targets: torch.Tensor) -> float:
        return float(problem.score(candidate.detach().unsqueeze(0), inputs, targets, metric)[0])

    measure_at = set(curve_steps(settings["max_steps"], settings["curve_points"]))
    curve: list[list[float]] = []
    best = {"loss": math.inf, "step": 0, "candidate": None, "checks_since": 0, "drops": 0}

    def check(candidate: torch.Tensor, step: int) -> None:
        loss = loss_on(candidate, holdout_x, holdout_y)
        if loss < best["loss"]:
            best.update(loss=loss, step=step, candidate=candidate.detach().clone(), checks_since=0)
        else:
            best["checks_since"] += 1

    def after_step(opt: GradientDescent, trace) -> None:
        step = opt.step_
        if step in measure_at:
            curve.append([step * batch, loss_on(opt.candidate_, test_x, test_y)])
        if step % settings["eval_every"] == 0:
            check(opt.candidate_, step)
            if best["checks_since"] >= settings["patience"]:
                if best["drops"] < settings["lr_drops"]:
                    # A plateau at this step size: smaller steps settle deeper (the optimizer reads lr every step).
                    opt.lr /= 10
                    best.update(drops=best["drops"] + 1, checks_since=0)
                else:
                    # `run` stops a search that is finished; here: no new best for `patience` checks.
                    opt.finished_ = True

    result = run_search(problem, optimizer, Budget(steps=settings["max_steps"]), run_seed, callback=after_step)
    if result.steps % settings["eval_every"]:
        check(result.candidate, result.steps)  # the last parameters get their check too
    if not curve or curve[-1][0] != result.steps * batch:
        curve.append([result.steps * batch, loss_on(result.candidate, test_x, test_y)])
    chosen = best["candidate"]
    answer = {
        "params": space.dim,
        "examples": len(x),
        "loss": loss_on(chosen, test_x, test_y),
        "curve": curve,
        "steps": result.steps,
        "best_step": best["step"],
        "stopped_because": "patience" if result.stopped_because == "finished" else "max_steps",
        "examples_seen": result.examples_seen,
        "forward_equivalents": result.forward_equivalents,
        "holdout_loss": best["loss"],
        "train_loss": problem.full_loss(chosen),
        "train_examples": problem.n_examples,
        "holdout_examples": int(held.sum()),
        "width": width,
        "depth": depth,
        "data": settings["data"],
    }
    if regression:
        clean = torch.from_numpy(facts["clean_targets"])
        answer["excess_loss"] = loss_on(chosen, test_x, clean)
        answer["noise_floor"] = facts["noise_floor"]
    else:
        with torch.no_grad():
            predicted = space.forward(chosen.unsqueeze(0), test_x)[0].argmax(dim=1)
        answer["test_accuracy"] = float((predicted == test_y).double().mean())
    answer["seconds"] = time.perf_counter() - start
    return answer
