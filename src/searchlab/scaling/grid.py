"""What a grid of scaling trials measured, read without a law: means per cell, data to a target, hold-outs.

N is the number of model parameters, D the number of training examples, L the held-out loss (> 0). Every
function takes one row per trial (several seeds per (N, D) cell are fine); `searchlab.scaling.laws` fits
the laws to the same rows.
"""

from __future__ import annotations

import numpy as np

from searchlab.core.errors import SearchlabError


def check_rows(n_params: int, *columns) -> list[np.ndarray]:
    """Flat float arrays of equal length, all finite and > 0; enough rows for n_params (0: no fit)."""
    arrays = [np.asarray(c, dtype=float).ravel() for c in columns]
    if len({a.size for a in arrays}) != 1:
        raise SearchlabError(f"N, D and L must have one value per trial; got lengths {[a.size for a in arrays]}")
    for name, a in zip("NDL", arrays):
        if not np.all(np.isfinite(a)) or np.any(a <= 0):
            raise SearchlabError(f"every {name} must be a finite number > 0 (sizes, counts and losses are positive)")
    if n_params and arrays[0].size < n_params + 1:
        raise SearchlabError(
            f"a law with {n_params} parameters needs at least {n_params + 1} trials; got {arrays[0].size}"
        )
    if n_params and (np.unique(arrays[0]).size < 2 or np.unique(arrays[1]).size < 2):
        raise SearchlabError("fitting L(N, D) needs at least two different model sizes N and two data sizes D")
    return arrays


def largest_holdout(N, D, by: str = "both") -> np.ndarray:
    """Mark the trials to hold out: those at the largest N, the largest D, or (by="both") either.

    "both" (the default) is the honest test of "fit on the smaller trials, predict the
    largest": the fit sees neither the largest model nor the largest data size, so each
    held-out trial is an extrapolation along one axis and the (largest N, largest D)
    corner one along both. Holding out the largest N*D instead would leave the largest
    model in the fit at smaller D, which makes the prediction mostly an interpolation.

    Returns:
        A boolean array, True for the trials to hold out.
    """
    n, d = (np.asarray(c, dtype=float).ravel() for c in (N, D))
    if by not in ("N", "D", "both"):
        raise SearchlabError(f"hold out by 'N', 'D' or 'both', not {by!r}")
    held = np.zeros(n.size, dtype=bool)
    if by in ("N", "both"):
        held |= n == n.max()
    if by in ("D", "both"):
        held |= d == d.max()
    return held


def mean_by_cell(N, D, L) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Average the seeds of each (N, D) cell: returns (N, D, mean L, count), sorted by N then D."""
    n, d, loss = check_rows(0, N, D, L)
    cells, index = np.unique(np.column_stack([n, d]), axis=0, return_inverse=True)
    index = index.ravel()
    count = np.bincount(index)
    return cells[:, 0], cells[:, 1], np.bincount(index, weights=loss) / count, count


def examples_to_target(D, L, target: float) -> float | None:
    """For one model size, the smallest D at which the loss reaches target (L <= target).

    Rows with the same D are averaged first. Between the two data sizes that bracket
    the first crossing, D is interpolated linearly in (log D, log L), which is exact
    for a power law. If the loss is already at or below target at the smallest D, that
    smallest D is returned (the true answer is at most it: callers can tell by
    comparing with min(D)). None if the target is never reached.
    """
    d, loss = check_rows(0, D, L)
    if not np.isfinite(target) or target <= 0:
        raise SearchlabError("the target loss must be a finite number > 0")
    _, d, loss, _ = mean_by_cell(np.ones_like(d), d, loss)  # sorted by D
    reached = np.flatnonzero(loss <= target)
    if reached.size == 0:
        return None
    i = reached[0]
    if i == 0:
        return float(d[0])
    x0, x1, y0, y1 = np.log(d[i - 1]), np.log(d[i]), np.log(loss[i - 1]), np.log(loss[i])
    return float(np.exp(x0 + (np.log(target) - y0) * (x1 - x0) / (y1 - y0)))


def examples_to_target_by_size(N, D, L, target: float) -> dict[float, float | None]:
    """examples_to_target for each model size N: {N: D needed, or None if never reached}."""
    n, d, loss = check_rows(0, N, D, L)
    return {float(size): examples_to_target(d[n == size], loss[n == size], target) for size in np.unique(n)}


def loss_at_largest_data(N, D, L) -> dict[float, float]:
    """For each model size N, the mean loss (over seeds) at the largest D it was trained on."""
    n, d, loss, _ = mean_by_cell(N, D, L)
    return {float(size): float(loss[n == size][np.argmax(d[n == size])]) for size in np.unique(n)}
