"""Chess boards: FEN board field <-> 64 piece codes or 64 x 12 one-hot rows, exactly."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchlab.core.errors import SearchlabError
from searchlab.encodings.chess import (
    PIECE_CODES,
    PIECES,
    START_BOARD,
    decode_fen,
    decode_fen_one_hot,
    encode_fen,
    encode_fen_one_hot,
)

START_FEN = START_BOARD + " w KQkq - 0 1"


def _fen_of(squares):
    """Reference writer: 64 symbols ('.' empty) -> FEN board field, built independently."""
    rows = []
    for r in range(8):
        text = "".join(squares[8 * r : 8 * r + 8])
        for n in range(8, 0, -1):
            text = text.replace("." * n, str(n))
        rows.append(text)
    return "/".join(rows)


BOARDS = st.lists(st.sampled_from(list(PIECES) + ["."] * 6), min_size=64, max_size=64).map(_fen_of)


def test_codes_are_as_documented():
    assert [PIECE_CODES[p] for p in "PNBRQK"] == [1, 2, 3, 4, 5, 6]
    assert [PIECE_CODES[p] for p in "pnbrqk"] == [-1, -2, -3, -4, -5, -6]


def test_start_position():
    vector = encode_fen(START_FEN)
    assert vector.shape == (64,) and vector.dtype == np.float32
    assert vector[:8].tolist() == [-4, -2, -3, -5, -6, -3, -2, -4]  # a8..h8: black's back rank
    assert vector[8:16].tolist() == [-1] * 8
    assert vector[16:48].tolist() == [0] * 32
    assert vector[56:].tolist() == [4, 2, 3, 5, 6, 3, 2, 4]  # a1..h1
    assert decode_fen(vector) == START_BOARD
    planes = encode_fen_one_hot(START_FEN)
    assert planes.shape == (64, 12) and planes.sum() == 32
    assert planes[60].tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]  # e1: white king
    assert decode_fen_one_hot(planes) == START_BOARD


@settings(max_examples=100, deadline=None)
@given(BOARDS)
def test_random_boards_round_trip(board):
    assert decode_fen(encode_fen(board)) == board
    assert decode_fen_one_hot(encode_fen_one_hot(board)) == board
    assert np.array_equal(np.abs(encode_fen(board)) > 0, encode_fen_one_hot(board).sum(axis=1) == 1)


def test_one_hot_scores_decode_by_largest_entry():
    planes = encode_fen_one_hot("8/8/8/8/8/8/8/4K3") * 0.8 + 0.05
    assert decode_fen_one_hot(planes) == "8/8/8/8/8/8/8/4K3"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: encode_fen("8/8/8/8/8/8/8"), "8 rows"),
        (lambda: encode_fen("8/8/8/8/8/8/8/7x w - - 0 1"), "bad symbol 'x' in FEN row 8"),
        (lambda: encode_fen("8/8/8/8/8/8/8/4K2"), "row 8 .* covers 7 squares"),
        (lambda: encode_fen("9/8/8/8/8/8/8/8"), "bad symbol '9'"),
        (lambda: encode_fen("pppppppp1/8/8/8/8/8/8/8"), "covers 9 squares"),
        (lambda: encode_fen("  "), "FEN string is needed"),
        (lambda: decode_fen(np.zeros(63)), "64 numbers"),
        (lambda: decode_fen(np.full(64, 7.0)), "-6 to 6"),
        (lambda: decode_fen(np.full(64, 0.5)), "whole numbers"),
        (lambda: decode_fen_one_hot(np.zeros((64, 6))), r"\(64, 12\)"),
    ],
)
def test_bad_input_is_a_clear_error(make, words):
    with pytest.raises(SearchlabError, match=words):
        make()
