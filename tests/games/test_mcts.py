"""MCTS: UCT and PUCT find tactics, count simulations, are seeded, and batched search equals single search."""

import zlib

import numpy as np
import pytest

from margins import check, margin
from searchlab.core.errors import SearchlabError
from searchlab.games import TicTacToe
from searchlab.games.mcts import (
    PUCTSettings,
    puct_search,
    puct_search_many,
    select_action,
    uct_search,
    uniform_evaluator,
)
from searchlab.games.minimax import solve

GAME = TicTacToe()
WIN_IN_ONE = GAME.state_from_string("XX. OO. ...")  # X to move wins at 2
BLOCK = GAME.state_from_string("XX. O.. ...")  # O to move must block at 2
O_WINS_IN_ONE = GAME.state_from_string("X.X .OO X..")  # O to move wins at 3 (or loses to X's 1)


@pytest.fixture(scope="module")
def solution():
    return solve(GAME)


class Subtraction:
    """A pile of stones, take 1 or 2, whoever takes the last stone wins; a multiple of 3 loses for the mover.

    Player 0 moves twice in a row at the start (pile 5 -> 4 is a free move), so a search
    that assumed alternating turns would back up the wrong sign.
    """

    name = "subtraction"
    num_players = 2
    num_actions = 2  # action a takes a + 1 stones

    def initial_state(self):
        return (6, 0, 0)  # (pile, player to move, moves made)

    def current_player(self, state):
        return state[1]

    def legal_actions(self, state):
        return [] if state[0] == 0 else [a for a in (0, 1) if a + 1 <= state[0]]

    def apply(self, state, action):
        if action not in self.legal_actions(state):
            raise SearchlabError(f"illegal action {action}")
        pile, player, moves = state
        next_player = player if moves == 0 else 1 - player  # player 0's first move is followed by another
        return (pile - action - 1, next_player if pile - action - 1 else player, moves + 1)

    def is_terminal(self, state):
        return state[0] == 0

    def returns(self, state):
        if state[0]:
            return 0.0
        return 1.0 if state[1] == 0 else -1.0  # who took the last stone (the player recorded as mover)


class RolloutSubtraction(Subtraction):
    """The same game with its own playout, which UCT must use."""

    def __init__(self):
        self.rollouts = 0

    def random_rollout(self, state, rng):
        assert isinstance(rng, np.random.Generator)
        self.rollouts += 1
        while state[0]:
            actions = self.legal_actions(state)
            state = self.apply(state, actions[int(rng.integers(len(actions)))])
        return self.returns(state)


def exact_evaluator(game, solution):
    """Oracle: uniform priors, the minimax value from the mover's view."""

    def evaluate(states):
        values = np.array([solution.values[s] * (1 if game.current_player(s) == 0 else -1) for s in states])
        return np.full((len(states), game.num_actions), 1.0 / game.num_actions), values

    return evaluate


def hashed_evaluator(game):
    """Deterministic but uneven priors and values per state (independent of the batch), and a call log."""
    calls = []

    def evaluate(states):
        calls.append(len(states))
        rows = [np.random.default_rng(zlib.crc32(repr(s).encode())) for s in states]
        return np.stack([r.random(game.num_actions) for r in rows]), np.array([r.uniform(-1, 1) for r in rows])

    evaluate.calls = calls
    return evaluate


# ----- UCT -----------------------------------------------------------------------


# (position, the move, simulations): every other move loses at once against the block, so UCT keeps sampling them
# and the block leads by less; 1000 simulations give it a steady lead (over seeds 0-39: 0.05-0.26 of the visits
# at 300 simulations, 0.10-0.15 at 1000).
TACTICS = {"win": (WIN_IN_ONE, 2, 300), "block": (BLOCK, 2, 1000), "o_wins": (O_WINS_IN_ONE, 3, 300)}


def lead(visits: np.ndarray, best: int) -> float:
    """How far the move that must be played leads the most visited other move, as a share of all visits (> 0: it is
    played)."""
    others = np.delete(visits, best)
    return float((visits[best] - others.max()) / visits.sum())


# Over seeds 0-59, 1 and 2 threads (no torch inside: the spread is over seeds): leads of at worst 0.76 (win),
# 0.10 (block) and 0.89 (O wins). A search that ignored the tactic would split its visits: a lead near 0.
@margin(seed=0, win=(">", 0.6), block=(">", 0.05), o_wins=(">", 0.8))
def uct_tactics(seed: int) -> dict[str, float]:
    """UCT on three one-move tactics: the lead of the move that must be played in visits."""
    leads = {}
    for name, (state, best, simulations) in TACTICS.items():
        result = uct_search(GAME, state, simulations, seed)
        assert result.visits.sum() == simulations and result.action == int(result.visits.argmax())
        leads[name] = lead(result.visits, best)
    return leads


@pytest.mark.parametrize("seed", range(3))
def test_uct_finds_the_tactical_move(seed):
    check(uct_tactics, seed=seed)  # the most visited move is the move played


