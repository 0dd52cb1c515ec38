"""The hybrid experiment's comparisons: the claim at matched compute on made-up rows, and Elo ratings from a
real tournament between players whose order is known."""

from __future__ import annotations

import numpy as np
import pytest

from searchlab.core.intervals import CLAIM_KEYS
from searchlab.experiments.hybrid_compare import (
    ANCHOR,
    OPENING_PLIES,
    matched_time_claim,
    openings,
    perfect_mover,
    player_names,
    tournament,
)
from searchlab.experiments.hybrid_movers import PerfectPlayer, make_mover
from searchlab.games.tictactoe import TicTacToe


def row(method: str, simulations: int, seconds: float, choices: list[float]) -> dict:
    return {
        "method": method,
        "simulations": simulations,
        "seconds_per_position": seconds,
        "optimal_by_position": choices,
    }


def test_matched_time_pairs_the_largest_puct_that_some_uct_outspends():
    rng = np.random.default_rng(0)
    good, poor = [float(x) for x in rng.random(200) < 0.95], [float(x) for x in rng.random(200) < 0.6]
    rows = [
        row("uct", 4, 0.001, poor),
        row("uct", 64, 0.004, poor),
        row("puct", 4, 0.002, good),
        row("puct", 64, 0.003, good),
        row("puct", 256, 0.010, poor),  # slower than every UCT budget: not comparable at matched time
    ]
    (claim,) = matched_time_claim(rows, 200, "section")
    assert tuple(claim) == CLAIM_KEYS
    assert "PUCT at 64 simulations" in claim["measure"] and "UCT at 64" in claim["measure"]
    assert claim["estimate"] == pytest.approx(np.mean(good) - np.mean(poor))
    assert claim["verdict"] == "supported" and claim["seeds"] == 1


def test_matched_time_can_contradict_and_needs_timed_rows():
    same = [1.0, 0.0] * 50
    better = [1.0] * 100
    rows = [row("uct", 16, 0.01, better), row("puct", 16, 0.005, [0.0] * 100)]
    assert matched_time_claim(rows, 100, "s")[0]["verdict"] == "contradicted"
    assert matched_time_claim([row("uct", 16, 0.01, same), row("puct", 16, 0.005, same)], 100, "s")[0]["verdict"] == (
        "inconclusive"
    )
    untimed = [{**r, "seconds_per_position": None} for r in rows]
    assert matched_time_claim(untimed, 100, "s") == []
    assert matched_time_claim([row("uct", 16, 0.001, same), row("puct", 16, 0.005, same)], 100, "s") == []


def test_openings_are_games_still_going_after_two_random_plies():
    game = TicTacToe()
    starts = openings(game, 30, seed=3)
    assert len(starts) == 30
    for state, plies in starts:
        assert plies == OPENING_PLIES and not game.is_terminal(state)
        assert sum(1 for cell in state if cell != 0) == OPENING_PLIES
    assert openings(game, 30, seed=3) == starts


@pytest.mark.slow
def test_the_ratings_order_a_solver_above_random_play():
    game = TicTacToe()
    perfect = PerfectPlayer(game)
    movers = {
        ANCHOR: make_mover("random", game, None, 0, 1.5),
        "uct-64": make_mover("uct", game, None, 64, 1.5),
        "perfect": perfect_mover(perfect),
    }
    out = tournament(game, movers, games_per_pair=16, seed=0)
    wins, draws = np.array(out["wins"]), np.array(out["draws"])
    assert out["games_per_pair"] == 16
    played = wins + wins.T + draws
    assert (played[~np.eye(3, dtype=bool)] == 16).all()
    ratings = {r["player"]: r for r in out["ratings"]}
    assert ratings[ANCHOR]["elo"] == 0.0
    assert ratings["perfect"]["ci_low"] > 0  # the solver is rated above random play beyond the interval
    # Each opening is played with both sides, and the solver takes each side's game value: it can never lose
    # more games to the search than it wins.
    assert wins[2, 1] >= wins[1, 2]
    assert player_names((16, 256)) == ["random", "network", "uct-16", "uct-256", "puct-16", "puct-256", "perfect"]
