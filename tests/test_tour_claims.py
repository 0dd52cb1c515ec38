"""The tour gathers every run's claims into claims.json, with the rule its verdicts follow."""

from __future__ import annotations

import json

import pytest

from searchlab.core.errors import SearchlabError
from searchlab.core.intervals import RULE, bootstrap_interval, claim_row
from searchlab.runner.tour import collect_claims


def _run(folder, claims=None):
    folder.mkdir()
    result = {"experiment": folder.name} if claims is None else {"experiment": folder.name, "claims": claims}
    (folder / "result.json").write_text(json.dumps(result))
    return folder


def test_claims_of_every_run_land_in_one_file_naming_their_run(tmp_path):
    row = claim_row("a_claim", "A holds", "a measure", bootstrap_interval([1.0, 2.0, 3.0]), threshold=0.0, section="S")
    runs = [
        _run(tmp_path / "one", [row]),
        _run(tmp_path / "two"),
        _run(tmp_path / "three", [row, "not a row", {"id": "half"}, row]),
    ]
    collected = collect_claims(tmp_path / "claims.json", runs, size="quick")
    saved = json.loads((tmp_path / "claims.json").read_text())
    assert saved == {"size": "quick", "rule": RULE, "claims": collected}
    assert [c["run"] for c in collected] == ["one", "three", "three"]
    assert collected[0] == {**row, "run": "one"} and collected[0]["verdict"] == "supported"


def test_an_unreadable_result_is_a_one_line_error_naming_it(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "result.json").write_text("{not json")
    with pytest.raises(SearchlabError, match=r"result\.json"):
        collect_claims(tmp_path / "claims.json", [bad], size="quick")
    assert not (tmp_path / "claims.json").exists()
