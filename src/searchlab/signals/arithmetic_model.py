"""The one model class every arithmetic training path trains: a tiny causal transformer that writes answers.

The model reads a problem (`encode_problems`, `PROBLEM_LENGTH` ids) and writes its answer
one character at a time (`encode_answers`, `ANSWER_LENGTH` ids: the answer, the end
marker, padding). It is `searchlab.lm.model.CausalTransformer` with a small config over
the sequence [problem ids, answer ids], its loss masked to the answer positions.

Why a transformer and not a GRU encoder-decoder: both learn 1-2 digit sums; the
transformer trains on every answer position in one parallel pass (a GRU decoder steps
through them), reuses the project's KV-cached model, and at width 64 with 2 layers
reaches high accuracy on 1-2 digit +/- problems in a few hundred steps on one core.

**What the model may write.** At answer positions the output is restricted to the
*answer alphabet* (digits, '-', and the end marker): other logits are masked to -inf.
After the end marker the row is padding, written for free (log-probability 0), and the
last position is forced to the end marker if the model has not ended. So every sampled
row is exactly ``encode_answers([answer])`` of its decoded answer, and `log_prob` of the
decoded answers equals the log-probabilities `sample` returns: the property REINFORCE,
the KL to the initial policy and the tests rely on. The masked softmax is also what
behaviour cloning trains (`nll`), so all paths optimise the same distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from searchlab.core import checks
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import torch_generator
from searchlab.lm.model import CausalTransformer, ModelConfig
from searchlab.signals.arithmetic import (
    ANSWER_LENGTH,
    END,
    PAD,
    PROBLEM_LENGTH,
    ArithmeticProblem,
    arithmetic_vocab,
    check,
    decode_answers,
    encode_answers,
    encode_problems,
)

VOCAB = arithmetic_vocab()
ANSWER_SYMBOLS = "0123456789-" + END
_ALLOWED = torch.zeros(VOCAB.size, dtype=torch.bool)
_ALLOWED[torch.as_tensor(VOCAB.encode(ANSWER_SYMBOLS))] = True
_CHUNK = 16_384  # rows written at once
END_ID = int(VOCAB.encode(END)[0])
PAD_ID = int(VOCAB.encode(PAD)[0])


@dataclass(frozen=True)
class ModelSettings:
    """The shape of the arithmetic model (see `ModelConfig`).

    Raises:
        SearchlabError: a size below 1 or a width the heads do not divide.
    """

    layers: int = 2
    heads: int = 4
    width: int = 64

    def config(self) -> ModelConfig:
        return ModelConfig(VOCAB.size, self.layers, self.heads, self.width, PROBLEM_LENGTH + ANSWER_LENGTH, 0.0)


def make_model(settings: ModelSettings | None = None, seed: int = 0) -> CausalTransformer:
    """A freshly initialised model, its weights drawn from `seed`."""
    return CausalTransformer((settings or ModelSettings()).config(), torch_generator(seed))


def _problem_ids(problems: list[ArithmeticProblem] | np.ndarray | torch.Tensor) -> torch.Tensor:
    if isinstance(problems, torch.Tensor):
        return problems
    if isinstance(problems, np.ndarray):
        return torch.as_tensor(problems)
    return torch.as_tensor(encode_problems(problems))


def _masked(logits: torch.Tensor) -> torch.Tensor:
    """(..., V) logits -> log-probabilities over the answer alphabet (-inf elsewhere)."""
    return F.log_softmax(logits.masked_fill(~_ALLOWED.to(logits.device), float("-inf")), dim=-1)


def token_log_probs(
    model: CausalTransformer, problem_ids: torch.Tensor, answer_ids: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-position log-probabilities of written answers, and which positions count.

    Args:
        problem_ids: (B, PROBLEM_LENGTH) ids.
        answer_ids: (B, ANSWER_LENGTH) ids as `encode_answers` writes them.

    Returns:
        (B, ANSWER_LENGTH) log-probabilities of each answer id given what came before
        (positions that do not count hold 0), and the (B, ANSWER_LENGTH) bool mask of
        positions that count: up to and including the first end marker, except a forced
        end marker in the last position.
    """
    sequence = torch.cat([problem_ids, answer_ids[:, :-1]], dim=1)  # (B, P + A - 1): the last id is never input
    logits = model(sequence)[:, PROBLEM_LENGTH - 1 :]  # (B, A, V): position P-1+j predicts answer id j
    log_probs = _masked(logits).gather(2, answer_ids.unsqueeze(2)).squeeze(2)  # (B, A)
    is_end = answer_ids == END_ID
    before_end = torch.cumsum(is_end.long(), dim=1) - is_end.long() == 0  # (B, A): up to and including the first end
    counts = before_end.clone()
    counts[:, -1] &= ~is_end[:, -1]  # the last position's end marker is forced, not chosen
    return torch.where(counts, log_probs, torch.zeros_like(log_probs)), counts


