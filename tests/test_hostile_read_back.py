"""JSON the project reads back, damaged: one `error:` line that names the file, never a traceback (issue 15, item 8).

A crash can cut a file short and a person can edit one by hand. Whatever is read back (an
AlphaZero checkpoint, the record a finished stage keeps for `--resume`, a network's metrics,
a run's result.json for the report) is checked for shape before it is used, and the message
names the file. Nothing is overwritten by the failed command.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import torch
from PIL import Image

from cli_checks import error_line
from searchlab.cli import main
from searchlab.core import checkpoint
from searchlab.core.device import cpu_threads
from searchlab.core.errors import SearchlabError
from searchlab.core.files import read_json, write_json
from searchlab.experiments.base import RunContext
from searchlab.experiments.perturbation_stages import run_stage
from searchlab.games import TicTacToe
from searchlab.games.alphazero import AlphaZeroSettings, train
from searchlab.games.neural import METRICS_FILE, NeuralStrategy, train_strategy
from searchlab.games.tables import PositionIndex
from searchlab.report.html import write_report


def one_line(caught: pytest.ExceptionInfo, *names: str) -> str:
    """The SearchlabError's message, checked to be one line that names every one of `names`."""
    message = str(caught.value)
    assert caught.type is SearchlabError and "\n" not in message, message
    for name in names:
        assert name in message, message
    return message


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` and its bytes, to show that a failed command changed nothing."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def kept(run: Path, damaged: str) -> dict[str, bytes]:
    """What a resume that fails on the damaged record must leave as it was: that record, the config and the result.

    (Stages before it may write their outputs again, with the same content.)
    """
    return {name: (run / name).read_bytes() for name in (damaged, "config.json", "result.json")}


# ----- an AlphaZero checkpoint of the wrong shape -------------------------------------

GAME = TicTacToe()
TINY_AZ = AlphaZeroSettings(
    iterations=1,
    selfplay_games=2,
    simulations=2,
    train_steps=1,
    batch_size=4,
    arena_games=0,
    channels=2,
    layers=1,
    hidden=4,
)


@pytest.fixture(scope="module")
def alphazero_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("alphazero") / "run"
    with cpu_threads(1):
        train(GAME, TINY_AZ, folder, seed=0, progress=False)
    return folder


# Each turns a saved state into one that loads (its checksum is right) but does not fit the run.
CHECKPOINT_DAMAGES = {
    "records missing": lambda state: state["problem"].pop("records"),
    "records a number": lambda state: state["problem"].__setitem__("records", 3),
    "a record without its score": lambda state: state["problem"]["records"][0].pop("arena_score"),
    "a record with a string for a number": lambda state: state["problem"]["records"][0].__setitem__(
        "policy_loss", "low"
    ),
    "replay examples of the wrong shape": lambda state: state["problem"]["replay"][0].__setitem__(
        "observations", torch.zeros(2, 5)
    ),
    "replay a dict": lambda state: state["problem"].__setitem__("replay", {"observations": 1}),
    "net a list": lambda state: state["optimizer"].__setitem__("candidate", []),
    "net of another size": lambda state: state["optimizer"].__setitem__("candidate", torch.zeros(1)),
    "settings a string": lambda state: state["problem"]["identity"].__setitem__("settings", "small"),
}


@pytest.mark.parametrize("damage", CHECKPOINT_DAMAGES.values(), ids=CHECKPOINT_DAMAGES.keys())
def test_an_alphazero_checkpoint_of_the_wrong_shape_is_one_error_naming_it(alphazero_run, tmp_path, damage):
    folder = tmp_path / "run"
    shutil.copytree(alphazero_run, folder)
    state = checkpoint.load(folder / "checkpoints")
    damage(state)
    checkpoint.save(folder / "checkpoints", state, tag="damaged")
    before = snapshot(folder)
    with cpu_threads(1), pytest.raises(Exception) as caught:
        train(GAME, TINY_AZ, folder, seed=0, resume=True, progress=False)
    one_line(caught, str(folder / "checkpoints" / "latest.json"))
    assert snapshot(folder) == before


def test_an_undamaged_alphazero_checkpoint_still_resumes(alphazero_run, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(alphazero_run, folder)
    with cpu_threads(1):
        _, records = train(GAME, TINY_AZ, folder, seed=0, resume=True, progress=False)
    assert len(records) == 1


# ----- the record a finished stage keeps, read back by --resume ------------------------

GOOD_OUTCOME = {
    "forward_equivalents_to_target": 120,
    "best_loss": 0.01,
    "forward_equivalents": 300,
    "steps": 10,
    "seconds": 0.5,
    "stopped_because": "target",
    "curve": [[30, 1.0], [300, 0.01]],
}


@pytest.mark.parametrize(
    "text",
    [
        "[1, 2]",
        '{"forward_equivalents_to_target": 120, "best_lo',
        json.dumps({**GOOD_OUTCOME, "best_loss": "small"}),
        json.dumps({key: value for key, value in GOOD_OUTCOME.items() if key != "steps"}),
        json.dumps({**GOOD_OUTCOME, "curve": [[30, "one"]]}),
    ],
    ids=["a list", "truncated", "a string for a number", "an entry missing", "a curve point of the wrong kind"],
)
def test_a_damaged_perturbation_stage_record_is_one_error_naming_it(tmp_path, text):
    context = RunContext(out=tmp_path, resume=True, progress=False)
    done = context.checkpoint_dir("width1/gradient/seed0") / "outcome.json"
    done.parent.mkdir(parents=True)
    done.write_text(text)
    with pytest.raises(Exception) as caught:  # the record is read before anything else: no problem needed
        run_stage(None, "gradient", {}, 300, 0.01, 0, "width1/gradient/seed0", context)
    one_line(caught, str(done))
    assert done.read_text() == text


def test_a_sound_perturbation_stage_record_is_used_as_it_is(tmp_path):
    context = RunContext(out=tmp_path, resume=True, progress=False)
    done = context.checkpoint_dir("width1/gradient/seed0") / "outcome.json"
    done.parent.mkdir(parents=True)
    done.write_text(json.dumps(GOOD_OUTCOME))
    assert run_stage(None, "gradient", {}, 300, 0.01, 0, "width1/gradient/seed0", context) == GOOD_OUTCOME


# A seconds-sized tictactoe run: the least of every stage.
TICTACTOE = [
    "--round_robin_seconds",
    "0.1",
    "--evaluations",
    "100",
    "--seeds",
    "1",
    "--net_steps",
    "20",
    "--net_holdout",
    "0",
    "--variants",
    "vs_perfect",
    "--net_hidden",
    "8",
]


@pytest.fixture(scope="module")
def tictactoe_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tictactoe") / "run"
    assert main(["run", "tictactoe", "--out", str(out), "--no-progress", *TICTACTOE]) == 0
    return out


def _illegal_table(pointer: Path) -> None:
    """A search's checkpoint whose incumbent table plays a square that does not exist."""
    state = checkpoint.load(pointer.parent)
    state["problem"]["reference"][0] = 9
    checkpoint.save(pointer.parent, state, tag="damaged")


def _short_curve(pointer: Path) -> None:
    """A search's checkpoint whose observer's curve lost its last point."""
    state = checkpoint.load(pointer.parent)
    state["problem"]["records"]["losses_vs_perfect"].pop()
    checkpoint.save(pointer.parent, state, tag="damaged")


def _row_without_games(path: Path) -> None:
    saved = json.loads(path.read_text())
    del saved["rows"][0]["games"]
    path.write_text(json.dumps(saved))


TICTACTOE_DAMAGES = {
    "round robins a list": ("checkpoints/exhaustive/outcome.json", lambda path: path.write_text("[]")),
    "round robins truncated": (
        "checkpoints/exhaustive/outcome.json",
        lambda path: path.write_text(path.read_text()[:40]),
    ),
    "a round robin without its games": ("checkpoints/exhaustive/outcome.json", _row_without_games),
    "a search's table with an illegal move": ("checkpoints/local_search/vs_perfect-0/latest.json", _illegal_table),
    "a search's curve cut short": ("checkpoints/local_search/vs_perfect-0/latest.json", _short_curve),
    "network metrics a list": (f"checkpoints/net/moves/{METRICS_FILE}", lambda path: path.write_text("[1]")),
    "network metrics without a score": (
        f"checkpoints/net/moves/{METRICS_FILE}",
        lambda path: path.write_text('{"output": "moves"}'),
    ),
    "network metrics empty": (f"checkpoints/net/moves/{METRICS_FILE}", lambda path: path.write_text("{}")),
}


@pytest.mark.slow
@pytest.mark.parametrize("name, damage", TICTACTOE_DAMAGES.values(), ids=TICTACTOE_DAMAGES.keys())
def test_resuming_tictactoe_over_a_damaged_record_is_one_error_line_naming_it(
    tictactoe_run, tmp_path, capsys, name, damage
):
    _resume_over_damage("tictactoe", tictactoe_run, tmp_path, capsys, name, damage)


def _resume_over_damage(experiment: str, finished: Path, tmp_path: Path, capsys, name: str, damage) -> None:
    """Damage `name` in a copy of a finished run; `--resume` must be one error line naming it, the files unchanged."""
    run = tmp_path / "run"
    shutil.copytree(finished, run)
    damage(run / name)
    before = kept(run, name)
    line = error_line(capsys, ["run", experiment, "--out", str(run), "--no-progress", "--resume"])
    assert str(run / name) in line, line
    assert kept(run, name) == before


# The least hybrid run: one iteration without an arena, one simulation count, four positions, one game.
HYBRID = [
    "--iterations",
    "1",
    "--selfplay_games",
    "2",
    "--selfplay_simulations",
    "2",
    "--train_steps",
    "1",
    "--arena_games",
    "0",
    "--positions",
    "4",
    "--simulations",
    "1",
    "--games_vs_perfect",
    "1",
]


@pytest.fixture(scope="module")
def hybrid_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hybrid") / "run"
    assert main(["run", "hybrid", "--out", str(out), "--no-progress", *HYBRID]) == 0
    return out


def _damaged_alphazero_records(pointer: Path) -> None:
    folder = pointer.parent
    state = checkpoint.load(folder)
    state["problem"]["records"] = [{"iteration": 0}]
    checkpoint.save(folder, state, tag="damaged")


HYBRID_DAMAGES = {
    "a row truncated": ("checkpoints/ablation/uct-1.json", lambda path: path.write_text('{"game": "tictactoe", "meth')),
    "a row a number": ("checkpoints/ablation/uct-1.json", lambda path: path.write_text("7")),
    "a row of another cell": (
        "checkpoints/ablation/uct-1.json",
        lambda path: path.write_text((path.parent / "puct-1.json").read_text()),
    ),
    "a row with a string for a number": (
        "checkpoints/ablation/random-0.json",
        lambda path: path.write_text(path.read_text().replace('"games": 1', '"games": "one"')),
    ),
    "training records of the wrong shape": (
        "checkpoints/alphazero/checkpoints/latest.json",
        _damaged_alphazero_records,
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("name, damage", HYBRID_DAMAGES.values(), ids=HYBRID_DAMAGES.keys())
def test_resuming_hybrid_over_a_damaged_record_is_one_error_line_naming_it(hybrid_run, tmp_path, capsys, name, damage):
    _resume_over_damage("hybrid", hybrid_run, tmp_path, capsys, name, damage)


# ----- a trained network's metrics -------------------------------------------------------


@pytest.fixture(scope="module")
def saved_network(tmp_path_factory) -> tuple[Path, PositionIndex]:
    index = PositionIndex()
    folder = tmp_path_factory.mktemp("net") / "moves"
    with cpu_threads(1):
        train_strategy(index, hidden=(2,), steps=2, seed=0).save(folder)
    return folder, index


@pytest.mark.parametrize(
    "text",
    ["[1]", '{"output": "moves", "optimal_frac', '{"output": "moves"}', "null"],
    ids=["a list", "truncated", "scores missing", "null"],
)
def test_damaged_network_metrics_are_one_error_naming_the_file(saved_network, tmp_path, text):
    source, index = saved_network
    folder = tmp_path / "moves"
    shutil.copytree(source, folder)
    (folder / METRICS_FILE).write_text(text)
    with pytest.raises(Exception) as caught:
        NeuralStrategy.load(folder, index)
    one_line(caught, str(folder / METRICS_FILE))


def test_sound_network_metrics_are_read_back(saved_network):
    folder, index = saved_network
    metrics = NeuralStrategy.load(folder, index).metrics
    assert metrics == json.loads((folder / METRICS_FILE).read_text()) and metrics["output"] == "moves"


# ----- read_json, for the callers left ----------------------------------------------------


@pytest.mark.parametrize("text", ['{"size": "quick", ', "", "\xff"], ids=["truncated", "empty", "not UTF-8"])
def test_read_json_names_the_file_it_cannot_read(tmp_path, text):
    path = tmp_path / "tour.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(Exception) as caught:
        read_json(path)
    one_line(caught, str(path))


def test_read_json_still_reads_sound_json(tmp_path):
    write_json(tmp_path / "ok.json", {"size": "quick", "overrides": {}})
    assert read_json(tmp_path / "ok.json") == {"size": "quick", "overrides": {}}


# ----- result.json, read by the report ------------------------------------------------------


def make_run(folder: Path, report: dict) -> Path:
    (folder / "figures").mkdir(parents=True)
    Image.new("RGB", (8, 6), (200, 30, 30)).save(folder / "figures" / "loss.png")
    (folder / "result.json").write_text(json.dumps({"experiment": "demo", "title": "Demo", "report": report}))
    return folder


@pytest.mark.parametrize(
    "table",
    [{"columns": 5, "rows": 3}, {"columns": ["a"], "rows": {"x": 1}}, {"columns": "ab", "rows": [[1, 2]]}],
    ids=["numbers", "rows an object", "columns a string"],
)
def test_a_report_table_that_is_not_arrays_is_one_error_naming_result_json(tmp_path, capsys, table):
    run = make_run(tmp_path / "run", {"tables": [{"title": "t", "columns": ["a", "b"], "rows": [[1, 2]]}, table]})
    with pytest.raises(Exception) as caught:
        write_report(tmp_path / "index.html", [run])
    one_line(caught, str(run / "result.json"), "table 2")
    assert not (tmp_path / "index.html").exists()
    line = error_line(capsys, ["report", str(run), "--out", str(tmp_path / "page.html")])
    assert str(run / "result.json") in line and not (tmp_path / "page.html").exists()


def test_figures_outside_the_run_folder_are_never_read_or_linked(tmp_path, monkeypatch):
    outside = tmp_path / "secret.png"
    Image.new("RGB", (4, 4)).save(outside)
    run = tmp_path / "runs" / "run"
    paths = ["figures/loss.png", str(outside), "../../secret.png", "figures/../../../secret.png", "figures/link.png"]
    make_run(run, {"figures": [{"path": path, "caption": f"figure {i}"} for i, path in enumerate(paths)]})
    (run / "figures" / "link.png").symlink_to(outside)
    opened = []
    real_open = Image.open
    monkeypatch.setattr(
        Image,
        "open",
        lambda file, *args, **kwargs: opened.append(Path(file).resolve()) or real_open(file, *args, **kwargs),
    )
    page = write_report(tmp_path / "index.html", [run]).read_text(encoding="utf-8")
    assert opened == [(run / "figures" / "loss.png").resolve()]
    assert re.findall(r'(?:src|href)="([^"]*\.png)"', page) == ["runs/run/figures/loss.png"] * 2
    assert page.count("is outside the run folder") == 4


@pytest.mark.parametrize(
    "text", ["[1, 2]", '"done"', '{"experiment": "demo", "rep', ""], ids=["a list", "a string", "truncated", "empty"]
)
def test_report_over_a_result_json_that_is_no_object_is_one_error_line(tmp_path, capsys, text):
    run = tmp_path / "run"
    run.mkdir()
    (run / "result.json").write_text(text)
    line = error_line(capsys, ["report", str(run), "--out", str(tmp_path / "page.html")])
    assert str(run / "result.json") in line
    assert not (tmp_path / "page.html").exists()
