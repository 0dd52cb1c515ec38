"""The charlm experiment end to end: result keys, baselines beside the model, sampling from the run, bad text."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path

import pytest

from cli_checks import assert_config_refuses, error_line
from margins import OPERATORS, margin
from searchlab.cli import main
from searchlab.experiments.charlm import EXPERIMENT, Config

pytestmark = pytest.mark.slow  # the fixture trains one tiny model end to end

# A seconds-sized run: a tiny model for a few steps (one thread: a tiny model runs fastest on it). With the
# default warmup of 100 steps, 20 steps never reach the full learning rate and the model barely moves from
# uniform (bpc_over_uniform 0.92-0.95 over seeds 0-19); with 5 it learns something in the same time.
TINY = [
    "--steps",
    "20",
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
    "40",
    "--dropout",
    "0",
    "--threads",
    "1",
]


def tiny_run(out, seed: int = 0) -> dict:
    assert main(["run", "charlm", "--out", str(out), "--no-progress", "--seed", str(seed), *TINY]) == 0
    return json.loads((out / "result.json").read_text())


# An untrained model pays about log2(vocab_symbols) bits a character (ratio 1). Over seeds 0-19, one thread:
# 0.779-0.806, mean 0.789 +- 0.008 (the worst 5.6 sd below 0.85).
@margin(seed=0, bpc_over_uniform=("<", 0.85))
def tiny_charlm(seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        return bpc_over_uniform(tiny_run(Path(folder) / "run", seed))


def bpc_over_uniform(result: dict) -> dict[str, float]:
    return {"bpc_over_uniform": result["val_bpc"] / math.log2(result["vocab_symbols"])}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("lm") / "run"
    return out, tiny_run(out)


def test_result_has_the_issue_keys(finished):
    _, result = finished
    assert set(result) >= {"val_bpc", "baselines", "params", "tokens_per_second", "model_flops_utilization"}
    assert set(result["baselines"]) == {"gzip", "bz2", "xz", "ngram"}
    # A 20-step model is far from the compressors; the comparison is reported, not assumed.
    assert result["beats_every_baseline"] == (result["val_bpc"] < min(result["baselines"].values()))
    # ...but it has learned something: tiny_charlm's bound, on this run.
    for name, (op, threshold) in tiny_charlm.margin.bounds.items():
        value = bpc_over_uniform(result)[name]
        assert OPERATORS[op](value, threshold), (name, value, op, threshold)
    # Utilization is a ratio of two timings: assert how it is made, not how large it came out.
    assert result["model_flops_utilization"] > 0
    assert result["model_flops_utilization"] == pytest.approx(
        result["model_flops_per_second"] / result["matmul_flops_per_second"], abs=1e-4, rel=1e-3
    )
    assert result["model_flops_per_second"] == pytest.approx(
        result["flops_per_token"] * result["tokens_per_second"], rel=1e-3
    )
    assert result["steps"] == 20 and result["stopped_because"] == "steps"
    assert len(result["sample"]) == 40
    # The claim's blocks cover every scored validation character, and their model bits add up to val_bpc.
    blocks = result["blocks"]
    assert len(blocks["characters"]) == 20 and sum(blocks["characters"]) == result["validation_characters"]
    bits = sum(bpc * n for bpc, n in zip(blocks["model_bpc"], blocks["characters"]))
    assert bits / result["validation_characters"] == pytest.approx(result["val_bpc"], abs=1e-3)
    (claim,) = result["claims"]
    assert claim["id"] == "language_one_letter_at_a_time" and claim["seeds"] == 1
    assert result["threads"] == 1 and result["alphabet"]["text_symbols"] == result["vocab_symbols"]


def test_report_and_metrics_are_written(finished):
    out, result = finished
    assert (out / "figures" / "learning_curve.png").stat().st_size > 1000
    assert result["report"]["texts"][0]["text"].startswith(result["sample_prompt"])
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows and {"tokens", "validation_loss"} <= set(rows[0]["values"]) and rows[-1]["step"] == result["steps"]
    # A training step predicts batch_size x context tokens, each a forward and a backward pass: 3 per token.
    assert all(row["forward_equivalents"] == 3 * row["values"]["tokens"] for row in rows)
    assert all(row["values"]["tokens"] == row["step"] * 8 * 32 for row in rows)  # TINY: --batch_size 8 --context 32


def test_sample_streams_from_the_run(finished, capsys):
    out, _ = finished
    assert main(["sample", "--run", str(out), "--chars", "25", "--prompt", "The ", "--seed", "3"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("The ") and len(first.rstrip("\n")) == len("The ") + 25
    assert main(["sample", "--run", str(out), "--chars", "25", "--prompt", "The ", "--seed", "3"]) == 0
    assert capsys.readouterr().out == first  # seeded


def test_sample_refuses_bad_input(finished, capsys, tmp_path):
    out, _ = finished
    assert "not a folder" in error_line(capsys, ["sample", "--run", str(tmp_path / "none")])
    assert "outside" in error_line(capsys, ["sample", "--run", str(out), "--prompt", "\u2192"])
    assert "--temperature" in error_line(capsys, ["sample", "--run", str(out), "--temperature", "-1"])


def test_resume_of_a_finished_run_gives_the_same_numbers(finished, tmp_path):
    """Bitwise resume from the middle of training is tested in tests/lm; here: the run folder's plumbing."""
    out, result = finished
    copy = tmp_path / "again"
    shutil.copytree(out, copy)
    (copy / "result.json").unlink()
    assert main(["run", "charlm", "--out", str(copy), "--no-progress", "--resume", *TINY]) == 0
    again = json.loads((copy / "result.json").read_text())
    assert again["val_bpc"] == result["val_bpc"] and again["baselines"] == result["baselines"] and again["steps"] == 20


