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

The student that learns from the teacher (or from digits) is in `searchlab.scaling.student`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

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
