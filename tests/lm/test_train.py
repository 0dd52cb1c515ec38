"""Training: the loss falls, resuming is exact, a NaN stops the run and keeps the last checkpoint."""

from __future__ import annotations

import math

import pytest
import torch

from lm.lm_helpers import (
    assert_bounds,
    repetitive_model,
    saved_parameters,
    saved_step,
    tiny_data,
    tiny_model,
    tiny_training,
)
from searchlab.core import checkpoint
from searchlab.core.device import cpu_threads
from searchlab.core.errors import DivergedError, SearchlabError
from searchlab.lm import TrainConfig, train


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models train several times faster on one thread, and do not spin on a busy machine."""
    with cpu_threads(1):
        yield


def test_loss_falls_on_a_repetitive_text(repetitive):
    _, result, _, measures = repetitive
    assert [row["step"] for row in result.curve] == [50, 100, 150, 200]
    # The loss falls to a tenth of its step-50 value and below 0.1 nats; measured over seeds in
    # lm_helpers.repetitive_model.
    assert_bounds(repetitive_model, measures)
    assert result.validation_bpc == pytest.approx(result.validation_loss / math.log(2), rel=1e-9)
    assert result.tokens == 200 * 8 * 16
    assert result.stopped_because == "steps"
    assert result.tokens_per_second > 0 and result.fraction_of_peak(1e12) > 0


def test_the_same_seed_trains_the_same_model():
    data = tiny_data()
    one = train(tiny_model(data.vocab.size), tiny_training(), data, seed=4)
    two = train(tiny_model(data.vocab.size), tiny_training(), data, seed=4)
    three = train(tiny_model(data.vocab.size), tiny_training(), data, seed=5)
    assert all(torch.equal(a, b) for a, b in zip(one.model.parameters(), two.model.parameters()))
    assert not torch.equal(one.model.token_embedding.weight, three.model.token_embedding.weight)


def test_training_runs_through_the_loop_and_callbacks_see_the_live_parameters(tmp_path):
    """A step on B windows of T tokens costs 3 B T forward-equivalents; a callback's model is the current one."""
    data = tiny_data()
    seen = []

    def keep(model, step, loss):
        seen.append((step, torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone()))

    result = train(
        tiny_model(data.vocab.size), tiny_training(steps=6), data, seed=1, checkpoint_dir=tmp_path, callback=keep
    )
    counters = checkpoint.load(tmp_path)["counters"]
    assert counters["forward_equivalents"] == 6 * 3 * 8 * 16 and counters["examples_seen"] == 6 * 8
    assert [step for step, _ in seen] == [1, 2, 3, 4, 5, 6]
    assert torch.equal(seen[-1][1], torch.nn.utils.parameters_to_vector(result.model.parameters()))
    assert not torch.equal(seen[0][1], seen[-1][1])
    assert not result.model.training


class _Interrupt:
    def __init__(self, at_step: int) -> None:
        self.at_step = at_step

    def __call__(self, model, step, loss) -> None:
        if step == self.at_step:
            raise KeyboardInterrupt


@pytest.mark.parametrize("dropout", [0.0, 0.1])
def test_resume_is_bitwise_exact(tmp_path, dropout):
    data = tiny_data()
    config, training = tiny_model(data.vocab.size, dropout=dropout), tiny_training(checkpoint_every=8)
    whole = train(config, training, data, seed=3)

    with pytest.raises(KeyboardInterrupt):
        train(config, training, data, seed=3, checkpoint_dir=tmp_path, callback=_Interrupt(21))
    assert saved_step(tmp_path) == 16  # the last checkpoint before the interruption
    resumed = train(config, training, data, seed=3, checkpoint_dir=tmp_path, resume=True)

    for (name, a), b in zip(whole.model.named_parameters(), resumed.model.parameters()):
        assert torch.equal(a, b), name
    untimed = lambda curve: [{k: v for k, v in row.items() if k != "seconds"} for row in curve]  # noqa: E731
    assert untimed(resumed.curve) == untimed(whole.curve)
    assert resumed.steps == whole.steps == 30
    assert saved_step(tmp_path) == 30


def test_resuming_another_models_checkpoint_is_refused(tmp_path):
    data = tiny_data()
    train(tiny_model(data.vocab.size), tiny_training(steps=2), data, seed=0, checkpoint_dir=tmp_path)
    with pytest.raises(SearchlabError, match="another model"):
        train(
            tiny_model(data.vocab.size, width=16),
            tiny_training(steps=2),
            data,
            seed=0,
            checkpoint_dir=tmp_path,
            resume=True,
        )


def test_a_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tmp_path):
    data = tiny_data()

    def poison(model, step, loss):
        if step == 7:
            with torch.no_grad():
                model.final_norm.weight.fill_(float("nan"))

    with pytest.raises(DivergedError, match="step 8"):
        train(
            tiny_model(data.vocab.size),
            tiny_training(checkpoint_every=5),
            data,
            seed=0,
            checkpoint_dir=tmp_path,
            callback=poison,
        )
    assert saved_step(tmp_path) == 5
    assert torch.isfinite(saved_parameters(tmp_path)).all()


def test_configs_are_checked():
    data = tiny_data()
    with pytest.raises(SearchlabError, match="vocab_size"):
        train(tiny_model(data.vocab.size + 1), tiny_training(), data, seed=0)
    with pytest.raises(SearchlabError, match="budget"):
        TrainConfig(steps=None, minutes=None)
    with pytest.raises(SearchlabError, match="steps"):
        TrainConfig(steps=0)


def test_learning_rate_warms_up_then_decays_to_its_floor():
    config = TrainConfig(steps=100, minutes=None, lr=1.0, warmup_steps=10, min_lr_fraction=0.1)
    assert config.learning_rate(0) == pytest.approx(0.1)
    assert config.learning_rate(9) == pytest.approx(1.0)
    assert config.learning_rate(10) == pytest.approx(1.0)
    assert config.learning_rate(55) == pytest.approx(0.55)
    assert config.learning_rate(100) == pytest.approx(0.1)
    # A time budget alone: the cosine runs from `pace_steps` to the horizon the pace fixed (never from the clock).
    timed = TrainConfig(steps=None, minutes=1.0, lr=1.0, warmup_steps=0, min_lr_fraction=0.0)
    assert timed.learning_rate(70, horizon=timed.pace_steps + 100) == pytest.approx(0.5)
