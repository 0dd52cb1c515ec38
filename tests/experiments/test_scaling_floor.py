"""The scaling experiment's check of a fitted floor against the one the teacher task is built with."""

from __future__ import annotations

import pytest

from searchlab.experiments.scaling_claims import floor_check

ROWS = [{"noise_floor": 0.089}, {"noise_floor": 0.091}]


def huber(e: float, low: float | None, high: float | None) -> dict:
    return {"params": {"E": e}, "intervals": {} if low is None else {"E": [low, high]}}


def test_the_known_floor_is_the_test_noise_and_is_placed_against_the_interval():
    inside = floor_check(ROWS, huber(0.08, 0.06, 0.12))
    assert inside == {"known": pytest.approx(0.09), "fitted": 0.08, "low": 0.06, "high": 0.12, "inside": True}
    assert floor_check(ROWS, huber(0.04, 0.01, 0.05))["inside"] is False
    assert floor_check(ROWS, huber(0.04, None, None))["inside"] is None


def test_no_known_floor_or_no_fit_gives_no_check():
    assert floor_check([{"noise_floor": 0.09}, {}], huber(0.08, 0.06, 0.12)) is None  # digits or the LM
    assert floor_check(ROWS, {"params": None, "error": "too few trials"}) is None


def test_language_model_trials_get_enough_steps_for_their_passes():
    import dataclasses

    from searchlab.experiments.scaling import EXPERIMENT, lm_steps, prepare

    config = dataclasses.replace(EXPERIMENT.make_config("full"), tasks=("charlm",))
    for trial in prepare(config).trials["charlm"]:
        params = trial.params_dict
        trained = params["characters"] - round(params["characters"] * 0.1)  # a tenth is held out
        assert params["steps"] == lm_steps(config, params["characters"]) >= config.lm_steps
        assert params["steps"] * 16 * 64 >= config.lm_passes * trained  # 16 windows of 64 characters a step
    assert lm_steps(dataclasses.replace(config, lm_passes=0.0), 400_000) == config.lm_steps
    assert lm_steps(config, 400_000) == 1055  # 3 passes over 360,000 characters, 1,024 a step
