"""MCTS simulations per second: searchlab's `uct_search` against OpenSpiel's `MCTSBot` on Tic-Tac-Toe.

Both sides run in this one process with the same settings: UCT with exploration
constant `--c`, `--simulations` simulations per search, one random playout per new
leaf (OpenSpiel: `RandomRolloutEvaluator(n_rollouts=1)`), MCTS-Solver off
(`solve=False`, since searchlab does not back up proven values), and the same number
of searches (`--searches`) from each of the same positions (the empty board, the
nine boards after one move, and a few tactical boards). OpenSpiel's game is pyspiel's
C++ `tic_tac_toe`; its search loop is Python, as is searchlab's. Each side is timed over
all its searches, best of `--repeats` rounds, with the two sides interleaved per round so
that a busy machine slows both alike.

Checked on the way: both searches' root visit counts sum to the simulations, and the
share of searches whose chosen move is minimax-optimal is printed for each side (a
fast search that plays worse would not be a fair win).

Goal: ratio = searchlab sims/s / OpenSpiel sims/s >= 1. Needs open_spiel
(`pip install -e '.[bench]'`). Run: `python bench/mcts.py [--simulations 400] [--searches 5] [--c 2] [--seed 0]`.

Prints readable lines, then a JSON object as the last line:
{"ratio": ..., "searchlab_sims_per_second": ..., "openspiel_sims_per_second": ..., ...}
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from searchlab.games import TicTacToe
from searchlab.games.mcts import uct_search
from searchlab.games.minimax import solve

# Positions as the moves that reach them from the empty board (cells row-major 0..8, X first).
OPENINGS = [[]] + [[a] for a in range(9)]
TACTICAL = [
    [0, 3, 1, 4],  # X to move wins at 2
    [0, 4, 1],  # O to move must block at 2
    [4, 0, 8, 2],  # X to move must block at 1
    [0, 4, 8, 2, 6],  # O to move: X threatens 3 and 7
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=400, help="simulations per search (both sides)")
    parser.add_argument("--searches", type=int, default=5, help="searches per position per round (both sides)")
    parser.add_argument("--c", type=float, default=2.0, help="UCT exploration constant (both sides)")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds; the best of each side is kept")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    try:
        import pyspiel
        from open_spiel.python.algorithms import mcts as os_mcts
    except ImportError:
        print("bench/mcts.py needs open_spiel: pip install -e '.[bench]'", file=sys.stderr)
        raise SystemExit(2) from None

    game = TicTacToe()
    os_game = pyspiel.load_game("tic_tac_toe")
    solution = solve(game)
    lines = OPENINGS + TACTICAL
    ours_states, os_states = [], []
    for moves in lines:
        state, os_state = game.initial_state(), os_game.new_initial_state()
        for action in moves:
            state = game.apply(state, action)
            os_state.apply_action(action)
        if sorted(os_state.legal_actions()) != game.legal_actions(
            state
        ) or os_state.current_player() != game.current_player(state):
            raise AssertionError(f"OpenSpiel and searchlab disagree after moves {moves}")
        ours_states.append(state)
        os_states.append(os_state)

    rng = np.random.default_rng(args.seed)
    os_random = np.random.RandomState(args.seed)
    bot = os_mcts.MCTSBot(
        os_game,
        args.c,
        args.simulations,
        os_mcts.RandomRolloutEvaluator(n_rollouts=1, random_state=os_random),
        solve=False,
        random_state=os_random,
    )

    def run_ours() -> tuple[float, float]:
        optimal, start = 0, time.perf_counter()
        for state in ours_states:
            for _ in range(args.searches):
                result = uct_search(game, state, args.simulations, rng, c=args.c)
                if int(result.visits.sum()) != args.simulations:
                    raise AssertionError("searchlab's root visits do not sum to the simulations")
                optimal += result.action in solution.best_actions[state]
        return time.perf_counter() - start, optimal

    def run_openspiel() -> tuple[float, float]:
        optimal, start = 0, time.perf_counter()
        for state, os_state in zip(ours_states, os_states):
            for _ in range(args.searches):
                root = bot.mcts_search(os_state)
                if sum(child.explore_count for child in root.children) + 1 < args.simulations:
                    # OpenSpiel's first simulation scores the root itself, so its children hold one fewer.
                    raise AssertionError("OpenSpiel's root visits do not add up to the simulations")
                optimal += root.best_child().action in solution.best_actions[state]
        return time.perf_counter() - start, optimal

    run_ours(), run_openspiel()  # warm-up (caches, imports)
    ours_times, os_times, ours_optimal, os_optimal = [], [], 0, 0
    for _ in range(args.repeats):
        seconds, optimal = run_ours()
        ours_times.append(seconds)
        ours_optimal += optimal
        seconds, optimal = run_openspiel()
        os_times.append(seconds)
        os_optimal += optimal

    searches = len(lines) * args.searches
    sims = searches * args.simulations
    ours_rate, os_rate = sims / min(ours_times), sims / min(os_times)
    ours_share, os_share = ours_optimal / (searches * args.repeats), os_optimal / (searches * args.repeats)
    print(
        f"{len(lines)} positions x {args.searches} searches x {args.simulations} simulations, c = {args.c}, best of "
        f"{args.repeats}"
    )
    print(f"searchlab uct_search:   {ours_rate:10,.0f} sims/s   optimal move in {ours_share:.1%} of searches")
    print(f"OpenSpiel MCTSBot:      {os_rate:10,.0f} sims/s   optimal move in {os_share:.1%} of searches")
    print(f"ratio: {ours_rate / os_rate:.2f} (goal >= 1)")
    print(
        json.dumps(
            {
                "ratio": round(ours_rate / os_rate, 3),
                "searchlab_sims_per_second": round(ours_rate),
                "openspiel_sims_per_second": round(os_rate),
                "searchlab_optimal_share": round(ours_share, 4),
                "openspiel_optimal_share": round(os_share, 4),
                "positions": len(lines),
                "searches_per_position": args.searches,
                "simulations": args.simulations,
                "c": args.c,
                "repeats": args.repeats,
                "seed": args.seed,
                "goals": {"ratio": ">= 1"},
            }
        )
    )


if __name__ == "__main__":
    main()
