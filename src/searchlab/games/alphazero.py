"""AlphaZero-style training over the Game API: self-play with PUCT, train, and gate by an arena.

One iteration (the alpha-zero-general Coach/Arena split):

1. Self-play: `selfplay_games` games at once, all searched together by `puct_search_many`
   with the current network (Dirichlet noise at the root, temperature 1 for the first
   `temperature_moves` plies, then the most visited move). Every position gives an
   example (observation, visit distribution, final return from the mover's view),
   multiplied by the game's `num_symmetries` symmetries.
2. Train: a copy of the current network (the candidate) takes `train_steps` Adam steps
   on minibatches (a fresh shuffle every epoch) from the last `replay_iterations`
   iterations of examples, through `searchlab.core.run` like every other search; the
   loss is policy cross-entropy plus value squared error.
3. Arena: candidate against current, `arena_games` games, alternating who starts, both
   with PUCT; the first `arena_temperature_moves` plies are sampled so that the games
   differ. The candidate replaces the current network if it scores at least
   `accept_score` (a win 1, a draw 1/2).

The iterations are one search like every other: `train` runs `optimizers.ExpertIteration` (one step is
one iteration) on a `games.alphazero_problem.SelfPlayProblem` (the network's parameters, the games, the
replay window and the records) through `searchlab.core.run`, which shows the progress bar, stops on a NaN
loss and checkpoints after every iteration (the current network, the replay window and the records,
safetensors + JSON). Iteration i's self-play and arena draw from seeds derived from (seed, i), its
training from the run's generator, which the checkpoints keep, so a resumed run gives the same numbers as
an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from searchlab.core import Budget, checkpoint, checks, interrupts
from searchlab.core import run as run_search
from searchlab.core.device import cpu_threads, resolve_device
from searchlab.core.errors import SearchlabError
from searchlab.core.files import write_jsonl
from searchlab.core.seeding import check_seed, spawn_seeds
from searchlab.games.alphazero_history import check_resumable, metrics_rows
from searchlab.games.alphazero_problem import SelfPlayProblem, arena, self_play
from searchlab.games.mcts import PUCTSettings
from searchlab.games.policy_value import PolicyValueNet, save_net
from searchlab.optimizers.expert_iteration import ExpertIteration

__all__ = [
    "CHECKPOINT_DIR",
    "NETWORK_FILE",
    "RECORDS_FILE",
    "AlphaZeroSettings",
    "arena",
    "new_net",
    "self_play",
    "train",
]

_FORMAT = "searchlab-alphazero/2"
CHECKPOINT_DIR = "checkpoints"
NETWORK_FILE = "network.safetensors"
RECORDS_FILE = "metrics.jsonl"


@dataclass(frozen=True)
class AlphaZeroSettings:
    """Settings of `train`; every field is checked when the object is made (one-line SearchlabError).

    Attributes:
        iterations: self-play / train / arena rounds (>= 1).
        selfplay_games: games per iteration, all searched in one batch (>= 1).
        simulations: PUCT simulations per self-play move (>= 1).
        c_puct: PUCT exploration weight (> 0).
        dirichlet_alpha, dirichlet_epsilon: root noise in self-play (alpha > 0, 0 <= epsilon <= 1).
        temperature_moves: self-play plies sampled in proportion to visits before playing greedily (>= 0).
        leaves_per_step: leaves per tree per batched search step (>= 1; > 1 uses virtual loss).
        replay_iterations: iterations of examples kept for training (>= 1).
        train_steps: Adam steps per iteration (>= 1).
        batch_size: examples per step (>= 1).
        lr: Adam's learning rate (> 0).
        weight_decay: L2 penalty (>= 0).
        arena_games: candidate-vs-current games per iteration (>= 0; 0 accepts every candidate).
        arena_simulations: PUCT simulations per arena move (>= 1).
        arena_temperature_moves: arena plies sampled at temperature 1 (>= 0).
        accept_score: the candidate's arena score needed to replace the current net (0..1).
        accept_alpha: when set, the candidate must also win significantly more arena games than it loses:
            a one-sided sign test on the decisive games (draws set aside) at this level, e.g. 0.05;
            None keeps the score rule alone.
        channels, layers, hidden: the network (see `PolicyValueNet`).
        augment: add the symmetric images of every example.
    """

    iterations: int = 10
    selfplay_games: int = 32
    simulations: int = 50
    c_puct: float = 1.5
    dirichlet_alpha: float = 0.5
    dirichlet_epsilon: float = 0.25
    temperature_moves: int = 4
    leaves_per_step: int = 1
    replay_iterations: int = 4
    train_steps: int = 200
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-4
    arena_games: int = 20
    arena_simulations: int = 25
    arena_temperature_moves: int = 2
    accept_score: float = 0.55
    accept_alpha: float | None = None
    channels: int = 32
    layers: int = 2
    hidden: int = 64
    augment: bool = True

    def __post_init__(self) -> None:
        for name in (
            "iterations",
            "selfplay_games",
            "simulations",
            "leaves_per_step",
            "replay_iterations",
            "train_steps",
            "batch_size",
            "arena_simulations",
            "channels",
            "layers",
            "hidden",
        ):
            checks.whole(name, getattr(self, name), 1)
        for name in ("temperature_moves", "arena_games", "arena_temperature_moves"):
            checks.whole(name, getattr(self, name), 0)
        checks.number("c_puct", self.c_puct, 0.0, open_low=True)
        checks.number("dirichlet_alpha", self.dirichlet_alpha, 0.0, open_low=True)
        checks.number("dirichlet_epsilon", self.dirichlet_epsilon, 0.0, 1.0)
        checks.number("lr", self.lr, 0.0, open_low=True)
        checks.number("weight_decay", self.weight_decay, 0.0)
        checks.number("accept_score", self.accept_score, 0.0, 1.0)
        if self.accept_alpha is not None:
            checks.number("accept_alpha", self.accept_alpha, 0.0, 1.0, open_low=True)
        if not isinstance(self.augment, bool):
            raise SearchlabError(f"augment must be true or false, got {self.augment!r}")

    def selfplay_search(self) -> PUCTSettings:
        return PUCTSettings(
            simulations=self.simulations,
            c_puct=self.c_puct,
            dirichlet_alpha=self.dirichlet_alpha,
            dirichlet_epsilon=self.dirichlet_epsilon,
            leaves_per_step=self.leaves_per_step,
        )

    def arena_search(self) -> PUCTSettings:
        return PUCTSettings(
            simulations=self.arena_simulations, c_puct=self.c_puct, leaves_per_step=self.leaves_per_step
        )


def new_net(game: Any, settings: AlphaZeroSettings, seed: int) -> PolicyValueNet:
    """A freshly initialised network for `game`, its weights drawn from `seed` (the global torch RNG is restored)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_seed(seed))
        net = PolicyValueNet(
            game.observation_shape, game.num_actions, settings.channels, settings.layers, settings.hidden
        )
    return net.eval()


