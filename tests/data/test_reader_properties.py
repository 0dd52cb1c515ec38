"""Property-based tests: the CSV, text and image readers given generated hostile files.

Whatever bytes a file holds, a reader either returns what the file means or
raises a SearchlabError whose message is one line; no other exception escapes.
Where the meaning is known (a table written cell by cell, a text encoded as
UTF-8, an intact image), the parse must be exactly that meaning.

Hypothesis runs derandomized (the examples follow from the test, not from a
clock or a saved database), so every run tries the same files.
"""

from __future__ import annotations

import io
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from searchlab.core.errors import SearchlabError
from searchlab.data import tabular
from searchlab.data.images import load_image_folder
from searchlab.encodings.text import CharVocab
from searchlab.lm import load_corpus, read_text_file

PROPERTIES = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def outcome(call, *args):
    """(result, None) or (None, message) where the message is asserted to be one line; any other exception fails the
    test."""
    try:
        result = call(*args)
    except SearchlabError as err:
        message = str(err)
        assert message and len(message.splitlines()) == 1, repr(message)
        event("refused")
        return None, message
    event("read")
    return result, None


# ----- CSV ----------------------------------------------------------------------------------------

# Number cells: plain decimals, then everything a hostile table holds instead.
PLAIN_NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6).map(repr),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda v: f"{v:.6e}"),
)
HOSTILE_NUMBERS = st.one_of(
    st.floats().map(repr),  # nan, inf, 1e+300, 5e-324
    st.sampled_from(
        [
            "",
            " ",
            " 7 ",
            "+.5",
            "5.",
            "1e100",
            "-1e100",
            "1.0000001e100",
            "1e300",
            "-1e400",
            "NaN",
            "-inf",
            "Infinity",
            "1_000",
            "0x1f",
            "1,5",
            "\u0661\u0662",
            "\uff11\uff12",
            "1\n2",
            "\r\n3\n",
            '"3"',
            "e5",
            "--1",
            "1e",
            "\x00",
            "\ufeff1",
        ]
    ),
    st.text(max_size=6),
)
NUMBER_CELLS = st.one_of(PLAIN_NUMBERS, PLAIN_NUMBERS, HOSTILE_NUMBERS)
NOTE_CELLS = st.text(max_size=10)  # anything: delimiters, quotes, line breaks, NULs, BOMs


def expected_number(cell: str) -> float | None:
    """What a number cell means, or None when the reader must refuse it (not ASCII decimal, not finite, or beyond
    1e100)."""
    text = cell.strip()
    if not text.isascii() or "_" in text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) <= tabular.MAX_FIT_MAGNITUDE else None


def csv_cell(cell: str, delimiter: str, quote: bool) -> str:
    if quote or any(c in cell for c in (delimiter, '"', "\r", "\n")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


@st.composite
def tables(draw):
    """(file bytes, the (x, y) rows a correct reader returns, or None where it must refuse)."""
    columns = draw(st.permutations(["x", "y", "note"]))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    clean = draw(st.booleans())  # half the tables hold only plain numbers in rows as wide as the header
    numbers = PLAIN_NUMBERS if clean else NUMBER_CELLS
    rows = [
        {"x": draw(numbers), "y": draw(numbers), "note": draw(NOTE_CELLS)}
        for _ in range(draw(st.integers(0 if not clean else 2, 6)))
    ]
    lines = [delimiter.join(columns)]
    well_formed = True
    for row in rows:
        cells = [csv_cell(row[name], delimiter, draw(st.booleans())) for name in columns]
        shape = "same" if clean else draw(st.sampled_from(["same"] * 4 + ["short", "long"]))
        if shape != "same":
            well_formed = False
            cells = cells[:-1] if shape == "short" else [*cells, "0"]
        lines.extend(draw(st.lists(st.sampled_from(["", "  "]), max_size=1)))  # blank lines are skipped
        lines.append(delimiter.join(cells))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    text = draw(st.sampled_from(["", "\ufeff"])) + draw(st.sampled_from(["", newline, "  " + newline])) + text
    xs = [expected_number(row["x"]) for row in rows]
    ys = [expected_number(row["y"]) for row in rows]
    readable = well_formed and "\x00" not in text and None not in xs + ys and len(rows) >= 2 and len(set(xs)) > 1
    return text.encode("utf-8"), (xs, ys) if readable else None


@PROPERTIES
@given(table=tables())
def test_a_generated_table_is_read_exactly_or_refused_in_one_line(tmp_path, table):
    raw, expected = table
    path = tmp_path / "table.csv"
    path.write_bytes(raw)
    got, message = outcome(tabular.load_xy, path, "x", "y")
    if expected is None:
        assert message is not None, (raw, got)
    else:
        assert message is None, (raw, message)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])


CSV_PIECES = st.sampled_from(
    [
        b"x",
        b"y",
        b"x,y",
        b",",
        b";",
        b"\t",
        b'"',
        b'""',
        b"\n",
        b"\r",
        b"\r\n",
        b"1",
        b"2.5",
        b"-",
        b"e",
        b"1e400",
        b"1e300",
        b"nan",
        b"inf",
        b" ",
        b"\xef\xbb\xbf",
        b"\xff\xfe",
        b"\x00",
        b"\xe9",
        b"\xc3\xa9",
        b"\xe2\x80\xa8",
    ]
)
HOSTILE_BYTES = st.one_of(st.binary(max_size=200), st.lists(CSV_PIECES, max_size=60).map(b"".join))


