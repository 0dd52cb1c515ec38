"""The PettingZoo-style adapter, and searchlab's engine against PettingZoo's own Tic-Tac-Toe.

PettingZoo is a test extra: the tests that need it skip without it; the scripted-game
tests and the no-pettingzoo import check run everywhere.
"""

import functools
import random
import subprocess
import sys
import textwrap
import time
import warnings
from fractions import Fraction

import numpy as np
import pytest

from margins import OPERATORS, margin
from searchlab.core.errors import SearchlabError
from searchlab.games.env import TicTacToeEnv
from searchlab.games.tictactoe import TicTacToe

GAME = TicTacToe()


def pz_square(action):
    """PettingZoo numbers squares column-major (0 3 6 / 1 4 7 / 2 5 8), searchlab row-major: a transpose, its own
    inverse."""
    return 3 * (action % 3) + action // 3


def pettingzoo_tictactoe():
    """PettingZoo's own Tic-Tac-Toe (tictactoe_v3, with its wrappers): the registry where there is one, else the
    module."""
    pettingzoo = pytest.importorskip("pettingzoo")
    if hasattr(pettingzoo, "make"):  # newer releases deprecate importing env modules directly
        return pettingzoo.make("aec", "classic/tictactoe-v3")
    from pettingzoo.classic import tictactoe_v3

    return tictactoe_v3.env()


# ---- (1) PettingZoo's own API checker -----------------------------------------------


def test_pettingzoo_api_test():
    pytest.importorskip("pettingzoo")
    import pettingzoo

    env = TicTacToeEnv()
    assert isinstance(env, pettingzoo.AECEnv)
    with warnings.catch_warnings():
        # advisory notes (a Dict observation space, the idle agent's all-zero mask) and pettingzoo.test's own
        # deprecated imports; failures are assertions, which still fail the test
        warnings.simplefilter("ignore")
        from pettingzoo.test import api_test

        api_test(env, num_cycles=200, verbose_progress=False)


# ---- (2) agreement with an independent implementation ---------------------------------


@pytest.mark.slow
def test_agrees_with_pettingzoo_tictactoe_on_10000_random_games():
    pz = pettingzoo_tictactoe()
    assert str(pz.unwrapped) == "tictactoe_v3"
    rng = random.Random(20240604)
    games, steps, results = 10_000, 0, {1.0: 0, 0.0: 0, -1.0: 0}
    start = time.perf_counter()
    for game_index in range(games):
        pz.reset(seed=game_index)
        state = GAME.initial_state()
        while True:
            agent = pz.agent_selection
            observation, _, terminated, truncated, _ = pz.last()
            assert not truncated
            assert terminated == GAME.is_terminal(state), (game_index, state)
            if terminated:
                break
            assert agent == ("player_1", "player_2")[GAME.current_player(state)]
            pz_legal = sorted(pz_square(a) for a in np.flatnonzero(observation["action_mask"]))
            legal = GAME.legal_actions(state)
            assert pz_legal == legal, (game_index, state)
            action = rng.choice(legal)
            state = GAME.apply(state, action)
            pz.step(pz_square(action))
            steps += 1
        # same terminal step: both ended right after the same move; same result from X's side
        assert all(pz.terminations.values())
        pz_x_return = float(pz.rewards["player_1"])
        assert pz_x_return == -float(pz.rewards["player_2"])
        assert pz_x_return == GAME.returns(state), (game_index, state)
        results[pz_x_return] += 1
    elapsed = time.perf_counter() - start
    # The random games themselves: results and lengths as often as exact random play has them. These are the
    # numbers `random_game_statistics` gives at this seed (it plays the same games without PettingZoo).
    assert_bounds(random_game_statistics, random_play_z(results, steps, games))
    print(
        f"{games} games, {steps} moves agreed in {elapsed:.2f} s; X/draw/O = "
        f"{results[1.0]}/{results[0.0]}/{results[-1.0]}"
    )


@functools.cache
def random_play_exact() -> tuple[dict[float, float], float, float]:
    """Uniformly random Tic-Tac-Toe, exactly: each result's probability, and the mean and variance of the number of
    moves."""
    memo = {}

    def outcomes(state):  # {(result, moves to the end): probability}
        if state not in memo:
            if GAME.is_terminal(state):
                memo[state] = {(GAME.returns(state), 0): Fraction(1)}
            else:
                actions, total = GAME.legal_actions(state), {}
                for action in actions:
                    for (result, moves), p in outcomes(GAME.apply(state, action)).items():
                        total[result, moves + 1] = total.get((result, moves + 1), 0) + p / len(actions)
                memo[state] = total
        return memo[state]

    table = outcomes(GAME.initial_state())
    results = {r: float(sum(p for (result, _), p in table.items() if result == r)) for r in (1.0, 0.0, -1.0)}
    mean = sum(p * moves for (_, moves), p in table.items())
    variance = sum(p * (moves - mean) ** 2 for (_, moves), p in table.items())
    return results, float(mean), float(variance)


