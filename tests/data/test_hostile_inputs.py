"""Hostile input files: what a user's path can name besides a good file, and the one-line errors they get.

Each test reproduces one defect of issue 15: a quoted CSV cell spanning two lines
read as one number, values whose squares overflow (or whose spread underflows),
/dev/zero, a named pipe and a file over the size cap as --csv or --text, and a
symbolic link loop reported as missing. Named pipes are guarded: any attempt to
open one fails the test at once instead of waiting for a writer that never comes.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli_checks import error_line
from searchlab.core.errors import SearchlabError
from searchlab.data import files, tabular
from searchlab.data.images import load_image_folder
from searchlab.lm import read_text_file

DEV_ZERO = Path("/dev/zero")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def refused(call, *args) -> str:
    """The one-line message of the SearchlabError that `call(*args)` raises."""
    with pytest.raises(SearchlabError) as caught:
        call(*args)
    message = str(caught.value)
    assert len(message.splitlines()) == 1, message
    return message


@pytest.fixture
def fifo(tmp_path, monkeypatch) -> Path:
    """A named pipe that nothing may open: opening it would wait forever for a writer, so any attempt fails the test
    at once."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("named pipes need os.mkfifo")
    path = tmp_path / "pipe"
    os.mkfifo(path)
    assert stat.S_ISFIFO(os.lstat(path).st_mode)  # checked from the inode, without opening it

    def guard(opener):
        def checked(file, *args, **kwargs):
            if isinstance(file, (str, bytes, os.PathLike)) and os.path.realpath(os.fsdecode(file)) == os.path.realpath(
                path
            ):
                raise AssertionError(f"the reader opened the named pipe {path}; it must refuse it from os.stat alone")
            return opener(file, *args, **kwargs)

        return checked

    monkeypatch.setattr(os, "open", guard(os.open))
    monkeypatch.setattr(io, "open", guard(io.open))
    monkeypatch.setattr(builtins, "open", guard(builtins.open))
    return path


def loop(tmp_path: Path, name: str) -> Path:
    """A symbolic link loop: name -> name.other -> name."""
    first, second = tmp_path / name, tmp_path / f"{name}.other"
    first.symlink_to(second)
    second.symlink_to(first)
    return first


# ----- item 3: a quoted cell that spans two lines ----------------------------------------------


def test_a_quoted_number_spanning_two_lines_is_refused_with_its_row_not_read_as_12(tmp_path):
    path = write(tmp_path / "t.csv", 'x,y\n1,"1\n2"\n2,3\n3,5\n')
    message = refused(tabular.load_xy, path, "x", "y")
    assert "row 1 (lines 2-3)" in message and "'y'" in message and "line break" in message, message


def test_quoted_line_breaks_in_other_columns_are_read_and_rows_keep_their_line_numbers(tmp_path):
    path = write(tmp_path / "t.csv", 'x,note,y\r\n1,"two\r\nlines, and a ""quote""",2\r\n\r\n3,"a, b",4\r\n')
    x, y = tabular.load_xy(path, "x", "y")
    np.testing.assert_array_equal(x, [1.0, 3.0])
    np.testing.assert_array_equal(y, [2.0, 4.0])
    bad = write(tmp_path / "bad.csv", 'x,note,y\n1,"a\nb",2\n\n3,c,lots\n')
    message = refused(tabular.load_xy, bad, "x", "y")
    assert "row 2 (line 5)" in message and "'lots'" in message, message


def test_an_unclosed_quote_is_refused_with_its_row(tmp_path):
    path = write(tmp_path / "t.csv", 'x,y\n1,2\n3,"4\n5,6\n7,8\n')
    message = refused(tabular.load_xy, path, "x", "y")
    assert "row 2 (lines 3-5)" in message, message


def test_a_cell_over_the_csv_field_limit_is_refused_with_its_row(tmp_path):
    path = write(tmp_path / "t.csv", f'x,note,y\n1,a,2\n3,"{"z" * 200_000}",4\n')
    message = refused(tabular.load_xy, path, "x", "y")
    assert "row 2 (from line 3)" in message and "quote" in message, message


def test_only_plain_decimal_numbers_are_read(tmp_path):
    """float() also takes '1_000', Arabic-Indic and full-width digits; a CSV cell means none of those."""
    for cell in ("1_000", "\u0661\u0662", "\uff11\uff12", "0x10", "1e"):
        path = write(tmp_path / "t.csv", f"x,y\n1,2\n3,{cell}\n")
        message = refused(tabular.load_xy, path, "x", "y")
        assert "not a number" in message and "row 2" in message, (cell, message)