@PROPERTIES
@given(raw=st.one_of(HOSTILE_BYTES, st.lists(CSV_PIECES, max_size=60).map(lambda pieces: b"x,y\n" + b"".join(pieces))))
def test_any_bytes_as_a_csv_give_finite_columns_or_one_line(tmp_path, raw):
    path = tmp_path / "any.csv"
    path.write_bytes(raw)
    got, _ = outcome(tabular.load_xy, path, "x", "y")
    if got is not None:
        x, y = got
        assert x.shape == y.shape and x.shape[0] >= 2 and x.dtype == np.float64
        assert np.all(np.abs(np.concatenate([x, y])) <= tabular.MAX_FIT_MAGNITUDE)
        assert np.ptp(x) > 0


# ----- text ---------------------------------------------------------------------------------------


@PROPERTIES
@given(raw=HOSTILE_BYTES)
def test_any_bytes_as_a_text_give_the_decoded_text_or_one_line(tmp_path, raw):
    path = tmp_path / "any.txt"
    path.write_bytes(raw)
    text, _ = outcome(read_text_file, path)
    if text is not None:
        assert text == raw.decode("utf-8-sig") and text.strip() and "\x00" not in text


@PROPERTIES
@given(
    text=st.text(max_size=40), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1", "cp1252"])
)
def test_a_generated_text_in_any_encoding_is_read_exactly_or_refused(tmp_path, text, encoding):
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        raw = text.encode("utf-8")
        encoding = "utf-8"
    path = tmp_path / "text.txt"
    path.write_bytes(raw)
    got, message = outcome(read_text_file, path)
    if encoding in ("utf-8", "utf-8-sig"):
        meant = text[1:] if encoding == "utf-8" and text.startswith("\ufeff") else text  # a leading BOM is not text
        if "\x00" in meant or not meant.strip():
            assert message is not None
        else:
            assert got == meant, (text, message)
    elif encoding in ("utf-16", "utf-32"):
        assert message is not None  # their byte-order marks and NULs are refused
    if got is not None:
        assert got == raw.decode("utf-8-sig")
        vocab = CharVocab.from_text(got)
        assert vocab.decode(vocab.encode(got)) == got
        corpus, _ = outcome(load_corpus, path)
        assert corpus is None or corpus.text == got


# ----- images -------------------------------------------------------------------------------------

FORMATS = {
    "PNG": "png",
    "GIF": "gif",
    "BMP": "bmp",
    "JPEG": "jpg",
    "TIFF": "tif",
    "PPM": "ppm",
    "TGA": "tga",
    "ICO": "ico",
}


@st.composite
def image_files(draw):
    """(bytes, intact): an image in some format and mode, maybe truncated, with flipped bytes or junk appended; or
    random bytes."""
    if draw(st.integers(0, 4)) == 0:
        return draw(HOSTILE_BYTES), False
    width, height = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    mode = draw(st.sampled_from(["1", "L", "LA", "P", "RGB", "RGBA", "I", "F"]))
    seed = draw(st.integers(0, 2**32 - 1))
    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    image = Image.fromarray(pixels, mode="RGB").convert(mode)
    fmt = draw(st.sampled_from(sorted(FORMATS)))
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt)
    except (OSError, ValueError, KeyError):  # a mode the format cannot store
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG")
    raw = buffer.getvalue()
    damage = draw(st.sampled_from(["none", "none", "truncate", "flip", "append"]))
    if damage == "truncate":
        raw = raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]
    elif damage == "flip":
        data = bytearray(raw)
        for _ in range(draw(st.integers(1, 8))):
            position = draw(st.integers(0, len(data) - 1))
            data[position] ^= draw(st.integers(1, 255))
        raw = bytes(data)
    elif damage == "append":
        raw += draw(st.binary(min_size=1, max_size=64))
    return raw, damage == "none"


FILE_NAMES = st.text(
    st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)), min_size=1, max_size=16
).filter(lambda name: not name.startswith(".") and name not in ("good.png",))


@PROPERTIES
@given(file=image_files(), name=FILE_NAMES, size=st.integers(1, 12))
def test_a_hostile_image_is_read_or_refused_in_one_line_naming_it(tmp_path, file, name, size):
    raw, intact = file
    root = tmp_path / "images"
    shutil.rmtree(root, ignore_errors=True)
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        Image.new("L", (3, 5), 128).save(root / label / "good.png")
    (root / "b" / name).write_bytes(raw)
    got, message = outcome(load_image_folder, root, size)
    if got is None:
        if name.isprintable():
            assert name in message, message
        assert not intact, message  # an intact image is never refused
    else:
        assert got.images.shape == (3, size, size) and got.images.dtype == np.float32
        assert np.all(np.isfinite(got.images)) and got.images.min() >= 0.0 and got.images.max() <= 1.0
        assert sorted(got.files) == sorted(
            str(Path(label) / file) for label, file in (("a", "good.png"), ("b", "good.png"), ("b", name))
        )


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I", "F"])
def test_intact_images_of_every_mode_are_read(tmp_path, mode):
    """The example above, without hypothesis: every mode of a PNG (or TIFF where PNG cannot hold it) is read."""
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        image = Image.fromarray(np.full((4, 6, 3), 200, dtype=np.uint8), mode="RGB").convert(mode)
        image.save(tmp_path / label / ("x.tif" if mode in ("I", "F") else "x.png"))
    assert load_image_folder(tmp_path, 4).images.shape == (2, 4, 4)
