"""Hostile run files read back: checkpoints, config.json, stage records and metrics (issue 15).

Each file the project writes and later reads may be truncated by a crash or edited by
hand. Reading it back either gives what the code expects or one SearchlabError line that
names the file, never a KeyError, TypeError or JSONDecodeError. Checkpoints also carry
the sha256 of their tensor file, so flipped bytes are caught on load rather than turning
into a NaN loss; and an interrupted save leaves nothing behind once the run resumes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
import torch

from searchlab.core import Budget, DivergedError, SearchlabError, Trace, checkpoint, jsonfile, run
from searchlab.experiments import get_experiment
from searchlab.experiments.base import RunContext
from searchlab.optimizers import make_optimizer
from searchlab.runner.config import config_dict, saved_config
from small_problems import linear_problem, mlp_problem


def refused(call, *args, **kwargs) -> str:
    """The message of the SearchlabError that `call` raises, checked to be one line."""
    with pytest.raises(SearchlabError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert message and "\n" not in message, message
    return message


def _adam():
    return make_optimizer("gradient", batch_size=16, algorithm="adam")


def _checkpointed_run(folder: Path, steps: int = 6):
    return run(mlp_problem(), _adam(), Budget(steps=steps), seed=1, checkpoint_dir=folder, checkpoint_every=3)


def _resume(folder: Path, problem=None, steps: int = 6):
    return run(problem or mlp_problem(), _adam(), Budget(steps=steps), seed=1, checkpoint_dir=folder, resume=True)


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("finished") / "ckpt"
    _checkpointed_run(folder)
    return folder


@pytest.fixture
def saved(finished, tmp_path) -> Path:
    """A checkpoint folder of a finished 6-step run, this test's own copy."""
    return Path(shutil.copytree(finished, tmp_path / "ckpt"))


# ----- the pointer, latest.json ------------------------------------------------


def _edit_pointer(folder: Path, edit) -> dict:
    pointer = folder / checkpoint.POINTER
    meta = json.loads(pointer.read_text())
    edited = edit(meta)
    pointer.write_text(edited if isinstance(edited, str) else json.dumps(edited))
    return meta


def _replace_first_tensor_reference(value, replacement):
    """The skeleton with its first {"__tensor__": name} replaced (a hand edit deep inside 'state')."""
    if isinstance(value, dict):
        if "__tensor__" in value:
            return replacement, True
        pairs = []
        done = False
        for key, item in value["__dict__"]:
            if not done:
                item, done = _replace_first_tensor_reference(item, replacement)
            pairs.append([key, item])
        return {"__dict__": pairs}, done
    if isinstance(value, list):
        items, done = [], False
        for item in value:
            if not done:
                item, done = _replace_first_tensor_reference(item, replacement)
            items.append(item)
        return items, done
    return value, False


