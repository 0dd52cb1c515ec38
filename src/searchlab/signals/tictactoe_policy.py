"""The one model class every Tic-Tac-Toe training signal trains, and how its true performance is measured.

* `TicTacToePolicy(hidden, seed)`: an MLP from the board to a masked softmax over the nine
  squares, defined on all 4,520 decision positions. The board goes in as
  **mover-relative planes** (27 numbers: the mover's marks, the opponent's, the blanks),
  so one network plays both colours and what it learns as X carries over to O.
  `probabilities()` is the (4520, 9) table that `Outcome` scores exactly.
* `pair_features`: a (position, move) pair as 36 numbers (the 27 planes and the move one-hot),
  what the reward model reads; `legal_pairs` lists all 16,167 legal pairs.
* `demonstrator_probabilities(p)`, `rater_probabilities(q)`: the simulated people as
  policies, so their "level" is a number on the same scale as a trained model's. The
  rater cannot play, only judge, so **the rater's policy** is: judge every legal move
  once, play uniformly among the approved ones (uniformly among all if it approves
  none). Its move distribution is computed exactly from q.
* `measure`: a policy's `Performance`: its exact Outcome score (and win/draw/loss) when it
  samples its moves, the score of its greedy (argmax) table, and the share of probability it
  puts on optimal moves in contested positions.
* `play_games`: sampled games against the pool (a third per opponent, half as X), recording
  every move the learner made, for signals that need the positions a policy reaches.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import binom

from searchlab.core import checks
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, torch_generator
from searchlab.encodings.board import MoverPlanes
from searchlab.games.tables import MAX_PLIES
from searchlab.games.tictactoe import NUM_SQUARES
from searchlab.signals.common import sample_rows
from searchlab.signals.outcome import Outcome
from searchlab.signals.tictactoe_task import TicTacToeTask, default_task

PLANE_FEATURES = 3 * NUM_SQUARES  # mover, opponent, blank
PAIR_FEATURES = PLANE_FEATURES + NUM_SQUARES  # planes + the move one-hot
_MASKED = -1e9  # logit of an illegal move: exp() is exactly 0, gradients stay finite


@functools.lru_cache(maxsize=4)
def position_planes(task: TicTacToeTask | None = None) -> torch.Tensor:
    """(decisions, 27) float32: per position the mover's squares, the opponent's, the blanks (one-hot per square)."""
    task = task or default_task()
    planes = MoverPlanes().encode_many(task.index.states[: task.decisions], task.index.player[: task.decisions])
    return torch.from_numpy(planes.reshape(task.decisions, PLANE_FEATURES))


def pair_features(positions, moves, task: TicTacToeTask | None = None) -> torch.Tensor:
    """(n, 36) float32 reward-model features of (position, move) pairs: the position's planes, then the move one-hot."""
    task = task or default_task()
    positions, moves = task.check(positions, moves)
    one_hot = torch.nn.functional.one_hot(torch.from_numpy(moves), NUM_SQUARES).to(torch.float32)
    return torch.cat([position_planes(task)[torch.from_numpy(positions)], one_hot], dim=1)


