"""Output paths a hostile user might give: nothing on disk is overwritten, every mistake is one `error:` line.

Covers `--out` for every command that takes one (an existing file, a path below a file, a folder that
cannot be created), `report --out` aimed at a run's own files or at a folder, a tour folder reused
without --resume, `tour --only` naming nothing, and the mode of written files (the umask's, not 0600).
The README's promise that a run folder is never overwritten is checked against real runs at the end.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from cli_checks import error_line
from searchlab.cli import build_parser, main
from searchlab.core import files, metrics_row
from searchlab.runner import runs
from searchlab.runner.tour import tour_folder

# A regression run small enough for a test: the closed form only, tiny figures.
TINY_RUN = [
    "run",
    "regression",
    "--quick",
    "--no-progress",
    "--optimizers",
    "least_squares",
    "--cloud",
    "3",
    "--grid_levels",
    "5",
]
# A name longer than any file system allows (255 bytes): creating it fails for every user, root included.
TOO_LONG = "x" * 300


@pytest.fixture
def no_runs(monkeypatch):
    """Make any experiment that starts fail the test: a refused command must refuse before running anything."""

    def refuse(*args, **kwargs):
        raise AssertionError("an experiment started although the command should have been refused")

    monkeypatch.setattr(runs, "execute", refuse)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def fake_run(folder: Path, name: str = "regression") -> Path:
    """A finished run folder as `searchlab report` reads it (result.json, config.json, metrics.jsonl)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"experiment": name, "config": {"seed": 0}}))
    (folder / "metrics.jsonl").write_text(
        json.dumps(metrics_row("optimizer=sgd", step=0, forward_equivalents=0, loss=1.0)) + "\n"
    )
    (folder / "result.json").write_text(
        json.dumps({"experiment": name, "title": f"The {name} experiment", "loss": 1.5})
    )
    return folder


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int, int]]:
    """Every path under `root` (itself included) with its bytes (None for folders), mode and mtime."""
    found = {}
    for path in [root, *sorted(root.rglob("*"))]:
        info = path.lstat()
        found[str(path.relative_to(root))] = (
            path.read_bytes() if stat.S_ISREG(info.st_mode) else None,
            info.st_mode,
            info.st_mtime_ns,
        )
    return found


# ----- report --out (items 1 and 10) ------------------------------------------------------------


@pytest.mark.parametrize("target", ["result.json", "config.json", "metrics.jsonl"])
def test_report_never_replaces_a_run_file_with_html(capsys, tmp_path, target):
    run = fake_run(tmp_path / "run")
    before = snapshot(tmp_path)
    line = error_line(capsys, ["report", str(run), "--out", str(run / target)])
    assert "not a searchlab report" in line and target in line
    assert snapshot(tmp_path) == before


def test_report_never_replaces_a_page_it_did_not_write(capsys, tmp_path):
    run = fake_run(tmp_path / "run")
    page = tmp_path / "mine.html"
    page.write_text("<!doctype html>\n<html><head><title>my notes</title></head><body>keep me</body></html>\n")
    before = snapshot(tmp_path)
    assert "not a searchlab report" in error_line(capsys, ["report", str(run), "--out", str(page)])
    assert snapshot(tmp_path) == before


def test_report_replaces_a_report_it_wrote_and_one_from_before_the_generator_tag(capsys, tmp_path):
    run = fake_run(tmp_path / "run")
    page = tmp_path / "report.html"
    assert main(["report", str(run), "--out", str(page)]) == 0
    assert main(["report", str(run), "--out", str(page)]) == 0
    # A page written before reports named their generator: the same head without the tag.
    legacy = "\n".join(line for line in page.read_text().splitlines() if 'name="generator"' not in line)
    page.write_text(legacy)
    assert main(["report", str(run), "--out", str(page)]) == 0
    assert 'name="generator"' in page.read_text()
    capsys.readouterr()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_report_out_that_is_a_fifo_is_refused_without_opening_it(capsys, tmp_path):
    run = fake_run(tmp_path / "run")
    os.mkfifo(tmp_path / "pipe")
    assert "not a searchlab report" in error_line(capsys, ["report", str(run), "--out", str(tmp_path / "pipe")])
    assert stat.S_ISFIFO((tmp_path / "pipe").lstat().st_mode)


@pytest.mark.parametrize("folder", ["empty", "run"])
def test_report_out_that_is_a_folder_is_refused(capsys, tmp_path, folder):
    run = fake_run(tmp_path / "run")
    (tmp_path / "empty").mkdir()
    before = snapshot(tmp_path)
    line = error_line(capsys, ["report", str(run), "--out", str(tmp_path / folder)])
    assert "is a folder, not a file" in line
    assert snapshot(tmp_path) == before


# ----- --out of every command: a file, below a file, cannot be created (items 6 and 7) -----------

FOLDER_COMMANDS = {
    "run": ["run", "regression", "--quick"],
    "run --resume": ["run", "regression", "--resume"],
    "tour": ["tour", "--quick", "--only", "regression"],
    "tour --resume": ["tour", "--quick", "--only", "regression", "--resume"],
    "sweep": ["sweep", "regression", "--quick", "--grid", "lr=0.01,0.1"],
    "sweep --resume": ["sweep", "regression", "--quick", "--grid", "lr=0.01,0.1", "--resume"],
}


