"""The scaling experiment: grid sizes, config checks, the analysis on known laws, and a small run end to end."""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np
import pytest

from cli_checks import assert_config_refuses, error_line
from margins import OPERATORS, check, margin
from searchlab.cli import main
from searchlab.core.device import cpu_threads
from searchlab.experiments.scaling import EXPERIMENT, Config, analyse, prepare
from searchlab.scaling import laws
from searchlab.scaling.tasks import mlp_trial


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
    config = Config(
        mlp_widths=(2, 4),
        mlp_examples=(64, 128, 256),
        mlp_seeds=2,
        lm_widths=(8, 16),
        lm_characters=(1000, 2000, 4000),
        lm_seeds=1,
    )
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
        ({"huber_resamples": -1}, ["--huber_resamples"]),
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
    """Trials whose loss follows a Chinchilla law with 1% noise: E = 0.1, A = 3, B = 20, a = 0.4, b = 0.3.

    Four model sizes a decade apart, three seeds a cell: with six sizes (a factor 4 apart) and two seeds, the
    loss at the largest data of the two largest models was only 1.5 sd of the noise apart over seeds 0-19.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for n in np.geomspace(30, 30_000, 4).round():
        for d in np.geomspace(64, 16_384, 6).round():
            for s in range(3):
                loss = laws.chinchilla(n, d, 0.1, 3.0, 20.0, 0.4, 0.3) * rng.lognormal(0, 0.01)
                rows.append({"params": int(n), "examples": int(d), "loss": float(loss), "seed": s})
    return rows


@lru_cache(maxsize=2)
def law_analysis(seed: int) -> dict:
    """The analysis of `_law_rows(seed)` (numpy and scipy only: the same on any thread count)."""
    return analyse(_law_rows(seed), target=None)


def _smallest_step(values: list[float]) -> float:
    """The smallest relative fall from one model size to the next (negative when the order breaks)."""
    return min((a - b) / a for a, b in zip(values, values[1:]))


# Over noise seeds 0-19 (numpy and scipy only), worst / mean +- sd: a_error 0.067 / 0.034 +- 0.021,
# b_error 0.024 / 0.009 +- 0.007, heldout_error 0.014 / 0.010 +- 0.002, needed_step
# 0.11 / 0.14 +- 0.016, loss_step 0.046 / 0.055 +- 0.007: every worst draw 3.5 sd or more from its bound.
# (With the 5% the exponent a once had, 6 of the 20 seeds would fail.) The robust fit (Huber loss, delta 1e-3)
# is less efficient on this clean lognormal noise, as a Huber loss is when nothing is an outlier: a_error
# 0.100 / 0.049 +- 0.029, b_error 0.046 / 0.016 +- 0.013, so its bounds sit 3 sd beyond its worst draws.
@margin(
    seed=0,
    a_error=("<", 0.15),
    b_error=("<", 0.05),
    huber_a_error=("<", 0.2),
    huber_b_error=("<", 0.09),
    heldout_error=("<", 0.03),
    needed_step=(">", 0.05),
    loss_step=(">", 0.02),
)
def known_law(seed: int) -> dict[str, float]:
    analysis = law_analysis(seed)
    fitted = analysis["fits"]["chinchilla"]["params"]
    needed = [row["examples"] for row in analysis["examples_to_target"]]
    assert all(d is not None for d in needed)
    robust = analysis["huber_fit"]["params"]
    return {
        "a_error": abs(fitted["a"] / 0.4 - 1),
        "b_error": abs(fitted["b"] / 0.3 - 1),
        "huber_a_error": abs(robust["a"] / 0.4 - 1),
        "huber_b_error": abs(robust["b"] / 0.3 - 1),
        "heldout_error": analysis["heldout_prediction_error"]["chinchilla"]["mean_abs_relative_error"],
        "needed_step": _smallest_step(needed),
        "loss_step": _smallest_step([row["loss"] for row in analysis["loss_at_largest_data"]]),
    }


def test_the_analysis_recovers_a_known_law_and_orders_the_sizes():
    # The exponents come back (b within 5%, a within 15%: a spreads wider over noise draws); fitted without the
    # largest model and data, the law still predicts them within 3%; the target is what the smallest model reaches
    # with all the data, and each bigger model needs at least 5% fewer examples (needed_step) and reaches an at
    # least 2% lower loss with all the data (loss_step).
    check(known_law)
    analysis = law_analysis(0)
    rows = _law_rows(0)
    direct = laws.fit_chinchilla(
        *(np.array([row[key] for row in rows], dtype=float) for key in ("params", "examples", "loss"))
    )
    assert analysis["fits"]["chinchilla"] == direct.to_dict()  # the rows reach the fitter as N, D and L
    # The compute-optimal split grows both N and D with the budget.
    optimal = analysis["compute_optimal"]["chinchilla"]
    assert [r["N_opt"] for r in optimal] == sorted(r["N_opt"] for r in optimal)
    assert [r["D_opt"] for r in optimal] == sorted(r["D_opt"] for r in optimal)
    json.dumps(analysis, allow_nan=False)  # result.json material: strict JSON


# A run that takes seconds: two small MLP widths and two tiny language models on short texts.
SMALL = [
    "--mlp_widths",
    "2,8",
    "--mlp_examples",
    "64,256,1024",
    "--mlp_seeds",
    "1",
    "--lm_widths",
    "8,16",
    "--lm_characters",
    "1000,2000,4000",
    "--lm_seeds",
    "1",
    "--lm_steps",
    "20",
    "--workers",
    "2",
    "--huber_resamples",
    "5",
]


@pytest.mark.slow
def test_a_small_run_end_to_end_and_resumed(tmp_path):
    out = tmp_path / "scaling"
    assert main(["run", "scaling", "--out", str(out), "--no-progress", *SMALL]) == 0
    result = json.loads((out / "result.json").read_text())
    assert set(result) >= {"trials", "fits", "heldout_prediction_error", "examples_to_target"}
    assert len(result["trials"]) == 6 + 6
    assert {"params", "examples", "seed", "loss"} <= set(result["trials"][0])
    for form in ("kaplan", "chinchilla"):
        assert set(result["fits"][form]) >= {"params", "stderr"}
        assert set(result["fits"][form]["params"]) == set(result["fits"][form]["stderr"])
    # Too few trials remain once the largest are held out: said, not crashed.
    assert result["heldout_prediction_error"]["chinchilla"]["mean_abs_relative_error"] is None
    for name in ("loss_vs_data.png", "examples_to_target.png", "iso_loss.png", "learning_curves.png"):
        assert (out / "figures" / name).is_file()
    records = sorted((out / "sweep" / "trials").glob("*.json"))
    assert len(records) == 12

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


DIGITS = {"data": "digits", "width": 16}


# Cross-entropy on ten classes: ln 10 = 2.30 for a uniform guess. The 25-image net's loss is heavy-tailed (an
# overconfident net: 1.1-5.8 over seeds 0-19, so the 3.0 once asserted failed at seeds 5, 10 and 18), so the bounds
# are on the 400-image net's loss (worst 0.48, mean 0.30 +- 0.065) and on the ratio of the two (worst 0.26,
# mean 0.15 +- 0.059; 1 would be no gain): both 4 sd or more inside.
@margin(seed=0, loss_ratio=("<", 0.5), many_loss=("<", 0.75))
def digits_cells(seed: int) -> dict[str, float]:
    """The wider net of the run below, on 25 and on 400 images: the two trials the run's test compares."""
    with cpu_threads(1):  # as in the sweep's workers
        few, many = (mlp_trial({**DIGITS, "examples": d}, seed, None) for d in (25, 400))
    return digits_values(few["loss"], many["loss"])