@pytest.mark.parametrize(
    "content, words",
    [
        (None, ["does not exist"]),
        (b"", ["empty"]),
        (b"abc\x00def" * 50, ["binary"]),
        (b"caf\xe9 " * 50, ["not UTF-8"]),
        (b"The short text", ["too short", "shorter", "context"]),  # with the prompt's characters: its own error first
    ],
)
def test_bad_text_files_are_one_line_errors_and_write_nothing(content, words, capsys, tmp_path):
    path = tmp_path / "corpus.txt"
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "run"
    line = error_line(capsys, ["run", "charlm", "--text", str(path), "--out", str(out), *TINY])
    assert any(word in line for word in words), line
    assert not out.exists()


def test_the_essay_vocabulary_names_characters_outside_it(capsys, tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("Plain words, then a caret ^ and more plain words. " * 40, encoding="utf-8")
    line = error_line(
        capsys, ["run", "charlm", "--text", str(path), "--vocab", "essay", "--out", str(tmp_path / "run"), *TINY]
    )
    assert "'^'" in line and "--fallback" in line


def test_bpe_and_essay_vocabularies_run(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text(
        "The model writes one letter at a time; \u201cquotes\u201d become straight ones.\n" * 60, encoding="utf-8"
    )
    for vocab in (["--vocab", "bpe", "--vocab_size", "300"], ["--vocab", "essay"]):
        out = tmp_path / vocab[1]
        assert main(["run", "charlm", "--text", str(path), "--out", str(out), "--no-progress", *TINY, *vocab]) == 0
        result = json.loads((out / "result.json").read_text())
        assert result["vocab"] == vocab[1]
        # Bits per character, not per token: the whole text's nats (every token after the first is scored)
        # over its characters. For subwords the two differ by the characters per token.
        nats = result["validation_loss_nats_per_token"] * (result["validation_tokens"] - 1)
        assert result["val_bpc"] == pytest.approx(nats / math.log(2) / result["validation_characters"], rel=1e-3)
    essay = json.loads((tmp_path / "essay" / "result.json").read_text())
    assert (
        essay["vocab_symbols"] == 77 and essay["characters_mapped_to_essay_symbols"] == 2 * 60 + 60
    )  # 2 curly quotes and a newline per line
    assert 256 <= json.loads((tmp_path / "bpe" / "result.json").read_text())["vocab_symbols"] <= 300


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"vocab": "words"}, ["--vocab", "words"]),
        ({"vocab_size": 100}, ["--vocab_size"]),
        ({"width": 30, "heads": 4}, ["--width", "--heads"]),
        ({"minutes": 0}, ["--minutes"]),
        ({"fallback": "ab"}, ["--fallback"]),
        ({"dropout": 1.0}, ["--dropout"]),
    ],
)
def test_bad_settings_are_refused(settings, words):
    assert_config_refuses(Config, settings, words)


def test_sizes_shrink():
    full, tour, quick = (EXPERIMENT.make_config(size) for size in ("full", "tour", "quick"))
    assert tour.minutes <= full.minutes
    assert quick.minutes is None and quick.steps == 60  # steps alone: the quick run is the same on every machine
