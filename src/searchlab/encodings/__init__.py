"""Encodings: ways to turn inputs and outputs into lists of numbers a model can read, and back.

Every encoding has an encode and a decode direction that round-trip exactly:

* `board`: Tic-Tac-Toe boards as 9 numbers (X = 1, O = -1, blank = 0) or one-hot planes.
* `chess`: a FEN board as 64 piece codes (white 1..6, black -1..-6) or 64 x 12 one-hot rows.
* `image`: any image file as an RGB pixel vector in [0, 1]; animated GIFs as frame rows.
* `scene`: a game scene as fixed slots of (kind code, x, y), the abstract alternative to pixels.
* `onehot`: a finite set of labels as one-hot or probability vectors.
* `text`: characters as ids over a fixed vocabulary, such as the essay's 77 symbols.
* `subword`: byte-pair subwords (common words and pieces of words get their own ids).

The names below are imported from their modules on first use, so importing this package
does not load Pillow or `tokenizers`.
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "BoardVector": "board",
    "BoardPlanes": "board",
    "BOARD_ENCODINGS": "board",
    "OneHot": "onehot",
    "CharVocab": "text",
    "ESSAY_ALPHABET": "text",
    "PUNCTUATION": "text",
    "essay_fallback_map": "text",
    "BPEVocab": "subword",
    "encode_image": "image",
    "decode_image": "image",
    "encode_gif": "image",
    "decode_gif": "image",
    "encode_fen": "chess",
    "decode_fen": "chess",
    "encode_fen_one_hot": "chess",
    "decode_fen_one_hot": "chess",
    "SceneEncoding": "scene",
    "SceneObject": "scene",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
