"""The learned rater's limits on Tic-Tac-Toe: accuracy against labels, active queries, and over-optimisation.

* `reward_model_accuracy`: held-out accuracy (against the rater's labels and against the
  truth) of a reward model fitted on each fraction of the 16,167 legal pairs.
* `active_vs_random`: `label_efficiency` on the pairs, random and active, with the rater's
  label book as the oracle (so every label bought is counted) and a held-out half.
* `overoptimisation`: optimise harder and harder against a reward model fitted on a small
  fraction of labels, starting from a behaviour-cloned policy pi0 (the sweep is
  `searchlab.signals.overoptimisation`; `TicTacToeStudy` is this task's part):
  - best-of-n, n = 1 .. 1024: in each position draw n moves from pi0 and keep the reward
    model's favourite. The resulting policy is computed exactly, not sampled: with the
    legal moves sorted by predicted approval and F the cumulative pi0 in that order,
    P(move i) = F_i^n - F_(i-1)^n. d = sqrt(log n - (n - 1)/n), the analytic KL of Gao et al.
    (an upper bound here: with nine moves the exact KL saturates; it is reported too);
  - RL: gradient ascent on the reward model's expected approval, summed exactly over every
    move of every contested position (no sampling), so "more steps" is the only knob: Adam on
    a `DataLossProblem` of the contested positions (loss = minus the expected approval) through
    `searchlab.core.run`; d = sqrt(KL(pi || pi0)) measured exactly.
  Proxy = the reward model's mean predicted approval; true = the share of optimal moves
  (both averaged over the contested positions), and the exact Outcome score. Gao et al.'s
  forms are fitted to both arms, which report where true performance peaks.
"""

from __future__ import annotations

import numpy as np
import torch

from searchlab.core import DataLossProblem, Optimizer
from searchlab.core.seeding import numpy_generator, spawn_seeds
from searchlab.signals.outcome import Outcome
from searchlab.signals.overoptimisation import BEST_OF
from searchlab.signals.overoptimisation import overoptimisation as sweep
from searchlab.signals.people import TicTacToePeople
from searchlab.signals.reward_model import LabelEfficiency, label_efficiency
from searchlab.signals.tictactoe_policy import TicTacToePolicy
from searchlab.signals.tictactoe_signals import (
    SignalSettings,
    TicTacToeSignals,
    check_arguments,
    fit_reward_model,
    label_book,
)
from searchlab.signals.tictactoe_task import default_task
from searchlab.signals.training import every, train
from searchlab.spaces.module import ModuleSpace

FRACTIONS = (1.0, 0.1, 0.01, 0.001)


def reward_model_accuracy(
    people: TicTacToePeople, settings: SignalSettings, seed: int, fractions=FRACTIONS
) -> list[dict]:
    """Per fraction: labels seen, accuracy on the rest of the rater's labels and against the truth."""
    check_arguments(people, settings, seed)
    return [
        {"fraction": f, **fit_reward_model(people, settings, SignalSettings(fraction=f).fraction, s)[1]}
        for f, s in zip(fractions, spawn_seeds(seed, len(fractions)))
    ]


