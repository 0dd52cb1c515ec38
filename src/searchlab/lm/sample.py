"""Write text with a trained model, one token at a time.

`generate` yields each new piece of text as soon as its token is drawn, so a
command line can print it with flush and the reader watches the model write.
Keys and values of past tokens are cached; when the context is full, the cache
is rebuilt from the last half context of tokens (the model never saw positions
beyond its context), so generation can run past the context.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import torch

from searchlab.core import checkpoint
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import torch_generator
from searchlab.lm.data import Vocab, vocab_from_state
from searchlab.lm.model import CausalTransformer
from searchlab.lm.objective import saved_model

REPLACEMENT = "\ufffd"  # what a byte-level decoder shows for a cut multi-byte character


def load_model(directory: str | Path, device: str | torch.device = "cpu") -> tuple[CausalTransformer, Vocab]:
    """The model and vocabulary of the latest checkpoint in `directory` (a checkpoint folder).

    Raises:
        SearchlabError: no readable language-model checkpoint there.
    """
    directory = Path(directory)
    if not checkpoint.exists(directory) and checkpoint.exists(directory / "checkpoints"):
        directory = directory / "checkpoints"  # a run folder
    state = checkpoint.load(directory)
    with checkpoint.restoring(directory):
        saved = saved_model(state)  # the loop's checkpoint: the problem's state and the optimizer's candidate
        if saved is None:
            raise SearchlabError(f"the checkpoint in {directory} is not a language model's; train one with searchlab")
        model, vocab_state = saved
        try:
            vocab = vocab_from_state(vocab_state)
        except SearchlabError as err:
            raise SearchlabError(f"{directory / checkpoint.POINTER}: {err}") from None
    return model.to(device), vocab


@torch.no_grad()
def generate(
    model: CausalTransformer,
    vocab: Vocab,
    prompt: str,
    n: int,
    temperature: float = 1.0,
    seed: int = 0,
) -> Iterator[str]:
    """Yield the text of `n` new tokens after `prompt`, one piece per token as it is drawn.

    Args:
        model: a trained model.
        vocab: its vocabulary.
        prompt: text to continue; may be empty (for a character vocabulary the
            first token is then drawn after a newline).
        n: tokens to draw.
        temperature: divides the logits; 0 picks the most likely token (greedy), and so
            does a temperature too small for the division to stay finite.
        seed: seeds the draws.

    Yields:
        For a character vocabulary, one character per token. For subwords, each
        token's text; a token that ends inside a multi-byte character yields
        nothing until the character is complete. Joined, the pieces are
        `vocab.decode` of all drawn tokens.

    Raises:
        SearchlabError: a prompt character outside the vocabulary, n < 0 or temperature < 0.
    """
    if n < 0:
        raise SearchlabError(f"the number of tokens to write must be >= 0, got {n}")
    if not temperature >= 0:
        raise SearchlabError(f"temperature must be >= 0 (0 is greedy), got {temperature}")
    ids = [int(i) for i in vocab.encode(prompt)] if prompt else _start_ids(vocab)
    generator = torch_generator(seed)
    device = next(model.parameters()).device
    context = model.config.context
    model.eval()
    drawn: list[int] = []
    shown = ""
    logits, cache = _prefill(model, ids[-context:], device)
    for _ in range(n):
        next_id = _draw(logits, temperature, generator)
        ids.append(next_id)
        drawn.append(next_id)
        text = vocab.decode(drawn)
        if not text.endswith(REPLACEMENT) and text.startswith(shown):
            piece, shown = text[len(shown) :], text
            if piece:
                yield piece
        if cache[0][0].shape[2] >= context:  # full: start again from the last half context
            logits, cache = _prefill(model, ids[-(context // 2 or 1) :], device)
        else:
            logits, cache = model.forward_cached(torch.tensor([[next_id]], device=device), cache)
            logits = logits[0, -1]
    text = vocab.decode(drawn)
    if text != shown and text.startswith(shown):
        yield text[len(shown) :]


def _start_ids(vocab: Vocab) -> list[int]:
    """What an empty prompt starts from: a newline if the vocabulary has one, else token 0."""
    try:
        return [int(i) for i in vocab.encode("\n")] or [0]
    except SearchlabError:
        return [0]


def _prefill(model: CausalTransformer, ids: list[int], device: torch.device):
    logits, cache = model.forward_cached(torch.tensor([ids], device=device), None)
    return logits[0, -1], cache


def _draw(logits: torch.Tensor, temperature: float, generator: torch.Generator) -> int:
    """One token id from (V,) logits: the largest at temperature 0, else a softmax draw.

    A temperature so small that logits / temperature overflow is greedy too (1e-300
    is 0 in float32: the division gives infinities, and their softmax NaNs): the
    argmax is the softmax's limit as the temperature goes to 0.
    """
    if temperature == 0:
        return int(logits.argmax())
    scaled = logits.float().cpu() / temperature
    if not bool(torch.isfinite(scaled).all()):
        return int(logits.argmax())
    probabilities = torch.softmax(scaled, dim=-1)
    return int(torch.multinomial(probabilities, 1, generator=generator))
