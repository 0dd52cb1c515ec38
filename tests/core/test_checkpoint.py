"""Checkpoints round-trip nested state through safetensors + JSON, atomically."""

from __future__ import annotations

import pytest
import torch

from searchlab.core import SearchlabError, checkpoint
from searchlab.core.files import write_text


def test_round_trip_keeps_structure_and_types(tmp_path):
    state = {
        "weights": torch.arange(6, dtype=torch.float64).reshape(2, 3),
        "torch_state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.ones(4)}},
        "groups": [{"lr": 0.1, "betas": [0.9, 0.999], "params": [0]}],
        "name": "adam",
        "none": None,
        "flag": True,
    }
    checkpoint.save(tmp_path, state, tag="1")
    loaded = checkpoint.load(tmp_path)
    assert torch.equal(loaded["weights"], state["weights"]) and loaded["weights"].dtype == torch.float64
    assert list(loaded["torch_state"]) == [0]  # int keys stay ints
    assert torch.equal(loaded["torch_state"][0]["exp_avg"], torch.ones(4))
    assert loaded["groups"] == state["groups"]
    assert (loaded["name"], loaded["none"], loaded["flag"]) == ("adam", None, True)


def test_new_checkpoint_replaces_old_files(tmp_path):
    checkpoint.save(tmp_path, {"x": torch.zeros(2)}, tag="1")
    checkpoint.save(tmp_path, {"x": torch.ones(2)}, tag="2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "state-2.safetensors"]
    assert torch.equal(checkpoint.load(tmp_path)["x"], torch.ones(2))


def test_missing_or_corrupt_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(SearchlabError, match="no checkpoint"):
        checkpoint.load(tmp_path)
    checkpoint.save(tmp_path, {"x": torch.zeros(2)}, tag="1")
    (tmp_path / "state-1.safetensors").write_bytes(b"garbage")
    with pytest.raises(SearchlabError, match="unreadable"):
        checkpoint.load(tmp_path)


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "a.txt"
    write_text(target, "old")

    class Boom(Exception):
        pass

    from searchlab.core.files import atomic_write

    def fail(tmp):
        tmp.write_text("half")
        raise Boom

    with pytest.raises(Boom):
        atomic_write(target, fail)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_write_tensors_round_trips_numpy_and_torch_with_metadata_and_leaves_no_temporary(tmp_path):
    import numpy as np
    from safetensors import safe_open

    from searchlab.core.files import write_tensors

    table = np.arange(9, dtype=np.int8)
    weights = {"w": torch.randn(3, 2), "b": torch.zeros(2)}
    write_tensors(tmp_path / "t.safetensors", {"table": table}, {"kind": "table"})
    write_tensors(tmp_path / "n.safetensors", weights, {"kind": "net"})
    with safe_open(tmp_path / "t.safetensors", framework="numpy") as f:
        assert np.array_equal(f.get_tensor("table"), table) and f.metadata() == {"kind": "table"}
    with safe_open(tmp_path / "n.safetensors", framework="pt") as f:
        assert all(torch.equal(f.get_tensor(k), v) for k, v in weights.items()) and f.metadata() == {"kind": "net"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.safetensors", "t.safetensors"]
