"""The Connect Four solver against brute force, OpenSpiel's alpha-beta, and published results."""

import random

import pytest

from searchlab.core.errors import SearchlabError
from searchlab.games.connect4 import SMALL, ConnectFour
from searchlab.games.connect4_solver import Solver

TINY = ConnectFour(4, 4)


def sign(x):
    return (x > 0) - (x < 0)


def brute_force_scores(game, state, table=None):
    """Plain negamax over the game's verbs, no pruning; `table` only remembers finished results.

    The score convention is restated here from the solver's docstring: a win with the k-th
    stone of the game is worth (cells + 2 - k) // 2 to the winner, a draw 0.
    """
    table = {} if table is None else table
    cells = game.rows * game.cols

    def score(node):
        known = table.get(node)
        if known is None:
            if game.winner(node) is not None:  # the previous mover made four with stone number k
                known = -((cells + 2 - node[1].bit_count()) // 2)
            elif game.is_terminal(node):
                known = 0
            else:
                known = max(-score(game.apply(node, action)) for action in game.legal_actions(node))
            table[node] = known
        return known

    score(state)
    return table


def random_positions(game, rng, count, min_stones=0, max_stones=None):
    """Non-terminal positions of seeded random games, each stopped after a random number of stones."""
    max_stones = game.rows * game.cols - 1 if max_stones is None else max_stones
    positions = []
    while len(positions) < count:
        state, stop = game.initial_state(), rng.randint(min_stones, max_stones)
        while not game.is_terminal(state) and state[1].bit_count() < stop:
            state = game.apply(state, rng.choice(game.legal_actions(state)))
        if not game.is_terminal(state) and state[1].bit_count() >= min_stones:
            positions.append(state)
    return positions


@pytest.fixture(scope="module")
def tiny_scores():
    """The brute-force score of every position reachable on the 4x4 board (about 160,000)."""
    return brute_force_scores(TINY, TINY.initial_state())


def test_every_position_of_random_tiny_games_agrees_with_brute_force(tiny_scores):
    solver = Solver(TINY)
    rng = random.Random(0)
    for _ in range(40):
        state = TINY.initial_state()
        while True:
            assert solver.score(state) == tiny_scores[state]
            assert solver.value(state) == sign(tiny_scores[state])
            if TINY.is_terminal(state):
                break
            values = solver.action_values(state)
            for action, value in values.items():
                assert value == sign(-tiny_scores[TINY.apply(state, action)])
            assert solver.optimal_actions(state) == [a for a, v in values.items() if v == max(values.values())]
            state = TINY.apply(state, rng.choice(TINY.legal_actions(state)))


def test_sampled_tiny_positions_agree_with_brute_force_with_fresh_and_shared_tables(tiny_scores):
    positions = random.Random(1).sample(sorted(tiny_scores, key=repr), 300)
    shared = Solver(TINY)
    for state in positions:
        assert shared.score(state) == tiny_scores[state]
        assert Solver(TINY).value(state) == sign(tiny_scores[state])
        if not TINY.is_terminal(state):
            scores = shared.action_scores(state)
            assert scores == {a: -tiny_scores[TINY.apply(state, a)] for a in TINY.legal_actions(state)}
            assert max(scores.values()) == tiny_scores[state]


def test_random_small_board_positions_agree_with_brute_force():
    game = ConnectFour(*SMALL)
    solver = Solver(game)
    for state in random_positions(game, random.Random(2), 40, min_stones=8):
        truth = brute_force_scores(game, state)
        assert solver.score(state) == truth[state]
        values = solver.action_values(state)
        assert values == {a: sign(-truth[game.apply(state, a)]) for a in game.legal_actions(state)}
        best = max(values.values())
        assert solver.optimal_actions(state) == sorted(a for a, v in values.items() if v == best)
        assert best == solver.value(state)


def quiet_moves(game, state):
    """Moves that neither win at once nor let the opponent win at once (all moves if none is quiet).

    Random play through quiet moves reaches late positions that are still undecided, so the
    solver has to search them; plain random play mostly reaches positions won in one move.
    """
    quiet = []
    for action in game.legal_actions(state):
        child = game.apply(state, action)
        if not game.is_terminal(child) and all(
            game.winner(game.apply(child, reply)) is None for reply in game.legal_actions(child)
        ):
            quiet.append(action)
    return quiet or game.legal_actions(state)


def quiet_positions(game, rng, count, stones):
    """`count` non-terminal positions with `stones` stones, from seeded quiet random play."""
    positions = []
    while len(positions) < count:
        state, actions = game.initial_state(), []
        while state[1].bit_count() < stones and not game.is_terminal(state):
            actions.append(rng.choice(quiet_moves(game, state)))
            state = game.apply(state, actions[-1])
        if not game.is_terminal(state):
            positions.append((state, actions))
    return positions


def test_late_standard_positions_agree_with_brute_force():
    game = ConnectFour()
    solver = Solver(game)
    for state, _ in quiet_positions(game, random.Random(4), 8, stones=27):
        truth = brute_force_scores(game, state)  # up to about 150,000 positions each
        assert solver.score(state) == truth[state]
        assert solver.action_scores(state) == {a: -truth[game.apply(state, a)] for a in game.legal_actions(state)}


def test_late_standard_positions_agree_with_openspiel_alpha_beta():
    pyspiel = pytest.importorskip("pyspiel")
    minimax = pytest.importorskip("open_spiel.python.algorithms.minimax")
    game, theirs = ConnectFour(), pyspiel.load_game("connect_four")
    solver = Solver(game)
    rng = random.Random(3)
    for stones in (30,) * 8 + (28,) * 4:
        state, actions = quiet_positions(game, rng, 1, stones)[0]
        spiel = theirs.new_initial_state()
        for action in actions:  # OpenSpiel's action ids are the same columns
            spiel.apply_action(action)
        value, action = minimax.alpha_beta_search(theirs, state=spiel, maximum_depth=game.rows * game.cols + 1)
        assert solver.value(state) == value  # OpenSpiel's value is for the player to move at the root
        assert action in solver.optimal_actions(state)


def test_immediate_wins_blocks_and_double_threats():
    game = ConnectFour(*SMALL)  # 4 rows x 5 columns, 20 cells: every position here solves at once
    solver = Solver(game)
    win_now = game.moves_from_string("112233")  # X to move completes columns 1-4 of the bottom row
    assert solver.optimal_actions(win_now) == [3]
    assert solver.score(win_now) == (20 + 2 - 7) // 2  # a win with the 7th stone
    assert solver.value(win_now) == 1
    two_threats = game.moves_from_string("22334")  # X holds columns 2-4 of the bottom row, both ends open
    assert solver.value(two_threats) == -1 and set(solver.action_values(two_threats).values()) == {-1}
    assert solver.score(two_threats) == -((20 + 2 - 7) // 2)  # O blocks one end, X wins with the 7th stone
    open_three = game.moves_from_string("2233")  # X to move makes an open three
    assert solver.value(open_three) == 1
    assert {0, 3} & set(solver.optimal_actions(open_three))  # columns 1 or 4 leave two open ends
    must_block = game.moves_from_string("15151")  # X has three in column 1; O must cap it
    values = solver.action_values(must_block)
    assert all(value == -1 for action, value in values.items() if action != 0)
    assert values[0] > -1 and solver.optimal_actions(must_block) == [0]
    assert solver.nodes > 0


def test_finished_games_have_values_but_no_moves():
    game = ConnectFour()
    solver = Solver(game)
    won = game.moves_from_string("1212121")  # X made four with the 7th stone
    assert solver.value(won) == -1 and solver.score(won) == -((42 + 2 - 7) // 2)
    for method in (solver.optimal_actions, solver.action_values, solver.action_scores):
        with pytest.raises(SearchlabError, match="game is over") as caught:
            method(won)
        assert "\n" not in str(caught.value)
    drawn = TINY.moves_from_string("1113233214423442")
    assert Solver(TINY).value(drawn) == 0 and Solver(TINY).score(drawn) == 0


# John Tromp's table of results on smaller boards, "+" first player wins, "=" draw, "-" second
# player wins, read from http://homepages.cwi.nl/~tromp/c4/c4.html (width = columns,
# height = rows). Only the boards this solver settles in seconds are checked here; 4x6 and
# 5x5 take 3-5 s each, so they are marked slow.
TROMP = {(4, 4): 0, (4, 5): 0, (5, 4): 0, (6, 4): 0, (4, 6): -1, (5, 5): 0}


@pytest.mark.parametrize(
    "rows, cols",
    [
        (4, 4),
        (4, 5),
        (5, 4),
        (6, 4),
        pytest.param(4, 6, marks=pytest.mark.slow),
        pytest.param(5, 5, marks=pytest.mark.slow),
    ],
)
def test_empty_boards_match_tromps_table(rows, cols):
    game = ConnectFour(rows, cols)
    assert Solver(game).value(game.initial_state()) == TROMP[(rows, cols)]