@pytest.mark.parametrize("command", list(FOLDER_COMMANDS))
def test_out_naming_an_existing_file_is_refused(capsys, tmp_path, no_runs, command):
    (tmp_path / "taken").write_text("mine")
    before = snapshot(tmp_path)
    line = error_line(capsys, [*FOLDER_COMMANDS[command], "--out", str(tmp_path / "taken")])
    assert "is a file, not a folder" in line
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", [*FOLDER_COMMANDS, "report"])
def test_out_below_a_file_is_refused(capsys, tmp_path, no_runs, command):
    (tmp_path / "taken").write_text("mine")
    argv = (
        ["report", str(fake_run(tmp_path / "run")), "--out"]
        if command == "report"
        else [*FOLDER_COMMANDS[command], "--out"]
    )
    out = tmp_path / "taken" / "deeper" / ("report.html" if command == "report" else "out")
    before = snapshot(tmp_path)
    line = error_line(capsys, [*argv, str(out)])
    assert f"{tmp_path / 'taken'} is a file, not a folder" in line
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("command", ["run", "tour", "sweep", "report"])
def test_out_that_cannot_be_created_is_refused_and_leaves_nothing(capsys, tmp_path, no_runs, command):
    """A name too long for the file system fails for every user, root included; nothing is created on the way."""
    argv = (
        ["report", str(fake_run(tmp_path / "run")), "--out"]
        if command == "report"
        else [*FOLDER_COMMANDS[command], "--out"]
    )
    before = snapshot(tmp_path)
    line = error_line(capsys, [*argv, str(tmp_path / "new" / "deeper" / TOO_LONG)])
    assert "cannot be created" in line and "longer than the" in line
    assert snapshot(tmp_path) == before


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("command", ["run", "tour", "sweep", "report"])
def test_out_under_a_read_only_folder_is_refused(capsys, tmp_path, no_runs, command):
    argv = (
        ["report", str(fake_run(tmp_path / "run")), "--out"]
        if command == "report"
        else [*FOLDER_COMMANDS[command], "--out"]
    )
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        line = error_line(capsys, [*argv, str(locked / "new" / "out")])
        assert "cannot be created" in line and f"{locked} is a folder you cannot write into" in line
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_check_out_folder_leaves_an_existing_folder_alone_and_creates_nothing(tmp_path):
    (tmp_path / "there").mkdir()
    files.check_out_folder(tmp_path / "there")
    files.check_out_folder(tmp_path / "a" / "b" / "c")
    assert [p.name for p in tmp_path.iterdir()] == ["there"]


# ----- tour --out (item 2) and tour --only (item 18) --------------------------------------------


def fake_tour(folder: Path, *, tour_file: bool, size: str = "quick") -> Path:
    """A finished one-experiment tour folder; without `tour_file`, as tours were written before tour.json."""
    fake_run(folder / "regression")
    (folder / "index.html").write_text('<!doctype html>\n<meta name="generator" content="searchlab 0">\n')
    if tour_file:
        (folder / "tour.json").write_text(json.dumps({"size": size, "overrides": {}}))
    return folder


@pytest.mark.parametrize("tour_file", [True, False])
def test_tour_into_a_folder_holding_a_tour_is_refused_without_resume(capsys, tmp_path, no_runs, tour_file):
    tour = fake_tour(tmp_path / "tour", tour_file=tour_file)
    before = snapshot(tmp_path)
    line = error_line(capsys, ["tour", "--quick", "--only", "regression", "--out", str(tour)])
    assert "holds a tour" in line and "--resume" in line
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("resume", [[], ["--resume"]])
def test_tour_into_a_run_folder_is_refused(capsys, tmp_path, no_runs, resume):
    run = fake_run(tmp_path / "run")
    before = snapshot(tmp_path)
    line = error_line(capsys, ["tour", "--quick", "--only", "regression", *resume, "--out", str(run)])
    assert ("no tour to resume" if resume else "is not empty") in line
    assert snapshot(tmp_path) == before


def test_tour_resume_keeps_finished_experiments_and_rewrites_only_its_report(capsys, tmp_path, no_runs):
    tour = fake_tour(tmp_path / "tour", tour_file=False)
    run_before = snapshot(tour / "regression")
    assert main(["tour", "--quick", "--only", "regression", "--resume", "--out", str(tour)]) == 0
    assert "kept (already finished)" in capsys.readouterr().out
    assert snapshot(tour / "regression") == run_before
    assert json.loads((tour / "tour.json").read_text()) == {"size": "quick", "overrides": {}}
    assert "The regression experiment" in (tour / "index.html").read_text()


def test_tour_resume_with_other_settings_is_refused(capsys, tmp_path, no_runs):
    tour = fake_tour(tmp_path / "tour", tour_file=True, size="quick")
    before = snapshot(tmp_path)
    line = error_line(capsys, ["tour", "--only", "regression", "--resume", "--out", str(tour)])
    assert "size" in line and '"quick"' in line
    assert snapshot(tmp_path) == before


