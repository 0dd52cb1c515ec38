"""The test tooling: margins' clearance rule and the pinned-versus-normal comparison."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

from margins import OPERATORS, REGISTRY, check, clear, margin

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_clear_measures_the_worst_draw_in_standard_deviations():
    values = [0.6, 0.7, 0.8]  # std 0.1
    above = clear(values, ">", 0.25)
    assert above["worst"] == 0.6 and above["std"] == pytest.approx(0.1)
    assert above["sigmas_clear"] == pytest.approx(3.5) and above["ok"]
    assert not clear(values, ">", 0.35)["ok"]  # 2.5 sd: too close
    below = clear(values, "<", 1.2)
    assert below["worst"] == 0.8 and below["sigmas_clear"] == pytest.approx(4.0) and below["ok"]
    assert not clear(values, "<", 0.75)["ok"]  # a draw fails
    assert clear([1.0, 1.0], ">=", 1.0)["sigmas_clear"] == math.inf
    assert clear([1.0, 1.0], ">", 1.0)["sigmas_clear"] == -math.inf


@margin(seed=3, value=(">", 2.5))
def _seed_itself(seed: int) -> dict[str, float]:
    return {"value": float(seed)}


REGISTRY.pop(_seed_itself.margin.name)  # a check of the tooling, not a quantity to measure


def test_check_asserts_at_the_registered_seed_and_names_the_failing_bound():
    assert check(_seed_itself) == {"value": 3.0}
    with pytest.raises(AssertionError, match=r"value = 2, expected > 2.5"):
        check(_seed_itself, seed=2)
    with pytest.raises(ValueError, match="expected"):
        margin(seed=0, value=("=>", 1.0))
    assert set(OPERATORS) == {">", ">=", "<", "<="}


JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.a" name="test_ok" time="0.1"/>
<testcase classname="tests.a" name="test_edge" time="0.1">{edge}</testcase>
<testcase classname="tests.b" name="test_gpu" time="0"><skipped message="needs a CUDA GPU"/></testcase>
{extra}
</testsuite></testsuites>"""


def test_pinned_vs_normal_reports_exactly_the_tests_whose_outcome_differs(tmp_path):
    script = _script("pinned_vs_normal")
    pinned, normal = tmp_path / "pinned.xml", tmp_path / "normal.xml"
    pinned.write_text(
        JUNIT.format(
            edge='<failure message="assert 0.15 &gt; 0.15">trace</failure>',
            extra='<testcase classname="tests.c" name="test_only_pinned"/>',
        )
    )
    normal.write_text(JUNIT.format(edge="", extra=""))
    differ = script.compare(script.outcomes(pinned), script.outcomes(normal))
    assert differ == [
        {"test": "tests.a::test_edge", "pinned": "failed", "normal": "passed", "message": "assert 0.15 > 0.15"},
        {"test": "tests.c::test_only_pinned", "pinned": "passed", "normal": "absent", "message": ""},
    ]
    assert script.compare(script.outcomes(normal), script.outcomes(normal)) == []
