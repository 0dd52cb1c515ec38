"""Local search over lookup tables: the problems, matches, the skipped-tie shortcut, counting, traces, seeds, resume."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import torch

from margins import check, margin
from searchlab.core import Budget, run
from searchlab.core.errors import SearchlabError
from searchlab.games.selfplay import (
    VARIANTS,
    Observer,
    improving_neighbours,
    match_scores,
    openings,
    record_points,
    search,
)
from searchlab.games.table_problems import (
    ChallengeProblem,
    LeagueProblem,
    PerfectPlayerProblem,
    exact_losses,
    play_counted,
)
from searchlab.games.tables import PositionIndex
from searchlab.optimizers import LocalSearch, RandomSearch
from searchlab.spaces import TableSpace


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


# Over seeds 0-15 (the generator is torch's CPU one; thread counts do not enter): the first drop came after
# 7-392 evaluations (mean 122 +- 121). Its final losses over the random player's, 0.50-0.87 (mean 0.66 +- 0.11),
# are too spread (a few seeds stall in a local optimum) to bound 3 sd away from 1, so they are not asserted.
@margin(seed=1, first_drop=("<", 1000))
def vs_perfect_search(seed: int) -> dict[str, float]:
    return scored_search("vs_perfect", seed, 3000)


# Over seeds 0-15: the best of 3000 random tables loses 0.51-0.54 as often as the random player (sd 0.008), so
# random search improves on its first table by far. When it first improves is not asserted: the first drop came
# after 2-4 evaluations but once after 299, and by symmetry the first table is the best of the first n + 1 with
# probability 1 / (n + 1), a tail too heavy for any bound to sit 3 sd clear.
@margin(seed=1, final_over_random_player=("<", 0.6))
def random_search_search(seed: int) -> dict[str, float]:
    return scored_search("random_search", seed, 3000)


def test_local_search_against_perfect_play_never_gets_worse_and_improves():
    check(vs_perfect_search)


def test_random_search_against_perfect_play_never_gets_worse_and_improves():
    check(random_search_search)


def tweaks(index, table, count, changes, seed):
    space = TableSpace(index.legal[: index.decisions])
    parents = torch.from_numpy(table).unsqueeze(0).expand(count, -1)
    return space.perturb(parents, changes, torch.Generator().manual_seed(seed)).numpy()


def test_the_skipped_ties_are_exact(index):
    """A change outside the positions the current table's games visit leaves its loss unchanged."""
    rng = np.random.default_rng(9)
    table = index.random_tables(1, rng)[0]
    visited = np.zeros(index.decisions, dtype=bool)
    base = index.losses_vs(table, visited=visited)[0]
    children = tweaks(index, table, 300, 3, 9)
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


def test_counted_play_gives_the_results_and_moves_of_play(index):
    rng = np.random.default_rng(3)
    tables = index.random_tables(5, rng)
    x_rows, o_rows = rng.integers(5, size=(2, 400))
    starts = rng.choice(openings(index), 400)
    results, moves = play_counted(index, tables, x_rows, o_rows, starts)
    assert np.array_equal(results, index.play(tables, x_rows, o_rows, starts))
    expected = np.zeros(5, dtype=np.int64)
    for x, o, start in zip(x_rows, o_rows, starts):
        position = start
        while position < index.decisions:
            row = x if index.player[position] == 0 else o
            expected[row] += 1
            position = index.children[position, tables[row, position]]
    assert np.array_equal(moves, expected)  # counted one game at a time, by hand


def decisions_vs(index, tables, opponent="perfect") -> np.ndarray:
    """Moves each table is asked for in `losses_vs`, one table at a time from its `visited` positions."""
    counts = []
    for table in tables:
        visited = np.zeros(index.decisions, dtype=bool)
        index.losses_vs(table, opponent, visited=visited)
        counts.append(visited.sum())  # X's and O's positions never overlap
    return np.array(counts)


@pytest.mark.parametrize("opponent", ["perfect", "random"])
def test_exact_expectations_are_losses_vs_and_count_the_positions_where_a_table_is_asked(index, opponent):
    rng = np.random.default_rng(4)
    start = index.random_tables(1, rng)[0]
    tables = np.concatenate([index.random_tables(6, rng), tweaks(index, start, 6, 3, 4), start[None]])
    losses, asked = exact_losses(index, tables, opponent)
    assert np.allclose(losses, index.losses_vs(tables, opponent), rtol=0, atol=1e-12)
    assert np.array_equal(asked, decisions_vs(index, tables, opponent))


