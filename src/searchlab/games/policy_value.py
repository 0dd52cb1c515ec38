"""A small policy-value network for board games, and the adapters that let searches use it.

The network reads the game's `observation(state)`, a (C, H, W) float32 picture of the
board from the mover's side, and answers two things at once (AlphaZero's two heads):
logits over the game's `num_actions` (illegal actions masked out) and a value in
[-1, 1], the expected return for the player to move. Convolutions with "same"
padding make one architecture fit every board size (Tic-Tac-Toe 3x3, Connect Four
4x5 .. 6x7); only the heads' input width depends on H x W.

Entry points for experiments that compare "network alone", "search alone" and
"network + search": `net_policy_action` (the top legal move, no search),
`net_evaluator` (states -> priors, values in one forward pass, for `puct_search_many`)
and `search_with_net` (one PUCT search guided by the network).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file
from torch import nn

from searchlab.core.errors import SearchlabError
from searchlab.core.files import write_tensors
from searchlab.games.mcts import Evaluator, PUCTSettings, Rng, SearchResult, puct_search

_FORMAT = "searchlab-policy-value-net/1"
ILLEGAL_LOGIT = -1e9  # finite, so that 0 * log_softmax stays 0 in the loss (-inf would give nan)


class PolicyValueNet(nn.Module):
    """Convolutions over the board, then a policy head and a tanh value head.

    Args:
        observation_shape: (C, H, W) of the game's observation.
        num_actions: size of the policy.
        channels: feature maps per 3x3 convolution (>= 1).
        layers: number of 3x3 convolutions with ReLU (>= 1).
        hidden: width of the value head's hidden layer (>= 1).
    """

    def __init__(
        self,
        observation_shape: tuple[int, int, int],
        num_actions: int,
        channels: int = 32,
        layers: int = 2,
        hidden: int = 64,
    ) -> None:
        super().__init__()
        planes, height, width = (int(n) for n in observation_shape)
        self.observation_shape = (planes, height, width)
        self.num_actions = int(num_actions)
        self.channels, self.layers, self.hidden = int(channels), int(layers), int(hidden)
        convs: list[nn.Module] = []
        for i in range(self.layers):
            convs += [nn.Conv2d(planes if i == 0 else self.channels, self.channels, 3, padding=1), nn.ReLU()]
        self.body = nn.Sequential(*convs, nn.Flatten())
        features = self.channels * height * width
        self.policy_head = nn.Linear(features, self.num_actions)
        self.value_head = nn.Sequential(nn.Linear(features, self.hidden), nn.ReLU(), nn.Linear(self.hidden, 1))

    def forward(
        self, observations: torch.Tensor, legal: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, C, H, W) observations, optional (B, num_actions) bool legal mask -> (logits (B, A), values (B,)).

        Illegal actions get the logit `ILLEGAL_LOGIT`, so a softmax gives them (numerically) zero.
        """
        features = self.body(observations)  # (B, channels * H * W)
        logits = self.policy_head(features)  # (B, A)
        if legal is not None:
            logits = logits.masked_fill(~legal, ILLEGAL_LOGIT)
        return logits, torch.tanh(self.value_head(features)).squeeze(-1)

    def config(self) -> dict[str, Any]:
        """What `from_config` needs to rebuild the same architecture."""
        return {
            "observation_shape": list(self.observation_shape),
            "num_actions": self.num_actions,
            "channels": self.channels,
            "layers": self.layers,
            "hidden": self.hidden,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> PolicyValueNet:
        return cls(
            tuple(config["observation_shape"]),
            config["num_actions"],
            config["channels"],
            config["layers"],
            config["hidden"],
        )


def policy_value_loss(call: Any, rows: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Cross-entropy of the policy against the search's visit shares, plus the value's squared error."""
    logits, values = call(rows["observations"], rows["legal"])  # (B, A), (B,)
    policy = -(rows["policies"] * torch.log_softmax(logits, dim=-1)).sum(dim=-1).mean()
    value = (values - rows["values"]).square().mean()
    return policy + value, {"policy": policy, "value": value}


def encode(game: Any, states: list[Any], device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """States -> (observations (N, C, H, W) float32, legal mask (N, num_actions) bool) on `device`."""
    observations = np.stack([game.observation(s) for s in states]).astype(np.float32, copy=False)
    legal = np.zeros((len(states), game.num_actions), dtype=bool)
    for row, state in enumerate(states):
        legal[row, game.legal_actions(state)] = True
    return torch.from_numpy(observations).to(device), torch.from_numpy(legal).to(device)


def net_evaluator(net: PolicyValueNet, game: Any) -> Evaluator:
    """PUCT's evaluator: a list of states -> (priors (N, A) float64, values (N,) float64 from each mover's view).

    One forward pass per call, on the device that holds the network's weights. On the CPU,
    call it inside `searchlab.core.device.cpu_threads(1)`: for nets this small, torch's
    default thread pool is several times slower.
    """
    device = next(net.parameters()).device

    def evaluate(states: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        observations, legal = encode(game, states, device)
        with torch.no_grad():
            logits, values = net(observations, legal)
            priors = torch.softmax(logits, dim=-1)
        return priors.double().cpu().numpy(), values.double().cpu().numpy()

    return evaluate


def net_policy_actions(net: PolicyValueNet, game: Any, states: list[Any]) -> list[int]:
    """The network alone, on many positions in one forward pass: each one's highest-logit legal action
    (the lowest action on ties), no search."""
    observations, legal = encode(game, states, next(net.parameters()).device)
    with torch.no_grad():
        logits, _ = net(observations, legal)
    return logits.argmax(dim=1).tolist()


def net_policy_action(net: PolicyValueNet, game: Any, state: Any) -> int:
    """`net_policy_actions` for one position."""
    return net_policy_actions(net, game, [state])[0]


def search_with_net(
    net: PolicyValueNet, game: Any, state: Any, simulations: int, *, c_puct: float = 1.5, rng: Rng = 0
) -> SearchResult:
    """Network + search: one PUCT search from `state` guided by the network (no root noise, most visited move)."""
    return puct_search(game, state, net_evaluator(net, game), PUCTSettings(simulations=simulations, c_puct=c_puct), rng)


def save_net(net: PolicyValueNet, path: str | Path) -> Path:
    """Write the weights (safetensors) with the architecture as metadata, atomically."""
    tensors = {name: t.detach().cpu().contiguous() for name, t in net.state_dict().items()}
    metadata = {"format": _FORMAT, "config": json.dumps(net.config())}
    return write_tensors(path, tensors, metadata)


def load_net(path: str | Path, device: torch.device | str = "cpu") -> PolicyValueNet:
    """Read a network that `save_net` wrote.

    Raises:
        SearchlabError: no such file, or not a policy-value network.
    """
    path = Path(path)
    if not path.is_file():
        raise SearchlabError(f"no network at {path}; train one first")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        if metadata.get("format") != _FORMAT:
            raise ValueError(f"format {metadata.get('format')!r}, expected {_FORMAT!r}")
        net = PolicyValueNet.from_config(json.loads(metadata["config"]))
        net.load_state_dict(load_file(str(path)))
    except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as err:
        raise SearchlabError(f"{path} is not a readable policy-value network ({err}); train it again") from err
    return net.to(device).eval()
