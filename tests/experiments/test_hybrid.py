"""The hybrid experiment: its pieces against the solver, a tiny run end to end, resume, and bad settings."""

from __future__ import annotations

import dataclasses
import functools
import json
import shutil
import tempfile

import numpy as np
import pytest

from cli_checks import assert_config_refuses, error_line
from margins import OPERATORS, check, margin
from searchlab.cli import main
from searchlab.core.device import cpu_threads
from searchlab.core.seeding import spawn_seeds
from searchlab.experiments.hybrid import EXPERIMENT, METHODS, NETWORK_FILE, Config, alphazero_settings
from searchlab.experiments.hybrid_movers import (
    PerfectPlayer,
    losses_vs_perfect,
    make_mover,
    optimal_fraction,
    sample_positions,
)
from searchlab.games import GAMES, ConnectFour, TicTacToe

ROW_FIELDS = {"game", "method", "simulations", "optimal_fraction", "losses_vs_perfect"}
TRAINING_FIELDS = {"iteration", "wins", "draws", "losses", "score", "accepted"}
# A seconds-sized run: one short training iteration, few positions and games.
TINY = [
    "--elo_games",
    "4",
    "--elo_simulations",
    "8",
    "--iterations",
    "2",
    "--selfplay_games",
    "8",
    "--train_steps",
    "30",
    "--arena_games",
    "2",
    "--positions",
    "40",
    "--simulations",
    "1,16,128",
    "--games_vs_perfect",
    "4",
]


def perfect_mover(perfect: PerfectPlayer):
    return lambda states, rngs, plies: [perfect.optimal_actions(s)[0] for s in states]


@functools.cache
def perfect_player(name: str) -> PerfectPlayer:
    """One solver per game for the whole module: it remembers every position it has solved."""
    return PerfectPlayer(GAMES[name]())


def assert_bounds(quantity, values):
    """Assert a registered quantity's bounds on values the module's run computed."""
    for name, (op, threshold) in quantity.margin.bounds.items():
        assert OPERATORS[op](values[name], threshold), (name, values[name], op, threshold)


def random_losses(name: str, seed: int) -> float:
    perfect = perfect_player(name)
    return losses_vs_perfect(
        perfect.game, perfect, make_mover("random", perfect.game, None, 0, 1.5), RANDOM_GAMES, seed=seed
    )


RANDOM_GAMES = 10


# Over seeds 0-9 (numpy and the solvers only: no torch): the random mover lost 0.8-1.0 of 10 Tic-Tac-Toe games
# (mean 0.89 +- 0.09) and 0.9-1.0 on the 4x5 Connect Four board (0.92 +- 0.04). The perfect player never loses.
@margin(seed=0, losses=(">", 0.5))
def random_vs_perfect_tictactoe(seed: int) -> dict[str, float]:
    """The share of games the random mover loses to the perfect player at Tic-Tac-Toe (perfect play never loses)."""
    return {"losses": random_losses("tictactoe", seed)}


@margin(seed=0, losses=(">", 0.7))
def random_vs_perfect_connect4_small(seed: int) -> dict[str, float]:
    """The same on Connect Four's 4x5 board."""
    return {"losses": random_losses("connect4-small", seed)}


@pytest.mark.parametrize("game", [TicTacToe(), ConnectFour.small()], ids=lambda g: g.name)
def test_positions_are_distinct_contested_and_seeded(game):
    perfect = perfect_player(game.name)  # the module's solver: exact, and it remembers what it solved
    positions = sample_positions(game, perfect, 30, seed=1)
    assert len(positions) == len(set(positions)) == 30
    assert positions == sample_positions(game, perfect, 30, seed=1)
    for state in positions:
        assert not game.is_terminal(state)
        assert 0 < len(perfect.optimal_actions(state)) < len(game.legal_actions(state))


@pytest.mark.parametrize("game", [TicTacToe(), ConnectFour.small()], ids=lambda g: g.name)
def test_the_perfect_player_never_loses_to_itself_and_beats_random(game):
    perfect = perfect_player(game.name)
    assert losses_vs_perfect(game, perfect, perfect_mover(perfect), 6, seed=0) == 0.0
    check(random_vs_perfect_tictactoe if game.name == "tictactoe" else random_vs_perfect_connect4_small)
    positions = sample_positions(game, perfect, 20, seed=2)
    optimal = [perfect.optimal_actions(s) for s in positions]
    assert optimal_fraction(perfect_mover(perfect), positions, optimal, seed=0) == 1.0


