"""Fault injection: a run killed at each step of a checkpoint write resumes bitwise, and leaves nothing behind.

A checkpoint save is a short sequence of file operations: write the tensors to a
temporary file, move it into place, write the pointer to a temporary file, move it
into place, remove what the new checkpoint supersedes. The in-process tests record
that sequence and then, for every step of it, stop the run there: the checkpoint
folder is copied as it stands at that instant (exactly what a SIGKILL would leave on
disk: no handler runs, every finished write is in the page cache), the run is
abandoned, and a run resumed from the copy must end with the same parameters and
losses as one never interrupted, in a folder holding only the final checkpoint. The
subprocess test does the same with a real SIGKILL in the middle of writing the pointer
(tests/core/test_interrupts.py kills between the tensors and the pointer through
SEARCHLAB_INTERRUPT_AT's checkpoint point).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from searchlab.core import Budget, checkpoint, interrupts, run
from searchlab.optimizers import make_optimizer
from small_problems import mlp_problem

TESTS = Path(__file__).resolve().parents[1]
STEPS, EVERY = 10, 3  # saves at steps 3, 6, 9 and the final one at 10


def _search(folder: Path | None, *, resume: bool = False):
    optimizer = make_optimizer("gradient", batch_size=16, algorithm="adam")
    return run(
        mlp_problem(),
        optimizer,
        Budget(steps=STEPS),
        seed=5,
        checkpoint_dir=folder,
        checkpoint_every=EVERY,
        resume=resume,
    )


@pytest.fixture(scope="module")
def whole():
    return _search(None)


class _Killed(BaseException):
    """Stands for SIGKILL in-process: nothing in searchlab catches it."""


class _Faults:
    """Watches the file operations of one checkpoint save; records them, or stops the run at one of them.

    The operations are `Path.write_bytes`/`write_text` (a temporary file being filled),
    `os.replace` (a file moved into place) and `os.unlink` (a leftover removed). Each
    gives two points to stop at: before it, and after it (for a write: half-way, a torn file).
    """

    def __init__(
        self, monkeypatch, folder: Path, save: int, stop_at: int | None = None, copy_to: Path | None = None
    ) -> None:
        self.folder, self.save, self.stop_at, self.copy_to = folder, save, stop_at, copy_to
        self.saves = 0
        self.points: list[str] = []
        real_save, real_replace, real_unlink = checkpoint.save, os.replace, os.unlink
        real_write_bytes, real_write_text = Path.write_bytes, Path.write_text
        faults = self

        def save(*args, **kwargs):
            faults.saves += 1
            return real_save(*args, **kwargs)

        def replace(src, dst, *args, **kwargs):
            faults.point(f"before moving {_name(src)} to {_name(dst)}")
            real_replace(src, dst, *args, **kwargs)
            faults.point(f"after moving {_name(src)} to {_name(dst)}")

        def unlink(path, *args, **kwargs):
            faults.point(f"before removing {_name(path)}")
            real_unlink(path, *args, **kwargs)
            faults.point(f"after removing {_name(path)}")

        def write(real):
            def wrapped(path, data, *args, **kwargs):
                if faults.point(f"half-way through writing {_name(path)}", stop=False):
                    real(path, data[: len(data) // 2], *args, **kwargs)
                    faults.stop()
                return real(path, data, *args, **kwargs)

            return wrapped

        monkeypatch.setattr(checkpoint, "save", save)
        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(os, "unlink", unlink)
        monkeypatch.setattr(Path, "write_bytes", write(real_write_bytes))
        monkeypatch.setattr(Path, "write_text", write(real_write_text))

    def point(self, label: str, stop: bool = True) -> bool:
        """Record a point of the watched save; stop there if it is the chosen one (or say so, with stop=False)."""
        if self.saves != self.save:
            return False
        self.points.append(label)
        chosen = len(self.points) - 1 == self.stop_at
        if chosen and stop:
            self.stop()
        return chosen

    def stop(self) -> None:
        shutil.copytree(self.folder, self.copy_to)  # the disk as a SIGKILL would leave it
        raise _Killed(self.points[-1])


def _name(path) -> str:
    """A file's name with the random part of a temporary name left out, so that points compare across runs."""
    name = Path(path).name
    if name.endswith(".tmp"):
        name = name.rsplit(".", 2)[0] + ".*.tmp"
    return name