def random_play_z(results: dict[float, int], steps: int, games: int) -> dict[str, float]:
    """How far (in standard errors) the result counts and the total moves of `games` random games lie from exact
    random play."""
    probability, mean, variance = random_play_exact()
    z = [abs(results[r] / games - p) / (p * (1 - p) / games) ** 0.5 for r, p in probability.items()]
    return {"largest_result_z": max(z), "moves_z": abs(steps / games - mean) / (variance / games) ** 0.5}


def assert_bounds(quantity, values):
    """Assert a registered quantity's bounds on values computed elsewhere (here: inside the PettingZoo comparison)."""
    for name, (op, threshold) in quantity.margin.bounds.items():
        assert OPERATORS[op](values[name], threshold), (name, values[name], op, threshold)


# Over seeds 0-29 and this one (Python's random only, so thread counts agree): the largest result |z| 0.0-2.23
# (mean 0.86 +- 0.51), the moves' |z| 0.0-2.52 (0.90 +- 0.68). A rule error that ends games a move early or late,
# or miscounts a winner, moves them by tens of standard errors at 10,000 games.
@margin(seed=20240604, largest_result_z=("<", 5.0), moves_z=("<", 5.0))
def random_game_statistics(seed: int) -> dict[str, float]:
    """10,000 random games with `random.Random(seed).choice`, as the PettingZoo comparison plays them: their |z|
    against exact play."""
    rng, games, steps, results = random.Random(seed), 10_000, 0, {1.0: 0, 0.0: 0, -1.0: 0}
    for _ in range(games):
        state = GAME.initial_state()
        while not GAME.is_terminal(state):
            state = GAME.apply(state, rng.choice(GAME.legal_actions(state)))
            steps += 1
        results[GAME.returns(state)] += 1
    return random_play_z(results, steps, games)


def test_adapter_observations_match_pettingzoo_up_to_the_transpose():
    rng = random.Random(7)
    for _ in range(200):
        ours, pz = TicTacToeEnv(), pettingzoo_tictactoe()
        ours.reset()
        pz.reset()
        while ours.agents:
            assert ours.agent_selection == pz.agent_selection
            for agent in ours.possible_agents:
                mine, theirs = ours.observe(agent), pz.observe(agent)
                # PettingZoo's planes are indexed [col, row] (its squares are column-major)
                assert np.array_equal(mine["observation"], theirs["observation"].transpose(1, 0, 2))
            obs, reward, terminated, truncated, _info = ours.last()
            if not terminated:  # (PettingZoo still shows the blanks as legal once the game is won)
                theirs = pz.observe(ours.agent_selection)["action_mask"]
                assert np.array_equal(obs["action_mask"], theirs[[pz_square(s) for s in range(9)]])
            assert (reward, terminated, truncated) == pz.last()[1:4]
            action = None if terminated else rng.choice(np.flatnonzero(obs["action_mask"]).tolist())
            ours.step(action)
            pz.step(None if action is None else pz_square(action))
        assert not pz.agents


# ---- (3) scripted games, without PettingZoo's checker ------------------------------------


def play(env, actions):
    for action in actions:
        env.step(action)