def tiny_config(game: str, seed: int, simulations: tuple[int, ...]) -> Config:
    return Config(
        seed=seed,
        game=game,
        iterations=2,
        selfplay_games=8,
        train_steps=30,
        arena_games=2,
        positions=40,
        simulations=simulations,
        games_vs_perfect=4,
    )


def search_gains(config: Config, methods: dict[str, int]) -> dict[str, float]:
    """What the run's ablation measures for `methods` ({method: simulations}): each one's optimal-move share on the
    run's positions minus a random move's (its exact expectation), with the run's seeds. PUCT needs the run's
    network."""
    perfect = perfect_player(config.game)
    game = perfect.game
    train_seed, positions_seed, moves_seed, _ = spawn_seeds(config.seed, 4)
    net = None
    if "puct" in methods:
        from searchlab.games.alphazero import train

        with tempfile.TemporaryDirectory() as folder:
            net, _ = train(game, alphazero_settings(config), folder, seed=train_seed, progress=False)
    positions = sample_positions(game, perfect, config.positions, positions_seed)
    optimal = [perfect.optimal_actions(s) for s in positions]
    random_share = float(np.mean([len(o) / len(game.legal_actions(s)) for s, o in zip(positions, optimal)]))
    gains = {}
    with cpu_threads(1):
        for method, simulations in methods.items():
            mover = make_mover(method, game, net, simulations, config.c_puct)
            gains[f"{method}_gain"] = optimal_fraction(mover, positions, optimal, moves_seed) - random_share
    return gains


# Over seeds 0-9 (training and searches pin one thread, as in the run): UCT beat a random move by 0.43-0.56
# (mean 0.50 +- 0.04), PUCT with the tiny network by 0.39-0.63 (0.50 +- 0.07). A random move gains 0.
@margin(seed=0, uct_gain=(">", 0.3), puct_gain=(">", 0.15))
def tiny_tictactoe_run(seed: int) -> dict[str, float]:
    """The tiny run's UCT and PUCT at 128 simulations on 40 Tic-Tac-Toe positions: optimal-move share over a random
    move's."""
    return search_gains(tiny_config("tictactoe", seed, (1, 16, 128)), {"uct": 128, "puct": 128})


# On 40 positions UCT's gain over a random move spread too much to bound well above 0 (seeds 0-10: 0.165-0.43,
# mean 0.30 +- 0.075); on 100 positions 0.25-0.40 (mean 0.33 +- 0.043; numpy only, so no thread dependence).
@margin(seed=0, uct_gain=(">", 0.1))
def tiny_connect_four_run(seed: int) -> dict[str, float]:
    """The tiny Connect Four run's UCT at 64 simulations on 100 positions of the 4x5 board, over a random move."""
    return search_gains(dataclasses.replace(tiny_config("connect4-small", seed, (64,)), positions=100), {"uct": 64})


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("hybrid") / "run"
    assert main(["run", "hybrid", "--out", str(out), "--no-progress", *TINY]) == 0
    return out, json.loads((out / "result.json").read_text())


@pytest.mark.slow
def test_result_has_the_issue_keys_and_rows(finished):
    _, result = finished
    assert result["essay_section"] == "Example datasets and performance metrics"
    rows = result["ablation"]
    assert all(set(row) >= ROW_FIELDS for row in rows)
    assert {row["method"] for row in rows} == set(METHODS)
    assert sorted(row["simulations"] for row in rows if row["method"] == "puct") == [1, 16, 128]
    assert all(0.0 <= row["optimal_fraction"] <= 1.0 and 0.0 <= row["losses_vs_perfect"] <= 1.0 for row in rows)
    assert all(
        row["losses_vs_perfect"] * row["games"] == int(row["losses_vs_perfect"] * row["games"]) for row in rows
    )  # whole games
    assert [row["iteration"] for row in result["training"]] == [0, 1]
    assert all(
        set(row) >= TRAINING_FIELDS and row["wins"] + row["draws"] + row["losses"] == 2 for row in result["training"]
    )
    # The network alone and PUCT with one simulation both play the network's top move.
    by = {(row["method"], row["simulations"]): row for row in rows}
    assert by["puct", 1]["optimal_fraction"] == by["network", 0]["optimal_fraction"]
    # The random row is the exact expectation over the run's positions: recomputed here from the solver.
    perfect = perfect_player("tictactoe")
    positions = sample_positions(perfect.game, perfect, 40, spawn_seeds(0, 4)[1])
    random_share = np.mean([len(perfect.optimal_actions(s)) / len(perfect.game.legal_actions(s)) for s in positions])
    assert by["random", 0]["optimal_fraction"] == pytest.approx(random_share, abs=1e-5)
    # The search rows are what `tiny_tictactoe_run` measures at this seed, with its bounds.
    assert_bounds(
        tiny_tictactoe_run,
        {f"{m}_gain": by[m, 128]["optimal_fraction"] - by["random", 0]["optimal_fraction"] for m in ("uct", "puct")},
    )


