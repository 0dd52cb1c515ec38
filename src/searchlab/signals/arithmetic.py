"""Integer arithmetic written one character at a time over the essay alphabet: problems, exact checks, encoding.

The essay alphabet (`ESSAY_ALPHABET`) has digits, '-', '.', '?' and the space but no
'+', '=' or '*', so a problem is written with words: ``"37 plus 45?"``,
``"12 minus 45?"``, ``"7 times 8?"``. Both operands have the problem's number of
digits, its *difficulty* (1 to `MAX_DIGITS`; a 1-digit operand is 0..9, a d-digit
one 10**(d-1)..10**d - 1).

An answer is the canonical decimal of the result: an optional '-', then digits with
no leading zero ("0" for zero). For a model it is written as a fixed-length row of
`ANSWER_LENGTH` characters: the answer, the end marker `END` ('.'), then `PAD`
(' ') to the end. Problems are padded with `PAD` to `PROBLEM_LENGTH`. Both use the
compact vocabulary `arithmetic_vocab()` (the `SYMBOLS` they need, in essay order), or
any `CharVocab` that holds them, such as `CharVocab.essay()`.

`check` is exact: it parses the operands and the operator itself (never `eval`) and
compares the written answer with Python's integer result. The simulated people who
write and judge answers are in `searchlab.signals.arithmetic_people`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from searchlab.core import checks
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import numpy_generator
from searchlab.encodings.text import ESSAY_ALPHABET, CharVocab

MAX_DIGITS = 3
OPERATORS = {"+": "plus", "-": "minus", "*": "times"}  # operator -> the word a problem is written with
END = "."  # ends an answer
PAD = " "  # fills a row after the problem, or after the end marker
QUESTION = "?"  # ends a problem
PROBLEM_LENGTH = 2 * MAX_DIGITS + len(" times ") + len(QUESTION)  # "999 times 999?" = 14
ANSWER_LENGTH = 2 * MAX_DIGITS + len(END)  # 999 * 999 = 998001 has 6 digits; no result is longer
_NEEDED = set("0123456789" + "-" + END + PAD + QUESTION + "".join(OPERATORS.values()))
SYMBOLS = "".join(c for c in ESSAY_ALPHABET if c in _NEEDED)
if len(SYMBOLS) != len(_NEEDED):  # a guard for edits to the words or markers above
    raise ImportError(f"arithmetic symbols outside the essay alphabet: {sorted(_NEEDED - set(SYMBOLS))}")

_PROBLEM = re.compile(rf"(\d{{1,{MAX_DIGITS}}}) ({'|'.join(OPERATORS.values())}) (\d{{1,{MAX_DIGITS}}})\?")
_NUMBER = re.compile(r"-?(0|[1-9]\d*)")
_WORDS = {word: op for op, word in OPERATORS.items()}


def arithmetic_vocab() -> CharVocab:
    """The compact vocabulary of problems and answers: `SYMBOLS`, a subset of the essay alphabet."""
    return CharVocab(SYMBOLS, name="arithmetic")


@dataclass(frozen=True)
class ArithmeticProblem:
    """`left operator right`, for example ArithmeticProblem(37, "+", 45), written "37 plus 45?".

    Raises:
        SearchlabError: an operator outside `OPERATORS`, or an operand that is not a whole
            number of at most `MAX_DIGITS` digits.
    """

    left: int
    operator: str
    right: int

    def __post_init__(self) -> None:
        if self.operator not in OPERATORS:
            raise SearchlabError(f"operator {self.operator!r} is not one of {', '.join(OPERATORS)}")
        for operand in (self.left, self.right):
            if not checks.is_whole(operand) or not 0 <= operand < 10**MAX_DIGITS:
                raise SearchlabError(f"operands are whole numbers 0..{10**MAX_DIGITS - 1}, got {operand!r}")
        object.__setattr__(self, "left", int(self.left))
        object.__setattr__(self, "right", int(self.right))

    @property
    def digits(self) -> int:
        """The difficulty: the number of digits of the longer operand."""
        return max(len(str(self.left)), len(str(self.right)))

    @property
    def value(self) -> int:
        """The exact result, by Python's integer arithmetic."""
        if self.operator == "+":
            return self.left + self.right
        if self.operator == "-":
            return self.left - self.right
        return self.left * self.right

    @property
    def answer(self) -> str:
        """The correct answer as written: the canonical decimal of `value`."""
        return str(self.value)

    @property
    def text(self) -> str:
        """The problem as written, e.g. "37 plus 45?"."""
        return f"{self.left} {OPERATORS[self.operator]} {self.right}{QUESTION}"

    def __str__(self) -> str:
        return self.text


def parse_problem(text: str) -> ArithmeticProblem:
    """Inverse of `ArithmeticProblem.text` (trailing padding ignored).

    Raises:
        SearchlabError: text that is not "<number> plus|minus|times <number>?".
    """
    match = _PROBLEM.fullmatch(text.rstrip(PAD)) if isinstance(text, str) else None
    if match is None:
        raise SearchlabError(f"a problem is written like '37 plus 45?' (plus, minus or times), got {text!r}")
    return ArithmeticProblem(int(match[1]), _WORDS[match[2]], int(match[3]))


