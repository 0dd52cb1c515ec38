"""Tic-Tac-Toe as a training-signals task (`searchlab.signals.task.Task`) for the shared machinery.

`TicTacToeSignals` gives `reinforce` the policy's own games against the pool to reward (a
`Rollout`), a baseline per opponent and side, and the rater's, the reward model's and the game
results' signals for `searchlab.signals.paths`.
"""

from __future__ import annotations

import numpy as np
import torch

from searchlab.signals.outcome import Outcome
from searchlab.signals.paths import Signal
from searchlab.signals.people import TicTacToePeople
from searchlab.signals.tictactoe_policy import Rollout, TicTacToePolicy, play_games, sampler
from searchlab.signals.tictactoe_reward import fit_reward_model
from searchlab.signals.tictactoe_settings import SignalSettings, check_arguments, fresh_or_copy, performance


class TicTacToeSignals:
    """Tic-Tac-Toe as a training-signals `Task`: the policy network, its exact score, its own games to reward.

    Args:
        people: the demonstrator and the rater.
        settings: the paths' settings.
        outcome: scores policies exactly (a fresh `Outcome` over the default pool if None).
    """

    name = "tictactoe"

    curve_starts = True

    def __init__(self, people: TicTacToePeople, settings: SignalSettings, outcome: Outcome | None = None) -> None:
        check_arguments(people, settings)
        self.people, self.settings = people, settings
        self.outcome = outcome or Outcome()
        self.rl_learning_rate, self.rl_steps = settings.rl_lr, settings.rl_steps

    def new_model(self, seed: int, start: TicTacToePolicy | None = None) -> TicTacToePolicy:
        return fresh_or_copy(self.settings, seed, start)

    def evaluate(self, model: TicTacToePolicy | np.ndarray) -> dict:
        return performance(model, self.outcome)

    def improvement_start(self, seed: int, start: TicTacToePolicy | None = None) -> TicTacToePolicy:
        """A fresh network (the standalone paths compare signals, not starting points), or a copy of `start`."""
        return fresh_or_copy(self.settings, seed, start)

    def probe(self, model: TicTacToePolicy) -> dict:
        return {}

    def approval_signal(self, model: TicTacToePolicy) -> Signal:
        rater = self.people.rater()
        return Signal(
            lambda r: rater.rate(r.positions, r.moves).astype(float),
            lambda spent: {"rater labels": spent.labels},
            buys_labels=True,
        )

    def reward_model_signal(self, model: TicTacToePolicy, seed: int, fraction: float | None) -> Signal:
        """The reward model's predicted approval of each move, fitted on `fraction` of the label book."""
        fraction = self.settings.fraction if fraction is None else SignalSettings(fraction=fraction).fraction
        table, accuracy = fit_reward_model(self.people, self.settings, fraction, seed)
        return Signal(
            lambda r: table[r.positions, r.moves],
            lambda spent: {"rater labels": accuracy["labels"]},  # bought for the fit, none during the steps
            extra=lambda: {"reward_model": accuracy},
            name=f"approval (reward model, {fraction:g})",
        )

    def outcome_signal(self) -> Signal:
        """Every move of a game rewarded with the game's result (win 1, draw 1/2, loss 0)."""
        return Signal(lambda r: r.score[r.game], lambda spent: {"games": self.settings.rl_games * spent.steps})

    def record_every(self, steps: int) -> int:
        return self.settings.record_every

    def policy_batch(self, model: TicTacToePolicy, rng: np.random.Generator) -> Rollout:
        """`rl_games` games of the policy, sampling its moves, against the pool (a third per opponent, both sides)."""
        return play_games(sampler(model.probabilities(), rng), self.settings.rl_games, rng, self.outcome)

    def moves(self, batch: Rollout) -> int:
        """The learner's moves in the games (the pool's replies are the environment's)."""
        return int(batch.moves.size)

    def log_ratio(self, model: TicTacToePolicy, batch: Rollout, reference: TicTacToePolicy) -> np.ndarray:
        """log pi(move) - log pi_reference(move) of the learner's moves."""
        positions, moves = torch.as_tensor(batch.positions), torch.as_tensor(batch.moves)
        with torch.no_grad():
            return (model()[positions, moves] - reference()[positions, moves]).double().numpy()

    def advantages(self, batch: Rollout, rewards: np.ndarray) -> torch.Tensor:
        """Rewards less the mean reward of the step's moves against the same opponent and side.

        The baseline is a per-group constant, so the gradient stays unbiased in expectation.
        """
        group = (batch.opponent * 2 + batch.side)[batch.game]  # (M,) which (opponent, side)
        baseline = np.bincount(group, rewards, minlength=6) / np.maximum(np.bincount(group, minlength=6), 1)
        return torch.as_tensor(rewards - baseline[group], dtype=torch.float32)

    def log_probs(self, model: TicTacToePolicy, batch: Rollout) -> tuple[torch.Tensor, torch.Tensor | None]:
        """log pi of the learner's moves; with an entropy bonus, the extra loss on the positions visited."""
        log_all = model()  # (d, 9): one pass over every position is cheaper than gathering rows
        log_taken = log_all[torch.as_tensor(batch.positions), torch.as_tensor(batch.moves)]
        if self.settings.entropy <= 0:
            return log_taken, None
        visited = log_all[torch.as_tensor(batch.positions)]
        return log_taken, self.settings.entropy * (visited.exp() * visited).sum(dim=1).mean()
