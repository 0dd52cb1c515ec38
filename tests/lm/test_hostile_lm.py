"""Hostile use of the language model (issue 15): wall time in the schedule, a huge text, a vanishing temperature.

- The learning rate depends on counted steps only, so two runs with one seed end bitwise equal, and so does a
  run interrupted and resumed (the interruption comes at a chosen step through SEARCHLAB_INTERRUPT_AT, never
  after a sleep); `--minutes none` leaves a step budget alone.
- The baselines score a bounded sample of any text, and the result says how large it was.
- `sample --temperature 1e-300` is greedy, not a "probability tensor contains inf" traceback.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
import torch

from cli_checks import error_line
from lm.lm_helpers import saved_parameters, saved_step, tiny_data, tiny_model, tiny_training
from searchlab.cli import main
from searchlab.core import checkpoint
from searchlab.core.device import cpu_threads
from searchlab.core.errors import DivergedError, SearchlabError
from searchlab.experiments.charlm import MODEL_FOLDER, Config
from searchlab.lm import TrainConfig, baseline_sample, baselines, generate, train
from searchlab.runner.config import parse_overrides

baselines_module = importlib.import_module("searchlab.lm.baselines")  # the package's `baselines` is the function

# A tiny model on a small text for 30 steps, a checkpoint every 10: an interruption at step 25 leaves the one of
# step 20 to resume from. The default --minutes (10) stays beside the steps, as a user would leave it (the schedule
# used to mix the elapsed time into the learning rate; on so short a run that shows only now and then, so the
# ticking-clock test below is the one that catches it every time). Dropout stays on: its draws must resume too.
STEPS, INTERRUPT_AT, CHECKPOINTED_AT = 30, 25, 20
TINY = [
    "--steps",
    str(STEPS),
    "--checkpoint_every",
    "10",
    "--warmup_steps",
    "5",
    "--layers",
    "1",
    "--heads",
    "2",
    "--width",
    "32",
    "--context",
    "32",
    "--batch_size",
    "8",
    "--sample_chars",
    "20",
    "--threads",
    "1",
    "--no-progress",
]


def _text(lines: int) -> str:
    """A text with some structure to learn, `lines` numbered lines."""
    return "".join(f"The line {i} of the text: the cat sat on the mat {i % 7}.\n" for i in range(lines))


def _parameters(out: Path) -> dict[str, torch.Tensor]:
    return {"parameters": saved_parameters(out / "checkpoints" / MODEL_FOLDER)}


def _assert_bitwise_equal(one: dict[str, torch.Tensor], two: dict[str, torch.Tensor]) -> None:
    assert one.keys() == two.keys()
    differ = [name for name in one if not torch.equal(one[name], two[name])]
    assert not differ, f"{len(differ)} of {len(one)} tensors differ, e.g. {differ[:3]}"


class _TickingClock:
    """perf_counter for the training loop: every reading is `tick` seconds after the last, whatever the machine."""

    def __init__(self, tick: float) -> None:
        self.now, self.tick = 0.0, tick

    def perf_counter(self) -> float:
        self.now += self.tick
        return self.now


def _tick(monkeypatch, tick: float) -> None:
    """Give the loop (`searchlab.core.loop`) and the trainer's modules one ticking clock."""
    clock = _TickingClock(tick)
    for name in ("searchlab.core.loop", "searchlab.lm.train", "searchlab.lm.objective"):
        monkeypatch.setattr(importlib.import_module(name), "time", clock)