def clean_answer(answer: str) -> str:
    """The answer as the model meant it: the text before the first end marker, padding stripped."""
    return answer.split(END, 1)[0].strip(PAD)


def is_number(answer: str) -> bool:
    """True for a canonical decimal (optional '-', no leading zero, not "-0") after `clean_answer`."""
    text = clean_answer(answer)
    return _NUMBER.fullmatch(text) is not None and text != "-0"


def check(problem: ArithmeticProblem | str, answer: str) -> bool:
    """True iff the written answer (end marker and padding allowed) is the canonical decimal of the exact result.

    A malformed answer ("", "12a", "007", "-0") is simply wrong, never an error: models write anything.
    """
    if isinstance(problem, str):
        problem = parse_problem(problem)
    return isinstance(answer, str) and clean_answer(answer) == problem.answer


@dataclass(frozen=True)
class ArithmeticTask:
    """Which problems the task draws: a difficulty uniform over `digits`, an operator uniform over `operators`.

    Raises:
        SearchlabError: an empty or repeated choice, a difficulty outside 1..MAX_DIGITS, or an unknown operator.
    """

    digits: tuple[int, ...] = (1, 2, 3)
    operators: tuple[str, ...] = ("+", "-")

    def __post_init__(self) -> None:
        digits, operators = tuple(self.digits), tuple(self.operators)
        if (
            not digits
            or len(set(digits)) != len(digits)
            or any(not isinstance(d, int) or not 1 <= d <= MAX_DIGITS for d in digits)
        ):
            raise SearchlabError(
                f"arithmetic digits are distinct whole numbers from 1 to {MAX_DIGITS}, got {self.digits!r}"
            )
        if not operators or len(set(operators)) != len(operators) or any(op not in OPERATORS for op in operators):
            raise SearchlabError(
                f"arithmetic operators are distinct symbols from {' '.join(OPERATORS)}, got {self.operators!r}"
            )
        object.__setattr__(self, "digits", digits)
        object.__setattr__(self, "operators", operators)

    def sample(self, count: int, seed: int | np.random.Generator) -> list[ArithmeticProblem]:
        """`count` problems drawn from `seed` (or a generator, whose stream continues)."""
        rng = seed if isinstance(seed, np.random.Generator) else numpy_generator(seed)
        digits = rng.choice(np.array(self.digits), size=count)  # (count,)
        low = np.where(digits == 1, 0, 10 ** (digits - 1))
        operands = rng.integers(low, 10**digits, size=(2, count))  # (2, count): left, right
        operators = rng.choice(np.array(self.operators), size=count)
        return [ArithmeticProblem(int(a), str(op), int(b)) for a, op, b in zip(operands[0], operators, operands[1])]


# ---- encoding ---------------------------------------------------------------------------


def _rows(texts: list[str], length: int, vocab: CharVocab | None, what: str) -> np.ndarray:
    vocab = vocab or arithmetic_vocab()
    out = np.empty((len(texts), length), dtype=np.int64)
    for i, text in enumerate(texts):
        if len(text) > length:
            raise SearchlabError(f"{what} {text!r} is longer than {length} characters")
        out[i] = vocab.encode(text.ljust(length, PAD))
    return out


def encode_problems(problems: list[ArithmeticProblem], vocab: CharVocab | None = None) -> np.ndarray:
    """(N, PROBLEM_LENGTH) int64 ids: each problem's text, padded."""
    return _rows([p.text for p in problems], PROBLEM_LENGTH, vocab, "problem")


def decode_problems(ids: np.ndarray, vocab: CharVocab | None = None) -> list[ArithmeticProblem]:
    """Inverse of `encode_problems` (SearchlabError for a row that is not a problem)."""
    vocab = vocab or arithmetic_vocab()
    return [parse_problem(vocab.decode(row)) for row in np.asarray(ids).reshape(-1, PROBLEM_LENGTH)]


def encode_answers(answers: list[str], vocab: CharVocab | None = None) -> np.ndarray:
    """(N, ANSWER_LENGTH) int64 ids: each answer, the end marker, then padding.

    Raises:
        SearchlabError: an answer with a character outside the vocabulary or too long to fit.
    """
    return _rows([clean_answer(a) + END for a in answers], ANSWER_LENGTH, vocab, "answer (with its end marker)")


def decode_answers(ids: np.ndarray, vocab: CharVocab | None = None) -> list[str]:
    """Rows of written ids -> the answers they mean (`clean_answer`: up to the first end marker)."""
    vocab = vocab or arithmetic_vocab()
    ids = np.asarray(ids)
    return [clean_answer(vocab.decode(row)) for row in ids.reshape(-1, ids.shape[-1])]
