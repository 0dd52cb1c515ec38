"""Seeded synthetic data: (temperature, ice-cream sales) pairs for linear regression.

The pairs lie near a known line, so a fit can be checked against the truth.
The true slope and intercept are the essay's example candidate y = 24.578*x + 3.87.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import numpy_generator

TRUE_SLOPE = 24.578  # extra ice creams sold per degree
TRUE_INTERCEPT = 3.87
TEMPERATURE_RANGE = (12.0, 34.0)  # degrees Celsius, a plausible ice-cream season


@dataclass(frozen=True)
class LinePairs:
    """Pairs (x, y) drawn around a known line y = slope*x + intercept + noise.

    Attributes:
        x: (N,) float64 inputs.
        y: (N,) float64 targets.
        slope, intercept: the line the pairs were drawn around.
        noise: standard deviation of the Gaussian noise added to y.
    """

    x: np.ndarray
    y: np.ndarray
    slope: float
    intercept: float
    noise: float


def temperature_sales(n: int, noise: float, seed: int) -> LinePairs:
    """`n` days of (temperature in degrees C, ice creams sold), made from `seed`.

    Temperatures are uniform over `TEMPERATURE_RANGE`; sales are
    `TRUE_SLOPE * temperature + TRUE_INTERCEPT` plus Gaussian noise of standard
    deviation `noise` (in ice creams).

    Raises:
        SearchlabError: `n` below 2 or `noise` negative or not finite.
    """
    if n < 2:
        raise SearchlabError(f"n must be at least 2 to fit a line, got {n}")
    if not np.isfinite(noise) or noise < 0:
        raise SearchlabError(f"noise must be a finite number >= 0, got {noise}")
    generator = numpy_generator(seed)
    low, high = TEMPERATURE_RANGE
    x = generator.uniform(low, high, size=n)  # (N,)
    y = TRUE_SLOPE * x + TRUE_INTERCEPT + noise * generator.standard_normal(n)  # (N,)
    return LinePairs(x=x, y=y, slope=TRUE_SLOPE, intercept=TRUE_INTERCEPT, noise=float(noise))
