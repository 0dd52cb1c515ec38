"""The tictactoe experiment end to end: result keys, exact facts, the saved players, resume, bad settings."""

from __future__ import annotations

import functools
import io
import json
import shutil

import numpy as np
import pytest

from cli_checks import assert_config_refuses, error_line
from fake_clock import fake_clock
from margins import OPERATORS, margin
from searchlab.cli import main
from searchlab.core.seeding import spawn_seeds
from searchlab.experiments.tictactoe import EXPERIMENT, SEED_SLOTS, Config
from searchlab.games import play as play_module
from searchlab.games.play import play
from searchlab.games.saved_strategies import load_local_strategy
from searchlab.games.tables import PositionIndex

pytestmark = pytest.mark.slow  # every test here shares one end-to-end run

FIGURES = ("strategy_space.png", "exhaustive.png", "local_search.png", "network_moves.png")
# A seconds-sized run: tiny round-robin budget, few evaluations, a short network.
TINY = [
    "--round_robin_seconds",
    "0.5",
    "--evaluations",
    "600",
    "--seeds",
    "2",
    "--net_steps",
    "200",
    "--net_holdout",
    "0.2",
]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("ttt") / "run"
    with pytest.MonkeyPatch.context() as patch:
        fake_clock(patch)
        assert main(["run", "tictactoe", "--out", str(out), "--no-progress", *TINY]) == 0
    return out, json.loads((out / "result.json").read_text())


@functools.cache
def positions() -> PositionIndex:
    return PositionIndex()


def random_move_fraction(ids=None) -> float:
    """The expected optimal-move share of a uniformly random legal move over positions `ids` (all by default):
    about 0.57."""
    index = positions()
    ids = np.arange(index.decisions) if ids is None else ids
    return float(np.mean(index.optimal[ids].sum(axis=1) / index.legal_count[ids]))


NETWORK_SEED = dict(zip(SEED_SLOTS, spawn_seeds(0, len(SEED_SLOTS))))["network"]  # the seed the run's networks get


# Over seeds 0-11 and the run's, 1 and 2 threads: the moves net played the optimal move in 0.9949-0.997 of the
# positions (sd 0.0007; a random move: 0.58), and the held-out net beat a random move on its held-out positions
# by 0.373-0.44 (mean 0.40 +- 0.02).
@margin(seed=NETWORK_SEED, moves=(">", 0.98), heldout_gain_over_random=(">", 0.3))
def tiny_run_networks(seed: int) -> dict[str, float]:
    """The run's moves networks (200 steps): the optimal-move share of the one trained on everything, and the
    held-out share of the one trained without a fifth of the symmetry classes, over a random move's."""
    from searchlab.games.neural import symmetry_split, train_strategy

    config, index = Config(), positions()
    common = dict(output="moves", hidden=config.net_hidden, steps=200, lr=config.net_lr, seed=seed)
    whole = train_strategy(index, **common)
    heldout_run = train_strategy(index, holdout_fraction=0.2, **common)
    _, heldout = symmetry_split(index, 0.2, spawn_seeds(seed, 2)[0])  # the split train_strategy made
    return {
        "moves": whole.metrics["optimal_fraction"],
        "heldout_gain_over_random": heldout_run.metrics["optimal_fraction_heldout"] - random_move_fraction(heldout),
    }


def assert_bounds(quantity, values):
    """Assert a registered quantity's bounds on values the module's run computed."""
    for name, (op, threshold) in quantity.margin.bounds.items():
        assert OPERATORS[op](values[name], threshold), (name, values[name], op, threshold)


def test_result_has_the_issue_keys_with_exact_facts(finished):
    _, result = finished
    assert (result["positions"], result["positions_up_to_symmetry"], result["terminal_positions"], result["games"]) == (
        5478,
        765,
        958,
        255168,
    )
    assert result["value"] == 0
    for mark in ("X", "O"):
        assert set(result["strategies"][mark]) >= {"table_log10", "tree_log10", "never_lose_log10"}
    assert result["strategies"]["X"]["tree_log10"] == pytest.approx(124.15, abs=0.01)
    assert result["strategies"]["O"]["never_lose_log10"] == pytest.approx(268.28, abs=0.01)
    for variant in ("self_play", "vs_perfect", "random_search"):
        search = result["local_search"][variant]
        assert set(search) >= {"evaluations", "losses_vs_perfect", "optimal_fraction"}
        assert len(search["evaluations"]) == len(search["losses_vs_perfect"]) == len(search["optimal_fraction"])
        assert search["evaluations"][-1] == 600 and len(search["runs"]) == 2
        if variant != "self_play":  # scored against perfect play, a search only keeps improvements
            for curve in search["per_run_losses_vs_perfect"]:
                assert all(later <= earlier + 1e-9 for earlier, later in zip(curve, curve[1:]))