def test_x_wins_on_the_top_row():
    env = TicTacToeEnv()
    env.reset(seed=0)
    assert env.agents == ["player_1", "player_2"] and env.agent_selection == "player_1"
    obs, reward, terminated, truncated, info = env.last()
    assert obs["observation"].shape == (3, 3, 2) and obs["observation"].dtype == np.int8
    assert not obs["observation"].any()
    assert obs["action_mask"].tolist() == [1] * 9 and obs["action_mask"].dtype == np.int8
    assert (reward, terminated, truncated, info) == (0, False, False, {})

    play(env, [0, 3, 1, 4])  # X: 0, 1; O: 3, 4
    assert env.agent_selection == "player_1"
    assert env.observe("player_1")["action_mask"].tolist() == [0, 0, 1, 0, 0, 1, 1, 1, 1]
    assert env.observe("player_2")["action_mask"].tolist() == [0] * 9  # not O's turn
    x_planes = env.observe("player_1")["observation"]
    assert x_planes[0, :, 0].tolist() == [1, 1, 0] and x_planes[1, :, 1].tolist() == [1, 1, 0]
    assert np.array_equal(env.observe("player_2")["observation"], x_planes[:, :, ::-1])
    assert env.rewards == {"player_1": 0, "player_2": 0}

    env.step(2)  # X completes the top row
    assert env.render() == "XXX\nOO.\n..."
    assert env.rewards == {"player_1": 1, "player_2": -1}
    assert env.terminations == {"player_1": True, "player_2": True}
    assert env.truncations == {"player_1": False, "player_2": False}
    assert env.agent_selection == "player_2"
    obs, reward, terminated, truncated, _ = env.last()
    assert (reward, terminated, truncated) == (-1, True, False)
    assert obs["action_mask"].tolist() == [0] * 9

    with pytest.raises(SearchlabError, match="step it with None"):
        env.step(5)
    env.step(None)  # the loser leaves
    assert env.agents == ["player_1"] and env.agent_selection == "player_1"
    assert env.last()[1:3] == (1, True)
    env.step(None)  # the winner leaves
    assert env.agents == [] and list(env.agent_iter()) == []


def test_draw_and_agent_iter():
    env = TicTacToeEnv()
    env.reset()
    # X O X / X O O / O X X : a full board without a line
    moves = iter([0, 1, 2, 4, 3, 5, 7, 6, 8])
    seen, final = [], None
    for agent in env.agent_iter():
        obs, reward, terminated, _truncated, _ = env.last()
        seen.append(agent)
        if terminated:
            final = final or {}
            final[agent] = reward
            env.step(None)
        else:
            assert obs["action_mask"].sum() == 9 - len(seen) + 1
            env.step(next(moves))
    assert env.render() == "XOX\nXOO\nOXX"
    assert seen[:9] == ["player_1", "player_2"] * 4 + ["player_1"]
    assert final == {"player_2": 0, "player_1": 0}
    assert env.agents == []


def test_o_wins_and_reset_starts_over():
    env = TicTacToeEnv()
    play(env, [0, 2, 1, 4, 8, 6])  # O takes the anti-diagonal 2, 4, 6
    assert env.rewards == {"player_1": -1, "player_2": 1}
    assert all(env.terminations.values())
    assert env.agent_selection == "player_1"
    assert env.render() == "XXO\n.O.\nO.X"
    env.reset()
    assert env.board == GAME.initial_state() and env.agent_selection == "player_1"
    assert env.rewards == {"player_1": 0, "player_2": 0} and not any(env.terminations.values())


def test_illegal_actions_raise_one_line_errors():
    env = TicTacToeEnv()
    env.step(4)
    for bad in (4, 9, -1, None, "3", 2.0, True):
        with pytest.raises(SearchlabError) as info:
            env.step(bad)
        message = str(info.value)
        assert "\n" not in message and "legal actions are [0, 1, 2, 3, 5, 6, 7, 8]" in message
    assert env.board == GAME.state_from_string("....X....")  # nothing changed
    env.step(np.int64(0))  # numpy integers are fine
    with pytest.raises(SearchlabError, match="unknown agent"):
        env.observe("player_3")


def test_spaces_when_gymnasium_is_installed():
    gymnasium = pytest.importorskip("gymnasium")
    env = TicTacToeEnv()
    space = env.observation_space("player_1")
    assert space is env.observation_space("player_1")
    assert isinstance(env.action_space("player_2"), gymnasium.spaces.Discrete) and env.action_space("player_2").n == 9
    play(env, [0, 4])
    assert space.contains(env.observe("player_1")) and space.contains(env.observe("player_2"))


def test_works_without_pettingzoo_or_gymnasium():
    """Block both imports in a fresh interpreter: the module imports and plays a game; spaces say what is missing."""
    code = textwrap.dedent(
        """
        import sys
        sys.modules["pettingzoo"] = None
        sys.modules["gymnasium"] = None
        from searchlab.core.errors import SearchlabError
        from searchlab.games import env as env_module
        assert not env_module.HAVE_PETTINGZOO
        env = env_module.TicTacToeEnv()
        for action in [0, 3, 1, 4, 2]:
            env.step(action)
        assert env.rewards == {"player_1": 1, "player_2": -1}
        for agent in env.agent_iter():
            assert env.last()[2]
            env.step(None)
        assert env.agents == []
        try:
            env.action_space("player_1")
        except SearchlabError as exc:
            assert "gymnasium" in str(exc)
        else:
            raise AssertionError("expected a SearchlabError")
        print("ok")
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