@pytest.mark.slow
def test_the_model_plus_search_claim_is_a_paired_difference_with_a_computed_verdict(finished):
    from searchlab.core.intervals import CLAIM_KEYS, Interval, verdict

    out, result = finished
    claim = next(row for row in result["claims"] if row["id"] == "model_plus_search_beats_model")
    assert tuple(claim) == CLAIM_KEYS and claim["seeds"] == 1
    by = {(row["method"], row["simulations"]): row for row in result["ablation"]}
    # A paired mean is the difference of the two shares on the same positions.
    gap = by["puct", 128]["optimal_fraction"] - by["network", 0]["optimal_fraction"]
    assert claim["estimate"] == pytest.approx(gap, abs=1e-4)
    assert claim["ci_low"] <= claim["estimate"] <= claim["ci_high"]
    interval = Interval(claim["estimate"], claim["ci_low"], claim["ci_high"], 40)
    assert claim["verdict"] == verdict(interval, 0.0)  # computed by the stated rule, not typed
    network, random_move = by["network", 0]["optimal_fraction"], by["random", 0]["optimal_fraction"]
    assert claim["baseline"] == f"network alone {network:.3f}, random alone {random_move:.3f}"
    saved = json.loads((out / "checkpoints" / "ablation" / "puct-128.json").read_text())
    assert len(saved["optimal_by_position"]) == 40 and "optimal_by_position" not in by["puct", 128]
    assert saved["seconds_per_position"] > 0


def test_every_player_is_rated_against_every_other(finished):
    _, result = finished
    elo = result["elo"]
    assert elo["players"] == ["random", "network", "uct-8", "puct-8", "perfect"]
    wins, draws = np.array(elo["wins"]), np.array(elo["draws"])
    played = wins + wins.T + draws
    assert (played[~np.eye(5, dtype=bool)] == elo["games_per_pair"]).all() and elo["games_per_pair"] == 4
    ratings = {row["player"]: row for row in elo["ratings"]}
    assert ratings["random"]["elo"] == 0.0
    assert all(r["ci_low"] <= r["elo"] <= r["ci_high"] for r in ratings.values())
    assert any(table["title"].startswith("Elo ratings") for table in result["report"]["tables"])