# ----- items 4 and 20: numbers too large (or spreads too small) for float64 arithmetic -----------


def run_regression(capsys, tmp_path, text: str, *more: str) -> tuple[str, Path]:
    path = write(tmp_path / "data.csv", text)
    out = tmp_path / "run"
    line = error_line(
        capsys, ["run", "regression", "--quick", "--csv", str(path), "--x", "x", "--y", "y", "--out", str(out), *more]
    )
    return line, out


def test_y_of_1e300_is_refused_before_any_folder_is_written(capsys, tmp_path):
    line, out = run_regression(capsys, tmp_path, "x,y\n1,1e300\n2,2e300\n3,-1e300\n4,5\n")
    assert "row 1 (line 2)" in line and "'y'" in line and "1e300" in line and "rescale" in line, line
    assert not out.exists()


def test_x_of_1e200_gives_one_line_without_warnings_and_does_not_ask_for_varied_values(capsys, tmp_path):
    line, out = run_regression(capsys, tmp_path, "x,y\n1e200,1\n2e200,2\n-3e200,3\n4,5\n")
    assert "'x'" in line and "row 1" in line and "varied" not in line, line
    assert not out.exists()


def test_a_number_that_overflows_float64_is_too_large_not_infinite(tmp_path):
    path = write(tmp_path / "t.csv", "x,y\n1,2\n3,1e400\n")
    message = refused(tabular.load_xy, path, "x", "y")
    assert "row 2" in message and "'1e400'" in message and "rescale" in message, message