def legal_pairs(task: TicTacToeTask | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every legal (position, move) pair of the decision positions: two (16167,) int64 arrays."""
    task = task or default_task()
    positions, moves = np.nonzero(task.legal)
    return positions.astype(np.int64), moves.astype(np.int64)


class TicTacToePolicy(torch.nn.Module):
    """Board planes -> MLP (ReLU) -> masked softmax over the nine squares, over every decision position.

    Args:
        hidden: widths of the hidden layers.
        seed: seeds the initial weights.
        task: the task; `default_task()` if None.

    Raises:
        SearchlabError: bad widths or seed.
    """

    def __init__(self, hidden: Sequence[int] = (64, 64), seed: int = 0, task: TicTacToeTask | None = None) -> None:
        super().__init__()
        hidden = tuple(hidden)
        if not hidden or any(not checks.is_whole(w) or w < 1 for w in hidden):
            raise SearchlabError(f"policy hidden widths are whole numbers >= 1, e.g. (64, 64); got {hidden!r}")
        self.task = task or default_task()
        self.hidden = hidden
        widths = (PLANE_FEATURES, *hidden, NUM_SQUARES)
        generator = torch_generator(check_seed(seed))
        layers: list[torch.nn.Module] = []
        for fan_in, fan_out in zip(widths, widths[1:]):
            layer = torch.nn.Linear(fan_in, fan_out)
            bound = 1.0 / math.sqrt(fan_in)  # torch's default range, drawn from our own stream
            with torch.no_grad():
                layer.weight.copy_((torch.rand(fan_out, fan_in, generator=generator) * 2 - 1) * bound)
                layer.bias.copy_((torch.rand(fan_out, generator=generator) * 2 - 1) * bound)
            layers += [layer, torch.nn.ReLU()]
        self.net = torch.nn.Sequential(*layers[:-1])
        self.register_buffer("planes", position_planes(self.task), persistent=False)  # (d, 27)
        self.register_buffer("legal", torch.from_numpy(self.task.legal.copy()), persistent=False)  # (d, 9)

    def forward(self, positions: torch.Tensor | None = None) -> torch.Tensor:
        """(n, 9) log-probabilities of the moves in `positions` (all decision positions if None); illegal ~ -1e9."""
        planes, legal = (
            (self.planes, self.legal) if positions is None else (self.planes[positions], self.legal[positions])
        )
        return torch.log_softmax(self.net(planes).masked_fill(~legal, _MASKED), dim=-1)

    def probabilities(self) -> np.ndarray:
        """(decisions, 9) float64 move probabilities, zero on illegal moves, rows summing to 1 (Outcome's form)."""
        with torch.no_grad():
            table = self().exp().double().numpy()
        table = np.where(self.task.legal, table, 0.0)
        return table / table.sum(axis=1, keepdims=True)

    def copy(self) -> TicTacToePolicy:
        """An independent copy (same weights) to train further."""
        return copy.deepcopy(self)


# ---- the people as policies --------------------------------------------------------------


def demonstrator_probabilities(p: float, task: TicTacToeTask | None = None) -> np.ndarray:
    """(decisions, 9): optimal with probability p, a plausible mistake otherwise (optimal where none exists)."""
    task = task or default_task()
    return p * task.optimal_probabilities + (1.0 - p) * task.fallible


def rater_probabilities(q: float, task: TicTacToeTask | None = None) -> np.ndarray:
    """(decisions, 9): judge every legal move (right w.p. q), play uniformly among the approved, or any if none.

    With k optimal and m other legal moves, a approved optimal and b approved others
    are independent binomials, and the chance of an optimal move is
    E[a / (a + b)] (k / (k + m) when a + b = 0); it is split evenly over the optimal
    moves, the rest evenly over the others.
    """
    task = task or default_task()
    k = task.optimal.sum(axis=1)
    m = task.legal.sum(axis=1) - k
    share = np.zeros(task.decisions)
    for kk, mm in set(zip(k.tolist(), m.tolist())):
        a, b = np.meshgrid(np.arange(kk + 1), np.arange(mm + 1), indexing="ij")
        weight = binom.pmf(a, kk, q) * binom.pmf(b, mm, 1.0 - q)
        pick = np.divide(a, a + b, out=np.full(a.shape, kk / (kk + mm)), where=(a + b) > 0)
        share[(k == kk) & (m == mm)] = float((weight * pick).sum())
    others = task.legal & ~task.optimal
    mistake = np.divide(1.0 - share, m, out=np.zeros(task.decisions), where=m > 0)
    return task.optimal_probabilities * share[:, None] + others * mistake[:, None]


# ---- true performance ---------------------------------------------------------------------


@dataclass(frozen=True)
class Performance:
    """A policy's true performance.

    Attributes:
        score: exact expected score against the pool (win 1, draw 1/2), the policy sampling its moves.
        win, draw, loss: the same games' outcome probabilities.
        greedy_score: the score of the table that plays the most likely move everywhere.
        optimal_share: mean probability on optimal moves over the contested positions.
    """

    score: float
    win: float
    draw: float
    loss: float
    greedy_score: float
    optimal_share: float

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("score", "win", "draw", "loss", "greedy_score", "optimal_share")}


def optimal_share(probabilities: np.ndarray, task: TicTacToeTask | None = None, contested_only: bool = True) -> float:
    """Mean probability on optimal moves, over the contested (or all) decision positions."""
    task = task or default_task()
    share = (probabilities * task.optimal).sum(axis=1)
    return float(share[task.contested].mean() if contested_only else share.mean())


def measure(policy: TicTacToePolicy | np.ndarray, outcome: Outcome | None = None) -> Performance:
    """The `Performance` of a policy or of a (decisions, 9) probability table."""
    outcome = outcome or Outcome()
    table = policy.probabilities() if isinstance(policy, TicTacToePolicy) else np.asarray(policy, dtype=float)
    report = outcome.evaluate(table)
    greedy = np.argmax(np.where(outcome.task.legal, table, -1.0), axis=1)
    return Performance(
        report.score,
        report.win,
        report.draw,
        report.loss,
        float(outcome.scores(greedy)[0]),
        optimal_share(table, outcome.task),
    )


def kl_divergence(probabilities: np.ndarray, reference: np.ndarray) -> float:
    """KL(policy || reference) per position, averaged uniformly over the decision positions (nats)."""
    ratio = np.log(np.where(probabilities > 0, probabilities, 1.0)) - np.log(
        np.where(probabilities > 0, reference, 1.0)
    )
    return float((probabilities * ratio).sum(axis=1).mean())


# ---- sampled games ------------------------------------------------------------------------


@dataclass(frozen=True)
class Rollout:
    """Games against the pool and every move the learner made in them.

    Attributes:
        game, positions, moves: (M,) int64, the learner's moves in order of play.
        opponent, side: (G,) int64 per game, index into the pool and 0 (X) / 1 (O).
        score: (G,) float, the learner's result per game (win 1, draw 1/2, loss 0).
    """

    game: np.ndarray
    positions: np.ndarray
    moves: np.ndarray
    opponent: np.ndarray
    side: np.ndarray
    score: np.ndarray


def sampler(probabilities: np.ndarray, rng: np.random.Generator) -> Callable[[np.ndarray], np.ndarray]:
    """A mover for `play_games` that draws from a (decisions, 9) table with `rng`."""
    return lambda positions: sample_rows(probabilities[positions], rng.random(positions.size))


def play_games(
    mover: Callable[[np.ndarray], np.ndarray], games: int, rng: np.random.Generator, outcome: Outcome | None = None
) -> Rollout:
    """Play `games` games, game g against pool opponent g mod len(pool), as X when (g // len(pool)) is even.

    Args:
        mover: the learner, positions (n,) -> moves (n,) (a demonstrator's `demonstrate`, or `sampler`).
        games: how many games (>= 1).
        rng: draws the opponents' moves.
        outcome: holds the pool; the default pool if None.
    """
    outcome = outcome or Outcome()
    index = outcome.task.index
    opponents = _opponents(outcome)  # (len(pool), P, 9)
    g = np.arange(games)
    opponent, side = g % len(outcome.pool), (g // len(outcome.pool)) % 2
    position = np.full(games, index.root, dtype=np.int64)
    record: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for _ in range(MAX_PLIES):
        live = np.flatnonzero(position < index.decisions)
        if live.size == 0:
            break
        here = position[live]
        mine = index.player[here] == side[live]
        moves = np.empty(live.size, dtype=np.int64)
        if mine.any():
            moves[mine] = mover(here[mine])
            record.append((live[mine], here[mine], moves[mine]))
        theirs = ~mine
        moves[theirs] = sample_rows(opponents[opponent[live[theirs]], here[theirs]], rng.random(int(theirs.sum())))
        position[live] = index.children[here, moves]
    result = (np.where(side == 0, 1, -1) * index.outcome[position]).astype(float)
    game, positions, moves = (np.concatenate(parts) for parts in zip(*record))
    return Rollout(game, positions, moves, opponent, side, (result + 1.0) / 2.0)


@functools.lru_cache(maxsize=4)
def _opponents(outcome: Outcome) -> np.ndarray:
    """(len(pool), P, 9) the pool's move probabilities, made once per Outcome."""
    return np.stack([outcome.opponent_policy(name) for name in outcome.pool])