def test_uct_is_deterministic_under_a_seed():
    a = uct_search(GAME, GAME.initial_state(), 200, 7)
    b = uct_search(GAME, GAME.initial_state(), 200, np.random.default_rng(7))
    c = uct_search(GAME, GAME.initial_state(), 200, 8)
    assert np.array_equal(a.visits, b.visits) and a.action == b.action
    assert not np.array_equal(a.visits, c.visits)


def test_uct_visits_only_legal_actions_and_uses_exact_terminal_values():
    last = GAME.state_from_string("XOX XOO OX.")  # X's last move fills the board: a draw
    result = uct_search(GAME, last, 50, 0)
    assert result.visits.tolist() == [0] * 8 + [50]
    assert result.q[8] == 0.0 and result.action == 8
    win = uct_search(GAME, WIN_IN_ONE, 100, 0)
    assert win.q[2] == 1.0  # the winning child is terminal: exactly +1 each time
    assert np.isnan(win.q[0])  # occupied squares are never visited
    with pytest.raises(SearchlabError, match="game is over"):
        uct_search(GAME, GAME.state_from_string("XXX OO. ..."), 10, 0)


# Over seeds 0-59: lead 0.925-0.99, value 0.93-0.96. Backing up by alternation makes taking 2 look
# like a loss: the lead and the value turn negative.
@margin(seed=0, lead=(">", 0.8), value=(">", 0.85))
def uct_on_subtraction(seed: int) -> dict[str, float]:
    """UCT, 400 simulations, on a pile of 5 where player 0 moves again: the lead of taking 2 (the win) in visits, the
    root value."""
    game = Subtraction()
    state = game.apply(game.initial_state(), 0)  # pile 5, player 0 moves again
    assert game.current_player(state) == 0
    result = uct_search(game, state, 400, seed)
    assert result.action == int(result.visits.argmax())
    return {"lead": lead(result.visits, 1), "value": result.value}


def test_uct_backs_up_by_the_player_to_move_not_by_alternation():
    check(uct_on_subtraction)  # taking 2 leaves 3: a win for player 0, worth +1 with perfect play


def test_uct_uses_the_games_own_rollout():
    game = RolloutSubtraction()
    result = uct_search(game, game.initial_state(), 100, 0)
    assert 0 < game.rollouts <= 100 and result.visits.sum() == 100


@pytest.mark.parametrize(
    "bad", [dict(simulations=0), dict(simulations=2.5), dict(c=-1.0), dict(c=float("nan")), dict(rng=-3)]
)
def test_uct_rejects_bad_settings_in_one_line(bad):
    args = dict(simulations=10, rng=0, c=1.0) | bad
    with pytest.raises(SearchlabError) as err:
        uct_search(GAME, GAME.initial_state(), args["simulations"], args["rng"], c=args["c"])
    assert "\n" not in str(err.value)


# ----- PUCT ----------------------------------------------------------------------


@pytest.mark.parametrize("state, best", [(WIN_IN_ONE, 2), (BLOCK, 2), (O_WINS_IN_ONE, 3)])
def test_puct_with_a_uniform_evaluator_finds_the_tactical_move(state, best):
    result = puct_search(GAME, state, uniform_evaluator(GAME), PUCTSettings(simulations=200))
    assert result.action == best and result.visits.sum() == 200


def test_puct_with_the_exact_evaluator_plays_optimally(solution):
    decisions = sorted(s for s in solution.best_actions)
    sample = [decisions[i] for i in np.random.default_rng(0).choice(len(decisions), 150, replace=False)]
    evaluator = exact_evaluator(GAME, solution)
    results = puct_search_many(GAME, sample, evaluator, PUCTSettings(simulations=60))
    for state, result in zip(sample, results):
        assert result.action in solution.best_actions[state], GAME.render(state)
        assert result.visits.sum() == 60


def test_puct_on_a_game_whose_turns_do_not_alternate():
    game = Subtraction()
    state = game.apply(game.initial_state(), 0)
    result = puct_search(game, state, uniform_evaluator(game), PUCTSettings(simulations=100))
    assert result.action == 1 and result.value > 0.5


@pytest.mark.parametrize("settings", [
    PUCTSettings(simulations=40),
    PUCTSettings(simulations=40, dirichlet_epsilon=0.25, temperature=1.0),
])  # fmt: skip
def test_batched_search_equals_single_searches(settings):
    states = [GAME.initial_state(), WIN_IN_ONE, BLOCK, O_WINS_IN_ONE, GAME.apply(GAME.initial_state(), 4)]
    evaluator = hashed_evaluator(GAME)
    batched = puct_search_many(GAME, states, evaluator, settings, rngs=[10 + i for i in range(len(states))])
    # One evaluator call for the roots, then at most one per simulation step, each with one leaf per game at most.
    assert len(evaluator.calls) <= settings.simulations + 1 and max(evaluator.calls) <= len(states)
    for i, state in enumerate(states):
        single = puct_search(GAME, state, hashed_evaluator(GAME), settings, rng=10 + i)
        assert single.action == batched[i].action
        assert np.array_equal(single.visits, batched[i].visits)
        assert np.allclose(single.q, batched[i].q, equal_nan=True)


