"""The hybrid experiment's comparisons: its claims (at equal positions, and at matched compute) and Elo ratings.

Elo (`games.ratings`): every pair of players plays the same seeded openings (two random plies from the
empty board, so that two players who always pick the same move still play different games), each opening
twice with the sides swapped. The players are the random mover (anchored at 0), the network alone, UCT and
PUCT at a few budgets, and the perfect player (the solver) as the ceiling. A Bradley-Terry fit gives each an
Elo rating, and a bootstrap over each pair's games its 95% interval.

Matched compute: the ablation scores every mover on the same positions and times it. Against the network
alone, a search can only add compute, so that comparison (the claim `model_plus_search_beats_model`) is at
equal positions. Between the two searches it can be fair: PUCT at a budget against UCT given at least as
many seconds per position, paired position by position (`search_with_model_beats_search_alone`). The time
is wall-clock on the machine that ran it, PUCT's batched over all positions at once (as it plays).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from searchlab.core.intervals import claim_row, paired_difference
from searchlab.core.seeding import spawn_seeds
from searchlab.games.arena import one_by_one, play_games
from searchlab.games.ratings import fit_elo

OPENING_PLIES = 2
BOOTSTRAP = 200
ANCHOR = "random"
CEILING = "perfect"


def player_names(simulations: tuple[int, ...]) -> list[str]:
    """The rated players: random, the network, each search at each budget, and the perfect player."""
    searches = [f"{method}-{n}" for method in ("uct", "puct") for n in simulations]
    return [ANCHOR, "network", *searches, CEILING]


def openings(game: Any, count: int, seed: int) -> list[tuple[Any, int]]:
    """`count` start positions after OPENING_PLIES uniformly random legal moves (games still going)."""
    rng = np.random.default_rng(seed)
    found = []
    while len(found) < count:
        state = game.initial_state()
        for _ in range(OPENING_PLIES):
            actions = game.legal_actions(state)
            state = game.apply(state, actions[int(rng.integers(len(actions)))])
        if not game.is_terminal(state):
            found.append((state, OPENING_PLIES))
    return found


def tournament(game: Any, movers: dict[str, Any], games_per_pair: int, seed: int) -> dict[str, Any]:
    """Every pair plays `games_per_pair` games (half the openings, each with both sides); results and Elo.

    Returns:
        {"players", "games_per_pair", "wins" ((P, P) list: wins[i][j] games i won against j), "draws",
        "ratings" ([{"player", "elo", "ci_low", "ci_high"}], random at 0)}.
    """
    names = list(movers)
    half = max(1, games_per_pair // 2)
    opening_seed, *pair_seeds = spawn_seeds(seed, 1 + len(names) * len(names))
    starts = openings(game, half, opening_seed) * 2
    first = [0] * half + [1] * half
    wins = np.zeros((len(names), len(names)), dtype=int)
    draws = np.zeros_like(wins)
    for i, j in itertools.combinations(range(len(names)), 2):
        seeds = spawn_seeds(pair_seeds[i * len(names) + j], 2 * len(starts))
        rngs = (
            [np.random.default_rng(s) for s in seeds[: len(starts)]],
            [np.random.default_rng(s) for s in seeds[len(starts) :]],
        )
        results = play_games(game, (movers[names[i]], movers[names[j]]), first, rngs, starts=starts)
        wins[i, j] = sum(r > 0 for r in results)
        wins[j, i] = sum(r < 0 for r in results)
        draws[i, j] = draws[j, i] = sum(r == 0 for r in results)
    ratings = fit_elo(names, wins, draws, anchor=ANCHOR, bootstrap=BOOTSTRAP, seed=seed)
    return {
        "players": names,
        "games_per_pair": len(starts),
        "wins": wins.tolist(),
        "draws": draws.tolist(),
        "ratings": [{key: _rounded(value) for key, value in row.items()} for row in ratings.as_rows()],
    }


def perfect_mover(perfect: Any):
    """The solver as a batch bot: uniform among the optimal moves."""

    def choose(state: Any, rng: np.random.Generator) -> int:
        moves = perfect.optimal_actions(state)
        return moves[int(rng.integers(len(moves)))]

    return one_by_one(choose)


def network_claim(ablation: list[dict[str, Any]], positions: int, section: str) -> list[dict[str, Any]]:
    """The essay's claim that a network plus search beats the network alone, on the shared positions.

    The measure is PUCT's optimal-move share at its largest simulation count minus the network's,
    paired position by position (both scored the same positions), with a bootstrap interval over the
    positions; one trained network stands behind it, so the row says seeds = 1. A row saved by an older
    run without per-position choices gives no claim.
    """
    cells = {(row["method"], row["simulations"]): row.get("optimal_by_position") for row in ablation}
    searched = max((n for method, n in cells if method == "puct"), default=None)
    both = cells.get(("network", 0)), cells.get(("puct", searched))
    if searched is None or any(values is None for values in both):
        return []
    shares = {name: float(np.mean(cells[name, 0])) for name in ("network", "random") if cells.get((name, 0))}
    # The estimate is a difference; beside it, the shares it is a difference of and the trivial mover's.
    baseline = ", ".join(f"{name} alone {share:.3f}" for name, share in shares.items()) or None
    return [
        claim_row(
            "model_plus_search_beats_model",
            "A network combined with tree search picks good moves more often than the network alone.",
            f"share of {positions} positions where the move is optimal: PUCT with the network at {searched} "
            "simulations minus the network alone, paired by position (interval over positions, one network)",
            paired_difference(both[1], both[0]),
            threshold=0.0,
            baseline=baseline,
            section=section,
            seeds=1,
        )
    ]


def matched_time_claim(rows: list[dict[str, Any]], positions: int, section: str) -> list[dict[str, Any]]:
    """PUCT at the largest budget some UCT budget out-spends in seconds per position, against that UCT budget
    (the cheapest one that does), paired position by position.

    No claim when the rows lack the per-position choices or times (saved by an older run), or when every PUCT
    budget took longer than UCT's largest.
    """
    timed = [r for r in rows if r.get("seconds_per_position") is not None and r.get("optimal_by_position")]
    uct = sorted((r for r in timed if r["method"] == "uct"), key=lambda r: r["simulations"])
    pairs = [
        (puct, next(u for u in uct if u["seconds_per_position"] >= puct["seconds_per_position"]))
        for puct in timed
        if puct["method"] == "puct" and any(u["seconds_per_position"] >= puct["seconds_per_position"] for u in uct)
    ]
    if not pairs:
        return []
    puct, rival = max(pairs, key=lambda pair: pair[0]["simulations"])
    return [
        claim_row(
            "search_with_model_beats_search_alone",
            "At matched compute, tree search guided by the network picks good moves more often than search alone.",
            f"share of {positions} positions where the move is optimal: PUCT at {puct['simulations']} simulations "
            f"({puct['seconds_per_position'] * 1000:.2f} ms a position) minus UCT at {rival['simulations']} "
            f"({rival['seconds_per_position'] * 1000:.2f} ms: at least as much time), paired by position "
            "(interval over positions, one network)",
            paired_difference(puct["optimal_by_position"], rival["optimal_by_position"]),
            threshold=0.0,
            baseline=f"UCT alone at {rival['simulations']}: {float(np.mean(rival['optimal_by_position'])):.3f}",
            section=section,
            seeds=1,
        )
    ]


def _rounded(value: Any) -> Any:
    return round(value, 1) if isinstance(value, float) else value