POINTER_EDITS = {
    "a list": lambda meta: [],
    "an empty object": lambda meta: {},
    "no state": lambda meta: {k: v for k, v in meta.items() if k != "state"},  # was KeyError: 'state'
    "state a number": lambda meta: {**meta, "state": 5},
    "state null": lambda meta: {**meta, "state": None},
    "tensors a number": lambda meta: {**meta, "tensors": 5},
    "tensors outside the folder": lambda meta: {**meta, "tensors": "../state-1.safetensors"},
    "tensors the pointer itself": lambda meta: {**meta, "tensors": "latest.json"},
    "tensors missing": lambda meta: {**meta, "tensors": "state-12345.safetensors"},
    "no checksum": lambda meta: {k: v for k, v in meta.items() if k != "sha256"},
    "checksum not hex": lambda meta: {**meta, "sha256": "abc"},
    "dict entries not pairs": lambda meta: {**meta, "state": {"__dict__": [[1]]}},
    "dict entries not a list": lambda meta: {**meta, "state": {"__dict__": 7}},  # was TypeError
    "an unknown object": lambda meta: {**meta, "state": {"weird": 1}},
    "a tensor the file lacks": lambda meta: {
        **meta,
        "state": _replace_first_tensor_reference(meta["state"], {"__tensor__": "s.nope"})[0],
    },
    "a tensor name a number": lambda meta: {
        **meta,
        "state": _replace_first_tensor_reference(meta["state"], {"__tensor__": 3})[0],
    },
    "truncated": lambda meta: json.dumps(meta)[: len(json.dumps(meta)) // 2],
    "empty": lambda meta: "",
    "not UTF-8": lambda meta: "\udcff",
}


@pytest.mark.parametrize("edit", list(POINTER_EDITS))
def test_a_pointer_of_the_wrong_shape_is_one_line_naming_it(edit, saved):
    if edit == "not UTF-8":
        (saved / checkpoint.POINTER).write_bytes(b"\xff{}")
    else:
        _edit_pointer(saved, POINTER_EDITS[edit])
    message = refused(checkpoint.load, saved)
    assert str(saved) in message and "to start afresh" in message
    assert refused(_resume, saved) == message  # what --resume says


def test_a_pointer_of_another_kind_of_file_is_refused(saved):
    (saved / checkpoint.POINTER).unlink()
    os.mkfifo(saved / checkpoint.POINTER)  # reading it would wait forever
    assert "no checkpoint" in refused(checkpoint.load, saved)


# ----- the tensor file and its checksum ----------------------------------------


def test_the_pointer_records_the_sha256_of_the_tensor_file(saved):
    meta = json.loads((saved / checkpoint.POINTER).read_text())
    assert (
        meta["sha256"] == hashlib.sha256((saved / meta["tensors"]).read_bytes()).hexdigest()
    )  # as `sha256sum` prints it


def test_flipped_bytes_in_the_tensor_file_are_caught_on_load(saved):
    """200 flipped bytes used to load silently and surface only as a NaN loss."""
    tensor_file = saved / json.loads((saved / checkpoint.POINTER).read_text())["tensors"]
    data = bytearray(tensor_file.read_bytes())
    middle = len(data) - 400  # inside the tensor data, past the safetensors header
    data[middle : middle + 200] = bytes(b ^ 0xFF for b in data[middle : middle + 200])
    tensor_file.write_bytes(bytes(data))
    message = refused(checkpoint.load, saved)
    assert str(tensor_file) in message and "sha256" in message and "corrupt" in message


def test_a_tensor_file_replaced_by_a_folder_is_refused(saved):
    tensor_file = saved / json.loads((saved / checkpoint.POINTER).read_text())["tensors"]
    tensor_file.unlink()
    tensor_file.mkdir()
    assert str(tensor_file) in refused(checkpoint.load, saved)


# ----- a checkpoint that loads but does not fit --------------------------------


def test_a_checkpoint_of_another_search_is_refused_naming_it(saved):
    message = refused(_resume, saved, problem=linear_problem())  # 2 parameters, not the MLP's
    assert str(saved / checkpoint.POINTER) in message and "does not fit" in message


def test_a_checkpoint_without_a_search_state_is_refused(tmp_path):
    checkpoint.save(tmp_path, {"model": torch.zeros(3)}, tag="1")  # e.g. a language model's
    message = refused(_resume, tmp_path)
    assert str(tmp_path / checkpoint.POINTER) in message and "'optimizer'" in message


def _edit_state(folder: Path, edit) -> None:
    """Change the decoded state, save it again with a valid checksum: a hand edit that passes `load`."""
    state = checkpoint.load(folder)
    edit(state)
    checkpoint.save(folder, state, tag="99")


STATE_EDITS = {
    "a step that is not a number": lambda s: s["optimizer"].__setitem__("step", "six"),
    "counters a list": lambda s: s.__setitem__("counters", [1, 2]),
    "a trace column missing": lambda s: s["trace"].pop("loss"),
    "trace columns of different lengths": lambda s: s["trace"].__setitem__("loss", torch.zeros(2, dtype=torch.float64)),
    "a trace shorter than the steps": lambda s: s.__setitem__("trace", {k: v[:2] for k, v in s["trace"].items()}),
    "seconds a string": lambda s: s.__setitem__("seconds", "soon"),
    "parameters of another shape": lambda s: s["optimizer"]["own"].__setitem__("params", torch.zeros(3)),
    "the Adam moments of another shape": lambda s: s["optimizer"]["own"].__setitem__("exp_avg", torch.zeros(3)),
}


@pytest.mark.parametrize("edit", list(STATE_EDITS))
def test_a_hand_edited_state_is_refused_naming_the_checkpoint(edit, saved):
    _edit_state(saved, STATE_EDITS[edit])
    assert str(saved / checkpoint.POINTER) in refused(_resume, saved)


def test_a_candidate_of_another_shape_is_refused(tmp_path):
    """Random search restores its candidate as saved; one of the wrong shape would fail steps later, or never."""

    def search(resume: bool):
        return run(
            mlp_problem(),
            make_optimizer("random_search"),
            Budget(steps=4),
            seed=1,
            checkpoint_dir=tmp_path,
            resume=resume,
        )

    search(False)
    _edit_state(tmp_path, lambda s: s["optimizer"].__setitem__("candidate", torch.zeros(3, dtype=torch.float64)))
    message = refused(search, True)
    assert str(tmp_path / checkpoint.POINTER) in message and "its candidate is shape (3,)" in message


def test_trace_from_state_says_what_is_wrong():
    with pytest.raises(ValueError, match="'best_loss' column"):
        Trace.from_state(
            {name: torch.zeros(2) for name in ("step", "forward_equivalents", "examples_seen", "seconds", "loss")}
        )
    with pytest.raises(ValueError, match="not a list"):
        Trace.from_state([])


# ----- what interrupted saves leave behind (item 21) ---------------------------


def test_leftovers_of_interrupted_saves_go_when_the_run_resumes(saved):
    leftovers = [
        ".tmp3RSpu6",
        ".state-9.safetensors.k2j4_x1a.tmp",
        ".latest.json.q8fz0w3p.tmp",
        "state-4.safetensors",
        "state-5.1.safetensors",
    ]
    for name in leftovers:
        (saved / name).write_bytes(b"half a file")
    (saved / "notes.txt").write_text("mine")  # not the checkpoint's: kept
    resumed = _resume(saved)
    pointed = json.loads((saved / checkpoint.POINTER).read_text())["tensors"]
    assert sorted(p.name for p in saved.iterdir()) == sorted([checkpoint.POINTER, pointed, "notes.txt"])
    assert resumed.steps == 6


def test_leftovers_stay_while_no_pointer_says_which_file_is_the_checkpoint(tmp_path):
    (tmp_path / "state-3.safetensors").write_bytes(b"x")
    assert checkpoint.remove_leftovers(tmp_path) == []
    assert (tmp_path / "state-3.safetensors").exists()


def test_saving_a_tag_again_never_replaces_the_file_the_pointer_names(tmp_path, monkeypatch):
    """A crash after the new tensors but before the new pointer must leave the old pair consistent."""
    checkpoint.save(tmp_path, {"x": torch.zeros(2)}, tag="1")

    class Crash(BaseException):
        pass

    def crash(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(checkpoint, "write_json", crash)
    with pytest.raises(Crash):
        checkpoint.save(tmp_path, {"x": torch.ones(2)}, tag="1")
    monkeypatch.undo()
    assert torch.equal(checkpoint.load(tmp_path)["x"], torch.zeros(2))
    checkpoint.save(tmp_path, {"x": torch.ones(2)}, tag="1")
    assert torch.equal(checkpoint.load(tmp_path)["x"], torch.ones(2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "state-1.1.safetensors"]


# ----- the NaN message ----------------------------------------------------------


def _diverge(**kwargs) -> str:
    with pytest.raises(DivergedError) as caught:
        run(mlp_problem(), make_optimizer("gradient", algorithm="sgd", lr=1e30), Budget(steps=50), seed=0, **kwargs)
    return str(caught.value)


def test_the_nan_message_says_truly_whether_a_checkpoint_is_kept(tmp_path):
    assert "keeps no checkpoints" in _diverge()
    early = _diverge(checkpoint_dir=tmp_path / "early", checkpoint_every=1000)
    assert "no checkpoint had been taken yet" in early and not checkpoint.exists(tmp_path / "early")
    kept = _diverge(checkpoint_dir=tmp_path / "kept", checkpoint_every=1)
    assert f"the last good checkpoint, in {tmp_path / 'kept'}, is kept" in kept and checkpoint.exists(tmp_path / "kept")


# ----- config.json for --resume (item 9) ----------------------------------------


def _write_config(out: Path, edit=None) -> Path:
    """config.json as `searchlab run regression --quick` writes it, changed by `edit` (to a value, or to text)."""
    experiment = get_experiment("regression")
    saved = {"experiment": "regression", "config": config_dict(experiment.make_config("quick"))}
    value = edit(saved) if edit else saved
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(value if isinstance(value, str) else json.dumps(value))
    return out / "config.json"


def test_a_saved_config_reads_back_as_it_was(tmp_path):
    _write_config(tmp_path)
    experiment = get_experiment("regression")
    assert saved_config(experiment, tmp_path) == experiment.make_config("quick")


CONFIG_EDITS = {
    "truncated": (lambda c: json.dumps(c)[:40], "not valid JSON"),  # was JSONDecodeError
    "a list": (lambda c: [c], "where an object was expected"),
    "no config": (lambda c: {"experiment": "regression"}, "no 'config' entry"),
    "config a list": (lambda c: {**c, "config": [1]}, "'config' is an array"),
    "experiment a number": (lambda c: {**c, "experiment": 3}, "'experiment' is the number 3"),
    "seed a string": (lambda c: {**c, "config": {**c["config"], "seed": "zero"}}, "'seed' is the string 'zero'"),
    "seed true": (lambda c: {**c, "config": {**c["config"], "seed": True}}, "'seed' is true"),
    "optimizers a string": (
        lambda c: {**c, "config": {**c["config"], "optimizers": "gradient"}},
        "'optimizers' is the string",
    ),
    "optimizers of numbers": (lambda c: {**c, "config": {**c["config"], "optimizers": [1]}}, "'optimizers' item 0"),
    "lr null": (lambda c: {**c, "config": {**c["config"], "lr": None}}, "'lr' is null"),
    "a refused value": (lambda c: {**c, "config": {**c["config"], "n": -3}}, "--n"),
}


@pytest.mark.parametrize("edit", list(CONFIG_EDITS))
def test_a_hostile_config_json_is_one_line_naming_it(edit, tmp_path):
    change, words = CONFIG_EDITS[edit]
    path = _write_config(tmp_path, change)
    message = refused(saved_config, get_experiment("regression"), tmp_path)
    assert str(path) in message and words in message, message


def test_a_config_of_another_experiment_is_refused(tmp_path):
    _write_config(tmp_path, lambda c: {**c, "experiment": "digits"})
    assert "holds a 'digits' run, not 'regression'" in refused(saved_config, get_experiment("regression"), tmp_path)


def test_no_config_json_means_no_run_to_resume(tmp_path):
    assert "no run to resume" in refused(saved_config, get_experiment("regression"), tmp_path)


# ----- stage records and metrics ------------------------------------------------


def test_a_truncated_stage_record_is_refused_naming_it(tmp_path):
    done = tmp_path / "outcome.json"
    done.write_text('{"best_loss": 0.5, "ste')
    context = RunContext(out=tmp_path, resume=True)
    never = lambda: pytest.fail("a resumed run must read the record, not redo the stage")  # noqa: E731
    message = refused(context.stage, done, never)
    assert str(done) in message and "run that stage again" in message
    done.write_text('{"best_loss": "low"}')
    assert "'best_loss' is the string 'low'" in refused(context.stage, done, never, {"best_loss": jsonfile.NUMBER})
    done.write_text('{"best_loss": 0.5}')
    assert context.stage(done, never, {"best_loss": jsonfile.NUMBER}) == {"best_loss": 0.5}
    fresh = dataclasses.replace(context, resume=False)  # a fresh run reruns every stage and keeps its new record
    assert fresh.stage(done, lambda: {"best_loss": 0.25}) == {"best_loss": 0.25}
    assert json.loads(done.read_text()) == {"best_loss": 0.25}


def test_a_metrics_file_with_a_cut_line_names_the_line(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text('{"step": 1, "loss": 2.0}\n\n{"step": 2, "loss": 1.5}\n{"step": 3, "lo')
    message = refused(jsonfile.read_lines, metrics, fix="run again", fields={"step": int})
    assert f"{metrics} line 4 is not valid JSON" in message
    metrics.write_text('{"step": 1}\n[2]\n')
    assert f"{metrics} line 2 holds an array" in refused(jsonfile.read_lines, metrics, fix="run again")
    metrics.write_text('{"step": 1}\n\n{"step": 2}\n')
    assert jsonfile.read_lines(metrics, fix="run again", fields={"step": int}) == [{"step": 1}, {"step": 2}]


def test_json_nested_past_the_recursion_limit_is_refused(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert "nested too deeply" in refused(jsonfile.read, path, fix="delete it")
