"""The scaling experiment: grid sizes, config checks, the analysis on known laws, and a small run end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_checks import assert_config_refuses, error_line

from searchlab.cli import main
from searchlab.experiments.scaling import EXPERIMENT, Config, analyse, prepare
from searchlab.scaling import laws


def test_every_size_sweeps_two_orders_of_magnitude_of_data():
    for size in ("full", "tour", "quick"):
        config = EXPERIMENT.make_config(size)
        assert config.mlp_examples[-1] / config.mlp_examples[0] >= 100
        assert config.lm_characters[-1] / config.lm_characters[0] >= 100
        # Parameters grow about as width squared: two orders of magnitude need a width ratio of 10 or more.
        assert config.mlp_widths[-1] / config.mlp_widths[0] >= 10
        assert config.lm_widths[-1] / config.lm_widths[0] >= 8
    full, quick = EXPERIMENT.make_config("full"), EXPERIMENT.make_config("quick")
    assert len(prepare(quick).ordered) < len(prepare(full).ordered)
    assert full.mlp_seeds >= 2 and full.lm_seeds >= 2


def test_the_plan_has_every_cell_and_seed_and_starts_the_slowest_first():
    config = Config(mlp_widths=(2, 4), mlp_examples=(64, 128, 256), mlp_seeds=2, lm_widths=(8, 16), lm_characters=(1000, 2000, 4000), lm_seeds=1)
    plan = prepare(config)
    assert len(plan.trials["mlp"]) == 2 * 3 * 2 and len(plan.trials["charlm"]) == 2 * 3
    assert len({t.key for t in plan.ordered}) == 18
    assert plan.ordered[0].params_dict["task"] == "charlm" and plan.ordered[0].params_dict["width"] == 16
    assert {t.seed for t in plan.trials["mlp"]} == {0, 1}


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"tasks": ("mlp", "vision")}, ["vision", "--tasks"]),
        ({"tasks": ()}, ["--tasks"]),
        ({"mlp_widths": (8, 4)}, ["--mlp_widths", "increase"]),
        ({"lm_characters": (4000,)}, ["--lm_characters", "at least 2"]),
        ({"mlp_data": "digits"}, ["digits", "1500"]),
        ({"lm_widths": (8, 15)}, ["--lm_widths", "even"]),
        ({"device": "cuda"}, ["--device", "CPU"]),
        ({"backend": "slurm"}, ["--backend"]),
        ({"target": -1.0}, ["--target"]),
        ({"lm_widths": (8, 16), "lm_characters": (1000, 2000), "lm_seeds": 1}, ["charlm", "at least 6"]),
    ],
)
def test_bad_configs_are_refused(settings, words):
    assert_config_refuses(Config, settings, words)


def test_bad_settings_on_the_command_line_are_one_line_errors(capsys, tmp_path):
    out = tmp_path / "run"
    assert "--mlp_widths" in error_line(capsys, ["run", "scaling", "--out", str(out), "--mlp_widths", "64,8"])
    assert "--workers" in error_line(capsys, ["run", "scaling", "--out", str(out), "--workers", "-1"])
    assert not out.exists()


def _law_rows(seed: int = 0) -> list[dict]:
    """Trials whose loss follows a Chinchilla law with 1% noise: E = 0.1, A = 3, B = 20, a = 0.4, b = 0.3."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in np.geomspace(30, 30_000, 6).round():
        for d in np.geomspace(64, 16_384, 6).round():
            for s in range(2):
                loss = laws.chinchilla(n, d, 0.1, 3.0, 20.0, 0.4, 0.3) * rng.lognormal(0, 0.01)
                rows.append({"params": int(n), "examples": int(d), "loss": float(loss), "seed": s})
    return rows