@pytest.fixture(scope="module")
def small_text(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("text") / "small.txt"
    path.write_text(_text(600), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def whole(small_text, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("whole") / "run"
    assert main(["run", "charlm", "--text", str(small_text), "--out", str(out), *TINY]) == 0
    return out


@pytest.mark.slow
def test_two_runs_with_one_seed_end_bitwise_equal(small_text, whole, tmp_path):
    again = tmp_path / "again"
    assert main(["run", "charlm", "--text", str(small_text), "--out", str(again), *TINY]) == 0
    _assert_bitwise_equal(_parameters(whole), _parameters(again))
    ours, theirs = (json.loads((out / "result.json").read_text()) for out in (again, whole))
    assert ours["steps"] == theirs["steps"] == STEPS and ours["val_bpc"] == theirs["val_bpc"]


@pytest.mark.slow
def test_an_interrupted_and_resumed_run_ends_bitwise_equal(small_text, whole, tmp_path, monkeypatch, capsys):
    """Ctrl-C at step 25 (in this process: what the disk holds is what a SIGKILL would leave, the checkpoint of step
    20)."""
    cut = tmp_path / "cut"
    monkeypatch.setenv("SEARCHLAB_INTERRUPT_AT", f"step:{INTERRUPT_AT}")
    assert main(["run", "charlm", "--text", str(small_text), "--out", str(cut), *TINY]) == 130
    assert "--resume" in capsys.readouterr().err
    assert not (cut / "result.json").exists()
    assert saved_step(cut / "checkpoints" / MODEL_FOLDER) == CHECKPOINTED_AT

    monkeypatch.delenv("SEARCHLAB_INTERRUPT_AT")
    assert main(["run", "charlm", "--text", str(small_text), "--out", str(cut), "--resume", *TINY]) == 0
    _assert_bitwise_equal(_parameters(whole), _parameters(cut))
    assert (
        json.loads((cut / "result.json").read_text())["val_bpc"]
        == json.loads((whole / "result.json").read_text())["val_bpc"]
    )


@pytest.mark.parametrize("minutes", [1.0, None])
def test_the_clock_does_not_move_a_step_budgets_parameters(monkeypatch, minutes):
    """The same steps on a fast clock and on a slow one (0.001 s and 0.2 s a reading) end bitwise equal.

    Thirty steps on the slow clock take about 25 s of its time (four readings a step), inside the minute: only
    the schedule could tell them apart.
    """
    data = tiny_data()
    finals = []
    for tick in (0.001, 0.2):
        _tick(monkeypatch, tick)
        with cpu_threads(1):
            result = train(tiny_model(data.vocab.size), tiny_training(minutes=minutes), data, seed=2)
        assert result.steps == 30 and result.stopped_because == "steps"
        finals.append(dict(result.model.named_parameters()))
    _assert_bitwise_equal(*finals)


def test_the_learning_rate_is_a_function_of_steps_only():
    config = TrainConfig(steps=100, minutes=10.0, lr=1.0, warmup_steps=10, min_lr_fraction=0.1)
    assert [config.learning_rate(step) for step in (0, 9, 10, 55, 100, 150)] == pytest.approx(
        [0.1, 1.0, 1.0, 0.55, 0.1, 0.1]
    )
    timed = TrainConfig(steps=None, minutes=1.0, lr=1.0, warmup_steps=0, min_lr_fraction=0.0)
    assert timed.pace_steps == 20
    assert timed.learning_rate(5) == timed.learning_rate(50) == 1.0  # no horizon fixed yet: the peak
    # The cosine over the horizon a time budget fixed, from the step where it was fixed.
    assert [timed.learning_rate(step, horizon=120) for step in (20, 70, 120, 500)] == pytest.approx(
        [1.0, 0.5, 0.0, 0.0]
    )
    assert timed.horizon_from_pace(20, 2.0) == 600  # 20 steps in 2 s: 600 in the minute


def _saved_horizon(folder: Path):
    """The schedule's horizon in the checkpoint in `folder` (the optimizer keeps its schedule's state)."""
    return checkpoint.load(folder)["optimizer"]["own"]["schedule"]["horizon"]


def test_a_time_budget_fixes_its_horizon_once_and_the_checkpoint_keeps_it(monkeypatch, tmp_path):
    """With minutes alone, the pace of the first steps fixes how many steps the cosine spans; a resume reads it back."""
    schedule_class = importlib.import_module("searchlab.lm.train_config").LearningRateSchedule
    rates = []  # (step, learning rate) of every step taken
    rate = schedule_class.__call__

    def recorded(schedule, step):
        rates.append((step, rate(schedule, step)))
        return rates[-1][1]

    monkeypatch.setattr(schedule_class, "__call__", recorded)
    data = tiny_data()
    training = tiny_training(steps=None, minutes=0.05, checkpoint_every=10)  # 3 s on the ticking clock: ~60 steps

    def expected(steps_and_rates, horizon):
        return [
            training.learning_rate(step, horizon if step >= training.pace_steps else None)
            for step, _ in steps_and_rates
        ]

    _tick(monkeypatch, 0.01)
    with cpu_threads(1):
        result = train(tiny_model(data.vocab.size), training, data, seed=0, checkpoint_dir=tmp_path / "whole")
    horizon = _saved_horizon(tmp_path / "whole")
    assert result.stopped_because == "minutes" and isinstance(horizon, int) and horizon > training.pace_steps
    assert [step for step, _ in rates] == list(range(result.steps)) and result.steps > training.pace_steps + 5
    assert [lr for _, lr in rates] == expected(rates, horizon)

    # Interrupted after the horizon was fixed (at step 20, then checkpointed), and resumed: the steps after the
    # checkpoint follow the saved horizon, and the pace of the resumed run never fixes another.
    def interrupt(model, step, loss):
        if step == 25:
            raise KeyboardInterrupt

    cut = tmp_path / "cut"
    _tick(monkeypatch, 0.01)
    with cpu_threads(1), pytest.raises(KeyboardInterrupt):
        train(tiny_model(data.vocab.size), training, data, seed=0, checkpoint_dir=cut, callback=interrupt)
    saved = _saved_horizon(cut)
    assert saved_step(cut) == 20 and isinstance(saved, int)
    rates.clear()
    with cpu_threads(1):
        train(tiny_model(data.vocab.size), training, data, seed=0, checkpoint_dir=cut, resume=True)
    assert rates[0][0] == 20 and len(rates) > 5
    assert [lr for _, lr in rates] == expected(rates, saved)
    assert _saved_horizon(cut) == saved


def test_minutes_none_leaves_a_step_budget_alone(capsys, tmp_path):
    config = Config(**parse_overrides(Config, {"minutes": "none", "steps": "5"}))
    assert config.minutes is None and config.steps == 5
    line = error_line(capsys, ["run", "charlm", "--minutes", "none", "--out", str(tmp_path / "run")])
    assert "--steps" in line and "--minutes" in line
    assert not (tmp_path / "run").exists()


# ----- a huge text: the baselines measure a bounded sample and say how large -----


def test_the_baseline_sample_is_bounded_on_any_text():
    train_part, validation_part = "a" * 30_000_000, "b" * 5_000_000  # 35 MB, built in memory
    sampled_train, sampled_validation = baseline_sample(train_part, validation_part)
    assert len(sampled_train) == baselines_module.BASELINE_TRAIN_CHARACTERS
    assert len(sampled_validation) == baselines_module.BASELINE_VALIDATION_CHARACTERS
    # The end of the training text and the start of the validation text: the characters next to the split.
    assert train_part.endswith(sampled_train) and validation_part.startswith(sampled_validation)
    small = ("the cat", "sat on the mat")
    assert baseline_sample(*small) == small  # smaller texts are measured whole


def test_baselines_count_only_the_sample(monkeypatch):
    """What the n-gram model counts and what the compressors read is bounded, whatever the text's size."""
    monkeypatch.setattr(baselines_module, "BASELINE_TRAIN_CHARACTERS", 5_000)
    monkeypatch.setattr(baselines_module, "BASELINE_VALIDATION_CHARACTERS", 1_000)
    counted, compressed = [], []
    real_init = baselines_module.KneserNey.__init__

    def counting_init(self, text, *args, **kwargs):
        counted.append(len(text))
        real_init(self, text, *args, **kwargs)

    monkeypatch.setattr(baselines_module.KneserNey, "__init__", counting_init)
    for name, compress in dict(baselines_module.COMPRESSORS).items():
        monkeypatch.setitem(
            baselines_module.COMPRESSORS,
            name,
            lambda data, compress=compress: compressed.append(len(data)) or compress(data),
        )
    text = _text(400_000)  # 20 MB
    cut = len(text) * 9 // 10
    result = baselines(text[:cut], text[cut:])
    assert set(result) == {"gzip", "bz2", "xz", "ngram"}
    assert counted == [5_000] and max(compressed) == 6_000


@pytest.mark.slow
def test_charlm_on_a_large_text_reports_its_baseline_sample(monkeypatch, tmp_path):
    monkeypatch.setattr(baselines_module, "BASELINE_TRAIN_CHARACTERS", 20_000)
    monkeypatch.setattr(baselines_module, "BASELINE_VALIDATION_CHARACTERS", 5_000)
    path = tmp_path / "large.txt"
    path.write_text(_text(400_000), encoding="utf-8")  # 20 MB
    out = tmp_path / "run"
    tiny = [flag if flag != str(STEPS) else "10" for flag in TINY]
    assert main(["run", "charlm", "--text", str(path), "--out", str(out), *tiny]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["baseline_sample"] == {"train_characters": 20_000, "validation_characters": 5_000}
    # The model is scored on the characters the baselines are (all but the first token's).
    assert result["validation_characters"] == 5_000 - 1
    assert result["validation_text_characters"] == round(len(path.read_text(encoding="utf-8")) * 0.1)
    assert "first 5,000 of the" in result["report"]["summary"]


# ----- a temperature so small that logits / temperature overflow -----


@pytest.mark.parametrize("temperature", [1e-300, 5e-324, 1e-45, 1e-30])
def test_a_vanishing_temperature_is_greedy(temperature):
    data = tiny_data()
    with cpu_threads(1):
        model = train(tiny_model(data.vocab.size), tiny_training(steps=3), data, seed=0).model
        greedy = "".join(generate(model, data.vocab, "the cat", 30, temperature=0.0, seed=0))
        assert "".join(generate(model, data.vocab, "the cat", 30, temperature=temperature, seed=0)) == greedy


def test_sample_with_a_vanishing_temperature_prints_text(capsys, tmp_path):
    data = tiny_data()
    with cpu_threads(1):
        train(tiny_model(data.vocab.size), tiny_training(steps=3), data, seed=0, checkpoint_dir=tmp_path / "model")
    assert (
        main(
            ["sample", "--run", str(tmp_path / "model"), "--prompt", "the ", "--chars", "20", "--temperature", "1e-300"]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out.startswith("the ") and len(captured.out.rstrip("\n")) == 24 and "Traceback" not in captured.err


def _edit_checkpoint(folder: Path, edit) -> None:
    state = checkpoint.load(folder)
    edit(state)
    checkpoint.save(folder, state, tag="edited")


def _replace_parameters(state: dict, change) -> None:
    """Change the parameters wherever the loop's checkpoint keeps them (the candidate, the optimizer's copy)."""
    optimizer = state["optimizer"]
    changed = change(optimizer["candidate"])
    optimizer["candidate"], optimizer["own"]["params"] = changed, changed.clone()


@pytest.mark.parametrize(
    "edit, training_too",
    [
        (lambda s: _replace_parameters(s, lambda p: p[:-1]), True),  # a weight missing
        (lambda s: _replace_parameters(s, lambda p: torch.zeros(3)), True),  # parameters of another model
        (lambda s: s["problem"]["vocab"].clear(), False),  # a vocabulary that says nothing (training does not read it)
    ],
)
def test_a_language_model_checkpoint_that_does_not_fit_is_one_line_naming_it(edit, training_too, capsys, tmp_path):
    data = tiny_data()
    with cpu_threads(1):
        train(tiny_model(data.vocab.size), tiny_training(steps=2), data, seed=0, checkpoint_dir=tmp_path / "model")
    _edit_checkpoint(tmp_path / "model", edit)
    line = error_line(capsys, ["sample", "--run", str(tmp_path / "model"), "--prompt", "the ", "--chars", "5"])
    assert str(tmp_path / "model" / checkpoint.POINTER) in line
    if training_too:  # resuming the training refuses it the same way
        with pytest.raises(SearchlabError, match="does not fit this run"):
            train(
                tiny_model(data.vocab.size),
                tiny_training(steps=4),
                data,
                seed=0,
                checkpoint_dir=tmp_path / "model",
                resume=True,
            )


def test_the_nan_message_says_whether_a_checkpoint_is_kept(tmp_path):
    data = tiny_data()
    exploding = tiny_training(steps=50, lr=1e30, checkpoint_every=1_000)
    with pytest.raises(DivergedError, match="no checkpoint had been taken yet"):
        train(tiny_model(data.vocab.size), exploding, data, seed=0, checkpoint_dir=tmp_path / "none")
    with pytest.raises(DivergedError, match="this run keeps no checkpoints"):
        train(tiny_model(data.vocab.size), exploding, data, seed=0)


def test_a_prompt_the_text_cannot_write_is_refused_before_any_work(tmp_path, capsys):
    text = tmp_path / "lower.txt"
    text.write_text("the cat sat on the mat and the dog ran to the cat\n" * 400)
    out = tmp_path / "run"
    line = error_line(
        capsys,
        ["run", "charlm", "--quick", "--vocab", "corpus", "--text", str(text), "--out", str(out), "--no-progress"],
    )
    assert "--sample_prompt 'The '" in line and not out.exists()