def test_the_challenge_loss_is_a_match_against_the_champion(index):
    rng = np.random.default_rng(5)
    champion = index.random_tables(1, rng)[0]
    challengers = np.concatenate([tweaks(index, champion, 40, 3, 5), index.random_tables(40, rng)])
    problem = ChallengeProblem(index)
    losses = problem.evaluate(torch.from_numpy(np.concatenate([champion[None], challengers])))
    starts = openings(index)
    both = np.concatenate([champion[None], challengers])
    for k in range(1, both.shape[0]):
        score = index.play(both, k, 0, starts).astype(int).sum() - index.play(both, 0, k, starts).astype(int).sum()
        assert losses[k] == (-1.0 if score > 0 else 0.0), k  # one rung above the champion, or level with it
    assert losses[0] == 0.0  # the first table seen starts the ladder
    wins = np.flatnonzero(losses.numpy() < 0)
    assert wins.size and np.array_equal(problem.reference, both[wins[0]])  # the first winner is champion now
    assert problem.examples_seen == 2 * starts.size * (both.shape[0] - 1 - skipped(index, champion, challengers))


def skipped(index, champion, challengers) -> int:
    """Challengers that make the champion's move wherever its games against itself go: scored without a game."""
    visited = np.zeros(index.decisions, dtype=bool)
    index.play(champion[None], 0, 0, openings(index), visited=visited)
    return int((~((challengers != champion) & visited).any(axis=1)).sum())


def test_ordered_scoring_counts_up_to_the_first_improvement(index):
    rng = np.random.default_rng(6)
    start = index.random_tables(1, rng)[0]
    problem = PerfectPlayerProblem(index)
    first = float(problem.evaluate(torch.from_numpy(start[None]))[0])
    assert problem.forward_equivalents == decisions_vs(index, start[None])[0]
    rows = tweaks(index, start, 600, 3, 6)
    spent = problem.forward_equivalents
    losses = problem.evaluate_in_order(torch.from_numpy(rows), first).numpy()
    exact = np.round(index.losses_vs(rows), 12)
    better = np.flatnonzero(exact < first)
    assert better.size, "some tweak of a random table loses less"
    stop = better[0] + 1
    assert np.array_equal(losses[:stop], exact[:stop]) and np.isinf(losses[stop:]).all()
    differ = ((rows[:stop] != start) & problem_visited(index, start)).any(axis=1)
    assert problem.forward_equivalents - spent == decisions_vs(index, rows[:stop][differ]).sum()
    assert np.array_equal(problem.reference, rows[better[0]])


def problem_visited(index, table) -> np.ndarray:
    visited = np.zeros(index.decisions, dtype=bool)
    index.losses_vs(table, visited=visited)
    return visited


@pytest.mark.parametrize("make", [lambda i: ChallengeProblem(i), lambda i: PerfectPlayerProblem(i)])
def test_the_batched_first_improvement_is_a_one_at_a_time_search(index, make):
    """The problem's ordered scoring and the optimizer's one-candidate-at-a-time fallback agree exactly."""

    class OneAtATime:
        def __init__(self, problem):
            self.inner = problem

        def __getattr__(self, name):
            if name == "evaluate_in_order":
                raise AttributeError(name)
            return getattr(self.inner, name)

    results = []
    for wrap in (False, True):
        problem = make(index)
        optimizer = LocalSearch(population_size=16, step_size=3, accept="first", max_evaluations=150)
        target = OneAtATime(problem) if wrap else problem
        result = run(target, optimizer, Budget(steps=1000), seed=11)
        results.append((result.candidate, result.trace["loss"], problem.counters(), optimizer.evaluations_))
    (a, loss_a, counters_a, done_a), (b, loss_b, counters_b, done_b) = results
    assert torch.equal(a, b) and loss_a == loss_b and done_a == done_b == 150
    assert counters_a["examples_seen"] == counters_b["examples_seen"]
    assert counters_a["forward_equivalents"] == counters_b["forward_equivalents"]


@pytest.mark.parametrize("variant", ["self_play", "random_search"])
def test_an_interrupted_search_resumes_bitwise(index, variant, tmp_path):
    whole = search(index, variant, evaluations=900, batch=32, seed_rng=np.random.default_rng(8))
    folder = tmp_path / "run"
    problem = ChallengeProblem(index) if variant == "self_play" else PerfectPlayerProblem(index)
    optimizer_class = LocalSearch if variant == "self_play" else RandomSearch
    # The same run cut short after a few steps, then resumed by `search` from its checkpoint.
    seed = int(np.random.default_rng(8).integers(2**63 - 1))
    settings = dict(population_size=32, accept="first", max_evaluations=900)
    if variant == "self_play":
        settings["step_size"] = 3
    problem.records = Observer(index, variant, 900)
    run(problem, optimizer_class(**settings), Budget(steps=7), seed, checkpoint_dir=folder, callback=problem.records)
    resumed = search(
        index, variant, evaluations=900, batch=32, seed_rng=np.random.default_rng(8), checkpoint_dir=folder, resume=True
    )
    assert resumed.summary() == whole.summary() and np.array_equal(resumed.table, whole.table)
    assert resumed.forward_equivalents == whole.forward_equivalents and resumed.spent == whole.spent
    again = search(
        index, variant, evaluations=900, batch=32, seed_rng=np.random.default_rng(8), checkpoint_dir=folder, resume=True
    )  # finished: read back, nothing searched
    assert again.summary() == whole.summary() and again.seconds == resumed.seconds