def test_x_with_a_tiny_spread_is_standardised_without_underflow(capsys, tmp_path):
    """The deviations of 1e-200-sized x square to 0 in float64, so numpy's std was 0 and every loss NaN."""
    path = write(tmp_path / "tiny.csv", "x,y\n1e-200,1\n2e-200,2\n3e-200,4\n")
    out = tmp_path / "run"
    from searchlab.cli import main

    assert (
        main(
            [
                "run",
                "regression",
                "--quick",
                "--csv",
                str(path),
                "--x",
                "x",
                "--y",
                "y",
                "--optimizers",
                "least_squares",
                "--cloud",
                "0",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "Warning" not in capsys.readouterr().err
    closed = json.loads((out / "result.json").read_text())["closed_form"]
    assert closed["a"] == pytest.approx(
        1.5e200, rel=1e-9
    )  # least squares through (1, 1), (2, 2), (3, 4) with x in units of 1e-200
    assert closed["b"] == pytest.approx(-2 / 3, rel=1e-9)
    assert closed["loss"] == pytest.approx(1 / 18, rel=1e-9)


@pytest.mark.parametrize(
    "text, words",
    [
        ("x,y\n1e-300,1\n2e-300,2\n3e-300,4\n", ["'x'", "'y'", "too steep", "rescale"]),  # slope 1.5e300
        ("x,y\n1,1e-200\n2,2e-200\n3,4e-200\n", ["'y'", "underflow", "rescale"]),  # squared errors of 1e-400
    ],
)
def test_spreads_outside_float64_are_refused(capsys, tmp_path, text, words):
    line, out = run_regression(capsys, tmp_path, text)
    for word in words:
        assert word in line, line
    assert not out.exists()


# ----- items 14 and 15: devices, named pipes and files over the cap --------------------------------


@pytest.mark.skipif(not DEV_ZERO.exists(), reason="no /dev/zero")
def test_dev_zero_is_refused_as_csv_text_and_image(tmp_path):
    _refused_by_every_reader(DEV_ZERO, "character device", "zero.png", tmp_path)


def _refused_by_every_reader(path: Path, kind: str, image_name: str, tmp_path: Path) -> None:
    """The CSV, text and image readers each refuse `path` with a message naming its `kind` (and the image's name)."""
    assert kind in refused(tabular.load_xy, path, "x", "y")
    assert kind in refused(read_text_file, path)
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        (tmp_path / label / image_name).symlink_to(path)
    message = refused(load_image_folder, tmp_path)
    assert kind in message and image_name in message, message


@pytest.mark.skipif(not DEV_ZERO.exists(), reason="no /dev/zero")
def test_dev_zero_from_the_command_line_is_one_error_line(capsys, tmp_path):
    for argv in (
        ["run", "regression", "--csv", str(DEV_ZERO), "--x", "x", "--y", "y"],
        ["run", "charlm", "--text", str(DEV_ZERO)],
    ):
        line = error_line(capsys, [*argv, "--out", str(tmp_path / "run")])
        assert "character device" in line, line
        assert not (tmp_path / "run").exists()


def test_a_named_pipe_is_refused_without_being_opened(fifo, tmp_path):
    _refused_by_every_reader(fifo, "named pipe", "pipe.png", tmp_path)


def test_a_named_pipe_from_the_command_line_is_one_error_line(fifo, capsys, tmp_path):
    line = error_line(capsys, ["run", "charlm", "--text", str(fifo), "--out", str(tmp_path / "run")])
    assert "named pipe" in line, line
    assert not (tmp_path / "run").exists()


def test_a_file_over_the_cap_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(files.MAX_INPUT_BYTES + 1)  # sparse: nothing is written, and the reader must not read it

    def no_reading(*args, **kwargs):
        raise AssertionError("a file over the cap was read")

    monkeypatch.setattr(os, "read", no_reading)
    message = refused(read_text_file, path)
    assert "1 GiB" in message and "smaller file" in message, message
    assert "1 GiB" in refused(tabular.load_xy, path, "x", "y")


def test_a_file_that_grows_past_the_cap_while_read_is_refused(tmp_path, monkeypatch):
    path = write(tmp_path / "t.txt", "abcdef")
    assert "6 bytes, more than the 5 bytes" in refused(files.read_input_bytes, path, "text file", 5)
    assert files.read_input_bytes(path, "text file", 6) == b"abcdef"
    checked = []
    monkeypatch.setattr(
        files, "_check_stat", lambda *args: checked.append(args)
    )  # as if the file grew after its size was checked
    assert "grew past 5 bytes" in refused(files.read_input_bytes, path, "text file", 5)
    assert len(checked) == 2  # the path before opening, the handle after


def test_a_file_swapped_for_a_pipe_after_the_check_is_refused_on_the_handle(fifo, tmp_path, monkeypatch):
    """os.open does not block on a pipe opened with O_NONBLOCK, and fstat on the handle catches the swap."""
    monkeypatch.undo()  # this test opens the pipe on purpose, without blocking
    good = write(tmp_path / "good.txt", "text")
    real_check = files.check_input_file
    monkeypatch.setattr(files, "check_input_file", lambda path, kind, limit=None: real_check(good, kind, limit))
    with pytest.raises(SearchlabError, match="named pipe"):
        files.read_input_bytes(fifo, "text file")


# ----- minor: symbolic links that loop or point nowhere ----------------------------------------------


def test_a_symlink_loop_is_reported_as_a_loop_not_as_missing(tmp_path):
    for call, args in ((tabular.load_xy, ("x", "y")), (read_text_file, ()), (load_image_folder, ())):
        message = refused(call, loop(tmp_path, f"loop-{call.__name__}"), *args)
        assert "symbolic link loop" in message and "does not exist" not in message, message


def test_a_dangling_symlink_names_its_missing_target(tmp_path):
    link = tmp_path / "data.csv"
    link.symlink_to(tmp_path / "gone.csv")
    message = refused(tabular.load_xy, link, "x", "y")
    assert "symbolic link to" in message and "gone.csv" in message and "does not exist" in message, message


def test_a_path_through_a_file_and_an_unreadable_file(tmp_path):
    plain = write(tmp_path / "plain.txt", "text")
    assert "not a folder" in refused(read_text_file, plain / "inside.txt")
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their permissions")
    plain.chmod(0)
    assert "permission denied" in refused(read_text_file, plain)


def test_text_encodings_a_user_may_have(tmp_path):
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeffhello\n".encode("utf-8"))
    assert read_text_file(bom) == "hello\n"  # the byte-order mark is not part of the text
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("hello\n".encode("utf-16"))
    assert "UTF-16" in refused(read_text_file, utf16)
    unicode_blank = write(tmp_path / "blank.txt", "\u2028\u3000\n")
    assert "empty" in refused(read_text_file, unicode_blank)


def test_image_file_names_with_line_breaks_stay_on_one_line(tmp_path):
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        Image.new("L", (4, 4), 0).save(tmp_path / label / "ok.png")
    (tmp_path / "b" / "bad\nname.png").write_bytes(b"not an image")
    message = refused(load_image_folder, tmp_path)
    assert "bad\\nname.png" in message, message


def test_an_unlistable_label_folder_is_one_error_line(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root lists folders whatever their permissions")
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        Image.new("L", (4, 4), 0).save(tmp_path / label / "ok.png")
    (tmp_path / "b").chmod(0)
    try:
        message = refused(load_image_folder, tmp_path)
    finally:
        (tmp_path / "b").chmod(0o755)
    assert "cannot list" in message and "permission denied" in message, message
