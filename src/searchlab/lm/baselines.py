"""What a user would reach for instead of a transformer, scored on the same split.

Every baseline gives bits per character (bpc) of the validation text, having
seen the training text first:

- gzip, bz2, xz: the standard-library compressors at their strongest settings.
  The validation text costs what it adds to the compressed training text:

      bpc = 8 * (len(compress(train + val)) - len(compress(train))) / characters(val)

  Compressors work on bytes, so the texts are UTF-8 encoded, but the count
  divides by characters, like the model's bpc. Headers and trailers appear in
  both terms and cancel. gzip only looks 32 KB back, so for it the training text
  is mostly out of reach: that is gzip's own limit, not the measurement's.
- ngram: an interpolated Kneser-Ney character model of order 5 (below).

`baselines` measures a bounded sample (`baseline_sample`): the last
`BASELINE_TRAIN_CHARACTERS` of the training text and the first
`BASELINE_VALIDATION_CHARACTERS` of the validation text, the characters on
either side of the split. The n-gram model counts in Python dictionaries and xz
at its strongest setting is slow, so on a whole 200 MB text they would take
gigabytes and hours; on the sample they take seconds and at most a few hundred
megabytes, whatever the text. Texts within the caps (the embedded corpus is) are
measured whole.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import math
from collections import Counter, defaultdict
from collections.abc import Callable

from searchlab.core.errors import SearchlabError

NGRAM_ORDER = 5
BASELINE_TRAIN_CHARACTERS = 500_000  # the training text the baselines see at most (its end)
BASELINE_VALIDATION_CHARACTERS = 100_000  # the validation text they score at most (its start)

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
    "bz2": lambda data: bz2.compress(data, compresslevel=9),
    "xz": lambda data: lzma.compress(data, preset=9 | lzma.PRESET_EXTREME),
}


def compression_bpc(compress: Callable[[bytes], bytes], train: str, validation: str) -> float:
    """Bits per character of `validation` after `train`, by what it adds to the compressed size."""
    _check(validation)
    together = len(compress((train + validation).encode("utf-8")))
    alone = len(compress(train.encode("utf-8")))
    return 8.0 * (together - alone) / len(validation)


class KneserNey:
    """Interpolated Kneser-Ney character n-gram model (Chen & Goodman 1999, section 3).

    For a history h of the last order - 1 characters and a next character w:

        P_k(w | h) = max(c_k(hw) - D_k, 0) / c_k(h.) + D_k * N_k(h.) / c_k(h.) * P_{k-1}(w | h')

    where h' drops h's first character, c_k(h.) = sum over w of c_k(hw), and
    N_k(h.) is how many distinct w follow h. The highest order counts
    occurrences; lower orders count continuations, c_k(g) = the number of
    distinct characters seen before g, which is what makes it Kneser-Ney. A
    history never seen (c_k(h.) = 0) passes all weight to P_{k-1}. Order 0 is
    uniform over the alphabet, 1 / V, so unseen characters keep some
    probability. Discounts: D_k = n1 / (n1 + 2 n2) from the numbers n1, n2 of
    k-grams whose count is 1 and 2 (Ney, Essen & Kneser 1994), unless given.

    Args:
        text: the training text.
        order: n, the characters the model looks at including the predicted one.
        alphabet: characters with probability (default: those of `text`).
        discount: one fixed discount for every order (default: estimated per order).
    """

    def __init__(self, text: str, order: int = NGRAM_ORDER, alphabet: str | None = None, discount: float | None = None):
        if order < 1:
            raise SearchlabError(f"an n-gram order must be >= 1, got {order}")
        if not text:
            raise SearchlabError("an n-gram model needs a non-empty training text")
        self.order = order
        self.vocabulary = len(set(alphabet if alphabet is not None else text) | set(text))
        # counts[k - 1]: k-gram -> its count at order k (occurrences at the top, continuations below).
        counts: list[dict[str, int]] = [{} for _ in range(order)]
        counts[order - 1] = dict(Counter(text[i : i + order] for i in range(len(text) - order + 1)))
        for k in range(1, order):
            # c_k(g) = how many distinct characters x precede g, i.e. distinct (k+1)-grams xg.
            distinct = set(counts[k]) if k == order - 1 else {text[i : i + k + 1] for i in range(len(text) - k)}
            counts[k - 1] = dict(Counter(gram[1:] for gram in distinct))
        self.counts = counts
        self.discounts = []
        self.totals: list[dict[str, int]] = []  # history -> c_k(h.)
        self.types: list[dict[str, int]] = []  # history -> N_k(h.)
        for table in counts:
            histories_total: dict[str, int] = defaultdict(int)
            histories_types: dict[str, int] = defaultdict(int)
            for gram, count in table.items():
                histories_total[gram[:-1]] += count
                histories_types[gram[:-1]] += 1
            self.totals.append(dict(histories_total))
            self.types.append(dict(histories_types))
            if discount is None:
                of_counts = Counter(table.values())
                n1, n2 = of_counts.get(1, 0), of_counts.get(2, 0)
                self.discounts.append(n1 / (n1 + 2 * n2) if n1 + n2 > 0 else 0.5)
            else:
                self.discounts.append(float(discount))

    def probability(self, history: str, character: str) -> float:
        """P(character | the last order - 1 characters of history)."""
        history = history[len(history) - self.order + 1 :] if self.order > 1 else ""
        probability = 1.0 / self.vocabulary
        for k in range(1, self.order + 1):  # from unigrams up, each order interpolating the one below
            if len(history) < k - 1:
                break
            context = history[len(history) - (k - 1) :] if k > 1 else ""
            total = self.totals[k - 1].get(context, 0)
            if total == 0:
                continue
            discount = self.discounts[k - 1]
            count = self.counts[k - 1].get(context + character, 0)
            probability = (max(count - discount, 0.0) + discount * self.types[k - 1][context] * probability) / total
        return probability

    def bits(self, history: str, text: str) -> float:
        """Total bits of `text`, each character predicted from what precedes it (starting after `history`)."""
        joined = history + text
        offset = len(history)
        reach = self.order - 1
        return -sum(
            math.log2(self.probability(joined[max(0, offset + i - reach) : offset + i], character))
            for i, character in enumerate(text)
        )


def ngram_bpc(train: str, validation: str, order: int = NGRAM_ORDER, discount: float | None = None) -> float:
    """Bits per character of `validation` under a `KneserNey` model of `train`.

    The alphabet is every character of train and validation (as the model's
    character vocabulary), and the first characters of the validation text are
    predicted from the end of the training text, as the compressors see it.
    """
    _check(validation)
    model = KneserNey(train, order, alphabet=train + validation, discount=discount)
    return model.bits(train[-(order - 1) :] if order > 1 else "", validation) / len(validation)


def baseline_sample(train: str, validation: str) -> tuple[str, str]:
    """(the end of `train`, the start of `validation`), of at most `BASELINE_TRAIN_CHARACTERS` and
    `BASELINE_VALIDATION_CHARACTERS` characters.

    The characters next to the split, so the sampled validation text still follows
    the sampled training text as it does in the whole text.
    """
    train_limit, validation_limit = (
        BASELINE_TRAIN_CHARACTERS,
        BASELINE_VALIDATION_CHARACTERS,
    )  # read now: tests shrink them
    return train[max(0, len(train) - train_limit) :], validation[:validation_limit]


def baselines(train: str, validation: str, order: int = NGRAM_ORDER) -> dict[str, float]:
    """{"gzip", "bz2", "xz", "ngram"}: bits per character of `validation` after `train`, on their `baseline_sample`."""
    train, validation = baseline_sample(train, validation)
    result = {name: compression_bpc(compress, train, validation) for name, compress in COMPRESSORS.items()}
    result["ngram"] = ngram_bpc(train, validation, order)
    return result


def long_repeats(train: str, validation: str, length: int = 24, context: int = 128) -> dict[str, float]:
    """How much of the validation text repeats, word for word, a stretch seen before it.

    Compressors copy such stretches for a few bits each; a model with a window of
    `context` characters can copy only what is inside its window and must have
    learned the rest. A validation character counts as repeated when it lies in
    a stretch of `length` characters that also starts somewhere earlier (in the
    training text or earlier in the validation text); as out of the model's reach
    when every such earlier start is more than `context` characters back.

    Returns:
        {"repeated": share of validation characters in a repeated stretch,
         "beyond_context": share in one whose nearest earlier copy is out of the window,
         "length": length, "context": context}.
    """
    _check(validation)
    text, start = train + validation, len(train)
    last: dict[str, int] = {}
    for i in range(max(start - length + 1, 0)):  # the training text's stretches, last occurrence wins
        last[text[i : i + length]] = i
    repeated = [False] * len(validation)
    near = [False] * len(validation)
    for i in range(max(start - length + 1, 0), len(text) - length + 1):
        window = text[i : i + length]
        before = last.get(window)
        if before is not None:  # the nearest earlier copy (it may overlap this one, as LZ copies may)
            close = i - before <= context
            for j in range(max(i, start), i + length):
                repeated[j - start] = True
                near[j - start] = near[j - start] or close
        last[window] = i
    count = len(validation)
    return {
        "repeated": sum(repeated) / count,
        "beyond_context": sum(r and not n for r, n in zip(repeated, near)) / count,
        "length": length,
        "context": context,
    }


def _check(validation: str) -> None:
    if not validation:
        raise SearchlabError("the validation text is empty; a baseline needs characters to score")
