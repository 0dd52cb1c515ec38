"""Games per second: searchlab's batched Tic-Tac-Toe engine against OpenSpiel's C++ tic_tac_toe.

Measured in this one run, each for a fixed time budget (`--seconds`) after a
warm-up, best of 3 repetitions:

1. searchlab self-play: `PositionIndex.play` on batches of games, each between
   two random lookup-table strategies (drawn from `random_tables`) from the empty board;
2. searchlab random playouts: `PositionIndex.random_playouts` on batches of games;
3. the reference, OpenSpiel's `tic_tac_toe` driven the way a Python user drives it:
   (a) random playouts: new_initial_state, legal_actions, apply_action with a seeded
       `random.Random`, until is_terminal;
   (b) lookup-table games: both players read their move from a Python dict keyed by
       `str(state)`, the dicts built from the same searchlab tables (OpenSpiel's
       positions mapped to searchlab's by walking both games move by move).

Checked on the way (cheap): OpenSpiel numbers the cells row-major 0..8 and makes X
player 0 as searchlab does (every reachable position compared board by board); the
random-playout result frequencies of both agree with the exact ones (X 58.5%,
O 28.8%, draw 12.7%) within sampling error; and the lookup-table games played
through OpenSpiel give exactly the results of `index.play` on the same table pairs.

Also timed: solving every position with minimax (goal: under 1 second), and the three
searches of `games.selfplay.search` (`--evaluations` each, seed 0): candidate strategies
scored per second. A self-play evaluation is a match of 2 x 82 games, so the self-play
search's rate times 164 is set against OpenSpiel's lookup-table games per second
(`search_ratio`): the whole search loop, not only the engine, must outrun driving
OpenSpiel from Python.

Goal: searchlab / OpenSpiel >= 1 for both ratios. Needs open_spiel
(`pip install -e '.[bench]'`). Run: `python bench/selfplay.py [--seconds 1] [--seed 0]`.

Prints readable lines, then a JSON object as the last line:
{"selfplay_games_per_second": ..., "random_playouts_per_second": ...,
 "openspiel_random_playouts_per_second": ..., "openspiel_table_games_per_second": ...,
 "selfplay_ratio": ..., "random_playout_ratio": ..., ...}
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

import numpy as np

from searchlab.games import TicTacToe
from searchlab.games.minimax import solve
from searchlab.games.selfplay import VARIANTS, openings, search
from searchlab.games.tables import MAX_PLIES, PositionIndex

REPEATS = 3
TABLES = 64  # K lookup-table strategies; games pair them at random
OPENSPIEL_CHUNK = 200  # OpenSpiel games per timed call (the clock is read between calls)
EQUALITY_GAMES = 500  # table games compared one by one between OpenSpiel and index.play
SIGMAS = 5.0  # allowed deviation of a frequency from the exact probability, in standard errors
MARK = {"x": 1, "o": -1, ".": 0}


def games_per_second(step, seconds: float, repeats: int = REPEATS) -> float:
    """Best rate over `repeats` timed windows of about `seconds` each; `step()` plays games and returns how many."""
    step()  # warm-up
    rates = []
    for _ in range(repeats):
        games, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            games += step()
        rates.append(games / elapsed)
    return max(rates)


def exact_random_outcomes(index: PositionIndex) -> np.ndarray:
    """Exact probabilities of (X wins, O wins, draw) when both sides move uniformly at random."""
    prob = np.zeros(len(index))
    prob[index.root] = 1.0
    for ply in range(MAX_PLIES):
        parent, action = np.nonzero(index.legal & (index.marks == ply)[:, None])
        np.add.at(prob, index.children[parent, action], prob[parent] / index.legal_count[parent])
    finished = np.arange(len(index)) >= index.decisions
    return np.array([prob[finished & (index.outcome == value)].sum() for value in (1, -1, 0)])


def counts_of(results: np.ndarray) -> np.ndarray:
    """(X wins, O wins, draws) counted from results on X's side."""
    return np.bincount(np.asarray(results, dtype=np.int64) + 1, minlength=3)[[2, 0, 1]]


def check_frequencies(name: str, counts: np.ndarray, exact: np.ndarray) -> np.ndarray:
    n = counts.sum()
    freq = counts / n
    error = np.sqrt(exact * (1 - exact) / n)
    if np.any(np.abs(freq - exact) > SIGMAS * error):
        raise AssertionError(
            f"{name}: random-playout frequencies {freq.round(4)} over {n} games differ from exact {exact.round(4)}"
        )
    return freq