def active_vs_random(
    people: TicTacToePeople, settings: SignalSettings, seed: int, counts=(100, 200, 400, 800, 1600, 3200)
) -> dict[str, LabelEfficiency]:
    """Label-efficiency curves of random and disagreement-driven queries on half of the pairs, scored on the rest."""
    check_arguments(people, settings, seed)
    _, _, labels, features = label_book(people)
    split_seed, curve_seed = spawn_seeds(seed, 2)
    order = numpy_generator(split_seed).permutation(labels.size)
    pool, heldout = order[: labels.size // 2], order[labels.size // 2 :]
    oracle = lambda indices: labels[pool[indices]]  # noqa: E731 - the rater's book, looked up only when asked
    return {
        name: label_efficiency(
            features[pool],
            oracle,
            features[heldout],
            labels[heldout],
            counts,
            curve_seed,
            active=(name == "active"),
            ensemble=settings.reward_ensemble(),
        )
        for name in ("random", "active")
    }


def best_of_n(initial: np.ndarray, reward: np.ndarray, n: int) -> np.ndarray:
    """(decisions, 9) the exact best-of-n policy: n draws from `initial`, the one with the highest `reward` kept."""
    legal = initial > 0
    order = np.argsort(np.where(legal, reward, -np.inf), axis=1, kind="stable")  # ascending reward
    cumulative = np.cumsum(np.take_along_axis(initial, order, axis=1), axis=1)  # F_i in that order
    below = np.concatenate([np.zeros((initial.shape[0], 1)), cumulative[:, :-1]], axis=1)
    chosen = np.clip(cumulative, 0, 1) ** n - np.clip(below, 0, 1) ** n
    out = np.zeros_like(initial)
    np.put_along_axis(out, order, chosen, axis=1)
    return np.where(legal, out, 0.0)


class TicTacToeStudy:
    """Tic-Tac-Toe's part in over-optimisation (`overoptimisation.Study`), every number exact (no sampling).

    The proxy is a reward model's approval table fitted on `fraction` of the label book. A row holds
    "proxy" (the table's mean expected approval of the policy's moves), "true" (the share of optimal
    moves), both averaged over the contested positions, "kl" (the exact KL(pi || pi0) there) and
    "score" (the exact Outcome score). Policy steps: Adam on minus the expected approval, summed over
    every move of every contested position, a row every `record_every` steps.
    """

    best_of = BEST_OF

    def __init__(
        self, people: TicTacToePeople, settings: SignalSettings, fraction: float, rl_steps: int, record_every: int
    ) -> None:
        self.people, self.settings = people, settings
        self.fraction = SignalSettings(fraction=fraction).fraction
        self.rl_steps, self.record_every = rl_steps, record_every
        self.outcome = Outcome()

    def fit_proxy(self, start: TicTacToePolicy, seed: int) -> tuple[np.ndarray, dict]:
        return fit_reward_model(self.people, self.settings, self.fraction, seed)

    def best_of_n(self, start: TicTacToePolicy, proxy: np.ndarray, seed: int) -> list[dict]:
        initial = start.probabilities()
        return [self._row(best_of_n(initial, proxy, n), initial, proxy) for n in self.best_of]

    def push(self, start: TicTacToePolicy, proxy: np.ndarray, seed: int) -> list[dict]:
        policy, initial, rows = start.copy(), start.probabilities(), []

        def record(step: int, optimizer: Optimizer) -> None:
            if step % self.record_every == 0:  # the knobs are multiples of record_every, the last step only then
                rows.append({"knob": step, **self._row(policy.probabilities(), initial, proxy)})

        contested = torch.from_numpy(np.flatnonzero(default_task().contested))
        data = {"positions": contested, "approval": torch.from_numpy(proxy).to(torch.float32)[contested]}  # (c, 9)
        problem = DataLossProblem(ModuleSpace(policy), data, _negative_expected_approval, "negative_expected_approval")
        callback = every(policy, self.rl_steps, self.record_every, record)
        train(policy, problem, self.settings.rl_lr, self.rl_steps, seed, callback=callback)
        return rows

    def _row(self, policy: np.ndarray, initial: np.ndarray, reward: np.ndarray) -> dict:
        contested = self.outcome.task.contested
        p, p0 = policy[contested], initial[contested]
        log_ratio = np.log(np.where(p > 0, p, 1.0)) - np.log(np.where(p > 0, p0, 1.0))
        return {
            "kl": float((p * log_ratio).sum(axis=1).mean()),
            "proxy": float((p * reward[contested]).sum(axis=1).mean()),
            "true": float((p * self.outcome.task.optimal[contested]).sum(axis=1).mean()),
            "score": float(self.outcome.scores(policy)[0]),
        }


def _negative_expected_approval(run, rows: dict[str, torch.Tensor]) -> torch.Tensor:
    """Minus the reward model's expected approval of the policy's moves, summed exactly over every move of each
    contested position and averaged over the positions (no sampling): the proxy, which the RL arm climbs."""
    return -(run(rows["positions"]).exp() * rows["approval"]).sum(dim=1).mean()


def overoptimisation(
    people: TicTacToePeople,
    settings: SignalSettings,
    seed: int,
    fraction: float = 0.1,
    rl_steps: int = 600,
    record_every: int = 25,
    start: TicTacToePolicy | None = None,
) -> dict:
    """Best-of-n and RL against a reward model fitted on `fraction` of the labels; both arms and their fits.

    Returns:
        {"best_of_n": arm, "rl": arm (see `result.arm`; rows of knob, d, kl, proxy, true, score),
        "reward_model": its accuracies, "seconds": s} (`overoptimisation.overoptimisation`).
    """
    check_arguments(people, settings, seed)
    study = TicTacToeStudy(people, settings, fraction, rl_steps, record_every)
    return sweep(TicTacToeSignals(people, settings), study, seed, start)