def test_searches_count_evaluations_and_moves(index):
    trace = search(index, "self_play", evaluations=700, seed_rng=np.random.default_rng(2))
    assert trace.evaluations[-1] == 700
    assert trace.games % (2 * openings(index).size) == 0 and trace.games > 0
    assert trace.games < trace.forward_equivalents <= 5 * trace.games  # a challenger moves 1 to 5 times a game
    # The curve's compute: one count per measured point, never falling, ending at the search's total.
    assert len(trace.spent) == len(trace.evaluations)
    assert all(a <= b for a, b in zip(trace.spent, trace.spent[1:])) and trace.spent[-1] == trace.forward_equivalents


def test_a_damaged_search_checkpoint_is_one_error_naming_it(index, tmp_path):
    from searchlab.core import checkpoint

    folder = tmp_path / "run"
    search(index, "vs_perfect", evaluations=300, seed_rng=np.random.default_rng(1), checkpoint_dir=folder)
    state = checkpoint.load(folder)
    state["problem"]["records"]["losses_vs_perfect"].pop()  # the curve cut short
    checkpoint.save(folder, state, tag="damaged")
    with pytest.raises(SearchlabError, match="does not fit this run"):
        search(
            index, "vs_perfect", evaluations=300, seed_rng=np.random.default_rng(1), checkpoint_dir=folder, resume=True
        )
    state["problem"]["records"]["losses_vs_perfect"].append(0.0)
    state["problem"]["reference"][0] = 9  # no such square
    checkpoint.save(folder, state, tag="damaged2")
    with pytest.raises(SearchlabError, match="not a legal move"):
        search(
            index, "vs_perfect", evaluations=300, seed_rng=np.random.default_rng(1), checkpoint_dir=folder, resume=True
        )


def test_a_league_challenger_wins_only_by_beating_every_champion_it_remembers(index):
    rng = np.random.default_rng(11)
    problem = LeagueProblem(index, size=3)
    starts = openings(index)
    champions = index.random_tables(4, rng)
    for rung, table in enumerate(champions):  # four champions in turn; the league keeps the last three
        problem._set_reference(table, -float(rung))
    assert len(problem.league) == 3 and all(np.array_equal(a, b) for a, b in zip(problem.league, champions[1:]))
    challengers = index.random_tables(300, rng)
    before = problem.reference_loss  # scoring promotes the first winner, so compare with the loss before it
    losses = problem.evaluate(torch.from_numpy(challengers)).numpy()
    beats_all = np.all([match_scores(index, challengers, member, starts) > 0 for member in champions[1:]], axis=0)
    assert beats_all.any() and np.array_equal(losses < before, beats_all)
    beats_newest = match_scores(index, challengers, champions[-1], starts) > 0
    assert beats_all.sum() <= beats_newest.sum()  # remembering can only refuse more


def test_a_league_of_one_is_plain_self_play(index, monkeypatch):
    import searchlab.games.selfplay as selfplay

    monkeypatch.setattr(selfplay, "LEAGUE_SIZE", 1)
    league = search(index, "league", evaluations=1200, seed_rng=np.random.default_rng(5))
    plain = search(index, "self_play", evaluations=1200, seed_rng=np.random.default_rng(5))
    assert league.summary() == plain.summary() and np.array_equal(league.table, plain.table)


def test_a_league_search_resumes_exactly(index, tmp_path):
    whole = search(index, "league", evaluations=900, batch=32, seed_rng=np.random.default_rng(6))
    folder = tmp_path / "league"
    problem = LeagueProblem(index, size=8)
    problem.records = Observer(index, "league", 900)
    seed = int(np.random.default_rng(6).integers(2**63 - 1))
    optimizer = LocalSearch(population_size=32, step_size=3, accept="first", max_evaluations=900)
    run(problem, optimizer, Budget(steps=9), seed, checkpoint_dir=folder, callback=problem.records)
    resumed = search(
        index,
        "league",
        evaluations=900,
        batch=32,
        seed_rng=np.random.default_rng(6),
        checkpoint_dir=folder,
        resume=True,
    )
    assert resumed.summary() == whole.summary() and np.array_equal(resumed.table, whole.table)
    assert resumed.forward_equivalents == whole.forward_equivalents
