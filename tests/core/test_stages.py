"""Stages (core/stages.py): a finished stage's outcome is kept, read back on resume, and checked."""

from __future__ import annotations

import json

import pytest
import torch

from searchlab.core import jsonfile, stages
from searchlab.core.errors import SearchlabError


def test_a_fresh_run_computes_and_keeps_the_outcome(tmp_path):
    record = tmp_path / "a" / "b" / stages.RECORD
    calls = []
    outcome = stages.stage(record, lambda: calls.append(1) or {"x": 1.5, "rows": [1, 2]}, resume=False)
    assert outcome == {"x": 1.5, "rows": [1, 2]} and calls == [1]
    assert json.loads(record.read_text()) == outcome


def test_a_resumed_run_reads_the_record_back_instead_of_computing(tmp_path):
    record = tmp_path / stages.RECORD
    stages.stage(record, lambda: {"x": 2}, resume=False)
    again = stages.stage(record, lambda: pytest.fail("recomputed a finished stage"), resume=True, fields={"x": int})
    assert again == {"x": 2}


def test_a_fresh_run_ignores_an_old_record(tmp_path):
    record = tmp_path / stages.RECORD
    record.write_text('{"x": 1}')
    assert stages.stage(record, lambda: {"x": 7}, resume=False) == {"x": 7}
    assert json.loads(record.read_text()) == {"x": 7}


def test_a_resumed_run_without_a_record_runs_the_stage(tmp_path):
    assert stages.stage(tmp_path / stages.RECORD, lambda: {"x": 3}, resume=True) == {"x": 3}


def test_a_stage_that_fails_leaves_no_record(tmp_path):
    record = tmp_path / stages.RECORD

    def broken():
        raise RuntimeError("stopped halfway")

    with pytest.raises(RuntimeError):
        stages.stage(record, broken, resume=False)
    assert not record.exists() and list(tmp_path.iterdir()) == []


def test_a_record_of_the_wrong_shape_or_refused_by_the_check_names_the_file(tmp_path):
    record = tmp_path / stages.RECORD
    record.write_text('{"x": "many"}')
    with pytest.raises(SearchlabError, match=r"delete .*outcome\.json to run that stage again"):
        stages.stage(record, dict, resume=True, fields={"x": jsonfile.NUMBER})

    def no_negatives(outcome, path):
        if outcome["x"] < 0:
            raise SearchlabError(f"{path} holds a negative x")

    record.write_text('{"x": -1}')
    with pytest.raises(SearchlabError, match=r"outcome\.json holds a negative x"):
        stages.stage(record, dict, resume=True, check=no_negatives)
    with pytest.raises(SearchlabError, match="negative x"):
        stages.read(record, check=no_negatives)
    with pytest.raises(SearchlabError, match="run the experiment again"):
        stages.read(tmp_path / "missing.json")


def test_kept_tensors_round_trip_nested_values(tmp_path):
    state = {"traces": [{"loss": torch.tensor([1.0, 0.5], dtype=torch.float64)}], "center": [0.1, 0.2], "n": 3}
    stages.keep_tensors(tmp_path, state)
    back = stages.kept_tensors(tmp_path, keys=("traces", "center", "n"))
    assert torch.equal(back["traces"][0]["loss"], state["traces"][0]["loss"])
    assert back["center"] == [0.1, 0.2] and back["n"] == 3
    with pytest.raises(SearchlabError, match="missing"):
        stages.kept_tensors(tmp_path, keys=("missing",))
    with pytest.raises(SearchlabError, match="no checkpoint"):
        stages.kept_tensors(tmp_path / "nowhere", keys=())
