"""Training the same Tic-Tac-Toe policy from each signal: imitation, approval, outcomes, and all of them in stages.

Every path is a function `(people, settings, seed) -> PathResult` that trains a
`TicTacToePolicy` (the same class, same widths) and scores it exactly with `Outcome`.
Choices, and why:

* **Positions come from play.** Demonstrations are the demonstrator's moves in its own
  games against the pool (both colours, a third against each opponent): demonstrations
  come from playing. Every later signal samples the *model's own* games, so it is taught
  where it actually goes.
* `behaviour_cloning`: cross-entropy on the demonstrations (Adam, minibatches).
* `dagger`: behaviour cloning, then rounds of: play the model's games, the overseer
  corrects every move it made with *its own* move, aggregate, train on. The overseer
  is the same p-accurate demonstrator (the people config has no other), so DAgger
  fixes the mismatch between the positions shown and the positions reached, not the
  demonstrator's error rate.
* `approval_direct`, `approval_reward_model`, `outcomes`: REINFORCE with a baseline on
  the model's own sampled games. The reward of a move is the rater's approval (0/1,
  one rater call per move), the reward model's predicted approval, or the result of
  the game the move was in (win 1, draw 1/2, loss 0). The baseline is the batch's mean
  reward against the same opponent and side.
* The reward model is fitted on the rater's labels of a `fraction` of all 16,167 legal
  (position, move) pairs; the rater judges each pair of the pool once (a fixed label
  book), the rest of the book is the held-out set its accuracy is measured on.
* Standalone paths start from the same freshly initialised network (seed), so they
  compare signals, not starting points; `pipeline` chains them: generic demonstrations
  (low p) -> expert demonstrations (high p, fewer) -> approval via the reward model ->
  outcomes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields

import numpy as np
import torch

from searchlab.core.device import cpu_threads
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, numpy_generator, spawn_seeds
from searchlab.signals.outcome import Outcome
from searchlab.signals.people import TicTacToePeople
from searchlab.signals.reward_model import RewardEnsemble
from searchlab.signals.tictactoe_policy import (
    Performance,
    Rollout,
    TicTacToePolicy,
    legal_pairs,
    measure,
    pair_features,
    play_games,
    sampler,
)
from searchlab.signals.tictactoe_task import Demonstrator, default_task


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
                if not value or any(
                    isinstance(w, bool) or not isinstance(w, (int, np.integer)) or w < 1 for w in value
                ):
                    raise SearchlabError(f"signal settings: hidden lists layer widths >= 1, got {value!r}")
            elif item.type == "int" and (
                isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1
            ):
                raise SearchlabError(f"signal settings: {item.name} must be a whole number >= 1, got {value!r}")
            elif item.type == "float":
                ok = isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)
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


@dataclass
class PathResult:
    """A trained policy, how it performs, and what its signal cost.

    Attributes:
        name: the path.
        policy: the trained `TicTacToePolicy`.
        performance: its true `Performance`; start: that of the policy it started from.
        queries: signal spent: "demonstrations", "rater labels" and/or "games".
        curve: (step or round, exact score) pairs during training, starting point first.
        seconds: wall time.
        details: path-specific numbers (reward-model accuracy, ...).
    """

    name: str
    policy: TicTacToePolicy
    performance: Performance
    start: Performance
    queries: dict[str, int]
    curve: list[tuple[int, float]]
    seconds: float
    details: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """JSON-ready numbers, without the policy."""
        return {
            "name": self.name,
            "performance": self.performance.as_dict(),
            "start": self.start.as_dict(),
            "queries": dict(self.queries),
            "curve": [list(point) for point in self.curve],
            "seconds": self.seconds,
            "details": dict(self.details),
        }


# ---- trainers ----------------------------------------------------------------------------


def imitate(
    policy: TicTacToePolicy, positions: np.ndarray, moves: np.ndarray, steps: int, settings: SignalSettings, seed: int
) -> None:
    """Train `policy` in place: cross-entropy of the shown `moves` in `positions` (minibatches, Adam)."""
    positions, moves = torch.as_tensor(positions), torch.as_tensor(moves)
    generator = torch.Generator().manual_seed(check_seed(seed))
    optimizer = torch.optim.Adam(policy.parameters(), lr=settings.imitation_lr)
    batch = min(settings.batch_size, positions.numel())
    with cpu_threads(1):  # nets this small run fastest on one thread
        for _ in range(steps):
            pick = torch.randint(0, positions.numel(), (batch,), generator=generator)
            loss = -policy(positions[pick]).gather(1, moves[pick, None]).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def reinforce(
    policy: TicTacToePolicy,
    reward: Callable[[Rollout], np.ndarray],
    settings: SignalSettings,
    seed: int,
    outcome: Outcome,
    steps: int | None = None,
) -> tuple[list[tuple[int, float]], int]:
    """REINFORCE with a baseline on the policy's own games, in place.

    Each step plays `rl_games` games against the pool, asks `reward` for one reward per
    learner move (M,), and ascends sum over moves of (reward - baseline) * log pi(move),
    divided by M; the baseline is the mean reward of the step's moves against the same
    opponent and side (a per-group constant, so the gradient stays unbiased in expectation).

    Returns:
        The learning curve (step, exact score) and the number of learner moves rewarded.
    """
    steps = settings.rl_steps if steps is None else steps
    rng = numpy_generator(seed)
    optimizer = torch.optim.Adam(policy.parameters(), lr=settings.rl_lr)
    curve, rewarded = [(0, measure(policy, outcome).score)], 0
    with cpu_threads(1):
        for step in range(1, steps + 1):
            rollout = play_games(sampler(policy.probabilities(), rng), settings.rl_games, rng, outcome)
            rewards = np.asarray(reward(rollout), dtype=float)  # (M,)
            group = (rollout.opponent * 2 + rollout.side)[rollout.game]  # (M,) which (opponent, side)
            baseline = np.bincount(group, rewards, minlength=6) / np.maximum(np.bincount(group, minlength=6), 1)
            advantage = torch.as_tensor(rewards - baseline[group], dtype=torch.float32)
            log_all = policy()  # (d, 9): one pass over every position is cheaper than gathering rows
            log_taken = log_all[torch.as_tensor(rollout.positions), torch.as_tensor(rollout.moves)]
            loss = -(advantage * log_taken).mean()
            if settings.entropy > 0:
                visited = log_all[torch.as_tensor(rollout.positions)]
                loss = loss + settings.entropy * (visited.exp() * visited).sum(dim=1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            rewarded += rewards.size
            if step % settings.record_every == 0 or step == steps:
                curve.append((step, measure(policy, outcome).score))
    return curve, rewarded


def _check(people: TicTacToePeople, settings: SignalSettings, seed: int) -> None:
    if not isinstance(people, TicTacToePeople):
        raise SearchlabError(f"the tic-tac-toe paths take a TicTacToePeople config, got {type(people).__name__}")
    if not isinstance(settings, SignalSettings):
        raise SearchlabError(f"the tic-tac-toe paths take SignalSettings, got {type(settings).__name__}")
    check_seed(seed)


def _start(settings: SignalSettings, seed: int, start: TicTacToePolicy | None) -> TicTacToePolicy:
    return start.copy() if start is not None else TicTacToePolicy(settings.hidden, seed)


# ---- imitation ---------------------------------------------------------------------------


def behaviour_cloning(
    people: TicTacToePeople,
    settings: SignalSettings,
    seed: int,
    start: TicTacToePolicy | None = None,
    demonstrator: Demonstrator | None = None,
    games: int | None = None,
    name: str = "behaviour cloning",
) -> PathResult:
    """Imitate the demonstrator's moves from its own games against the pool (the people's demonstrator by default)."""
    _check(people, settings, seed)
    return _clone(people, settings, seed, start, demonstrator or people.demonstrator(), games, name)[0]


def _clone(
    people, settings, seed, start, demonstrator, games, name, steps: int | None = None
) -> tuple[PathResult, Rollout]:
    """`behaviour_cloning` (for `steps`, default `imitation_steps`), also returning the demonstrations it trained on."""
    began = time.perf_counter()
    init_seed, play_seed, train_seed = spawn_seeds(seed, 3)
    outcome = Outcome()
    policy = _start(settings, init_seed, start)
    before = measure(policy, outcome)
    shown = play_games(
        demonstrator.demonstrate, games or settings.demonstration_games, numpy_generator(play_seed), outcome
    )
    steps = settings.imitation_steps if steps is None else steps
    imitate(policy, shown.positions, shown.moves, steps, settings, train_seed)
    after = measure(policy, outcome)
    result = PathResult(
        name,
        policy,
        after,
        before,
        {"demonstrations": int(shown.moves.size)},
        [(0, before.score), (steps, after.score)],
        time.perf_counter() - began,
    )
    return result, shown


def dagger(
    people: TicTacToePeople, settings: SignalSettings, seed: int, start: TicTacToePolicy | None = None
) -> PathResult:
    """Behaviour cloning, then rounds in which the overseer corrects the moves of the model's own games.

    At behaviour cloning's compute: the first clone takes half of `imitation_steps`, and the
    rounds share the other half, each retraining on everything gathered so far. The starting
    point reported is the first clone the rounds begin from.
    """
    _check(people, settings, seed)
    began = time.perf_counter()
    outcome = Outcome()
    clone_seed, play_seed, *round_seeds = spawn_seeds(seed, 2 + settings.dagger_rounds)
    overseer = people.demonstrator()  # one stream for the first demonstrations and every correction
    round_steps = max(1, settings.imitation_steps // (2 * max(1, settings.dagger_rounds)))
    first_steps = max(1, settings.imitation_steps - round_steps * settings.dagger_rounds)
    cloned, shown = _clone(people, settings, clone_seed, start, overseer, None, "behaviour cloning", first_steps)
    policy, rng = cloned.policy.copy(), numpy_generator(play_seed)
    positions, moves = shown.positions, shown.moves
    curve = [(0, cloned.performance.score)]
    for round_number, round_seed in enumerate(round_seeds, start=1):
        visited = play_games(sampler(policy.probabilities(), rng), settings.dagger_games, rng, outcome)
        positions = np.concatenate([positions, visited.positions])
        moves = np.concatenate([moves, overseer.demonstrate(visited.positions)])  # the corrections
        imitate(policy, positions, moves, round_steps, settings, round_seed)
        curve.append((first_steps + round_number * round_steps, measure(policy, outcome).score))
    return PathResult(
        "dagger",
        policy,
        measure(policy, outcome),
        cloned.performance,
        {"demonstrations": int(moves.size)},
        curve,
        time.perf_counter() - began,
        {"behaviour cloning start": cloned.start.as_dict()},
    )


# ---- approval and outcomes ---------------------------------------------------------------


def approval_direct(
    people: TicTacToePeople, settings: SignalSettings, seed: int, start: TicTacToePolicy | None = None
) -> PathResult:
    """REINFORCE against the rater itself: every move the model makes is judged once (0/1)."""
    _check(people, settings, seed)
    began = time.perf_counter()
    init_seed, rl_seed = spawn_seeds(seed, 2)
    outcome, rater = Outcome(), people.rater()
    policy = _start(settings, init_seed, start)
    before = measure(policy, outcome)
    curve, rated = reinforce(
        policy, lambda r: rater.rate(r.positions, r.moves).astype(float), settings, rl_seed, outcome
    )
    return PathResult(
        "approval (rater)",
        policy,
        measure(policy, outcome),
        before,
        {"rater labels": rated},
        curve,
        time.perf_counter() - began,
    )


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
    count = max(2, int(round(fraction * labels.size)))
    order = numpy_generator(pick_seed).permutation(labels.size)
    seen, rest = order[:count], order[count:]
    model = settings.reward_ensemble().fit(features[seen], labels[seen], fit_seed)
    predicted = model.predict(features)  # (pairs,)
    truth = default_task().optimal[positions, moves]
    table = np.zeros(default_task().legal.shape)
    table[positions, moves] = predicted
    accuracy = {
        "labels": count,
        "heldout accuracy": float(((predicted[rest] >= 0.5) == labels[rest]).mean()) if rest.size else float("nan"),
        "truth accuracy": float(((predicted >= 0.5) == truth).mean()),
    }
    return table, accuracy


def approval_reward_model(
    people: TicTacToePeople,
    settings: SignalSettings,
    seed: int,
    fraction: float | None = None,
    start: TicTacToePolicy | None = None,
) -> PathResult:
    """REINFORCE against a reward model fitted on the rater's labels of `fraction` of the legal pairs."""
    _check(people, settings, seed)
    fraction = settings.fraction if fraction is None else SignalSettings(fraction=fraction).fraction
    began = time.perf_counter()
    init_seed, rm_seed, rl_seed = spawn_seeds(seed, 3)
    outcome = Outcome()
    table, accuracy = fit_reward_model(people, settings, fraction, rm_seed)
    policy = _start(settings, init_seed, start)
    before = measure(policy, outcome)
    curve, _ = reinforce(policy, lambda r: table[r.positions, r.moves], settings, rl_seed, outcome)
    return PathResult(
        f"approval (reward model, {fraction:g})",
        policy,
        measure(policy, outcome),
        before,
        {"rater labels": accuracy["labels"]},
        curve,
        time.perf_counter() - began,
        {"fraction": fraction, "reward model": accuracy},
    )


