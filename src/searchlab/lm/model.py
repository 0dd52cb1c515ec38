"""A causal transformer language model, small enough to train on two CPU cores.

GPT-2's layout: token + learned position embeddings, pre-LayerNorm blocks of
causal self-attention and a 4x GELU MLP, a final LayerNorm, and an output layer
that shares the token embedding's matrix. Linear layers have no biases (they add
nothing measurable and cost time); LayerNorms keep theirs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from searchlab.core import checks
from searchlab.core.errors import SearchlabError

# One (keys, values) pair per block, each (B, heads, T_past, head_width).
Cache = list[tuple[torch.Tensor, torch.Tensor]]

# Dropout's keep-or-drop draws come 16 bits at a time, so a probability p is
# applied as round(p * 2**16) / 2**16 (0.1 becomes 0.100006).
_DROPOUT_LEVELS = 1 << 16


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Inverted dropout: zero each element with probability p, scale the rest by 1 / (1 - p).

    The same operation as `torch.nn.functional.dropout`, with a cheaper mask.
    torch draws one random number per element, which on a CPU costs more time
    than the small model's matrix products around it (a fifth of a training
    step at the default size). Here one random 64-bit word gives four 16-bit
    draws; an element survives when its draw is at or above the drop threshold.
    The draws come from torch's global generator, as torch's dropout's do, so
    seeding and checkpointing that generator makes them repeatable.
    """
    if not training or p == 0.0:
        return x
    dropped_levels = round(p * _DROPOUT_LEVELS)
    if dropped_levels == 0:
        return x
    count = x.numel()
    words = torch.empty((count + 3) // 4, dtype=torch.int64, device=x.device).random_(-(2**63), 2**63 - 1)
    draws = words.view(torch.int16)[:count].view(x.shape)  # uniform on [-2**15, 2**15)
    keep = draws >= dropped_levels - (1 << 15)
    return torch.where(keep, x * (_DROPOUT_LEVELS / (_DROPOUT_LEVELS - dropped_levels)), 0.0)


@dataclass(frozen=True)
class ModelConfig:
    """The shape of a `CausalTransformer`.

    Attributes:
        vocab_size: number of distinct tokens.
        layers: transformer blocks.
        heads: attention heads per block; must divide `width`.
        width: size of every token's vector (d_model).
        context: most tokens the model sees at once (learned positions).
        dropout: dropout probability in training, on the embeddings and on what each
            attention and MLP adds to the residual stream (0 turns it off).
    """

    vocab_size: int
    layers: int = 4
    heads: int = 4
    width: int = 192
    context: int = 128
    dropout: float = 0.0

    def __post_init__(self) -> None:
        for name in ("vocab_size", "layers", "heads", "width", "context"):
            value = getattr(self, name)
            checks.whole(f"model {name}", value, 1)
        if self.vocab_size < 2:
            raise SearchlabError(f"a vocabulary needs at least 2 tokens, got {self.vocab_size}")
        if self.width % self.heads:
            raise SearchlabError(
                f"the width {self.width} must be divisible by the number of heads {self.heads}; "
                f"try width {self.heads * max(1, round(self.width / self.heads))}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise SearchlabError(f"dropout must be in [0, 1), got {self.dropout}")

    def to_dict(self) -> dict:
        return asdict(self)


def flops_per_token(config: ModelConfig) -> int:
    """Training FLOPs per token (forward + backward), Kaplan et al. (2020) accounting.

    C = 6 N + 6 L T d, where

    - N = 12 L d^2 + V d counts the weights that multiply each token: per block
      the query/key/value (3 d^2) and output (d^2) projections and the MLP's two
      4x layers (8 d^2), plus the output layer (V d; it shares its matrix with the
      token embedding, but the multiplication is real work). A forward pass does
      2 FLOPs (multiply + add) per weight, the backward pass twice that: 6 N.
    - 6 L T d is attention: per block the token's query meets T keys and its
      weights mix T values (2 T d FLOPs each way in the forward pass), again
      tripled for training. Like Kaplan we count the whole context T, not the
      causal half, and ignore LayerNorms, GELUs, softmax and embedding lookups.
    """
    layers, width, context = config.layers, config.width, config.context
    weights = 12 * layers * width * width + config.vocab_size * width
    return 6 * weights + 6 * layers * context * width


def parameter_count(config: ModelConfig) -> int:
    """The weights of a `CausalTransformer` of this shape, counted without building it.

    Per block 12 d^2 (query/key/value, output, the MLP's two 4x layers) and two
    LayerNorms (4 d); the token (V d) and position (T d) embeddings; the final
    LayerNorm (2 d). The output layer shares the token embedding's matrix.
    """
    layers, width = config.layers, config.width
    return layers * (12 * width * width + 4 * width) + (config.vocab_size + config.context) * width + 2 * width


# Training keeps, per weight, 8 float32 numbers: the weight, its gradient, AdamW's two
# moments, and the copies of all four a checkpoint makes while it is written.
TRAINING_BYTES_PER_WEIGHT = 8 * 4
# Activations kept for the backward pass, per token, in float32: about 24 d numbers per
# block (the LayerNorms, q/k/v, the attention's output, the MLP's 4 d input and its GELU,
# the residual sums), 2 x heads x T if attention keeps its weights, and 3 V for the logits,
# their softmax and its gradient.
ACTIVATIONS_PER_BLOCK_WIDTH = 24


def training_memory_bytes(config: ModelConfig, batch_size: int) -> int:
    """An estimate of the memory one training step of `batch_size` windows needs (see the constants above)."""
    tokens = batch_size * config.context
    per_token = (
        config.layers * (ACTIVATIONS_PER_BLOCK_WIDTH * config.width + 2 * config.heads * config.context)
        + 3 * config.vocab_size
        + 4 * config.width
    )
    return TRAINING_BYTES_PER_WEIGHT * parameter_count(config) + 4 * tokens * per_token


class CausalTransformer(nn.Module):
    """Token ids (B, T) -> next-token logits (B, T, vocab_size).

    Args:
        config: the shape.
        generator: draws the initial weights (normal, std 0.02; the projections
            into the residual stream std 0.02 / sqrt(2 layers), as in GPT-2).
    """

    def __init__(self, config: ModelConfig, generator: torch.Generator) -> None:
        super().__init__()
        self.config = config
        with torch.random.fork_rng(devices=[]):  # layers' default init must not move the global RNG
            self.token_embedding = nn.Embedding(config.vocab_size, config.width)
            self.position_embedding = nn.Embedding(config.context, config.width)
            self.blocks = nn.ModuleList(_Block(config) for _ in range(config.layers))
            self.final_norm = nn.LayerNorm(config.width)
        self.reset_parameters(generator)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator) -> None:
        residual_std = 0.02 / math.sqrt(2 * self.config.layers)
        for name, parameter in self.named_parameters():
            if parameter.ndim == 1:  # LayerNorm
                parameter.copy_(torch.ones_like(parameter) if name.endswith("weight") else torch.zeros_like(parameter))
                continue
            std = residual_std if name.endswith(("attention_out.weight", "mlp_out.weight")) else 0.02
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * std)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """(B, T) int64 ids, T <= context -> (B, T, V) logits; position t sees tokens 0..t."""
        logits, _ = self._run(ids, cache=None)
        return logits

    def forward_cached(self, ids: torch.Tensor, cache: Cache | None) -> tuple[torch.Tensor, Cache]:
        """Like `forward` for inference, keeping each block's keys and values.

        Pass `cache=None` with a whole prompt, then one token at a time with the
        cache returned. The cache plus the new tokens must fit in the context.
        """
        return self._run(ids, cache=cache if cache is not None else [])

    def _run(self, ids: torch.Tensor, cache: Cache | None) -> tuple[torch.Tensor, Cache]:
        past = cache[0][0].shape[2] if cache else 0
        length = ids.shape[1]
        if past + length > self.config.context:
            raise SearchlabError(f"{past + length} tokens do not fit the context of {self.config.context}")
        positions = torch.arange(past, past + length, device=ids.device)
        x = self.token_embedding(ids) + self.position_embedding(positions)  # (B, T, d)
        x = dropout(x, self.config.dropout, self.training)
        new_cache: Cache = []
        for index, block in enumerate(self.blocks):
            x, keys_values = block(x, cache[index] if cache else None, keep=cache is not None)
            new_cache.append(keys_values)
        x = self.final_norm(x)
        return F.linear(x, self.token_embedding.weight), new_cache  # tied output layer

    def loss(self, ids: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy in nats per token of `targets` given `ids`, both (B, T)."""
        logits = self(ids)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))

    def parameter_counts(self) -> dict[str, int]:
        """{"total": every parameter, "non_embedding": all but the token and position embeddings}.

        "non_embedding" is Kaplan et al.'s N (with LayerNorms).
        """
        total = sum(p.numel() for p in self.parameters())
        embedding = self.token_embedding.weight.numel() + self.position_embedding.weight.numel()
        return {"total": total, "non_embedding": total - embedding}


class _Block(nn.Module):
    """x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.heads = config.heads
        self.dropout = config.dropout
        self.attention_norm = nn.LayerNorm(config.width)
        self.qkv = nn.Linear(config.width, 3 * config.width, bias=False)
        self.attention_out = nn.Linear(config.width, config.width, bias=False)
        self.mlp_norm = nn.LayerNorm(config.width)
        self.mlp_in = nn.Linear(config.width, 4 * config.width, bias=False)
        self.mlp_out = nn.Linear(4 * config.width, config.width, bias=False)

    def forward(
        self, x: torch.Tensor, past: tuple[torch.Tensor, torch.Tensor] | None, keep: bool
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None]:
        batch, length, width = x.shape
        q, k, v = self.qkv(self.attention_norm(x)).split(width, dim=2)  # 3 x (B, T, d)
        # (B, T, d) -> (B, heads, T, head_width)
        q, k, v = (t.view(batch, length, self.heads, width // self.heads).transpose(1, 2) for t in (q, k, v))
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        # A prompt (no past) is causal; one new token after a cache may see every key.
        causal = past is None or past[0].shape[2] == 0
        if not causal and length != 1:
            raise SearchlabError("after the prompt, feed the cached model one token at a time")
        # No dropout on attention weights: with it, the CPU's fused attention kernel is not used.
        attended = F.scaled_dot_product_attention(q, k, v, is_causal=causal and length > 1)  # (B, heads, T, head_width)
        attended = attended.transpose(1, 2).reshape(batch, length, width)
        x = x + dropout(self.attention_out(attended), self.dropout, self.training)
        x = x + dropout(self.mlp_out(F.gelu(self.mlp_in(self.mlp_norm(x)))), self.dropout, self.training)
        return x, ((k, v) if keep else None)
