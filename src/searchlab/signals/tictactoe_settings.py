"""What every Tic-Tac-Toe training path shares: its settings, its true performance, and the two trainers.

* `imitate`: cross-entropy of shown moves (minibatches, Adam).
* `reinforce`: REINFORCE with a baseline on the policy's own games against the pool.
* `performance`: a policy's true performance as a dict whose "score" is the exact expected
  score against the pool (the rest is `tictactoe_policy.Performance`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import torch

from searchlab.core import Result, checks
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed
from searchlab.signals.outcome import Outcome
from searchlab.signals.people import TicTacToePeople
from searchlab.signals.reward_model import RewardEnsemble
from searchlab.signals.tictactoe_policy import TicTacToePolicy, measure
from searchlab.signals.training import Shown, train
from searchlab.spaces.module import ModuleSpace


@dataclass(frozen=True)
class SignalSettings:
    """How much of each signal the Tic-Tac-Toe paths spend; defaults run in seconds each on one core.

    Raises:
        SearchlabError: a count below 1, a rate outside its range, a fraction outside (0, 1].
    """

    hidden: tuple[int, ...] = (64, 64)
    demonstration_games: int = 600  # games the demonstrator plays to show its moves (~4 moves each)
    imitation_steps: int = 1500  # Adam steps of cross-entropy
    imitation_lr: float = 3e-3
    batch_size: int = 256
    dagger_rounds: int = 4
    dagger_games: int = 150  # model games per round whose moves the overseer corrects
    rl_steps: int = 300  # REINFORCE steps
    rl_games: int = 96  # games per REINFORCE step
    rl_lr: float = 3e-3
    entropy: float = 0.0  # entropy bonus in the policy-gradient loss
    fraction: float = 0.1  # share of the legal pairs the rater labels for the reward model
    rm_members: int = 5
    rm_hidden: int = 64
    rm_steps: int = 600
    generic_p: float = 0.4  # the pipeline's non-expert demonstrator
    generic_games: int = 1500
    expert_p: float = 0.95  # the pipeline's expert demonstrator
    expert_games: int = 150
    record_every: int = 50  # steps between points of a learning curve

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "hidden":
                if not value or any(not checks.is_whole(w) or w < 1 for w in value):
                    raise SearchlabError(f"signal settings: hidden lists layer widths >= 1, got {value!r}")
            elif item.type == "int":
                checks.whole(f"signal settings: {item.name}", value, 1)
            elif item.type == "float":
                ok = checks.is_number(value)
                low_ok = value >= 0 if item.name == "entropy" else value > 0
                high_ok = value <= 1 if item.name in ("fraction", "generic_p", "expert_p") else True
                if not (ok and low_ok and high_ok):
                    bounds = (
                        "in (0, 1]"
                        if item.name in ("fraction", "generic_p", "expert_p")
                        else (">= 0" if item.name == "entropy" else "> 0")
                    )
                    raise SearchlabError(f"signal settings: {item.name} must be a number {bounds}, got {value!r}")

    @classmethod
    def small(cls, **overrides) -> SignalSettings:
        """A test-sized instance: every path runs in about a second."""
        base = dict(
            hidden=(32,),
            demonstration_games=150,
            imitation_steps=300,
            dagger_rounds=2,
            dagger_games=60,
            rl_steps=80,
            rl_games=48,
            rm_steps=200,
            generic_games=300,
            expert_games=60,
            record_every=40,
        )
        return cls(**{**base, **overrides})

    def reward_ensemble(self) -> RewardEnsemble:
        return RewardEnsemble(members=self.rm_members, hidden=self.rm_hidden, steps=self.rm_steps)


# ---- trainers ----------------------------------------------------------------------------


def imitate(
    policy: TicTacToePolicy,
    positions: np.ndarray,
    moves: np.ndarray,
    steps: int,
    settings: SignalSettings,
    seed: int,
    bought: int = 0,
) -> Result:
    """Train `policy` in place: cross-entropy of the shown `moves` in `positions` (minibatches, Adam).

    The training is a search like every other: the policy's parameters are a `ModuleSpace`, the shown
    moves a `DataLossProblem` (`training.Shown`, which bills the `bought` demonstrations no earlier fit
    paid for as labels), and Adam takes `steps` steps through `searchlab.core.run`. One shown move is
    one forward-equivalent, 3 in a gradient step.

    Returns:
        The loop's `Result` (its `labels` are `bought`).
    """
    data = {"positions": torch.as_tensor(positions), "moves": torch.as_tensor(moves)}
    problem = Shown(ModuleSpace(policy), data, _imitation_loss, "imitation_cross_entropy", bought)
    batch_size = min(settings.batch_size, data["moves"].numel())
    return train(policy, problem, settings.imitation_lr, steps, check_seed(seed), batch_size=batch_size)


def _imitation_loss(call, rows: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean negative log-probability of the shown moves (the policy returns log-probabilities)."""
    return -call(rows["positions"]).gather(1, rows["moves"][:, None]).mean()


def check_arguments(people: TicTacToePeople, settings: SignalSettings, seed: int = 0) -> None:
    """One-line SearchlabErrors for the wrong kind of people or settings, or a bad seed."""
    if not isinstance(people, TicTacToePeople):
        raise SearchlabError(f"the tic-tac-toe paths take a TicTacToePeople config, got {type(people).__name__}")
    if not isinstance(settings, SignalSettings):
        raise SearchlabError(f"the tic-tac-toe paths take SignalSettings, got {type(settings).__name__}")
    check_seed(seed)


def fresh_or_copy(settings: SignalSettings, seed: int, start: TicTacToePolicy | None) -> TicTacToePolicy:
    return start.copy() if start is not None else TicTacToePolicy(settings.hidden, seed)


def performance(policy: TicTacToePolicy | np.ndarray, outcome: Outcome | None = None) -> dict:
    """The true performance of a policy or a (decisions, 9) table: {"score", "win", "draw", "loss", ...}."""
    return measure(policy, outcome).as_dict()
