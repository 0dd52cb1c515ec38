"""Movers (the ways the hybrid experiment chooses moves) and how they are scored against perfect play.

A mover is a bot (`games.arena.BatchBot`, the one bot interface): it takes a batch of positions, with
one random generator each, and returns one move per position: the random mover, the network's top
move, UCT search with random playouts, and PUCT search guided by the network. `PerfectPlayer` knows
the optimal moves of every position from an exact solver; `optimal_fraction` and `losses_vs_perfect`
score a mover with it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from searchlab.core.seeding import spawn_seeds
from searchlab.games.arena import BatchBot, one_by_one, play_games

Mover = BatchBot  # (states, one generator per state, plies played) -> one action per state


class PerfectPlayer:
    """The optimal moves of any position, from the exact solver, remembered per position.

    Args:
        game: Tic-Tac-Toe (solved whole by minimax, under a second) or a small Connect Four
            (solved position by position by `connect4_solver.Solver`).
    """

    def __init__(self, game: Any) -> None:
        self.game = game
        self._cache: dict[Any, list[int]] = {}
        self._solver = None
        if game.name == "tictactoe":
            from searchlab.games.minimax import solve

            self._cache.update(solve(game).best_actions)
        else:
            from searchlab.games.connect4_solver import Solver

            self._solver = Solver(game)

    def optimal_actions(self, state: Any) -> list[int]:
        """Every move that keeps the position's game-theoretic value, ascending."""
        actions = self._cache.get(state)
        if actions is None:
            actions = self._cache[state] = self._solver.optimal_actions(state)
        return actions


def sample_positions(game: Any, perfect: PerfectPlayer, count: int, seed: int) -> list[Any]:
    """Up to `count` distinct positions reached by random play where some legal move is not optimal.

    Each try plays a random game and keeps one of its non-terminal positions, every ply
    equally likely, so that openings, middle games and endings all appear. Positions
    where every move is optimal are skipped: any mover would score them.
    """
    rng = np.random.default_rng(seed)
    found: dict[Any, None] = {}  # insertion-ordered set: the same seed gives the same list
    for _ in range(50 * count):  # Tic-Tac-Toe has only a few thousand such positions
        if len(found) >= count:
            break
        line = [game.initial_state()]
        while not game.is_terminal(line[-1]):
            actions = game.legal_actions(line[-1])
            line.append(game.apply(line[-1], actions[int(rng.integers(len(actions)))]))
        state = line[int(rng.integers(len(line) - 1))]
        if state not in found and len(perfect.optimal_actions(state)) < len(game.legal_actions(state)):
            found[state] = None
    return list(found)


def make_mover(method: str, game: Any, net, simulations: int, c_puct: float) -> Mover:
    """The move chooser of one method ("random", "network", "uct" or "puct") at a number of simulations."""
    from searchlab.games.mcts import PUCTSettings, puct_search_many, uct_search
    from searchlab.games.policy_value import net_evaluator, net_policy_actions

    if method == "random":
        return one_by_one(lambda state, rng: rng.choice(game.legal_actions(state)))
    if method == "network":
        return lambda states, rngs, plies: net_policy_actions(net, game, states)
    if method == "uct":
        return one_by_one(lambda state, rng: uct_search(game, state, simulations, rng).action)
    settings = PUCTSettings(simulations=simulations, c_puct=c_puct)
    evaluator = net_evaluator(net, game)
    # All positions searched together: one network call per simulation step, not per position.
    return lambda states, rngs, plies: [r.action for r in puct_search_many(game, states, evaluator, settings, rngs)]


def optimal_choices(mover: Mover, positions: list[Any], optimal: list[list[int]], seed: int) -> list[bool]:
    """For each of `positions`, whether `mover` picks one of its optimal moves (the generators are the same per
    position for every mover, so two movers' lists pair up position by position)."""
    rngs = [np.random.default_rng(s) for s in spawn_seeds(seed, len(positions))]
    actions = mover(positions, rngs, [0] * len(positions))
    return [a in best for a, best in zip(actions, optimal)]


def optimal_fraction(mover: Mover, positions: list[Any], optimal: list[list[int]], seed: int) -> float:
    """The share of `positions` where `mover` picks one of the optimal moves."""
    return float(np.mean(optimal_choices(mover, positions, optimal, seed)))


def losses_vs_perfect(game: Any, perfect: PerfectPlayer, mover: Mover, games: int, seed: int) -> float:
    """The share of `games` that `mover` loses against the perfect player (uniform among optimal moves).

    The mover plays first in the even-numbered games. All games advance in lockstep, so a
    batched mover (PUCT) searches every game's position in one call.
    """
    seeds = spawn_seeds(seed, 2 * games)
    mover_rngs = [np.random.default_rng(s) for s in seeds[:games]]
    perfect_rngs = [np.random.default_rng(s) for s in seeds[games:]]

    def perfect_move(state: Any, rng: np.random.Generator) -> int:
        moves = perfect.optimal_actions(state)
        return moves[int(rng.integers(len(moves)))]

    results = play_games(
        game, (mover, one_by_one(perfect_move)), [g % 2 for g in range(games)], (mover_rngs, perfect_rngs)
    )
    return float(np.mean([result < 0 for result in results]))
