"""Bradley-Terry Elo ratings: known ratings recovered from simulated games, intervals, and bad tables."""

from __future__ import annotations

import numpy as np
import pytest

from searchlab.core.errors import SearchlabError
from searchlab.games.ratings import fit_elo

NAMES = ["random", "network", "uct", "puct"]
TRUE = np.array([0.0, 250.0, 400.0, 700.0])


def _play(games_per_pair: int, seed: int, draw_share: float = 0.0):
    """Games between every pair, outcomes drawn from the Elo model; `draw_share` of them drawn whatever the
    strengths (which pulls every expected score towards 1/2, so the fitted gaps shrink)."""
    rng = np.random.default_rng(seed)
    wins, draws = np.zeros((4, 4)), np.zeros((4, 4))
    for i in range(4):
        for j in range(i + 1, 4):
            p = 1.0 / (1.0 + 10 ** ((TRUE[j] - TRUE[i]) / 400))
            drawn = rng.binomial(games_per_pair, draw_share)
            won = rng.binomial(games_per_pair - drawn, p)
            wins[i, j], wins[j, i], draws[i, j], draws[j, i] = won, games_per_pair - drawn - won, drawn, drawn
    return wins, draws


def test_many_games_give_back_the_ratings_that_generated_them():
    wins, draws = _play(4000, seed=0)
    ratings = fit_elo(NAMES, wins, draws, anchor="random", prior_draws=0.0)
    assert ratings.elo[0] == 0.0
    np.testing.assert_allclose(ratings.elo, TRUE, atol=25.0)  # ~4,000 games a pair: standard errors ~10 points


def test_the_fit_matches_the_two_player_closed_form():
    wins = np.array([[0.0, 30.0], [10.0, 0.0]])
    ratings = fit_elo(["a", "b"], wins, anchor="b", prior_draws=0.0)
    assert ratings.elo[0] == pytest.approx(400 * np.log10(30 / 10), abs=1e-3)  # p = 0.75: 190.8 points


@pytest.mark.slow
def test_intervals_bracket_the_fit_and_narrow_with_more_games():
    few = fit_elo(NAMES, *_play(40, seed=1), anchor="random", bootstrap=60, seed=0)
    many = fit_elo(NAMES, *_play(1000, seed=1), anchor="random", bootstrap=60, seed=0)
    for ratings in (few, many):
        assert ratings.low[0] == ratings.high[0] == 0.0  # the anchor does not move
        for k in range(1, 4):
            assert ratings.low[k] <= ratings.elo[k] <= ratings.high[k]
    widths = [(r.high[3] - r.low[3]) for r in (few, many)]
    assert widths[0] > 3 * widths[1]  # 25x the games: about 5x narrower
    assert many.low[3] <= TRUE[3] <= many.high[3]
    assert [row["player"] for row in many.as_rows()] == NAMES


def test_draws_count_half_a_win_each():
    # 20 wins, 10 losses, 10 draws: a score of 25 of 40, so the gap is 400 log10(25 / 15) points.
    ratings = fit_elo(
        ["a", "b"],
        np.array([[0.0, 20.0], [10.0, 0.0]]),
        np.array([[0.0, 10.0], [10.0, 0.0]]),
        anchor="b",
        prior_draws=0,
    )
    assert ratings.elo[0] == pytest.approx(400 * np.log10(25 / 15), abs=1e-3)
    only_draws = fit_elo(["a", "b"], np.zeros((2, 2)), np.array([[0.0, 9.0], [9.0, 0.0]]), anchor="a")
    assert only_draws.elo[1] == pytest.approx(0.0, abs=1e-6)


def test_a_perfect_record_stays_finite_with_the_prior():
    wins = np.array([[0.0, 0.0], [20.0, 0.0]])  # b won every game
    ratings = fit_elo(["a", "b"], wins, anchor="a")
    assert 0 < ratings.elo[1] < 2000


@pytest.mark.parametrize(
    "names,wins,anchor,needle",
    [
        (["a", "b"], np.zeros((3, 3)), "a", "(2, 2) tables"),
        (["a", "b"], -np.ones((2, 2)), "a", "(2, 2) tables"),
        (["a", "b"], np.zeros((2, 2)), "z", "not one of the players"),
        (["a", "b", "c"], np.array([[0, 3, 0], [1, 0, 0], [0, 0, 0.0]]), "a", "c played no games"),
    ],
)
def test_bad_tables_are_refused(names, wins, anchor, needle):
    with pytest.raises(SearchlabError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        fit_elo(names, wins, anchor=anchor)
