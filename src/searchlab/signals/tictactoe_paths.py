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
  shows *its own* move in every position the model reached, aggregate, train on. The
  overseer is the same p-accurate demonstrator (the people config has no other), so
  DAgger fixes the mismatch between the positions shown and the positions reached, not
  the demonstrator's error rate.
* Both are `searchlab.signals.imitation` on `tictactoe_signals.TicTacToeSignals`.
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

from searchlab.core.seeding import spawn_seeds
from searchlab.signals import imitation, paths
from searchlab.signals.people import TicTacToePeople
from searchlab.signals.persons import Demonstrator
from searchlab.signals.pipeline import Stage
from searchlab.signals.result import PathResult
from searchlab.signals.tictactoe_policy import TicTacToePolicy
from searchlab.signals.tictactoe_signals import (
    SignalSettings,
    TicTacToeSignals,
    check_arguments,
    fit_reward_model,
    label_book,
)
from searchlab.signals.tictactoe_task import TicTacToeSkill, TicTacToeTruth

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
    return imitation.behaviour_cloning(TicTacToeSignals(people, settings), seed, start, demonstrator, games, name=name)


def dagger(
    people: TicTacToePeople, settings: SignalSettings, seed: int, start: TicTacToePolicy | None = None
) -> PathResult:
    """Behaviour cloning, then rounds in which the overseer shows its move in every position of the model's games.

    At behaviour cloning's compute: the first clone takes half of `imitation_steps`, and the
    rounds share the other half, each retraining on everything gathered so far (`imitation.dagger`).
    `start` is the model before any fit (also kept as extra["behaviour cloning start"], the key the
    signals results have always had); extra["first_clone"] is the clone the rounds begin from.
    """
    result = imitation.dagger(TicTacToeSignals(people, settings), seed, start)
    result.extra["behaviour cloning start"] = result.start
    return result


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
    generic = Demonstrator(TicTacToeTruth(), TicTacToeSkill(settings.generic_p), seeds[4])
    expert = Demonstrator(TicTacToeTruth(), TicTacToeSkill(settings.expert_p), seeds[5])
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