def test_the_analysis_recovers_a_known_law_and_orders_the_sizes():
    analysis = analyse(_law_rows(), target=None)
    fitted = analysis["fits"]["chinchilla"]["params"]
    assert fitted["a"] == pytest.approx(0.4, rel=0.05) and fitted["b"] == pytest.approx(0.3, rel=0.05)
    # Fitted without the largest model and data, the law still predicts them closely.
    assert analysis["heldout_prediction_error"]["chinchilla"]["mean_abs_relative_error"] < 0.03
    # The target is what the smallest model reaches with all the data; bigger models need fewer examples.
    needed = [row["examples"] for row in analysis["examples_to_target"]]
    assert all(d is not None for d in needed)
    assert needed == sorted(needed, reverse=True)
    losses = [row["loss"] for row in analysis["loss_at_largest_data"]]
    assert losses == sorted(losses, reverse=True)
    # The compute-optimal split grows both N and D with the budget.
    optimal = analysis["compute_optimal"]["chinchilla"]
    assert [r["N_opt"] for r in optimal] == sorted(r["N_opt"] for r in optimal)
    assert [r["D_opt"] for r in optimal] == sorted(r["D_opt"] for r in optimal)
    json.dumps(analysis, allow_nan=False)  # result.json material: strict JSON


# A run that takes seconds: two small MLP widths and two tiny language models on short texts.
SMALL = ["--mlp_widths", "2,8", "--mlp_examples", "64,256,1024", "--mlp_seeds", "2",
         "--lm_widths", "8,16", "--lm_characters", "1000,2000,4000", "--lm_seeds", "1", "--lm_steps", "20", "--workers", "2"]


@pytest.mark.slow
def test_a_small_run_end_to_end_and_resumed(tmp_path):
    out = tmp_path / "scaling"
    assert main(["run", "scaling", "--out", str(out), "--no-progress", *SMALL]) == 0
    result = json.loads((out / "result.json").read_text())
    assert set(result) >= {"trials", "fits", "heldout_prediction_error", "examples_to_target"}
    assert len(result["trials"]) == 12 + 6
    assert {"params", "examples", "seed", "loss"} <= set(result["trials"][0])
    for form in ("kaplan", "chinchilla"):
        assert set(result["fits"][form]) >= {"params", "stderr"}
        assert set(result["fits"][form]["params"]) == set(result["fits"][form]["stderr"])
    # Too few trials remain once the largest are held out: said, not crashed.
    assert result["heldout_prediction_error"]["chinchilla"]["mean_abs_relative_error"] is None
    for name in ("loss_vs_data.png", "examples_to_target.png", "iso_loss.png", "learning_curves.png"):
        assert (out / "figures" / name).is_file()
    records = sorted((out / "sweep" / "trials").glob("*.json"))
    assert len(records) == 18

    # Lose one trial, resume: only that one runs again, and it gives the same numbers.
    lost = records[3]
    kept = {path: path.stat().st_mtime_ns for path in records if path != lost}
    before = json.loads(lost.read_text())["result"]
    lost.unlink()
    assert main(["run", "scaling", "--out", str(out), "--no-progress", "--resume"]) == 0
    assert {path: path.stat().st_mtime_ns for path in kept} == kept
    again = json.loads(lost.read_text())["result"]
    assert {k: v for k, v in again.items() if k != "seconds"} == {k: v for k, v in before.items() if k != "seconds"}
    assert json.loads((out / "result.json").read_text())["trials"] == result["trials"]


@pytest.mark.slow
def test_digits_as_the_mlp_data(tmp_path):
    out = tmp_path / "digits"
    argv = ["run", "scaling", "--out", str(out), "--no-progress", "--tasks", "mlp", "--mlp_data", "digits",
            "--mlp_widths", "4,16", "--mlp_examples", "25,100,400", "--mlp_seeds", "1", "--workers", "2"]
    assert main(argv) == 0
    result = json.loads((out / "result.json").read_text())
    assert set(result["tasks"]) == {"mlp"} and len(result["trials"]) == 6
    assert "MLPs on digits" in result["report"]["summary"]
    # Cross-entropy on ten classes starts near ln 10 and falls with data for the wider net.
    losses = {(t["width"], t["examples"]): t["loss"] for t in result["trials"]}
    assert losses[(16, 400)] < losses[(16, 25)] < 3.0
