"""What the simulated people of both tasks share: checked settings, measured rates, row sampling."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from searchlab.core.errors import SearchlabError


def check_probability(owner: str, name: str, value: float) -> float:
    """`value` as a float in [0, 1], or a one-line SearchlabError naming `owner` and `name`."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not math.isfinite(float(value)) or not 0.0 <= float(value) <= 1.0:
        raise SearchlabError(f"{owner}: {name} is a probability, give a number from 0 to 1 (got {value!r})")
    return float(value)


@dataclass(frozen=True)
class Measured:
    """A configured rate next to the rate measured on samples, for reports and tests.

    Attributes:
        name: what the rate is ("accuracy", "error rate at 2 digits", ...).
        configured: the rate the person was configured to have.
        measured: the share of samples where it happened.
        samples: how many samples the share is over.
    """

    name: str
    configured: float
    measured: float
    samples: int

    @property
    def standard_error(self) -> float:
        """The binomial standard error of the measured share if the configured rate is true."""
        return math.sqrt(self.configured * (1.0 - self.configured) / max(self.samples, 1))

    def agrees(self, sigmas: float = 5.0) -> bool:
        """True when the measured share lies within `sigmas` standard errors of the configured rate."""
        return abs(self.measured - self.configured) <= sigmas * self.standard_error + 1e-12

    def __str__(self) -> str:
        return f"{self.name}: configured {self.configured:g}, measured {self.measured:.3f} on {self.samples:,} samples"


def sample_rows(probabilities: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """One column per row of (N, A) non-negative weights, drawn with the given (N,) uniforms in [0, 1).

    Each row needs a positive total. Using 1 - u makes the threshold strictly positive,
    so a column of weight zero is never chosen (the first column included).
    """
    cumulative = np.cumsum(probabilities, axis=1)  # (N, A)
    threshold = (1.0 - uniforms) * cumulative[:, -1]  # (N,) in (0, total]
    return np.minimum((cumulative < threshold[:, None]).sum(axis=1), probabilities.shape[1] - 1)