def test_round_robins_are_minimax_optimal_and_the_whole_game_is_priced(finished):
    _, result = finished
    exhaustive = result["exhaustive"]
    assert exhaustive["rows"] and exhaustive["all_optimal"]
    assert exhaustive["largest_k"] == 4  # on the fake clock 0.5 s fits k = 1..4, never k = 5's 7.7e8 games
    for row in exhaustive["rows"]:
        assert row["games"] == row["strategies_x"] * row["strategies_o"]
        assert row["x_guarantee"] == row["value"] == row["o_guarantee"]
    assert exhaustive["whole_game"]["games_log10"] == pytest.approx(124.15 + 443.00, abs=0.02)
    assert [s["empty_squares"] for s in exhaustive["game_sizes"]] == list(range(1, 10))


def test_report_figures_and_metrics_are_written(finished):
    out, result = finished
    for name in FIGURES:
        assert (out / "figures" / name).stat().st_size > 1000
    report = result["report"]
    assert report["summary"] and report["tables"] and len(report["figures"]) == len(FIGURES)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert {row["values"]["search"] for row in rows} == {"self_play", "vs_perfect", "random_search"}


def test_the_networks_are_scored_on_every_position(finished):
    from searchlab.games.neural import symmetry_split

    _, result = finished
    nets = result["neural"]
    assert set(nets) >= {"moves", "board", "moves_heldout", "board_heldout"}
    _, heldout = symmetry_split(positions(), 0.2, spawn_seeds(NETWORK_SEED, 2)[0])
    assert nets["moves_heldout"]["heldout_positions"] == heldout.size
    # The numbers `tiny_run_networks` gives at the run's network seed, with its bounds.
    assert_bounds(
        tiny_run_networks,
        {
            "moves": nets["moves"]["optimal_fraction"],
            "heldout_gain_over_random": nets["moves_heldout"]["optimal_fraction_heldout"]
            - random_move_fraction(heldout),
        },
    )


def test_saved_players_load_and_play(finished):
    out, result = finished
    index = PositionIndex()
    table, metadata = load_local_strategy(out)
    index.check_tables(table)
    assert metadata["variant"] == "vs_perfect"
    # The saved local-search table is the reported run's final strategy.
    best = min(result["local_search"]["vs_perfect"]["runs"], key=lambda r: r["final_losses_vs_perfect"])
    assert index.losses_vs(table)[0] * 1000 == pytest.approx(best["final_losses_vs_perfect"], abs=1e-3)
    moves = "".join(f"{square}\n" for square in range(1, 10)) * 9
    for opponent in ("local", "net"):
        text = io.StringIO()
        play(opponent, "X", 0, io.StringIO(moves), text, run=out)
        assert text.getvalue().rstrip().endswith(("You win!", "A draw.", "wins."))


def test_play_without_a_saved_run_makes_a_small_player(monkeypatch, tmp_path):
    monkeypatch.setattr(play_module, "DEFAULT_RUNS", (tmp_path / "none",))
    text = io.StringIO()
    play("local", "O", 1, io.StringIO("".join(f"{s}\n" for s in range(1, 10)) * 9), text)
    assert "No saved tictactoe run found" in text.getvalue()
    assert text.getvalue().rstrip().endswith(("You win!", "A draw.", "wins."))  # the made-up player finished a game


def test_resume_skips_finished_stages_and_gives_the_same_numbers(finished, tmp_path):
    out, result = finished
    copy = tmp_path / "again"
    shutil.copytree(out, copy)
    (copy / "result.json").unlink()
    assert main(["run", "tictactoe", "--out", str(copy), "--no-progress", "--resume", *TINY]) == 0
    again = json.loads((copy / "result.json").read_text())
    for key in ("exhaustive", "local_search"):
        assert again[key] == result[key]
    assert again["neural"]["moves"]["optimal_fraction"] == result["neural"]["moves"]["optimal_fraction"]


def test_sizes_shrink_and_stay_valid():
    full, tour, quick = (EXPERIMENT.make_config(size) for size in ("full", "tour", "quick"))
    assert quick.evaluations <= tour.evaluations <= full.evaluations
    assert quick.round_robin_seconds <= tour.round_robin_seconds <= full.round_robin_seconds


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"variants": ("hill_climb",)}, ["hill_climb", "--variants"]),
        ({"variants": ()}, ["--variants"]),
        ({"variants": ("self_play", "self_play")}, ["twice"]),
        ({"evaluations": 0}, ["--evaluations"]),
        ({"changes": 0}, ["--changes"]),
        ({"round_robin_seconds": -1.0}, ["--round_robin_seconds"]),
        ({"net_holdout": 1.0}, ["--net_holdout"]),
        ({"net_hidden": ()}, ["--net_hidden"]),
        ({"seeds": 0}, ["--seeds"]),
    ],
)
def test_bad_settings_are_refused(settings, words):
    assert_config_refuses(Config, settings, words)


def test_bad_settings_through_the_cli_leave_nothing_behind(capsys, tmp_path):
    out = tmp_path / "run"
    line = error_line(capsys, ["run", "tictactoe", "--out", str(out), "--evaluations", "lots"])
    assert "--evaluations" in line and not out.exists()
    line = error_line(capsys, ["play", "tictactoe", "--against", "net", "--run", str(tmp_path)])
    assert "no saved strategies" in line


def test_a_corrupt_saved_strategy_is_a_clear_error(tmp_path):
    from searchlab.core.errors import SearchlabError

    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "local_search.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(SearchlabError, match="not a readable strategy"):
        load_local_strategy(tmp_path)