def test_puct_is_deterministic_and_noise_changes_the_search():
    evaluator = hashed_evaluator(GAME)
    noisy = PUCTSettings(simulations=50, dirichlet_epsilon=0.5)
    a = puct_search(GAME, GAME.initial_state(), evaluator, noisy, rng=1)
    b = puct_search(GAME, GAME.initial_state(), evaluator, noisy, rng=1)
    c = puct_search(GAME, GAME.initial_state(), evaluator, noisy, rng=2)
    assert np.array_equal(a.visits, b.visits) and not np.array_equal(a.visits, c.visits)


def test_several_leaves_per_step_with_virtual_loss():
    evaluator = hashed_evaluator(GAME)
    settings = PUCTSettings(simulations=200, leaves_per_step=8)
    results = puct_search_many(GAME, [WIN_IN_ONE, BLOCK], evaluator, settings)
    assert [r.action for r in results] == [2, 2]
    assert all(r.visits.sum() == 200 for r in results)
    assert len(evaluator.calls) <= 200 // 8 + 1  # one call per step of 8 leaves per game
    assert max(evaluator.calls) > 2  # several leaves per game in one call


def test_puct_rejects_terminal_positions_and_wrong_rng_counts():
    with pytest.raises(SearchlabError, match="game is over"):
        puct_search(GAME, GAME.state_from_string("XXX OO. ..."), uniform_evaluator(GAME))
    with pytest.raises(SearchlabError, match="one rng per position"):
        puct_search_many(GAME, [WIN_IN_ONE, BLOCK], uniform_evaluator(GAME), rngs=[0])
    assert puct_search_many(GAME, [], uniform_evaluator(GAME)) == []


@pytest.mark.parametrize("bad", [
    dict(simulations=0), dict(c_puct=0.0), dict(dirichlet_alpha=-1.0), dict(dirichlet_epsilon=1.5),
    dict(temperature=-0.1), dict(leaves_per_step=0), dict(virtual_loss=float("inf")), dict(simulations=True),
])  # fmt: skip
def test_puct_settings_are_validated_in_one_line(bad):
    with pytest.raises(SearchlabError) as err:
        PUCTSettings(**bad)
    assert "\n" not in str(err.value) and next(iter(bad)) in str(err.value)


VISITS = np.array([0, 10, 30, 30, 0])


# Over seeds 0-59: errors 0.0-0.046, sd 0.012 (the share's own sd is 0.02). Drawing uniformly among the
# visited actions gives action 1 a third of the draws (an error of 0.19); never drawing it, an error of 0.14.
@margin(seed=0, error=("<", 0.1))
def temperature_one_draws(seed: int) -> dict[str, float]:
    """300 draws at temperature 1 from visits (0, 10, 30, 30, 0): how far action 1's share lies from its 10/70."""
    picks = [select_action(VISITS, 1.0, np.random.default_rng([seed, i])) for i in range(300)]
    assert set(picks) == {1, 2, 3}  # never an unvisited action
    return {"error": abs(picks.count(1) / 300 - 1 / 7)}


def test_select_action_by_temperature():
    assert select_action(VISITS, 0.0, 0) == 2  # most visited, lowest on ties
    check(temperature_one_draws)
    # At temperature 0.01 action 1 has weight (1/3)^100 against 2 and 3: never drawn.
    cold = [select_action(VISITS, 0.01, np.random.default_rng(i)) for i in range(50)]
    assert set(cold) <= {2, 3}


def test_tictactoe_observation_is_from_the_movers_view():
    state = GAME.state_from_string("X.. .O. ..X")  # O to move
    obs = GAME.observation(state)
    assert obs.shape == GAME.observation_shape and obs.dtype == np.float32
    assert obs[0].tolist() == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]  # O's marks first
    assert obs[1].tolist() == [[1, 0, 0], [0, 0, 0], [0, 0, 1]]
    assert GAME.num_symmetries == 8


# Connect Four 6x7, moves as 1-based columns: "171717" leaves the first player three high in column 1,
# so it wins at index 0; after "17273" the first player holds columns 1-3 of the bottom row and the
# second player must block column 4 (index 3).
# Over seeds 0-59: leads 0.59-0.80 (win) and 0.455-0.63 (block), sd 0.045 and 0.038.
@margin(seed=0, win=(">", 0.4), block=(">", 0.3))
def uct_connect_four(seed: int) -> dict[str, float]:
    """UCT, 400 simulations, on a Connect Four win in one and a forced block: the lead of the move in visits."""
    from searchlab.games.connect4 import ConnectFour

    game = ConnectFour()
    shares = {}
    for name, moves, best in (("win", "171717", 0), ("block", "17273", 3)):
        result = uct_search(game, game.moves_from_string(moves), 400, rng=seed)
        assert result.action == int(result.visits.argmax())
        shares[name] = lead(result.visits, best)
    return shares


@pytest.mark.parametrize("seed", range(2))
def test_uct_finds_the_tactical_move_in_connect_four(seed):
    check(uct_connect_four, seed=seed)
