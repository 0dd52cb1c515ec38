"""Local search over lookup tables: proposals, matches, the skipped-tie shortcut, traces and seeds."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from margins import check, margin
from searchlab.core.errors import SearchlabError
from searchlab.games.selfplay import (
    VARIANTS,
    apply_changes,
    improving_neighbours,
    match_scores,
    mutate,
    openings,
    propose,
    record_points,
    search,
)
from searchlab.games.tables import PositionIndex


@functools.cache
def positions() -> PositionIndex:
    return PositionIndex()


@pytest.fixture(scope="module")
def index():
    return positions()


def test_openings_are_the_empty_board_and_every_one_or_two_move_position(index):
    starts = openings(index)
    assert starts.size == 1 + 9 + 72
    assert sorted(index.marks[starts].tolist()) == [0] + [1] * 9 + [2] * 72


def test_a_change_replaces_moves_with_other_legal_moves(index):
    rng = np.random.default_rng(0)
    table = index.random_tables(1, rng)[0]
    children = mutate(index, table, 200, 1, rng)
    index.check_tables(children)
    differ = (children != table[None, :]).sum(axis=1)
    assert (differ == 1).all()  # one change, always a real one
    where, moves = propose(index, table, 50, 3, np.random.default_rng(5))
    assert where.shape == moves.shape == (50, 3)
    assert np.array_equal(apply_changes(table, where, moves), mutate(index, table, 50, 3, np.random.default_rng(5)))
    assert ((apply_changes(table, where, moves) != table).sum(axis=1) <= 3).all()


def test_match_scores_count_wins_minus_losses_from_both_colours(index):
    rng = np.random.default_rng(2)
    champion, challenger = index.random_tables(2, rng)
    starts = openings(index)
    score = match_scores(index, challenger[None, :], champion, starts)[0]
    both = np.stack([champion, challenger])
    as_x = index.play(both, 1, 0, starts).astype(int)
    as_o = index.play(both, 0, 1, starts).astype(int)
    assert score == as_x.sum() - as_o.sum()
    assert match_scores(index, champion[None, :], champion, starts)[0] == 0  # a copy ties with itself


def test_record_points_are_increasing_and_end_at_the_budget():
    points = record_points(10_000)
    assert points[0] == 1 and points[-1] == 10_000 and (np.diff(points) > 0).all()
    assert list(record_points(1)) == [1]


@pytest.mark.parametrize("variant", VARIANTS)
def test_searches_are_seeded_and_measure_themselves(index, variant):
    first = search(index, variant, evaluations=1500, seed_rng=np.random.default_rng(4))
    again = search(index, variant, evaluations=1500, seed_rng=np.random.default_rng(4))
    assert np.array_equal(first.table, again.table) and first.summary() == again.summary()
    assert first.evaluations == [int(p) for p in record_points(1500)]
    assert len(first.losses_vs_perfect) == len(first.evaluations) == len(first.optimal_fraction)
    # The last measurement is the final table's.
    assert first.losses_vs_perfect[-1] == pytest.approx(index.losses_vs(first.table)[0] * 1000)
    assert first.optimal_fraction[-1] == pytest.approx(index.optimal_fraction(first.table)[0])
    index.check_tables(first.table)


@functools.cache
def random_player_losses() -> float:
    """Exact: the share of games a uniformly random player loses to the perfect player, half as X and half as O.

    A random lookup table moves like the random player (a game never meets a position twice), so this is
    the expected `losses_vs` of the table a search starts from: the baseline a search must improve on.
    """
    index, memo = positions(), {}
    game = index.game

    def lost(state, side):
        if (state, side) not in memo:
            if game.is_terminal(state):
                memo[state, side] = float(game.returns(state) * (1 if side == 0 else -1) < 0)
            else:
                moves = (
                    game.legal_actions(state)
                    if game.current_player(state) == side
                    else index.solution.best_actions[state]
                )
                memo[state, side] = sum(lost(game.apply(state, a), side) for a in moves) / len(moves)
        return memo[state, side]

    return (lost(game.initial_state(), 0) + lost(game.initial_state(), 1)) / 2


def scored_search(variant: str, seed: int, evaluations: int) -> dict[str, float]:
    """A search scored against perfect play: the evaluations until its recorded losses first fell below its
    starting table's (a drop before the budget ends means the final table beats the first, as losses never
    rise), and its final losses over the random player's (a search that kept its first table scores about 1)."""
    trace = search(positions(), variant, evaluations=evaluations, seed_rng=np.random.default_rng(seed))
    curve = trace.losses_vs_perfect
    assert all(later <= earlier + 1e-9 for earlier, later in zip(curve, curve[1:]))  # it only keeps improvements
    drops = [e for e, loss in zip(trace.evaluations, curve) if loss < curve[0]]
    assert (trace.accepted >= 1) == bool(drops)
    return {
        "first_drop": drops[0] if drops else math.inf,
        "final_over_random_player": curve[-1] / 1000 / random_player_losses(),
    }


# Over seeds 0-15 (numpy only: thread counts do not enter): the first drop came after 1-514 evaluations
# (mean 130 +- 128). Its final losses over the random player's, 0.45-0.74 (mean 0.62 +- 0.10), are too spread
# (a few seeds stall in a local optimum) to bound 3 sd away from 1, so they are not asserted.
@margin(seed=1, first_drop=("<", 1000))
def vs_perfect_search(seed: int) -> dict[str, float]:
    return scored_search("vs_perfect", seed, 3000)


# Over seeds 0-15: the first drop after 1-116 evaluations (mean 14 +- 29); the best of 3000 random tables
# loses 0.51-0.53 as often as the random player (sd 0.008).
@margin(seed=1, first_drop=("<", 300), final_over_random_player=("<", 0.6))
def random_search_search(seed: int) -> dict[str, float]:
    return scored_search("random_search", seed, 3000)


def test_local_search_against_perfect_play_never_gets_worse_and_improves():
    check(vs_perfect_search)


def test_random_search_against_perfect_play_never_gets_worse_and_improves():
    check(random_search_search)


def test_the_skipped_ties_are_exact(index):
    """A change outside the positions the current table's games visit leaves its loss unchanged."""
    rng = np.random.default_rng(9)
    table = index.random_tables(1, rng)[0]
    visited = np.zeros(index.decisions, dtype=bool)
    base = index.losses_vs(table, visited=visited)[0]
    children = mutate(index, table, 300, 3, rng)
    outside = ~((children != table) & visited).any(axis=1)
    assert outside.any()
    assert np.allclose(index.losses_vs(children[outside]), base, atol=0)


def test_the_solver_has_no_improving_neighbour_and_a_blunder_has_one(index):
    table = np.argmax(index.optimal[: index.decisions], axis=1).astype(np.int8)
    improving, total = improving_neighbours(index, table)
    assert improving == 0 and total == int((index.legal_count[: index.decisions] - 1).sum())
    centre = index.ids[(0, 0, 0, 0, 1, 0, 0, 0, 0)]
    blunder = table.copy()
    blunder[centre] = 1  # an edge reply to the centre loses
    assert improving_neighbours(index, blunder)[0] >= 1


def test_bad_search_settings_are_refused(index):
    with pytest.raises(SearchlabError, match="unknown search"):
        search(index, "hill_climb", evaluations=10, seed_rng=np.random.default_rng(0))
    with pytest.raises(SearchlabError, match="at least one"):
        search(index, "self_play", evaluations=0, seed_rng=np.random.default_rng(0))