def log_prob(
    model: CausalTransformer,
    problems: list[ArithmeticProblem] | np.ndarray | torch.Tensor,
    answers: list[str] | np.ndarray | torch.Tensor,
) -> torch.Tensor:
    """(B,) log-probability that the model writes each answer (strings or encoded rows); differentiable.

    Raises:
        SearchlabError: an answer outside the answer alphabet or too long (see `encode_answers`).
    """
    problem_ids = _problem_ids(problems)
    if isinstance(answers, list):
        bad = [a for a in answers if set(a) - set(ANSWER_SYMBOLS)]
        if bad:
            raise SearchlabError(f"the model writes only {ANSWER_SYMBOLS!r}; cannot score answer {bad[0]!r}")
        answers = encode_answers(answers, VOCAB)
    answer_ids = torch.as_tensor(answers)
    if answer_ids.shape != (problem_ids.shape[0], ANSWER_LENGTH):
        raise SearchlabError(
            f"give one answer per problem: {tuple(answer_ids.shape)} answers for {problem_ids.shape[0]} problems"
        )
    per_position, _ = token_log_probs(model, problem_ids, answer_ids)
    return per_position.sum(dim=1)


def nll(model: CausalTransformer, problem_ids: torch.Tensor, answer_ids: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood per counted answer character: behaviour cloning's loss."""
    per_position, counts = token_log_probs(model, problem_ids, answer_ids)
    return -per_position.sum() / counts.sum().clamp(min=1)


@torch.no_grad()
def _write(
    model: CausalTransformer, problem_ids: torch.Tensor, temperature: float, generator: torch.Generator | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, P) problems -> (B, A) answer ids and (B,) their log-probabilities (at temperature 1).

    With `generator` None the answer is greedy (argmax); otherwise each character is drawn at
    `temperature`. The returned log-probabilities are always the model's own (temperature 1),
    the quantity `log_prob` computes.
    """
    was_training = model.training
    model.eval()
    batch = problem_ids.shape[0]
    logits, cache = model.forward_cached(problem_ids, None)  # prompt: (B, P, V)
    written = torch.full((batch, ANSWER_LENGTH), PAD_ID, dtype=torch.long)
    total = torch.zeros(batch)
    done = torch.zeros(batch, dtype=torch.bool)
    for position in range(ANSWER_LENGTH):
        log_probs = _masked(logits[:, -1])  # (B, V)
        if position == ANSWER_LENGTH - 1:
            chosen = torch.full((batch,), END_ID, dtype=torch.long)  # forced: no answer is longer
        elif generator is None:
            chosen = log_probs.argmax(dim=1)
        else:
            probabilities = torch.softmax(log_probs / temperature, dim=1)
            chosen = torch.multinomial(probabilities, 1, generator=generator).squeeze(1)  # masked symbols have weight 0
        chosen = torch.where(done, torch.full_like(chosen, PAD_ID), chosen)
        if position < ANSWER_LENGTH - 1:
            total += torch.where(done, 0.0, log_probs.gather(1, chosen[:, None]).squeeze(1))
        written[:, position] = chosen
        done |= chosen == END_ID
        if bool(done.all()):
            break
        logits, cache = model.forward_cached(chosen[:, None], cache)  # (B, 1, V)
    model.train(was_training)
    return written, total


def sample(
    model: CausalTransformer,
    problems: list[ArithmeticProblem] | np.ndarray,
    n: int,
    temperature: float = 1.0,
    seed: int = 0,
) -> tuple[list[list[str]], np.ndarray]:
    """`n` answers per problem, drawn in one batch.

    Returns:
        answers[i][k], the k-th answer to problem i, and their (N, n) log-probabilities under
        the model (temperature 1, whatever `temperature` drew them).

    Raises:
        SearchlabError: n below 1 or a temperature that is not positive.
    """
    if not checks.is_whole(n) or n < 1:
        raise SearchlabError(f"sample n answers per problem with n a whole number >= 1, got {n!r}")
    if not temperature > 0:
        raise SearchlabError(f"the sampling temperature must be > 0, got {temperature!r}")
    problem_ids = _problem_ids(problems).repeat_interleave(n, dim=0)  # (N n, P): problem i's copies are together
    generator = torch_generator(seed)
    # Chunks bound the KV cache's memory (best-of-1024 on 200 problems is 204,800 rows).
    chunks = [
        _write(model, problem_ids[start : start + _CHUNK], float(temperature), generator)
        for start in range(0, problem_ids.shape[0], _CHUNK)
    ]
    written, total = torch.cat([c[0] for c in chunks]), torch.cat([c[1] for c in chunks])
    flat = decode_answers(written.numpy(), VOCAB)
    return [flat[i * n : (i + 1) * n] for i in range(len(flat) // n)], total.numpy().reshape(-1, n)


def greedy(model: CausalTransformer, problems: list[ArithmeticProblem] | np.ndarray) -> list[str]:
    """The model's most likely character at each position: its deterministic answer to each problem."""
    written, _ = _write(model, _problem_ids(problems), 1.0, None)
    return decode_answers(written.numpy(), VOCAB)


def accuracy(model: CausalTransformer, problems: list[ArithmeticProblem], batch: int = 4096) -> float:
    """Share of problems whose greedy answer is exactly right (`check`)."""
    return float(np.mean(correct(model, problems, batch))) if problems else 0.0


def correct(model: CausalTransformer, problems: list[ArithmeticProblem], batch: int = 4096) -> np.ndarray:
    """(N,) bool: the greedy answer to each problem is exactly right."""
    answers = [a for start in range(0, len(problems), batch) for a in greedy(model, problems[start : start + batch])]
    return np.array([check(p, a) for p, a in zip(problems, answers)], dtype=bool)
