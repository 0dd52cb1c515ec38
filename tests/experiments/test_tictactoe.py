"""The tictactoe experiment end to end: result keys, exact facts, the saved players, resume, bad settings."""

from __future__ import annotations

import io
import json
import shutil
import pytest
from cli_checks import assert_config_refuses, error_line

from searchlab.cli import main
from searchlab.experiments.tictactoe import EXPERIMENT, Config, load_local_strategy
from searchlab.games import play as play_module
from searchlab.games.play import play
from searchlab.games.tables import PositionIndex

pytestmark = pytest.mark.slow  # every test here shares one end-to-end run

FIGURES = ("strategy_space.png", "exhaustive.png", "local_search.png", "network_moves.png")
# A seconds-sized run: tiny round-robin budget, few evaluations, a short network.
TINY = ["--round_robin_seconds", "0.5", "--evaluations", "600", "--seeds", "2", "--net_steps", "200", "--net_holdout", "0.2"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("ttt") / "run"
    assert main(["run", "tictactoe", "--out", str(out), "--no-progress", *TINY]) == 0
    return out, json.loads((out / "result.json").read_text())


def test_result_has_the_issue_keys_with_exact_facts(finished):
    _, result = finished
    assert (result["positions"], result["positions_up_to_symmetry"], result["terminal_positions"], result["games"]) == (5478, 765, 958, 255168)
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


def test_round_robins_are_minimax_optimal_and_the_whole_game_is_priced(finished):
    _, result = finished
    exhaustive = result["exhaustive"]
    assert exhaustive["rows"] and exhaustive["all_optimal"]
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
    assert {row["search"] for row in rows} == {"self_play", "vs_perfect", "random_search"}


def test_the_networks_are_scored_on_every_position(finished):
    _, result = finished
    nets = result["neural"]
    assert set(nets) >= {"moves", "board", "moves_heldout", "board_heldout"}
    assert nets["moves"]["optimal_fraction"] > 0.8  # 200 steps already beat a random table's ~0.57 by far
    assert nets["moves_heldout"]["optimal_fraction_heldout"] is not None


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
