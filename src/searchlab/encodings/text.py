"""Characters as positions in a fixed vocabulary: text in, integer ids (or one-hot rows) out, and back.

A `CharVocab` is an ordered string of distinct symbols; a character is encoded as its
position in that string. `CharVocab.essay()` is the essay's 77-symbol vocabulary,
`ESSAY_ALPHABET`, in this order:

* the 26 lower-case letters ``a``-``z``,
* the 26 upper-case letters ``A``-``Z``,
* the 10 digits ``0``-``9``,
* the 14 punctuation marks in `PUNCTUATION`: ``. , ; : ! ? ' " - ( ) / & %``
  (sentence and clause marks, straight quotes, the hyphen, brackets, and the three
  symbols that common English prose uses inside words and numbers),
* the space.

Characters outside the vocabulary are an error by default; the message names the first
few (with their positions) so the corpus can be cleaned. Two ways to accept them instead:

* ``nearest``: a one-to-one replacement table applied before lookup. `ESSAY_NEAREST`
  maps the usual outsiders of English text to a close symbol: newline, carriage
  return, tab and no-break space to space; curly single quotes to ``'`` and curly
  double quotes to ``"``; en dash, em dash, minus sign and bullet to ``-``; the
  ellipsis to ``.``. Every replacement is one character for one, so ids stay aligned
  with the positions of the original text. `essay_fallback_map` applies it to a string.
* ``fallback``: a symbol of the vocabulary that every remaining outside character
  becomes (for example ``" "``).

Ids are int64 numpy arrays; one-hot rows are float32 torch tensors.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from searchlab.core.errors import SearchlabError

PUNCTUATION = ".,;:!?'\"-()/&%"
ESSAY_ALPHABET = string.ascii_lowercase + string.ascii_uppercase + string.digits + PUNCTUATION + " "

ESSAY_NEAREST: dict[str, str] = {
    "\n": " ",
    "\r": " ",
    "\t": " ",
    "\xa0": " ",  # no-break space
    "\u2018": "'",  # left single quote
    "\u2019": "'",  # right single quote (and apostrophe)
    "\u201c": '"',  # left double quote
    "\u201d": '"',  # right double quote
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2212": "-",  # minus sign
    "\u2022": "-",  # bullet
    "\u2026": ".",  # ellipsis (one character for one, so positions stay aligned)
}

_SHOWN_OUTSIDERS = 5  # how many distinct outside characters an error message lists


def essay_fallback_map(text: str) -> str:
    """`text` with every character of `ESSAY_NEAREST` replaced by its close essay symbol.

    The result has the same length as `text`; characters not in the table are left as
    they are (they may still lie outside `ESSAY_ALPHABET`).
    """
    return text.translate(str.maketrans(ESSAY_NEAREST))


class CharVocab:
    """Text <-> int64 ids over an ordered set of single-character symbols.

    Args:
        symbols: the vocabulary, id ``i`` being ``symbols[i]``; at least one, no repeats.
        fallback: a symbol of the vocabulary that outside characters become; None makes
            them an error.
        name: a label saved with the vocabulary (``"essay"`` for the 77 symbols).
        nearest: one-character-for-one replacements applied before lookup (see
            `ESSAY_NEAREST`); every replacement must be a symbol of the vocabulary.

    Raises:
        SearchlabError: no symbols, a symbol listed twice, or a fallback or replacement
            that is not a symbol.
    """

    def __init__(
        self,
        symbols: str,
        *,
        fallback: str | None = None,
        name: str = "custom",
        nearest: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(symbols, str) or not symbols:
            raise SearchlabError("a character vocabulary needs a non-empty string of symbols")
        if len(set(symbols)) != len(symbols):
            repeated = sorted({c for c in symbols if symbols.count(c) > 1})
            raise SearchlabError(f"symbols {', '.join(map(repr, repeated))} are listed twice; each needs its own id")
        if fallback is not None and (len(fallback) != 1 or fallback not in symbols):
            raise SearchlabError(f"the fallback must be one symbol of the vocabulary, got {fallback!r}")
        nearest = dict(nearest or {})
        for source, target in nearest.items():
            if len(source) != 1 or len(target) != 1 or target not in symbols:
                raise SearchlabError(
                    f"replacement {source!r} -> {target!r} must map one character to one symbol of the vocabulary"
                )
        self.symbols = symbols
        self.fallback = fallback
        self.name = name
        self.nearest = nearest
        self._translation = str.maketrans(nearest) if nearest else None
        # Lookup table from code point to id (-1 outside), so encoding is one numpy gather.
        code_points = np.array([ord(c) for c in symbols], dtype=np.int64)
        self._ids_by_code = np.full(int(code_points.max()) + 1, -1, dtype=np.int64)
        self._ids_by_code[code_points] = np.arange(len(symbols), dtype=np.int64)
        self._symbol_array = np.array(list(symbols), dtype=object)  # object: numpy str arrays drop "\x00"

    @classmethod
    def essay(cls, fallback: str | None = None, *, nearest: bool = False) -> CharVocab:
        """The essay's 77 symbols, `ESSAY_ALPHABET`; ``nearest=True`` applies `ESSAY_NEAREST` first."""
        return cls(ESSAY_ALPHABET, fallback=fallback, name="essay", nearest=ESSAY_NEAREST if nearest else None)

    @classmethod
    def from_text(cls, text: str, *, name: str = "corpus") -> CharVocab:
        """Every distinct character of `text`, sorted by code point (so any corpus encodes without loss).

        Raises:
            SearchlabError: empty text.
        """
        if not text:
            raise SearchlabError("cannot build a vocabulary from empty text; give a non-empty corpus")
        return cls("".join(sorted(set(text))), name=name)

    @property
    def size(self) -> int:
        """Number of symbols: the length of a one-hot row and the number of ids."""
        return len(self.symbols)

    def _raw_ids(self, text: str) -> np.ndarray:
        """(T,) ids after the nearest-symbol table, -1 for characters still outside."""
        if self._translation is not None:
            text = text.translate(self._translation)
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)  # (T,)
        ids = np.full(codes.shape, -1, dtype=np.int64)
        inside = codes < len(self._ids_by_code)
        ids[inside] = self._ids_by_code[codes[inside]]
        return ids

    def encode(self, text: str) -> np.ndarray:
        """Text -> (len(text),) int64 ids.

        Raises:
            SearchlabError: a character outside the vocabulary and no fallback; the message
                names the first few distinct ones with their first positions and counts.
        """
        if not isinstance(text, str):
            raise SearchlabError(f"text to encode must be a str, got {type(text).__name__}")
        ids = self._raw_ids(text)
        outside = np.flatnonzero(ids < 0)
        if outside.size:
            if self.fallback is None:
                # The first few distinct offenders, each with its first position and its count.
                first: dict[str, int] = {}
                for i in outside.tolist():
                    first.setdefault(text[i], i)
                counts = {c: 0 for c in first}
                for i in outside.tolist():
                    counts[text[i]] += 1
                shown = ", ".join(
                    f"{c!r} at {i}" + (f" ({counts[c]:,} times)" if counts[c] > 1 else "")
                    for c, i in list(first.items())[:_SHOWN_OUTSIDERS]
                )
                more = f" (and {len(first) - _SHOWN_OUTSIDERS} more kinds)" if len(first) > _SHOWN_OUTSIDERS else ""
                raise SearchlabError(
                    f"{outside.size:,} character(s) outside the {self.name} vocabulary: {shown}{more}; "
                    f"clean the text or set a fallback symbol"
                )
            ids[outside] = self.symbols.index(self.fallback)
        return ids

    def decode(self, ids: Sequence[int] | np.ndarray | torch.Tensor) -> str:
        """(T,) ids -> the text they spell.

        Raises:
            SearchlabError: an id outside 0..size-1.
        """
        ids = _as_int_array(ids)
        if ids.size and (int(ids.min()) < 0 or int(ids.max()) >= self.size):
            raise SearchlabError(
                f"character ids must lie in 0..{self.size - 1}, got {int(ids.min())}..{int(ids.max())}"
            )
        return "".join(self._symbol_array[ids].tolist())

    def one_hot(self, text: str) -> torch.Tensor:
        """Text -> (len(text), size) float32 one-hot rows."""
        ids = torch.from_numpy(self.encode(text))
        return torch.nn.functional.one_hot(ids, self.size).to(torch.float32)

    def from_one_hot(self, rows: torch.Tensor) -> str:
        """(T, size) one-hot, score or probability rows -> text (per row the largest entry; ties: the first).

        Raises:
            SearchlabError: rows that are not (T, size).
        """
        rows = torch.as_tensor(rows)
        if rows.ndim != 2 or rows.shape[1] != self.size:
            raise SearchlabError(f"one-hot rows have shape (T, {self.size}), got {tuple(rows.shape)}")
        return self.decode(rows.argmax(dim=1).cpu().numpy())

    def coverage(self, text: str) -> float:
        """Share of the characters of `text` in the vocabulary after the nearest-symbol table (1.0 for empty text)."""
        if not text:
            return 1.0
        return float((self._raw_ids(text) >= 0).mean())

    def to_json(self) -> str:
        """The vocabulary as a JSON string, to save with a model checkpoint."""
        return json.dumps(
            {
                "kind": "char",
                "name": self.name,
                "symbols": self.symbols,
                "fallback": self.fallback,
                "nearest": self.nearest,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> CharVocab:
        """The vocabulary `to_json` saved.

        Raises:
            SearchlabError: not JSON of a character vocabulary.
        """
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, TypeError) as error:
            raise SearchlabError(f"a character vocabulary must be saved JSON: {error}") from None
        if not isinstance(data, dict) or data.get("kind") != "char":
            raise SearchlabError('the JSON is not a saved character vocabulary (no "kind": "char")')
        return cls(
            data["symbols"], fallback=data.get("fallback"), name=data.get("name", "custom"), nearest=data.get("nearest")
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharVocab) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(self.to_json())

    def __repr__(self) -> str:
        return f"CharVocab(name={self.name!r}, size={self.size}, fallback={self.fallback!r})"


def _as_int_array(ids: Sequence[int] | np.ndarray | torch.Tensor) -> np.ndarray:
    """Ids from a list, numpy array or tensor -> a 1-D int64 numpy array."""
    if isinstance(ids, torch.Tensor):
        ids = ids.detach().cpu().numpy()
    array = np.asarray(ids)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise SearchlabError(f"ids must be integers, got dtype {array.dtype}")
    return array.astype(np.int64).reshape(-1)