def outcomes(
    people: TicTacToePeople, settings: SignalSettings, seed: int, start: TicTacToePolicy | None = None
) -> PathResult:
    """REINFORCE on game results against the pool: every move of a game is rewarded with its result."""
    _check(people, settings, seed)
    began = time.perf_counter()
    init_seed, rl_seed = spawn_seeds(seed, 2)
    outcome = Outcome()
    policy = _start(settings, init_seed, start)
    before = measure(policy, outcome)
    curve, _ = reinforce(policy, lambda r: r.score[r.game], settings, rl_seed, outcome)
    games = settings.rl_games * settings.rl_steps
    return PathResult(
        "outcomes", policy, measure(policy, outcome), before, {"games": games}, curve, time.perf_counter() - began
    )


def pipeline(people: TicTacToePeople, settings: SignalSettings, seed: int) -> list[PathResult]:
    """Generic demonstrations -> expert demonstrations -> approval via the reward model -> outcomes; one result per stage."""
    _check(people, settings, seed)
    seeds = spawn_seeds(seed, 6)
    generic = Demonstrator(settings.generic_p, seeds[4])
    expert = Demonstrator(settings.expert_p, seeds[5])
    stages = [
        behaviour_cloning(
            people, settings, seeds[0], demonstrator=generic, games=settings.generic_games, name="pretrain (generic)"
        )
    ]
    stages.append(
        behaviour_cloning(
            people,
            settings,
            seeds[1],
            stages[-1].policy,
            demonstrator=expert,
            games=settings.expert_games,
            name="fine-tune (expert)",
        )
    )
    stages.append(approval_reward_model(people, settings, seeds[2], start=stages[-1].policy))
    stages.append(outcomes(people, settings, seeds[3], start=stages[-1].policy))
    return stages


PATHS = {
    "behaviour cloning": behaviour_cloning,
    "dagger": dagger,
    "approval (rater)": approval_direct,
    "approval (reward model)": approval_reward_model,
    "outcomes": outcomes,
}
