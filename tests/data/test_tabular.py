"""CSV loading (data/tabular.py) and seeded synthetic pairs (data/synthetic.py)."""

from __future__ import annotations

import numpy as np
import pytest

from searchlab.core.errors import SearchlabError
from searchlab.data import synthetic, tabular


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_round_trip_reads_the_columns_as_float64(tmp_path):
    x = np.array([12.5, 20.0, -3.25, 1e3])
    y = np.array([300.0, 512.125, 0.0, -7.5])
    rows = "\n".join(f"{float(a)!r},x{i},{float(b)!r}" for i, (a, b) in enumerate(zip(x, y)))
    path = write(tmp_path / "days.csv", f"temperature,label,sales\n{rows}\n")
    got_x, got_y = tabular.load_xy(path, "temperature", "sales")
    assert got_x.dtype == np.float64 and got_y.dtype == np.float64
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y)


def test_semicolons_byte_order_mark_blank_lines_and_spaces(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeff t ; s \n\n1;2\n 3 ; 4 \n\n".encode("utf-8"))
    x, y = tabular.load_xy(path, "t", "s")
    np.testing.assert_array_equal(x, [1.0, 3.0])
    np.testing.assert_array_equal(y, [2.0, 4.0])


def test_read_numeric_columns_keeps_file_order(tmp_path):
    path = write(tmp_path / "t.csv", "a,b,c\n1,2,3\n4,5,6\n")
    columns = tabular.read_numeric_columns(path, ["c", "a"])
    assert list(columns) == ["c", "a"]
    np.testing.assert_array_equal(columns["c"], [3.0, 6.0])


def bad_file(tmp_path, name: str):
    """Make each kind of bad input; returns (path, x column, y column)."""
    good_header = "temperature,sales\n"
    if name == "missing":
        return tmp_path / "nope.csv", "temperature", "sales"
    if name == "directory":
        (tmp_path / "folder").mkdir()
        return tmp_path / "folder", "temperature", "sales"
    if name == "empty":
        return write(tmp_path / "e.csv", ""), "temperature", "sales"
    if name == "blank":
        return write(tmp_path / "b.csv", "\n  \n"), "temperature", "sales"
    if name == "binary":
        path = tmp_path / "b.csv"
        path.write_bytes(bytes(range(256)) * 4)
        return path, "temperature", "sales"
    if name == "latin1":
        path = tmp_path / "l.csv"
        path.write_bytes("temp\xe9rature,sales\n1,2\n3,4\n".encode("latin-1"))
        return path, "temperature", "sales"
    if name == "unknown_column":
        return write(tmp_path / "u.csv", good_header + "1,2\n3,4\n"), "temp", "sales"
    if name == "non_numeric":
        return write(tmp_path / "n.csv", good_header + "1,2\n3,lots\n5,6\n"), "temperature", "sales"
    if name == "nan":
        return write(tmp_path / "nan.csv", good_header + "1,2\nnan,4\n5,6\n"), "temperature", "sales"
    if name == "inf":
        return write(tmp_path / "inf.csv", good_header + "1,2\n3,inf\n5,6\n"), "temperature", "sales"
    if name == "empty_cell":
        return write(tmp_path / "c.csv", good_header + "1,2\n3,\n"), "temperature", "sales"
    if name == "ragged":
        return write(tmp_path / "r.csv", good_header + "1,2\n3,4,5\n"), "temperature", "sales"
    if name == "one_row":
        return write(tmp_path / "o.csv", good_header + "1,2\n"), "temperature", "sales"
    if name == "header_only":
        return write(tmp_path / "h.csv", good_header), "temperature", "sales"
    if name == "constant_x":
        return write(tmp_path / "k.csv", good_header + "20,2\n20,4\n20,5\n"), "temperature", "sales"
    if name == "same_column":
        return write(tmp_path / "s.csv", good_header + "1,2\n3,4\n"), "sales", "sales"
    raise AssertionError(name)


# Each bad input, and words its one-line message must contain.
EXPECTED = {
    "missing": ["does not exist", "nope.csv"],
    "directory": ["folder, not a CSV file"],
    "empty": ["is empty", "header row"],
    "blank": ["empty"],
    "binary": ["binary", "CSV"],
    "latin1": ["not UTF-8", "UTF-8"],
    "unknown_column": ["'temp'", "'temperature', 'sales'"],
    "non_numeric": ["row 2", "line 3", "'sales'", "'lots'", "not a number"],
    "nan": ["row 2", "'temperature'", "'nan'", "finite"],
    "inf": ["row 2", "'sales'", "'inf'", "finite"],
    "empty_cell": ["row 2", "empty cell", "'sales'"],
    "ragged": ["row 2", "3 cells", "2 columns"],
    "one_row": ["1 data row", "at least 2"],
    "header_only": ["0 data rows", "at least 2"],
    "constant_x": ["'temperature'", "20 in every row", "vary"],
    "same_column": ["same column"],
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input_gives_one_fix_it_line(tmp_path, case):
    path, x, y = bad_file(tmp_path, case)
    with pytest.raises(SearchlabError) as caught:
        tabular.load_xy(path, x, y)
    message = str(caught.value)
    assert "\n" not in message
    for words in EXPECTED[case]:
        assert words in message, (case, message)


def test_synthetic_pairs_are_seeded_and_near_the_true_line():
    first = synthetic.temperature_sales(500, 40.0, seed=3)
    again = synthetic.temperature_sales(500, 40.0, seed=3)
    other = synthetic.temperature_sales(500, 40.0, seed=4)
    np.testing.assert_array_equal(first.x, again.x)
    np.testing.assert_array_equal(first.y, again.y)
    assert not np.array_equal(first.x, other.x)
    low, high = synthetic.TEMPERATURE_RANGE
    assert first.x.min() >= low and first.x.max() <= high
    residual = first.y - (first.slope * first.x + first.intercept)
    assert abs(residual.std() - 40.0) < 5.0
    noiseless = synthetic.temperature_sales(10, 0.0, seed=0)
    np.testing.assert_allclose(noiseless.y, synthetic.TRUE_SLOPE * noiseless.x + synthetic.TRUE_INTERCEPT)


@pytest.mark.parametrize("n, noise", [(1, 1.0), (10, -1.0), (10, float("nan"))])
def test_synthetic_rejects_bad_sizes(n, noise):
    with pytest.raises(SearchlabError):
        synthetic.temperature_sales(n, noise, seed=0)
