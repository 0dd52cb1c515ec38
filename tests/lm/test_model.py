"""The transformer: its config checks, FLOP count, causality and cached inference."""

from __future__ import annotations

import pytest
import torch

from searchlab.core.errors import SearchlabError
from searchlab.lm import CausalTransformer, ModelConfig, flops_per_token
from searchlab.lm.model import dropout


def make(config: ModelConfig, seed: int = 0) -> CausalTransformer:
    return CausalTransformer(config, torch.Generator().manual_seed(seed))


def test_flops_match_a_hand_count():
    config = ModelConfig(vocab_size=10, layers=2, heads=2, width=8, context=4)
    # Per block: qkv 8x24 + out 8x8 + mlp 8x32 + 32x8 = 192 + 64 + 256 + 256 = 768 = 12 d^2.
    # Output layer: 10 x 8 = 80. N = 2 * 768 + 80 = 1616. Attention: 6 * 2 layers * 4 * 8 = 384.
    assert flops_per_token(config) == 6 * 1616 + 384
    model = make(config)
    matrices = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
    assert matrices + model.token_embedding.weight.numel() == 1616


def test_parameter_counts():
    config = ModelConfig(vocab_size=10, layers=2, heads=2, width=8, context=4)
    counts = make(config).parameter_counts()
    layer_norms = (2 * 2 + 1) * 2 * 8
    assert counts["non_embedding"] == 2 * 12 * 64 + layer_norms
    assert counts["total"] == counts["non_embedding"] + 10 * 8 + 4 * 8


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"width": 10, "heads": 4}, "divisible"),
        ({"layers": 0}, "layers"),
        ({"dropout": 1.0}, "dropout"),
        ({"vocab_size": 1}, "at least 2"),
        ({"context": 2.5}, "context"),
    ],
)
def test_bad_configs_are_refused(overrides, words):
    settings = {"vocab_size": 10, "layers": 1, "heads": 2, "width": 8, "context": 4, **overrides}
    with pytest.raises(SearchlabError, match=words):
        ModelConfig(**settings)


def test_the_model_is_causal_and_seeded():
    config = ModelConfig(vocab_size=7, layers=2, heads=2, width=16, context=8)
    model = make(config)
    ids = torch.randint(0, 7, (2, 8), generator=torch.Generator().manual_seed(1))
    changed = ids.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % 7
    assert torch.allclose(model(ids)[:, :5], model(changed)[:, :5], atol=1e-6)
    assert not torch.allclose(model(ids)[:, 5:], model(changed)[:, 5:])
    assert torch.equal(make(config).token_embedding.weight, model.token_embedding.weight)
    assert not torch.equal(make(config, seed=1).token_embedding.weight, model.token_embedding.weight)


def test_building_a_model_leaves_the_global_generator_alone():
    before = torch.get_rng_state()
    make(ModelConfig(vocab_size=7, layers=1, heads=1, width=8, context=4))
    assert torch.equal(torch.get_rng_state(), before)


def test_cached_inference_matches_the_full_forward():
    config = ModelConfig(vocab_size=7, layers=2, heads=2, width=16, context=8)
    model = make(config).eval()
    ids = torch.randint(0, 7, (1, 8), generator=torch.Generator().manual_seed(2))
    full = model(ids)
    logits, cache = model.forward_cached(ids[:, :3], None)
    steps = [logits]
    for position in range(3, 8):
        logits, cache = model.forward_cached(ids[:, position : position + 1], cache)
        steps.append(logits)
    assert torch.allclose(torch.cat(steps, dim=1), full, atol=1e-5)
    with pytest.raises(SearchlabError, match="context"):
        model.forward_cached(ids[:, :1], cache)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_drops_the_stated_share_and_keeps_the_mean(p):
    x = torch.ones(400_000, requires_grad=True)
    torch.manual_seed(0)
    y = dropout(x, p, training=True)
    dropped = float((y == 0).float().mean())
    # Binomial standard deviation sqrt(p (1 - p) / n) is below 0.001 here; allow 5 of them.
    assert abs(dropped - p) < 0.005
    kept = y[y != 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / (1 - p)), rtol=1e-4)
    # The gradient is the same mask and scale: d(sum y)/dx = y for an input of ones.
    y.sum().backward()
    assert torch.equal(x.grad, y.detach())


def test_dropout_is_seeded_and_off_in_evaluation():
    x = torch.randn(3, 50, 16)
    assert dropout(x, 0.3, training=False) is x
    assert dropout(x, 0.0, training=True) is x
    torch.manual_seed(7)
    first = dropout(x, 0.3, training=True)
    torch.manual_seed(7)
    assert torch.equal(first, dropout(x, 0.3, training=True))
    assert not torch.equal(first, dropout(x, 0.3, training=True))