@pytest.mark.slow
def test_damaged_per_position_scores_are_one_error_line_naming_the_file(finished, tmp_path, capsys):
    out, _ = finished
    copy = tmp_path / "damaged"
    shutil.copytree(out, copy)
    cell = copy / "checkpoints" / "ablation" / "network-0.json"
    saved = json.loads(cell.read_text())
    saved["optimal_by_position"] = saved["optimal_by_position"][:-1]
    cell.write_text(json.dumps(saved))
    (copy / "result.json").unlink()
    assert main(["run", "hybrid", "--out", str(copy), "--no-progress", "--resume", *TINY]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(cell) in err[0] and "per-position" in err[0]


@pytest.mark.slow
def test_report_figures_metrics_and_network_are_written(finished):
    out, result = finished
    report = result["report"]
    assert report["summary"] and len(report["tables"]) == 3 and len(report["headline"]) == 3
    for figure in report["figures"]:
        assert (out / figure["path"]).stat().st_size > 1000
    stages = [json.loads(line)["values"]["stage"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert stages.count("training") == 2 and stages.count("ablation") == len(result["ablation"])
    from searchlab.games.policy_value import load_net

    assert tuple(load_net(out / NETWORK_FILE).observation_shape) == TicTacToe().observation_shape


@pytest.mark.slow
def test_resume_skips_finished_stages_and_gives_the_same_numbers(finished, tmp_path):
    out, result = finished
    copy = tmp_path / "again"
    shutil.copytree(out, copy)
    (copy / "result.json").unlink()
    (copy / "checkpoints" / "ablation" / "puct-128.json").unlink()  # as if stopped before the last mover
    assert main(["run", "hybrid", "--out", str(copy), "--no-progress", "--resume", *TINY]) == 0
    again = json.loads((copy / "result.json").read_text())
    assert again["training"] == result["training"]
    timed = ("seconds", "seconds_per_position")
    untimed = [[{k: v for k, v in row.items() if k not in timed} for row in r["ablation"]] for r in (result, again)]
    assert untimed[0] == untimed[1]


@pytest.mark.slow
def test_a_tiny_connect_four_run(tmp_path):
    out = tmp_path / "c4"
    argv = [
        "run",
        "hybrid",
        "--game",
        "connect4-small",
        "--out",
        str(out),
        "--no-progress",
        *TINY[:-4],
        "--simulations",
        "64",
        "--games_vs_perfect",
        "2",
        "--positions",
        "100",
    ]
    assert main(argv) == 0
    result = json.loads((out / "result.json").read_text())
    assert {row["game"] for row in result["ablation"]} == {"connect4-small"}
    by = {(row["method"], row["simulations"]): row for row in result["ablation"]}
    assert_bounds(
        tiny_connect_four_run, {"uct_gain": by["uct", 64]["optimal_fraction"] - by["random", 0]["optimal_fraction"]}
    )


def test_sizes_shrink_and_stay_valid():
    full, tour, quick = (EXPERIMENT.make_config(size) for size in ("full", "tour", "quick"))
    assert quick.iterations <= tour.iterations <= full.iterations
    assert quick.positions <= tour.positions <= full.positions
    assert max(quick.simulations) <= max(tour.simulations) <= max(full.simulations)


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"game": "chess"}, ["--game", "chess", "tictactoe", "connect4-small"]),
        ({"device": "tpu"}, ["--device"]),
        ({"positions": -5}, ["--positions"]),
        ({"iterations": 0}, ["--iterations"]),
        ({"games_vs_perfect": 0}, ["--games_vs_perfect"]),
        ({"arena_games": -1}, ["--arena_games"]),
        ({"simulations": (16, 4)}, ["--simulations", "increasing"]),
        ({"simulations": (0, 4)}, ["--simulations"]),
        ({"simulations": ()}, ["--simulations"]),
        ({"c_puct": 0.0}, ["--c_puct"]),
    ],
)
def test_bad_settings_are_refused(settings, words):
    assert_config_refuses(Config, settings, words)


@pytest.mark.parametrize(
    "argv, word",
    [
        (["--game", "go"], "--game"),
        (["--positions", "-3"], "--positions"),
        (["--simulations", "lots"], "--simulations"),
    ],
)
def test_bad_settings_through_the_cli_leave_nothing_behind(capsys, tmp_path, argv, word):
    out = tmp_path / "run"
    assert word in error_line(capsys, ["run", "hybrid", "--out", str(out), *argv])
    assert not out.exists()


def test_the_random_mover_is_seeded():
    game = TicTacToe()
    mover = make_mover("random", game, None, 0, 1.5)
    states = [game.initial_state()] * 5
    first = mover(states, [np.random.default_rng(s) for s in range(5)], [0] * 5)
    assert first == mover(states, [np.random.default_rng(s) for s in range(5)], [0] * 5)


def test_full_size_training_depends_on_the_game_and_the_users_value_wins():
    from searchlab.experiments.hybrid import EXPERIMENT

    small, ttt = EXPERIMENT.make_config("full", game="connect4-small"), EXPERIMENT.make_config("full")
    assert (ttt.iterations, ttt.selfplay_simulations, ttt.train_steps) == (60, 50, 200)
    assert (small.iterations, small.selfplay_simulations, small.train_steps) == (80, 100, 300)
    assert EXPERIMENT.make_config("full", game="connect4-small", iterations=5).iterations == 5
    assert EXPERIMENT.make_config("quick", game="connect4-small").selfplay_simulations == 50
