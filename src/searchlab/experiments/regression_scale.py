"""The regression experiment's units: x and y standardised for the search, and answers converted back.

The searches run on x and y shifted to mean 0 and scaled to standard deviation 1, so that one set of step
sizes suits any data; `Standardiser` converts lines and losses back to the data's units, and `check_scales`
refuses columns whose conversion would leave 64-bit floats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.data.files import shown

# The largest slope, intercept or loss (in the data's units) a fit may reach: far inside float64's 1.8e308,
# so that the search's losses, a hundred million times the unit loss, still convert to finite numbers.
_LARGEST = 1e250
# The smallest loss of a unit line in the data's units (y's variance): far above float64's smallest normal 2.2e-308,
# so that losses a billion times smaller than it are still distinct from 0.
_SMALLEST = 1e-250


@dataclass(frozen=True)
class Standardiser:
    """x and y shifted to mean 0 and scaled to standard deviation 1, and back."""

    x_mean: float
    x_std: float
    y_mean: float
    y_std: float

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray) -> Standardiser:
        y_std = spread(y)
        return cls(float(x.mean()), spread(x), float(y.mean()), y_std if y_std > 0 else 1.0)

    def to_original(self, a: float, b: float) -> tuple[float, float]:
        """(a, b) of the standardised line -> (a, b) in the data's units."""
        slope = a * self.y_std / self.x_std
        return slope, self.y_mean + self.y_std * b - slope * self.x_mean

    def to_standard(self, a: float, b: float) -> tuple[float, float]:
        slope = a * self.x_std / self.y_std
        return slope, (b + a * self.x_mean - self.y_mean) / self.y_std

    def loss_to_original(self, loss: float) -> float:
        """A mean squared error of standardised y in the data's squared units of y."""
        return loss * self.y_std**2


def spread(values: np.ndarray) -> float:
    """The standard deviation, also where squaring the deviations would underflow or overflow float64.

    Ordinary data take numpy's `std` unchanged (so results stay bitwise the same);
    deviations below about 1e-150 or above about 1e150 are first divided by the
    largest of them, so that 1e-200-sized spreads do not square to 0.
    """
    plain = float(values.std())
    if 1e-150 < plain < 1e150:
        return plain
    deviations = values - values.mean()
    largest = float(np.abs(deviations).max())
    return 0.0 if largest == 0 else largest * float(np.sqrt(np.mean((deviations / largest) ** 2)))


def check_scales(x: np.ndarray, y: np.ndarray, config: Any) -> None:
    """Refuse columns whose spreads put the fitted line or its losses outside float64 in the data's units.

    The search runs on standardised x and y; converting its answers back multiplies
    by the ratio of the spreads of y and x, and losses by the spread of y squared,
    which must neither overflow nor underflow to 0.

    Raises:
        SearchlabError: the slope, intercept or loss of a unit line in standardised
            units is beyond `_LARGEST` in the data's units, or that loss is below `_SMALLEST`.
    """
    scale = Standardiser.of(x, y)
    slope, intercept = scale.to_original(1.0, 1.0)
    loss = scale.loss_to_original(1.0)
    if not loss > _SMALLEST:
        raise SearchlabError(
            f"column {config.y!r} of {shown(config.csv)} varies by only {scale.y_std:.3g}, "
            "so its squared errors underflow 64-bit floats; "
            "rescale the column (e.g. multiply it by a power of 10)"
        )
    if not all(math.isfinite(v) and abs(v) < _LARGEST for v in (slope, intercept, loss)):
        raise SearchlabError(
            f"column {config.x!r} of {shown(config.csv)} varies by only {scale.x_std:.3g} "
            f"while column {config.y!r} varies by {scale.y_std:.3g}; "
            "a line between them is too steep for 64-bit floats, "
            "so rescale one of the columns (e.g. multiply x by a power of 10)"
        )
