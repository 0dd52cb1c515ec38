"""Chess positions as numbers: the board field of a FEN string <-> 64 numbers or 64 x 12 one-hot rows.

Squares are in FEN order: a8, b8, ..., h8 (the rank nearest Black) down to a1, ..., h1,
so index ``8 * row + file`` with row 0 = rank 8 and file 0 = the a-file.

The essay's encoding gives each of the twelve pieces its own number, `PIECE_CODES`:

    white pawn, knight, bishop, rook, queen, king  P N B R Q K  =  1  2  3  4  5  6
    black pawn, knight, bishop, rook, queen, king  p n b r q k  = -1 -2 -3 -4 -5 -6
    empty square                                                 =  0

The one-hot alternative gives each square a row of 12 with a 1 in the column of its
piece, in the order of `PIECES` (``PNBRQKpnbrqk``); an empty square is a row of zeros.
Both encodings round-trip the board field exactly. Only the board field is encoded:
whose move it is, castling rights and the rest of a full FEN are ignored.
"""

from __future__ import annotations

import numpy as np

from searchlab.core.errors import SearchlabError

PIECES = "PNBRQKpnbrqk"  # one-hot column order
PIECE_CODES: dict[str, int] = {piece: (i % 6 + 1) * (1 if piece.isupper() else -1) for i, piece in enumerate(PIECES)}
PIECE_OF_CODE: dict[int, str] = {code: piece for piece, code in PIECE_CODES.items()}
NUM_SQUARES = 64
START_BOARD = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR"


def _board_field(fen: str) -> str:
    if not isinstance(fen, str) or not fen.strip():
        raise SearchlabError("a FEN string is needed, e.g. " + START_BOARD + " w KQkq - 0 1")
    return fen.split()[0]


def _squares(fen: str) -> list[str]:
    """FEN (full or board field only) -> 64 symbols in FEN square order, '.' for empty."""
    board = _board_field(fen)
    rows = board.split("/")
    if len(rows) != 8:
        raise SearchlabError(f"a FEN board has 8 rows separated by '/', got {len(rows)} in {board!r}")
    squares: list[str] = []
    for number, row in enumerate(rows):
        width = 0
        for symbol in row:
            if symbol in PIECE_CODES:
                squares.append(symbol)
                width += 1
            elif symbol in "12345678":
                squares.extend("." * int(symbol))
                width += int(symbol)
            else:
                raise SearchlabError(
                    f"bad symbol {symbol!r} in FEN row {number + 1} ({row!r}); use PNBRQK/pnbrqk or digits 1-8"
                )
        if width != 8:
            raise SearchlabError(f"FEN row {number + 1} ({row!r}) covers {width} squares instead of 8")
    return squares


def _board_from_squares(squares: list[str]) -> str:
    """64 symbols ('.' for empty) -> the FEN board field, with runs of empty squares as digits."""
    rows = []
    for start in range(0, NUM_SQUARES, 8):
        row, empty = "", 0
        for symbol in squares[start : start + 8]:
            if symbol == ".":
                empty += 1
                continue
            if empty:
                row, empty = row + str(empty), 0
            row += symbol
        rows.append(row + (str(empty) if empty else ""))
    return "/".join(rows)


def encode_fen(fen: str) -> np.ndarray:
    """FEN -> (64,) float32 piece codes (white 1..6, black -1..-6, empty 0) in FEN square order.

    Raises:
        SearchlabError: not 8 rows, a bad symbol, or a row that does not cover 8 squares.
    """
    return np.array([PIECE_CODES.get(symbol, 0) for symbol in _squares(fen)], dtype=np.float32)


def decode_fen(vector: np.ndarray) -> str:
    """(64,) piece codes -> the FEN board field.

    Raises:
        SearchlabError: not 64 numbers, or a number other than -6..6 whole numbers.
    """
    vector = np.asarray(vector, dtype=np.float64).reshape(-1)
    if vector.size != NUM_SQUARES:
        raise SearchlabError(f"a chess board vector has 64 numbers, got {vector.size}")
    if not np.all(np.isin(vector, np.arange(-6, 7))):
        bad = vector[~np.isin(vector, np.arange(-6, 7))][0]
        raise SearchlabError(f"board entries must be whole numbers from -6 to 6 (0 empty), got {bad}")
    return _board_from_squares([PIECE_OF_CODE.get(int(code), ".") for code in vector])


def encode_fen_one_hot(fen: str) -> np.ndarray:
    """FEN -> (64, 12) float32: per square a 1 in the column of its piece (order `PIECES`), empty rows all 0."""
    planes = np.zeros((NUM_SQUARES, len(PIECES)), dtype=np.float32)  # (square, piece)
    for square, symbol in enumerate(_squares(fen)):
        if symbol != ".":
            planes[square, PIECES.index(symbol)] = 1.0
    return planes


def decode_fen_one_hot(planes: np.ndarray, *, threshold: float = 0.5) -> str:
    """(64, 12) one-hot or score rows -> the FEN board field.

    A square holds the piece of its largest entry if that entry exceeds `threshold`,
    otherwise it is empty; so exact one-hot rows decode exactly and scores decode sensibly.

    Raises:
        SearchlabError: an array that is not (64, 12).
    """
    planes = np.asarray(planes, dtype=np.float64)
    if planes.shape != (NUM_SQUARES, len(PIECES)):
        raise SearchlabError(f"one-hot chess rows have shape (64, 12), got {planes.shape}")
    best = planes.argmax(axis=1)
    filled = planes.max(axis=1) > threshold
    return _board_from_squares([PIECES[b] if f else "." for b, f in zip(best.tolist(), filled.tolist())])