def _points(monkeypatch, tmp_path, save: int) -> list[str]:
    with monkeypatch.context() as patch:
        faults = _Faults(patch, tmp_path / "record", save)
        _search(tmp_path / "record")
    return faults.points


def _only_the_final_checkpoint(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_save_is_the_sequence_the_faults_cover(monkeypatch, tmp_path):
    """The second save (step 6) replaces the first: every kind of step is in it."""
    assert _points(monkeypatch, tmp_path, save=2) == [
        "half-way through writing .state-6.safetensors.*.tmp",
        "before moving .state-6.safetensors.*.tmp to state-6.safetensors",
        "after moving .state-6.safetensors.*.tmp to state-6.safetensors",
        "half-way through writing .latest.json.*.tmp",
        "before moving .latest.json.*.tmp to latest.json",
        "after moving .latest.json.*.tmp to latest.json",
        "before removing state-3.safetensors",
        "after removing state-3.safetensors",
    ]


@pytest.mark.parametrize(
    "save", [1, 2, 4]
)  # the first (nothing to fall back on), one that supersedes another, the last
def test_a_kill_at_each_step_of_a_save_resumes_bitwise(save, whole, monkeypatch, tmp_path):
    points = _points(monkeypatch, tmp_path, save)
    assert points
    for index, point in enumerate(points):
        folder, left = tmp_path / f"run-{index}", tmp_path / f"left-{index}"
        with monkeypatch.context() as patch:
            _Faults(patch, folder, save, stop_at=index, copy_to=left)
            with pytest.raises(_Killed):
                _search(folder)
        resumed = _search(left, resume=True)
        assert torch.equal(resumed.candidate, whole.candidate), point
        assert resumed.trace["loss"] == whole.trace["loss"], point
        assert resumed.forward_equivalents == whole.forward_equivalents, point
        assert _only_the_final_checkpoint(left) == ["latest.json", f"state-{STEPS}.safetensors"], point


TORN_POINTER = """
import os, signal, sys
from pathlib import Path
from searchlab.core import Budget, run
from searchlab.optimizers import make_optimizer
from small_problems import mlp_problem

real_write_text = Path.write_text
pointers = 0

def write_text(path, text, *args, **kwargs):  # the third pointer is cut half-way by a SIGKILL
    global pointers
    if path.name.startswith(".latest.json."):
        pointers += 1
        if pointers == 3:
            real_write_text(path, text[: len(text) // 2], *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
    return real_write_text(path, text, *args, **kwargs)

Path.write_text = write_text
run(mlp_problem(), make_optimizer("gradient", batch_size=16, algorithm="adam"), Budget(steps=%d), seed=5,
    checkpoint_dir=sys.argv[1], checkpoint_every=%d)
""" % (STEPS, EVERY)  # noqa: UP031 (a script template: % leaves its own braces alone)


@pytest.mark.slow
def test_a_sigkill_inside_a_save_resumes_bitwise_and_leaves_nothing_behind(whole, tmp_path):
    env = {key: value for key, value in os.environ.items() if key != interrupts.VARIABLE}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    killed = subprocess.run(
        [sys.executable, "-c", TORN_POINTER, str(tmp_path)], env=env, capture_output=True, text=True, timeout=300
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = _only_the_final_checkpoint(tmp_path)
    assert "state-9.safetensors" in left  # the third save's tensors, which no pointer names ...
    assert any(name.startswith(".latest.json.") for name in left)  # ... and its torn pointer
    assert checkpoint.load(tmp_path)["optimizer"]["step"] == 6  # the second save is whole

    resumed = _search(tmp_path, resume=True)
    assert torch.equal(resumed.candidate, whole.candidate)
    assert resumed.trace["loss"] == whole.trace["loss"]
    assert _only_the_final_checkpoint(tmp_path) == ["latest.json", f"state-{STEPS}.safetensors"]