# ----- the loop -------------------------------------------------------------------------


def train(
    game: Any,
    settings: AlphaZeroSettings,
    out_dir: str | Path,
    seed: int = 0,
    resume: bool = False,
    progress: bool = True,
    device: str = "cpu",
) -> tuple[PolicyValueNet, list[dict[str, Any]]]:
    """AlphaZero-style training; writes a run folder and returns the current network and the records.

    The iterations are one search through `searchlab.core.run`: `ExpertIteration` on a `SelfPlayProblem`,
    one step per iteration and a checkpoint after every step. The folder holds `checkpoints/`,
    `metrics.jsonl` (the records as rows of the one metrics schema, see `alphazero_history.metrics_rows`)
    and `network.safetensors` (the current network, see `policy_value.load_net`), both rewritten after
    every iteration.

    Args:
        game: the rules; needs `observation`, `observation_shape`, `num_symmetries`,
            `transform_state` and `transform_action` besides the verbs of the search.
        settings: the `AlphaZeroSettings`.
        out_dir: the run folder.
        seed: every random choice derives from it (iteration i's self-play and arena use seeds spawned from
            (seed, i); the training's seeds come from the run's generator, which the checkpoints keep).
        resume: continue the run in `out_dir` (same game, settings and seed; `iterations` may grow,
            which extends a finished run); a run already at `iterations` is returned as is. Checkpoints
            written before the iterations ran through `core.run` (format searchlab-alphazero/1) are refused.
        progress: show the loop's progress bar over iterations.
        device: "cpu", "cuda" or "auto"; on the CPU torch uses one thread (fastest for nets this small).

    Returns:
        (network, records): one record per iteration with iteration, examples, replay_examples,
        policy_loss, value_loss, arena_wins, arena_draws, arena_losses, arena_score, accepted,
        forward_equivalents and examples_seen (what the iteration spent: see `alphazero_history.Spent`), seconds.

    Raises:
        SearchlabError: a run already in `out_dir` without `resume`, or a checkpoint of another run or format;
            DivergedError when the loss stops being finite (the last checkpoint stays).
    """
    if not isinstance(settings, AlphaZeroSettings):
        raise SearchlabError(f"settings must be an AlphaZeroSettings, got {type(settings).__name__}")
    check_seed(seed)
    torch_device = resolve_device(device)
    out_dir = Path(out_dir)
    checkpoint_dir = out_dir / CHECKPOINT_DIR
    identity = {"format": _FORMAT, "game": game.name, "settings": dataclasses.asdict(settings), "seed": int(seed)}
    if resume:
        check_resumable(checkpoint_dir, identity, settings.iterations)
    elif checkpoint.exists(checkpoint_dir):
        raise SearchlabError(f"{out_dir} already holds a run; pass resume=True to continue it or choose another folder")
    net = new_net(game, settings, spawn_seeds(seed, 1)[0]).to(torch_device)
    problem = SelfPlayProblem(game, settings, net, seed, identity)
    optimizer = ExpertIteration(
        train_steps=settings.train_steps,
        lr=settings.lr,
        weight_decay=settings.weight_decay,
        batch_size=settings.batch_size,
    )

    def write_files(optimizer: ExpertIteration, trace: Any) -> None:
        write_jsonl(out_dir / RECORDS_FILE, metrics_rows(problem.records))
        save_net(problem.network(optimizer.candidate_), out_dir / NETWORK_FILE)

    with cpu_threads(1 if torch_device.type == "cpu" else 0):
        result = run_search(
            problem,
            optimizer,
            Budget(steps=settings.iterations),
            seed,
            checkpoint_dir=checkpoint_dir,
            resume=resume,
            checkpoint_every=1,
            progress="alphazero" if progress else None,
            callback=write_files,
        )
    if problem.finished_here():
        interrupts.reached("iteration", len(problem.records))  # the last iteration, finished and checkpointed
    return problem.network(result.candidate), problem.records