def openspiel_positions(game, index: PositionIndex) -> dict[str, int]:
    """str(state) -> searchlab position id for every reachable OpenSpiel state, checking the two games agree.

    Walks OpenSpiel's game and searchlab's side by side, applying the same action
    number to both, so a matching board everywhere means the cells are numbered alike.
    """
    sl_game = index.game
    root = game.new_initial_state()
    keys = {str(root): index.root}
    frontier = [(root, index.states[index.root])]
    while frontier:
        state, ours = frontier.pop()
        if state.is_terminal():
            if not sl_game.is_terminal(ours) or state.returns()[0] != sl_game.returns(ours):
                raise AssertionError(f"OpenSpiel and searchlab disagree on the end of {ours}")
            continue
        if state.current_player() != sl_game.current_player(ours) or sorted(state.legal_actions()) != sorted(
            sl_game.legal_actions(ours)
        ):
            raise AssertionError(f"OpenSpiel and searchlab disagree on who moves or the legal moves in {ours}")
        for action in state.legal_actions():
            child, ours_child = state.child(action), sl_game.apply(ours, action)
            key = str(child)
            board = tuple(MARK[c] for c in key if c in MARK)
            if board != tuple(ours_child):
                raise AssertionError(
                    f"after action {action}: OpenSpiel's board {key!r} is not searchlab's {ours_child}"
                )
            if key not in keys:
                keys[key] = index.id_of(ours_child)
                frontier.append((child, ours_child))
    if len(keys) != len(index):
        raise AssertionError(f"OpenSpiel reaches {len(keys)} positions, searchlab {len(index)}")
    return keys


def openspiel_table_game(game, x_table: dict[str, int], o_table: dict[str, int]) -> float:
    """One game through OpenSpiel, each player reading its move from a dict keyed by str(state)."""
    state = game.new_initial_state()
    tables = (x_table, o_table)
    while not state.is_terminal():
        state.apply_action(tables[state.current_player()][str(state)])
    return state.returns()[0]


def openspiel_random_game(game, rng: random.Random) -> float:
    """One game of uniformly random legal moves through OpenSpiel, as a Python user writes it."""
    state = game.new_initial_state()
    while not state.is_terminal():
        state.apply_action(rng.choice(state.legal_actions()))
    return state.returns()[0]


