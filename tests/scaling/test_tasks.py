"""The scaling experiment's trials: deterministic, honest about their data, and checked."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import torch_generator
from searchlab.lm import CausalTransformer, ModelConfig
from searchlab.scaling import teacher as teaching
from searchlab.scaling.tasks import TRIALS, charlm_trial, curve_steps, mlp_trial
from searchlab.spaces.mlp import MLPSpace

# Small enough for a fraction of a second per trial.
TINY_MLP = {"width": 4, "examples": 64, "max_steps": 200, "eval_every": 20, "patience": 3, "test_size": 512, "curve_points": 6}
TINY_LM = {"width": 16, "characters": 3000, "steps": 30, "context": 32, "batch_size": 8, "warmup_steps": 5,
           "validation_characters": 2000, "eval_every": 10, "eval_windows": 8, "curve_points": 5}


@pytest.fixture(autouse=True)
def one_thread():
    """As in the sweep: one torch thread per trial (determinism is promised under it)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def without_seconds(result: dict) -> dict:
    return {key: value for key, value in result.items() if key != "seconds"}


def test_mlp_trial_is_deterministic_and_the_seed_matters(tmp_path):
    first = mlp_trial(dict(TINY_MLP), 3, tmp_path)
    again = mlp_trial(dict(TINY_MLP), 3, tmp_path)
    other = mlp_trial(dict(TINY_MLP), 4, tmp_path)
    assert without_seconds(first) == without_seconds(again)
    assert first["loss"] != other["loss"] and first["curve"] != other["curve"]
    json.dumps(first)  # JSON-ready
    # The task is fixed: the test set (and so its noise floor) does not depend on the trial seed.
    assert first["noise_floor"] == other["noise_floor"]
    assert first["examples"] == 64 and first["train_examples"] + first["holdout_examples"] == 64


def test_teacher_and_test_set_are_fixed_and_training_sets_nested():
    teacher = teaching.make_teacher()
    again = teaching.make_teacher.__wrapped__()  # drawn afresh, not from the cache
    assert all(np.array_equal(a, b) for a, b in zip(teacher.weights, again.weights))
    test = teaching.test_examples(2048, 0.3)
    assert abs(float(test.clean.mean())) < 0.1 and abs(float(test.clean.var()) - 1.0) < 0.1  # normalised
    assert abs(float(np.mean((test.y - test.clean) ** 2)) - 0.09) < 0.01  # noise sigma 0.3
    small = teaching.training_examples(teacher, 50, seed=7, noise=0.3)
    large = teaching.training_examples(teacher, 400, seed=7, noise=0.3)
    assert np.array_equal(small.x, large.x[:50]) and np.array_equal(small.y, large.y[:50])
    assert not np.array_equal(small.x, teaching.training_examples(teacher, 50, seed=8, noise=0.3).x)
    assert np.array_equal(teaching.holdout_mask(50, 0.2), teaching.holdout_mask(400, 0.2)[:50])
    assert int(teaching.holdout_mask(400, 0.2).sum()) == 80


def test_mlp_loss_falls_with_more_data(tmp_path):
    settings = {"width": 16, "max_steps": 1200, "eval_every": 50, "patience": 4, "test_size": 2048}
    few = mlp_trial({**settings, "examples": 64}, 0, tmp_path)
    many = mlp_trial({**settings, "examples": 2048}, 0, tmp_path)
    assert many["loss"] < few["loss"] - 0.1
    assert many["loss"] > many["noise_floor"]  # nothing beats the label noise
    assert many["excess_loss"] < few["excess_loss"]
    seen = [point[0] for point in many["curve"]]
    assert seen == sorted(seen) and len(seen) >= 8


@pytest.mark.parametrize("width,depth", [(3, 2), (5, 1)])
def test_mlp_parameter_count_is_the_modules(tmp_path, width, depth):
    result = mlp_trial({**TINY_MLP, "width": width, "depth": depth, "max_steps": 20}, 0, tmp_path)
    inputs = teaching.INPUTS
    space = MLPSpace([inputs, *([width] * depth), 1])
    module = space.module(space.sample(1, torch_generator(0))[0])
    assert result["params"] == sum(p.numel() for p in module.parameters())
    by_hand = (inputs + 1) * width + (depth - 1) * (width + 1) * width + width + 1
    assert result["params"] == by_hand


def test_mlp_trial_on_digits(tmp_path):
    result = mlp_trial({"data": "digits", "width": 16, "examples": 300, "max_steps": 300, "eval_every": 50}, 0, tmp_path)
    assert result["test_accuracy"] > 0.5  # chance is 0.1
    assert math.isfinite(result["loss"]) and "noise_floor" not in result


def test_charlm_trial_learns_something_and_is_deterministic(tmp_path):
    result = charlm_trial(dict(TINY_LM), 0, tmp_path)
    again = charlm_trial(dict(TINY_LM), 0, tmp_path)
    assert without_seconds(result) == without_seconds(again)
    json.dumps(result)
    assert math.isfinite(result["loss"]) and result["loss"] < math.log(result["vocab_size"])
    assert result["examples"] == 3000 and result["steps"] == 30
    assert [point[0] for point in result["curve"]] == [s * 8 * 32 for s in curve_steps(30, 5)]
    config = ModelConfig(vocab_size=result["vocab_size"], layers=2, heads=2, width=16, context=32)
    counts = CausalTransformer(config, torch_generator(0)).parameter_counts()
    assert result["params"] == counts["non_embedding"] and result["params_total"] == counts["total"]
    assert result["params"] == 12 * 2 * 16**2 + 2 * 2 * 2 * 16 + 2 * 16  # Kaplan's 12 L d^2 plus the LayerNorms


@pytest.mark.parametrize(
    "trial,params,message",
    [
        (mlp_trial, {**TINY_MLP, "widht": 4}, "unknown setting 'widht'"),
        (mlp_trial, {**TINY_MLP, "width": 0}, "width must be a whole number >= 1"),
        (mlp_trial, {**TINY_MLP, "examples": -5}, "examples must be a whole number >= 1"),
        (mlp_trial, {**TINY_MLP, "width": 2.5}, "width must be a whole number"),
        (mlp_trial, {"width": 4}, "missing setting 'examples'"),
        (mlp_trial, {**TINY_MLP, "examples": 3}, "give at least 6 examples"),
        (mlp_trial, {**TINY_MLP, "lr": -1.0}, "lr must be a number > 0"),
        (mlp_trial, {**TINY_MLP, "data": "mnist"}, "unknown data 'mnist'"),
        (charlm_trial, {**TINY_LM, "width": 15}, "must be a multiple of heads"),
        (charlm_trial, {**TINY_LM, "characters": 0}, "characters must be a whole number >= 1"),
        (charlm_trial, {**TINY_LM, "characters": 200}, "shorter context"),
        (charlm_trial, {**TINY_LM, "depth": 2}, "unknown setting 'depth'"),
    ],
)
def test_bad_params_are_refused(tmp_path, trial, params, message):
    with pytest.raises(SearchlabError, match=message):
        trial(params, 0, tmp_path)


def test_bad_seed_is_refused(tmp_path):
    with pytest.raises(SearchlabError, match="seed"):
        mlp_trial(dict(TINY_MLP), -1, tmp_path)


def test_trials_are_importable_top_level_functions():
    """The sweep sends trials to worker processes by their module and name."""
    import importlib

    for name, trial in TRIALS.items():
        assert getattr(importlib.import_module(trial.__module__), trial.__name__) is trial, name
