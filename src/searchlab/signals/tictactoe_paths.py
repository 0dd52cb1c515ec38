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

import numpy as np

from searchlab.core.seeding import numpy_generator, spawn_seeds
from searchlab.signals import paths
from searchlab.signals.outcome import Outcome
from searchlab.signals.people import TicTacToePeople
from searchlab.signals.pipeline import Stage
from searchlab.signals.result import PathResult
from searchlab.signals.tictactoe_policy import Rollout, TicTacToePolicy, play_games, sampler
from searchlab.signals.tictactoe_reward import fit_reward_model, label_book
from searchlab.signals.tictactoe_settings import (
    SignalSettings,
    check_arguments,
    fresh_or_copy,
    imitate,
    performance,
)
from searchlab.signals.tictactoe_signals import TicTacToeSignals
from searchlab.signals.tictactoe_task import Demonstrator

__all__ = [
    "PATHS",
    "PathResult",
    "SignalSettings",
    "approval_direct",
    "approval_reward_model",
    "behaviour_cloning",
    "check_arguments",
    "dagger",
    "fit_reward_model",
    "label_book",
    "outcomes",
    "pipeline_stages",
]


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
    check_arguments(people, settings, seed)
    return _clone(people, settings, seed, start, demonstrator or people.demonstrator(), games, name)[0]


def _clone(
    people, settings, seed, start, demonstrator, games, name, steps: int | None = None
) -> tuple[PathResult, Rollout]:
    """`behaviour_cloning` (for `steps`, default `imitation_steps`), also returning the demonstrations it trained on."""
    began = time.perf_counter()
    init_seed, play_seed, train_seed = spawn_seeds(seed, 3)
    outcome = Outcome()
    policy = fresh_or_copy(settings, init_seed, start)
    before = performance(policy, outcome)
    shown = play_games(
        demonstrator.demonstrate, games or settings.demonstration_games, numpy_generator(play_seed), outcome
    )
    steps = settings.imitation_steps if steps is None else steps
    fitted = imitate(policy, shown.positions, shown.moves, steps, settings, train_seed, bought=int(shown.moves.size))
    after = performance(policy, outcome)
    result = PathResult(
        name,
        policy,
        before,
        after,
        {"demonstrations": fitted.labels},
        [{"step": 0, "score": before["score"]}, {"step": steps, "score": after["score"]}],
        seconds=time.perf_counter() - began,
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
    check_arguments(people, settings, seed)
    began = time.perf_counter()
    outcome = Outcome()
    clone_seed, play_seed, *round_seeds = spawn_seeds(seed, 2 + settings.dagger_rounds)
    overseer = people.demonstrator()  # one stream for the first demonstrations and every correction
    round_steps = max(1, settings.imitation_steps // (2 * max(1, settings.dagger_rounds)))
    first_steps = max(1, settings.imitation_steps - round_steps * settings.dagger_rounds)
    cloned, shown = _clone(people, settings, clone_seed, start, overseer, None, "behaviour cloning", first_steps)
    policy, rng = cloned.model.copy(), numpy_generator(play_seed)
    positions, moves, bought = shown.positions, shown.moves, cloned.labels
    curve = [{"step": 0, "score": cloned.score}]
    for round_number, round_seed in enumerate(round_seeds, start=1):
        visited = play_games(sampler(policy.probabilities(), rng), settings.dagger_games, rng, outcome)
        positions = np.concatenate([positions, visited.positions])
        moves = np.concatenate([moves, overseer.demonstrate(visited.positions)])  # the corrections
        fitted = imitate(policy, positions, moves, round_steps, settings, round_seed, bought=visited.moves.size)
        bought += fitted.labels
        curve.append({"step": first_steps + round_number * round_steps, "score": performance(policy, outcome)["score"]})
    return PathResult(
        "dagger",
        policy,
        cloned.performance,
        performance(policy, outcome),
        {"demonstrations": bought},  # the first clone's, then each round's corrections
        curve,
        {"behaviour cloning start": cloned.start},
        time.perf_counter() - began,
    )


# ---- approval and outcomes ---------------------------------------------------------------


def approval_direct(
    people: TicTacToePeople, settings: SignalSettings, seed: int, start: TicTacToePolicy | None = None
) -> PathResult:
    """REINFORCE against the rater itself: every move the model makes is judged once (0/1)."""
    return paths.approval_direct(TicTacToeSignals(people, settings), seed, start)


def approval_reward_model(
    people: TicTacToePeople,
    settings: SignalSettings,
    seed: int,
    fraction: float | None = None,
    start: TicTacToePolicy | None = None,
) -> PathResult:
    """REINFORCE against a reward model fitted on the rater's labels of `fraction` of the legal pairs."""
    return paths.approval_reward_model(TicTacToeSignals(people, settings), seed, fraction, start)


def outcomes(
    people: TicTacToePeople, settings: SignalSettings, seed: int, start: TicTacToePolicy | None = None
) -> PathResult:
    """REINFORCE on game results against the pool: every move of a game is rewarded with its result."""
    return paths.outcomes(TicTacToeSignals(people, settings), seed, start)


def pipeline_stages(people: TicTacToePeople, settings: SignalSettings, seed: int) -> tuple[list[Stage], list[int]]:
    """The stages of `signals.pipeline.pipeline` on Tic-Tac-Toe, and their seeds: generic demonstrations
    (low p, many games) -> expert demonstrations (high p, fewer) -> approval via the reward model -> outcomes."""
    check_arguments(people, settings, seed)
    seeds = spawn_seeds(seed, 6)
    generic = Demonstrator(settings.generic_p, seeds[4])
    expert = Demonstrator(settings.expert_p, seeds[5])
    stages: list[Stage] = [
        (
            "pretrain (generic)",
            lambda s, m: behaviour_cloning(people, settings, s, m, demonstrator=generic, games=settings.generic_games),
        ),
        (
            "fine-tune (expert)",
            lambda s, m: behaviour_cloning(people, settings, s, m, demonstrator=expert, games=settings.expert_games),
        ),
        (
            f"approval (reward model, {settings.fraction:g})",
            lambda s, m: approval_reward_model(people, settings, s, start=m),
        ),
        ("outcomes", lambda s, m: outcomes(people, settings, s, start=m)),
    ]
    return stages, seeds[:4]


PATHS = {
    "behaviour cloning": behaviour_cloning,
    "dagger": dagger,
    "approval (rater)": approval_direct,
    "approval (reward model)": approval_reward_model,
    "outcomes": outcomes,
}
