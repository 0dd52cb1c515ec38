"""The Tic-Tac-Toe experiment's claims, with verdicts computed from intervals (see `core.intervals`).

- `exhaustive_search_infeasible`: playing every strategy against every other over the whole game
  cannot be done. The count of games is exact; the rate is measured on the round robins this run
  played, one rate per block size k, and the interval is over those rates. The claim holds when even
  the fastest rates leave a whole-game round robin longer than the age of the universe.
- `self_play_finds_strong_play`: local search by self-play (tweak a handful of moves, keep a change
  that beats the current strategy) ends at a strong strategy with no perfect player in the loop.
  "Strong" is stated, not implied: at most `STRONG_LOSSES` losses per 1,000 games against the
  perfect player (as X and as O from every opening of up to two moves). The measure is the median
  over the independent runs; the baseline beside it is the random strategy every run starts from.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from searchlab.core.intervals import bootstrap_interval, claim_row
from searchlab.games.roundrobin import SECONDS_PER_AGE_OF_UNIVERSE

SECTION = "Basics of machine learning: search over programs"
STRONG_LOSSES = 100.0  # losses per 1,000 games against perfect play that still count as strong play
SELF_PLAY = "self_play"


def claims(numbers: dict[str, Any]) -> list[dict[str, Any]]:
    """The claim rows this run can support: the exhaustive one, and self-play's when it was searched."""
    rows = []
    exhaustive = _exhaustive_claim(numbers["exhaustive"])
    if exhaustive is not None:
        rows.append(exhaustive)
    if SELF_PLAY in numbers["local_search"]:
        rows.append(self_play_claim(numbers["local_search"][SELF_PLAY]))
    return rows


def _exhaustive_claim(exhaustive: dict[str, Any]) -> dict[str, Any] | None:
    """Ages of the universe a whole-game round robin would take, over the rates measured per block size."""
    rates = [row["games_per_second"] for row in exhaustive["rows"] if row["games_per_second"] > 0]
    if not rates:
        return None
    games_log10 = exhaustive["whole_game"]["games_log10"]
    ages = [games_log10 - math.log10(rate * SECONDS_PER_AGE_OF_UNIVERSE) for rate in rates]
    return claim_row(
        "exhaustive_search_infeasible",
        "Trying every Tic-Tac-Toe strategy against every other cannot be done for the whole game.",
        "log10 of the ages of the universe a round robin of every strategy pair of the whole game would take, at "
        "the games per second measured on each block size this run played (threshold 0: one age)",
        bootstrap_interval(ages),
        threshold=0.0,
        predicts="above",
        baseline=f"{len(rates)} block sizes measured, up to k = {exhaustive['largest_k']} empty squares",
        section=SECTION,
        seeds=1,
    )


def self_play_claim(self_play: dict[str, Any]) -> dict[str, Any]:
    """Median final losses to perfect play of self-play local search, over its independent runs."""
    finals = [run["final_losses_vs_perfect"] for run in self_play["runs"]]
    starts = [curve[0] for curve in self_play["per_run_losses_vs_perfect"]]
    return claim_row(
        "self_play_finds_strong_play",
        "Local search by self-play, with no perfect player in the loop, finds a strong strategy.",
        f"median losses per 1,000 games against the perfect player at the end of each run (strong: at most "
        f"{STRONG_LOSSES:g})",
        bootstrap_interval(finals, np.median),
        threshold=STRONG_LOSSES,
        predicts="below",
        baseline=f"the random starting strategy: {float(np.median(starts)):.0f} losses per 1,000",
        section=SECTION,
    )
