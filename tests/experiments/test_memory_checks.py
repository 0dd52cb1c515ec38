"""A network too large for the machine is refused in one line, with the estimate and the memory available (issue 15).

Before, `run digits --hidden 100000000` and `run charlm --width 65536` died in the allocator with a traceback,
after config.json was written. The sizes below need hundreds of gigabytes to petabytes: no machine that runs
the suite has that much, so the refusal does not depend on this machine (and nothing is allocated to find out).
"""

from __future__ import annotations

import importlib
import re

import pytest

from cli_checks import error_line
from searchlab.core.errors import SearchlabError
from searchlab.experiments import charlm, digits
from searchlab.lm.memory import available_memory, require_memory
from searchlab.lm.model import ModelConfig, parameter_count, training_memory_bytes

memory = importlib.import_module("searchlab.lm.memory")


def _gigabytes(line: str) -> list[float]:
    return [float(number.replace(",", "")) for number in re.findall(r"([\d,]+\.\d) GB", line)]


@pytest.mark.parametrize(
    "argv, setting",
    [
        (["run", "digits", "--hidden", "100000000"], "--hidden 100000000"),
        (["run", "digits", "--hidden", "1000000000000", "--optimizer", "evolution"], "--hidden 1000000000000"),
        (["run", "charlm", "--width", "65536"], "--width 65536"),
        (["run", "charlm", "--quick", "--layers", "1", "--batch_size", "10000000"], "--batch_size 10000000"),
    ],
)
def test_a_network_too_large_is_refused_before_anything_is_written(argv, setting, capsys, tmp_path):
    out = tmp_path / "run"
    line = error_line(capsys, [*argv, "--out", str(out)])
    assert setting in line and "available" in line, line
    needed, available = _gigabytes(line)
    assert needed > available > 0
    assert not out.exists()


def test_the_refusal_names_both_numbers(monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda device="cpu": (2_000_000_000, "this machine"))
    require_memory(1_999_999_999, "--hidden 5", "5 weights", "use fewer")  # fits: nothing happens
    with pytest.raises(SearchlabError) as caught:
        require_memory(3_500_000_000, "--hidden 5", "5 weights x 8 bytes", "use a smaller --hidden")
    assert str(caught.value) == (
        "--hidden 5 needs about 3.5 GB of memory (5 weights x 8 bytes), but this machine has 2.0 GB "
        "available; use a smaller --hidden"
    )
    monkeypatch.setattr(memory, "available_memory", lambda device="cpu": (None, "this machine"))
    require_memory(10**18, "--hidden 5", "5 weights", "use fewer")  # unknown: not refused


def test_the_available_memory_is_read_from_the_machine():
    available, where = available_memory()
    assert available is not None and available > 0 and where == "this machine"


def test_the_default_sizes_fit_easily():
    digits.prepare(digits.EXPERIMENT.make_config())  # does not raise
    full = charlm.EXPERIMENT.make_config()
    model = ModelConfig(vocab_size=256, layers=full.layers, heads=full.heads, width=full.width, context=full.context)
    assert training_memory_bytes(model, full.batch_size) < 1e9  # under a gigabyte
    layers = full.layers
    assert parameter_count(model) == 12 * layers * 128 * 128 + 4 * layers * 128 + (256 + 128) * 128 + 2 * 128
