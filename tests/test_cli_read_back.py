"""The command line reads back what it wrote (config.json, sweep.json) and refuses a damaged file in one line."""

from __future__ import annotations

import json

import pytest

from cli_checks import error_line


def test_a_truncated_config_json_before_resume_is_one_line_naming_it(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    whole = json.dumps({"experiment": "regression", "config": {"seed": 0}})
    (out / "config.json").write_text(whole[:25])
    line = error_line(capsys, ["run", "regression", "--resume", "--out", str(out), "--no-progress"])
    assert str(out / "config.json") in line and "not valid JSON" in line
    assert (out / "config.json").read_text() == whole[:25] and sorted(p.name for p in out.iterdir()) == ["config.json"]


def test_a_truncated_sweep_json_before_resume_is_one_line_naming_it(tmp_path, capsys):
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "sweep.json").write_text('{"experiment": "regression", "size": "qu')
    line = error_line(capsys, ["sweep", "regression", "--quick", "--grid", "n=50,100", "--resume", "--out", str(out)])
    assert str(out / "sweep.json") in line and "not valid JSON" in line


@pytest.mark.parametrize("value", ["0", "-5", "x"])
def test_whole_number_flags_of_at_least_one_say_so_for_every_bad_value(value, capsys):
    line = error_line(capsys, ["play", "connect4", f"--simulations={value}"])
    assert "--simulations" in line and ">= 1" in line and ">= 0" not in line


@pytest.mark.parametrize(
    "text, words",
    [
        ('{"x": "ab', "not valid JSON (Unterminated string starting, line 1"),
        ("1" * 5000, "a number too long to read"),
    ],
)
def test_json_read_back_errors_are_one_readable_line(tmp_path, text, words):
    from searchlab.core import jsonfile
    from searchlab.core.errors import SearchlabError

    (tmp_path / "a.json").write_text(text)
    with pytest.raises(SearchlabError) as caught:
        jsonfile.read(tmp_path / "a.json", fix="write it again")
    assert (
        words in str(caught.value) and str(tmp_path / "a.json") in str(caught.value) and "\n" not in str(caught.value)
    )


def test_a_truncated_tour_record_before_resume_is_one_line_naming_it(tmp_path, capsys):
    out = tmp_path / "tour"
    out.mkdir()
    (out / "tour.json").write_text('{"size": "qu')
    line = error_line(
        capsys, ["tour", "--quick", "--only", "regression", "--resume", "--out", str(out), "--no-progress"]
    )
    assert str(out / "tour.json") in line and "not valid JSON" in line