def test_tour_resume_refuses_an_index_that_is_not_a_report(capsys, tmp_path, no_runs):
    tour = fake_tour(tmp_path / "tour", tour_file=True)
    (tour / "index.html").write_text("my own page")
    before = snapshot(tmp_path)
    assert "not a searchlab report" in error_line(
        capsys, ["tour", "--quick", "--only", "regression", "--resume", "--out", str(tour)]
    )
    assert snapshot(tmp_path) == before


def test_default_tour_folder_moves_on_when_runs_tour_is_taken(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fake_tour(Path("runs/tour"), tour_file=True)
    for argv, folder in ((["tour", "--quick"], "runs/tour-2"), (["tour", "--quick", "--resume"], "runs/tour")):
        args = build_parser().parse_args(argv)
        assert tour_folder(args.out, resume=args.resume, size=args.size, overrides={}) == Path(folder)


@pytest.mark.parametrize(
    "only,needle",
    [
        ("", "names no experiment"),
        (",,,", "names no experiment"),
        (" , ", "names no experiment"),
        ("regression,regression", "lists regression twice"),
    ],
)
def test_tour_only_naming_nothing_or_twice_is_refused(capsys, tmp_path, no_runs, only, needle):
    assert needle in error_line(capsys, ["tour", "--quick", "--only", only, "--out", str(tmp_path / "tour")])
    assert list(tmp_path.iterdir()) == []


# ----- file modes (item 22) ---------------------------------------------------------------------


@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_umask_mode(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        written = [
            files.write_text(tmp_path / "a.txt", "text"),
            files.write_bytes(tmp_path / "b.bin", b"\x00"),
            files.write_json(tmp_path / "c.json", {"a": 1}),
            files.atomic_write(tmp_path / "d.bin", lambda tmp: tmp.write_bytes(b"d")),
        ]
        # Replacing a file gives the new file the umask's mode too.
        written.append(files.write_text(tmp_path / "a.txt", "again"))
    finally:
        os.umask(old)
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == mode, path


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o000])
def test_current_umask_reads_the_umask_and_leaves_it(mask):
    old = os.umask(mask)
    try:
        assert files.current_umask() == mask
        assert os.umask(mask) == mask
    finally:
        os.umask(old)


def test_long_file_names_are_written_atomically(tmp_path):
    """The temporary file's name adds to the target's; a 250-byte name (within the 255 limit) must still work."""
    path = files.write_text(tmp_path / ("é" * 100 + "x" * 46), "text")
    assert path.read_text() == "text" and len(os.fsencode(path.name)) == 246


# ----- the README's promise: a run folder is never overwritten ------------------------------------


@pytest.fixture(scope="module")
def runs_folder(tmp_path_factory) -> Path:
    """`searchlab run regression` (tiny) in a fresh folder under umask 022: it lands in runs/regression."""
    root = tmp_path_factory.mktemp("promise")
    old_cwd, old_mask = Path.cwd(), os.umask(0o022)
    try:
        os.chdir(root)
        assert main(TINY_RUN) == 0
    finally:
        os.chdir(old_cwd)
        os.umask(old_mask)
    assert (root / "runs" / "regression" / "result.json").is_file()
    return root


def test_every_file_of_a_run_and_its_report_gets_the_umask_mode(runs_folder, tmp_path, umask_022, capsys):
    run = runs_folder / "runs" / "regression"
    page = tmp_path / "report.html"
    assert main(["report", str(run), "--out", str(page)]) == 0
    written = [path for path in run.rglob("*") if path.is_file()] + [page]
    assert any(path.suffix == ".safetensors" for path in written) and any(path.suffix == ".png" for path in written)
    wrong = {
        str(path): oct(stat.S_IMODE(path.stat().st_mode))
        for path in written
        if stat.S_IMODE(path.stat().st_mode) != 0o644
    }
    assert not wrong
    capsys.readouterr()


@pytest.mark.slow
def test_a_run_folder_is_never_overwritten(runs_folder, capsys, monkeypatch):
    """README: a run folder that holds a run is never overwritten, whatever command is aimed at it."""
    monkeypatch.chdir(runs_folder)
    run = Path("runs/regression")
    before = snapshot(run)
    # `searchlab run NAME` again picks the next free folder.
    assert main(TINY_RUN) == 0
    assert (runs_folder / "runs" / "regression-2" / "result.json").is_file()
    assert snapshot(run) == before
    refused = [
        TINY_RUN + ["--out", str(run)],
        ["tour", "--quick", "--only", "regression", "--out", str(run)],
        ["tour", "--quick", "--only", "regression", "--resume", "--out", str(run)],
        ["sweep", "regression", "--quick", "--grid", "lr=0.01,0.1", "--out", str(run)],
        ["report", str(run), "--out", str(run)],
        *(["report", str(run), "--out", str(path)] for path in sorted(run.rglob("*")) if path.is_file()),
    ]
    for argv in refused:
        error_line(capsys, argv)
        assert snapshot(run) == before, argv