def digits_values(few: float, many: float) -> dict[str, float]:
    return {"loss_ratio": many / few, "many_loss": many}


@pytest.mark.slow
def test_digits_as_the_mlp_data(tmp_path):
    out = tmp_path / "digits"
    argv = [
        "run",
        "scaling",
        "--out",
        str(out),
        "--no-progress",
        "--tasks",
        "mlp",
        "--mlp_data",
        "digits",
        "--mlp_widths",
        "4,16",
        "--mlp_examples",
        "25,100,400",
        "--mlp_seeds",
        "1",
        "--workers",
        "2",
        "--huber_resamples",
        "3",
    ]
    assert main(argv) == 0
    result = json.loads((out / "result.json").read_text())
    assert set(result["tasks"]) == {"mlp"} and len(result["trials"]) == 6
    robust = result["tasks"]["mlp"]["huber_fit"]
    assert robust["resamples"] <= 3 and set(robust["params"]) == {"E", "A", "B", "a", "b"}
    assert (
        robust["rows"] == 6
        and "the robust way" in json.dumps(result["report"])
        and "to 6 trials" in json.dumps(result["report"])
    )  # the report says how many trials the fit used
    assert "MLPs on digits" in result["report"]["summary"]
    # The loss falls with data for the wider net: digits_cells's bounds on this run's seed-0 trials.
    losses = {(t["width"], t["examples"]): t["loss"] for t in result["trials"]}
    values = digits_values(losses[(16, 25)], losses[(16, 400)])
    for name, (op, threshold) in digits_cells.margin.bounds.items():
        assert OPERATORS[op](values[name], threshold), (name, values[name], op, threshold)
