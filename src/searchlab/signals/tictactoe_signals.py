"""Tic-Tac-Toe as a training-signals task (`searchlab.signals.task.Task`), with its settings and its reward model.

* `SignalSettings`: how much of each signal the paths spend; `check_arguments`, `fresh_or_copy`;
  `performance`: a policy's true performance as a dict whose "score" is the exact expected score
  against the pool (the rest is `tictactoe_policy.Performance`).
* `label_book`, `fit_reward_model`: the rater judges each of the 16,167 legal (position, move)
  pairs once (a fixed label book); a `RewardEnsemble` on `pair_features` is fitted on `fraction`
  of the book, and the rest of the book is the held-out set its accuracy is measured on.
* `TicTacToeSignals`: gives the imitation paths (`searchlab.signals.imitation`) the
  demonstrator's moves in its own games against the pool, the policy's own games for DAgger's
  overseer and the cross-entropy of shown moves; it gives `reinforce` the policy's own games
  against the pool to reward (a `Rollout`), a baseline per opponent and side, and the rater's,
  the reward model's and the game results' signals for `searchlab.signals.paths`.

The truth the people are told and the demonstrator's skill are in `tictactoe_task`, the policy
network and its games in `tictactoe_policy`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import torch

from searchlab.core import checks
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, numpy_generator, spawn_seeds
from searchlab.signals.outcome import Outcome
from searchlab.signals.paths import Signal
from searchlab.signals.people import TicTacToePeople
from searchlab.signals.persons import Demonstrator
from searchlab.signals.reward_model import RewardEnsemble
from searchlab.signals.task import ImitationPlan
from searchlab.signals.tictactoe_policy import (
    Rollout,
    TicTacToePolicy,
    legal_pairs,
    measure,
    pair_features,
    play_games,
    sampler,
)
from searchlab.signals.tictactoe_task import default_task
from searchlab.signals.training import Shown
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


# ---- the reward model ------------------------------------------------------------------


def label_book(people: TicTacToePeople) -> tuple[np.ndarray, np.ndarray, np.ndarray, torch.Tensor]:
    """The rater's one judgement of every legal pair: positions, moves, labels (bool) and (16167, 36) features."""
    positions, moves = legal_pairs()
    rater = people.rater()
    return positions, moves, rater.rate(positions, moves), pair_features(positions, moves)


def fit_reward_model(
    people: TicTacToePeople, settings: SignalSettings, fraction: float, seed: int
) -> tuple[np.ndarray, dict]:
    """Fit a `RewardEnsemble` on `fraction` of the label book; its (decisions, 9) approval table and accuracies."""
    positions, moves, labels, features = label_book(people)
    pick_seed, fit_seed = spawn_seeds(seed, 2)
    count = max(2, round(fraction * labels.size))
    order = numpy_generator(pick_seed).permutation(labels.size)
    seen, rest = order[:count], order[count:]
    model = settings.reward_ensemble().fit(features[seen], labels[seen], fit_seed)
    predicted = model.predict(features)  # (pairs,)
    truth = default_task().optimal[positions, moves]
    table = np.zeros(default_task().legal.shape)
    table[positions, moves] = predicted
    accuracy = {
        "fraction": fraction,
        "labels": count,
        "heldout accuracy": float(((predicted[rest] >= 0.5) == labels[rest]).mean()) if rest.size else float("nan"),
        "truth accuracy": float(((predicted >= 0.5) == truth).mean()),
    }
    return table, accuracy


# ---- the task ----------------------------------------------------------------------------


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
        rounds = settings.dagger_rounds
        self.imitation = ImitationPlan(
            learning_rate=settings.imitation_lr,
            batch_size=settings.batch_size,
            steps=settings.imitation_steps,
            demonstrations=settings.demonstration_games,
            rounds=rounds,
            round_steps=max(1, settings.imitation_steps // (2 * rounds)),  # the rounds share half the steps
            first_demonstrations=settings.demonstration_games,
            visits=settings.dagger_games,
        )

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

    def demonstrations(self, demonstrator: Demonstrator, amount: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The demonstrator's moves in `amount` games of its own against the pool (both colours, each opponent)."""
        shown = play_games(demonstrator.demonstrate, amount, numpy_generator(seed), self.outcome)
        return shown.positions, shown.moves

    def visit(self, model: TicTacToePolicy, amount: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The positions of `amount` games the policy plays against the pool, sampling its moves, and its moves."""
        rng = numpy_generator(seed)
        visited = play_games(sampler(model.probabilities(), rng), amount, rng, self.outcome)
        return visited.positions, visited.moves

    def imitation_problem(self, model: TicTacToePolicy, positions, moves, bought: int) -> Shown:
        """Cross-entropy of the shown moves; one shown move is one forward-equivalent."""
        data = {"positions": torch.as_tensor(positions), "moves": torch.as_tensor(moves)}
        return Shown(ModuleSpace(model), data, _imitation_loss, "imitation_cross_entropy", bought)

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


def _imitation_loss(call, rows: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean negative log-probability of the shown moves (the policy returns log-probabilities)."""
    return -call(rows["positions"]).gather(1, rows["moves"][:, None]).mean()
