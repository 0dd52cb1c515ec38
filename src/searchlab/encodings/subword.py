"""Byte-pair subwords: common words and parts of words get their own ids, on top of the 256 bytes.

`BPEVocab.train` learns a byte-level byte-pair encoding with HuggingFace `tokenizers`.
Training starts from one token per byte (256 ids, so any string can be encoded) and
repeatedly merges the pair of adjacent tokens that occurs most often in the corpus into
a new token, until `vocab_size` tokens exist or no pair occurs `min_frequency` times.

Settings that make ``decode(encode(text)) == text`` exact for every string, including
newlines, repeated spaces and non-ASCII text:

* ByteLevel pre-tokenizer with ``add_prefix_space=False`` (nothing is added in front)
  and the GPT-2 word-splitting pattern (merges never cross a word boundary);
* no normalizer (no case folding, no unicode normalization);
* ByteLevel decoder, which turns the byte symbols back into the original bytes.

Ids: special tokens first (none unless asked for), then the 256 byte tokens, then the
merges in the order they were learned. Ids are int64 numpy arrays. Training is
deterministic: the same text and settings give the same vocabulary.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from searchlab.core.errors import SearchlabError

NUM_BYTES = 256  # the base alphabet: every byte value has a token


@lru_cache(maxsize=1)
def _byte_of_symbol() -> dict[str, int]:
    """The ByteLevel stand-in character -> the byte it stands for (GPT-2's printable byte table)."""
    printable = (
        list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    )
    code_points = printable[:]
    extra = 0
    for byte in range(NUM_BYTES):
        if byte not in printable:
            printable.append(byte)
            code_points.append(NUM_BYTES + extra)
            extra += 1
    return {chr(code): byte for byte, code in zip(printable, code_points)}


def _readable(token: str) -> str:
    """A ByteLevel token string -> the text its bytes spell (an incomplete UTF-8 sequence shows as U+FFFD)."""
    table = _byte_of_symbol()
    if any(symbol not in table for symbol in token):
        return token  # a special token, stored as itself
    return bytes(table[symbol] for symbol in token).decode("utf-8", errors="replace")


class BPEVocab:
    """Text <-> int64 subword ids by byte-level byte-pair encoding; build one with `train` or `from_json`.

    Args:
        tokenizer: a trained `tokenizers.Tokenizer` with a BPE model.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer

    @classmethod
    def train(
        cls, text: str, vocab_size: int, *, min_frequency: int = 2, special_tokens: Sequence[str] = ()
    ) -> BPEVocab:
        """Learn merges from `text` until `vocab_size` tokens exist (fewer if pairs run out).

        Args:
            text: the corpus, non-empty.
            vocab_size: the most tokens: specials + 256 bytes + merges; at least 256 + specials.
            min_frequency: a pair must occur this often to be merged.
            special_tokens: strings that get their own ids (0, 1, ...) and are never split,
                such as ``"<|endoftext|>"``; none by default.

        Raises:
            SearchlabError: empty text, a too small vocab_size, or min_frequency below 1.
        """
        if not isinstance(text, str) or not text:
            raise SearchlabError("cannot train subwords on empty text; give a non-empty corpus")
        special_tokens = list(special_tokens)
        smallest = NUM_BYTES + len(special_tokens)
        if vocab_size < smallest:
            raise SearchlabError(
                f"vocab_size must be at least {smallest} (256 bytes + {len(special_tokens)} special tokens), got "
                f"{vocab_size}"
            )
        if min_frequency < 1:
            raise SearchlabError(f"min_frequency must be at least 1, got {min_frequency}")
        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # all 256 bytes, seen or not
            special_tokens=special_tokens,
            show_progress=False,
        )
        tokenizer.train_from_iterator([text], trainer=trainer)
        return cls(tokenizer)

    @property
    def size(self) -> int:
        """Number of token ids (specials + 256 bytes + merges)."""
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    @property
    def special_tokens(self) -> list[str]:
        """The special tokens, in id order."""
        added = json.loads(self.tokenizer.to_str())["added_tokens"]
        return [token["content"] for token in sorted(added, key=lambda token: token["id"]) if token["special"]]

    def encode(self, text: str) -> np.ndarray:
        """Text -> (n,) int64 token ids."""
        if not isinstance(text, str):
            raise SearchlabError(f"text to encode must be a str, got {type(text).__name__}")
        return np.asarray(self.tokenizer.encode(text, add_special_tokens=False).ids, dtype=np.int64)

    def decode(self, ids: Sequence[int] | np.ndarray | torch.Tensor) -> str:
        """(n,) token ids -> text (special tokens are kept as their strings).

        Raises:
            SearchlabError: an id outside 0..size-1.
        """
        ids = self._checked(ids)
        return self.tokenizer.decode(ids, skip_special_tokens=False)

    def token_strings(self, ids: Sequence[int] | np.ndarray | torch.Tensor) -> list[str]:
        """(n,) token ids -> the text piece of each (a piece that ends inside a multi-byte character shows U+FFFD)."""
        return [_readable(self.tokenizer.id_to_token(i)) for i in self._checked(ids)]

    def merges(self, top: int = 20) -> list[tuple[str, str, str]]:
        """The first `top` merges as readable (left, right, merged) strings.

        They are in training order: each merge was the most frequent adjacent pair at the
        moment it was learned, so early merges are roughly the most frequent pieces of
        the corpus (later counts change as merges consume pairs). Merge ``k`` is token id
        ``len(special_tokens) + 256 + k``.
        """
        pairs = json.loads(self.tokenizer.to_str())["model"]["merges"][: max(top, 0)]
        out = []
        for pair in pairs:
            left, right = pair if isinstance(pair, list) else pair.split(" ", 1)  # older files store "a b"
            out.append((_readable(left), _readable(right), _readable(left + right)))
        return out

    def to_json(self) -> str:
        """The trained tokenizer as `tokenizers`' own JSON, to save with a model checkpoint."""
        return self.tokenizer.to_str()

    @classmethod
    def from_json(cls, text: str) -> BPEVocab:
        """The vocabulary `to_json` saved.

        Raises:
            SearchlabError: not the JSON of a tokenizer.
        """
        try:
            return cls(Tokenizer.from_str(text))
        except Exception as error:  # tokenizers raises its own exception types
            raise SearchlabError(f"not a saved subword vocabulary: {str(error).splitlines()[0]}") from None

    def _checked(self, ids: Sequence[int] | np.ndarray | torch.Tensor) -> list[int]:
        if isinstance(ids, torch.Tensor):
            ids = ids.detach().cpu().numpy()
        array = np.asarray(ids)
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise SearchlabError(f"token ids must be integers, got dtype {array.dtype}")
        flat = array.astype(np.int64).reshape(-1)
        if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= self.size):
            raise SearchlabError(f"token ids must lie in 0..{self.size - 1}, got {int(flat.min())}..{int(flat.max())}")
        return flat.tolist()

    def __repr__(self) -> str:
        return f"BPEVocab(size={self.size})"
