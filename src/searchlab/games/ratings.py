"""Elo ratings from game results: a Bradley-Terry fit with bootstrap intervals.

Win rates between two players say nothing about a third; a rating scale does. The Bradley-Terry
model (Bradley & Terry 1952) gives each player a strength r and says player i beats player j with
probability 1 / (1 + 10 ** ((r_j - r_i) / 400)) on the Elo scale, where 400 points is a 10:1
edge. A draw counts as half a win for each side, the usual convention (Elo's own). The ratings
are the maximum-likelihood fit (a convex problem) with one player anchored at 0, typically the
random mover, so that "network: 450" means the same thing in every report.

Intervals come from a bootstrap over games: each pair's games are redrawn from that pair's
observed outcomes, the model refitted, and the 2.5 and 97.5 percentiles of each rating taken.
A player that won (or lost) every game it played has no finite maximum-likelihood rating; a weak
prior (a virtual draw of each pair, `prior_draws`) keeps such fits finite, as BayesElo does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from searchlab.core.errors import SearchlabError

ELO = 400.0 / np.log(10.0)  # natural-log strengths to Elo points


@dataclass(frozen=True)
class Ratings:
    """Elo ratings of named players, one anchored at 0, with 95% bootstrap intervals (None without one)."""

    names: tuple[str, ...]
    elo: tuple[float, ...]
    low: tuple[float, ...] | None
    high: tuple[float, ...] | None
    anchor: str

    def as_rows(self) -> list[dict]:
        return [
            {
                "player": name,
                "elo": self.elo[i],
                "ci_low": None if self.low is None else self.low[i],
                "ci_high": None if self.high is None else self.high[i],
            }
            for i, name in enumerate(self.names)
        ]


def fit_elo(
    names: list[str],
    wins: np.ndarray,
    draws: np.ndarray | None = None,
    *,
    anchor: str,
    prior_draws: float = 1.0,
    bootstrap: int = 0,
    seed: int = 0,
) -> Ratings:
    """Bradley-Terry ratings from a results table.

    Args:
        names: the players.
        wins: (P, P) counts, wins[i, j] = games i won against j.
        draws: (P, P) symmetric counts of drawn games between i and j (None: no draws).
        anchor: the player whose rating is fixed at 0.
        prior_draws: virtual drawn games added to every pair that played (keeps perfect records finite).
        bootstrap: resamples for the intervals (0: no intervals).
        seed: seeds the resampling.

    Raises:
        SearchlabError: tables of the wrong shape or with negative counts, an unknown anchor, or
            players no chain of games connects to the anchor.
    """
    wins = np.asarray(wins, dtype=float)
    size = len(names)
    draws = np.zeros_like(wins) if draws is None else np.asarray(draws, dtype=float)
    if wins.shape != (size, size) or draws.shape != (size, size) or (wins < 0).any() or (draws < 0).any():
        raise SearchlabError(f"wins and draws must be ({size}, {size}) tables of counts >= 0")
    if anchor not in names:
        raise SearchlabError(f"the anchor {anchor!r} is not one of the players {names}")
    if not np.allclose(draws, draws.T):
        raise SearchlabError("draws must be symmetric: a drawn game counts for both players")
    games = wins + wins.T + draws
    _check_connected(names, games, names.index(anchor))
    fixed = names.index(anchor)
    elo = _fit(wins, draws, fixed, prior_draws)
    low = high = None
    if bootstrap > 0:
        rng = np.random.default_rng(seed)
        samples = np.array([_fit(*_resample(wins, draws, rng), fixed, prior_draws) for _ in range(bootstrap)])
        low, high = (tuple(float(x) for x in row) for row in np.percentile(samples, [2.5, 97.5], axis=0))
    return Ratings(tuple(names), tuple(float(x) for x in elo), low, high, anchor)


def _fit(wins: np.ndarray, draws: np.ndarray, fixed: int, prior_draws: float) -> np.ndarray:
    """Maximum-likelihood Elo ratings with player `fixed` at 0."""
    played = (wins + wins.T + draws) > 0
    score = wins + 0.5 * (draws + prior_draws * played)  # score[i, j]: points i took from j
    total = score + score.T
    free = [i for i in range(len(wins)) if i != fixed]

    def negative_log_likelihood(theta: np.ndarray) -> tuple[float, np.ndarray]:
        r = np.zeros(len(wins))
        r[free] = theta
        diff = r[:, None] - r[None, :]
        p = 1.0 / (1.0 + np.exp(-diff))  # p[i, j]: i beats j
        value = -(score * np.log(np.clip(p, 1e-300, None))).sum()
        gradient = -(score - total * p).sum(axis=1)  # d/d r_i of the negative log-likelihood
        return float(value), gradient[free]

    found = minimize(negative_log_likelihood, np.zeros(len(free)), jac=True, method="L-BFGS-B")
    r = np.zeros(len(wins))
    r[free] = found.x
    return r * ELO


def _resample(wins: np.ndarray, draws: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's games redrawn (multinomial) from that pair's win / loss / draw shares."""
    new_wins, new_draws = np.zeros_like(wins), np.zeros_like(draws)
    for i in range(len(wins)):
        for j in range(i + 1, len(wins)):
            counts = np.array([wins[i, j], wins[j, i], draws[i, j]])
            n = int(counts.sum())
            if n == 0:
                continue
            a, b, d = rng.multinomial(n, counts / counts.sum())
            new_wins[i, j], new_wins[j, i], new_draws[i, j], new_draws[j, i] = a, b, d, d
    return new_wins, new_draws


def _check_connected(names: list[str], games: np.ndarray, start: int) -> None:
    reached, frontier = {start}, [start]
    while frontier:
        i = frontier.pop()
        for j in np.flatnonzero(games[i] > 0):
            if int(j) not in reached:
                reached.add(int(j))
                frontier.append(int(j))
    missing = [names[i] for i in range(len(names)) if i not in reached]
    if missing:
        raise SearchlabError(f"{', '.join(missing)} played no games linking them to {names[start]}; no rating exists")