def search_rate(index: PositionIndex, variant: str, evaluations: int, repeats: int = REPEATS) -> float:
    """Best rate, in candidate strategies scored per second, of `repeats` seeded searches (after a warm-up)."""
    search(index, variant, evaluations=min(evaluations, 500), seed_rng=np.random.default_rng(0))
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        search(index, variant, evaluations=evaluations, seed_rng=np.random.default_rng(0))
        rates.append(evaluations / (time.perf_counter() - start))
    return max(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of each timed window (3 per measurement)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=65536, help="games per call of searchlab's batched engine")
    parser.add_argument("--evaluations", type=int, default=6000, help="candidates each timed search scores")
    args = parser.parse_args()
    try:
        import pyspiel
    except ImportError:
        print("bench/selfplay.py needs open_spiel: pip install -e '.[bench]'", file=sys.stderr)
        raise SystemExit(2) from None

    # Solving first, while the rules' caches are cold, as in a fresh process.
    start = time.perf_counter()
    solution = solve(TicTacToe())
    solve_seconds = time.perf_counter() - start
    print(f"minimax solve of all {len(solution.values):,} positions: {solve_seconds:.3f} s (goal: under 1 s)")
    index = PositionIndex(solution=solution)
    game = pyspiel.load_game("tic_tac_toe")
    rng = np.random.default_rng(args.seed)
    exact = exact_random_outcomes(index)
    print(f"exact random-play outcomes: X {exact[0]:.4f}, O {exact[1]:.4f}, draw {exact[2]:.4f}")

    # The same positions, the same numbering: then a searchlab table becomes an OpenSpiel dict.
    keys = openspiel_positions(game, index)
    print(
        f"OpenSpiel's tic_tac_toe matches searchlab on all {len(keys)} positions (cells row-major 0..8, X is player 0)"
    )
    tables = index.random_tables(TABLES, rng)
    dicts = [{key: int(table[p]) for key, p in keys.items() if p < index.decisions} for table in tables]

    # Exact equality of results, game by game, on the same table pairs.
    x_rows, o_rows = rng.integers(TABLES, size=(2, EQUALITY_GAMES))
    ours = index.play(tables, x_rows, o_rows, index.root)
    theirs = np.array([openspiel_table_game(game, dicts[x], dicts[o]) for x, o in zip(x_rows, o_rows)])
    if not np.array_equal(ours, theirs):
        bad = int(np.flatnonzero(ours != theirs)[0])
        raise AssertionError(f"table game {bad}: index.play gives {ours[bad]}, OpenSpiel {theirs[bad]}")
    print(f"{EQUALITY_GAMES} lookup-table games: OpenSpiel and index.play give identical results")

    # 1. searchlab self-play between lookup tables, one batch per call.
    x_rows, o_rows = rng.integers(TABLES, size=(2, args.batch))
    starts = np.full(args.batch, index.root)
    selfplay = games_per_second(lambda: index.play(tables, x_rows, o_rows, starts).size, args.seconds)

    # 2. searchlab random playouts.
    sl_counts = np.zeros(3, dtype=np.int64)

    def sl_random() -> int:
        nonlocal sl_counts
        sl_counts += counts_of(index.random_playouts(args.batch, rng))
        return args.batch

    sl_playouts = games_per_second(sl_random, args.seconds)

    # 3a. OpenSpiel random playouts, driven from Python.
    py_rng = random.Random(args.seed)
    os_counts = np.zeros(3, dtype=np.int64)

    def os_random() -> int:
        nonlocal os_counts
        os_counts += counts_of([openspiel_random_game(game, py_rng) for _ in range(OPENSPIEL_CHUNK)])
        return OPENSPIEL_CHUNK

    os_playouts = games_per_second(os_random, args.seconds)

    # 3b. OpenSpiel lookup-table games: dicts keyed by str(state), pairs cycled from the same draw.
    pairs = [(dicts[x], dicts[o]) for x, o in zip(x_rows[: OPENSPIEL_CHUNK * 10], o_rows[: OPENSPIEL_CHUNK * 10])]
    cursor = 0

    def os_tables() -> int:
        nonlocal cursor
        chunk = pairs[cursor : cursor + OPENSPIEL_CHUNK]
        cursor = (cursor + OPENSPIEL_CHUNK) % len(pairs)
        for x_table, o_table in chunk:
            openspiel_table_game(game, x_table, o_table)
        return len(chunk)

    os_table_games = games_per_second(os_tables, args.seconds)

    # 4. the searches themselves (best of REPEATS runs each, after one warm-up run).
    search_rates = {variant: search_rate(index, variant, args.evaluations) for variant in VARIANTS}
    match_games = 2 * openings(index).size
    search_ratio = search_rates["self_play"] * match_games / os_table_games

    sl_freq = check_frequencies("searchlab", sl_counts, exact)
    os_freq = check_frequencies("OpenSpiel", os_counts, exact)
    for name, freq, counts in (("searchlab", sl_freq, sl_counts), ("OpenSpiel", os_freq, os_counts)):
        print(
            f"{name:>9} random playouts: X {freq[0]:.4f}, O {freq[1]:.4f}, draw {freq[2]:.4f} over {counts.sum()} "
            "games "
            f"(within {SIGMAS:g} standard errors of exact)"
        )

    print(f"searchlab self-play (lookup tables, batch {args.batch}): {selfplay:12,.0f} games/s")
    print(
        f"OpenSpiel lookup-table games (dicts by str(state)):  {os_table_games:12,.0f} games/s  ratio "
        f"{selfplay / os_table_games:8.1f}"
    )
    print(f"searchlab random playouts (batch {args.batch}):        {sl_playouts:12,.0f} games/s")
    print(
        f"OpenSpiel random playouts (random.Random):          {os_playouts:12,.0f} games/s  ratio "
        f"{sl_playouts / os_playouts:8.1f}"
    )
    for variant, rate in search_rates.items():
        print(f"search {variant:>13} ({args.evaluations} evaluations): {rate:12,.0f} evaluations/s")
    print(
        f"self-play search x {match_games} games per evaluation vs OpenSpiel lookup-table games: ratio "
        f"{search_ratio:8.1f}"
    )
    print(
        json.dumps(
            {
                "selfplay_games_per_second": round(selfplay),
                "random_playouts_per_second": round(sl_playouts),
                "openspiel_random_playouts_per_second": round(os_playouts),
                "openspiel_table_games_per_second": round(os_table_games),
                "selfplay_ratio": round(selfplay / os_table_games, 2),
                "random_playout_ratio": round(sl_playouts / os_playouts, 2),
                "solve_seconds": round(solve_seconds, 4),
                "search_evaluations_per_second": {v: round(rate) for v, rate in search_rates.items()},
                "search_ratio": round(search_ratio, 2),
                "batch": args.batch,
                "seconds": args.seconds,
                "seed": args.seed,
                "goals": {
                    "selfplay_ratio": ">= 1",
                    "random_playout_ratio": ">= 1",
                    "search_ratio": ">= 1",
                    "solve_seconds": "< 1",
                },
            }
        )
    )


if __name__ == "__main__":
    main()
