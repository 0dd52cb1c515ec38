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

Every iteration ends with a checkpoint (`searchlab.core.checkpoint`: the current
network, the replay window and the records, safetensors + JSON). All randomness of
iteration i comes from seeds derived from (seed, i), so a resumed run gives the same
numbers as an uninterrupted one.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from searchlab.core import Budget, DataLossProblem, checkpoint, checks, interrupts
from searchlab.core import run as run_search
from searchlab.core.device import cpu_threads, resolve_device
from searchlab.core.errors import SearchlabError
from searchlab.core.files import write_jsonl
from searchlab.core.seeding import check_seed, spawn_seeds
from searchlab.games.alphazero_history import Spent, metrics_rows, replay_tensors, resume_history
from searchlab.games.arena import BatchBot, play_games
from searchlab.games.mcts import PUCTSettings, puct_search_many, select_action
from searchlab.games.policy_value import PolicyValueNet, net_evaluator, policy_value_loss, save_net
from searchlab.optimizers.gradient import GradientDescent
from searchlab.spaces.module import ModuleSpace

_FORMAT = "searchlab-alphazero/1"
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


# ----- self-play ------------------------------------------------------------------


def self_play(
    game: Any, net: PolicyValueNet, settings: AlphaZeroSettings, seed: int, spent: Spent | None = None
) -> dict[str, torch.Tensor]:
    """Play `selfplay_games` games of the network against itself, searched in one batch.

    `spent`, when given, counts the network's evaluations (a forward-equivalent per position).

    Returns:
        Examples as CPU tensors: "observations" (N, C, H, W) float32, "policies" (N, A) float32
        (visit distributions), "legal" (N, A) bool, "values" (N,) float32 (the final return
        from the mover's view); N counts every symmetric image when `augment` is on.
    """
    evaluator = (spent or Spent()).counting(net_evaluator(net, game))
    search = settings.selfplay_search()
    games = settings.selfplay_games
    generators = [np.random.default_rng(s) for s in spawn_seeds(seed, games)]
    states = [game.initial_state()] * games
    histories: list[list[tuple[Any, np.ndarray, int]]] = [[] for _ in range(games)]
    active, ply = list(range(games)), 0
    while active:
        results = puct_search_many(
            game, [states[g] for g in active], evaluator, search, [generators[g] for g in active]
        )
        temperature = 1.0 if ply < settings.temperature_moves else 0.0
        for g, result in zip(active, results):
            histories[g].append((states[g], result.policy(), game.current_player(states[g])))
            states[g] = game.apply(states[g], select_action(result.visits, temperature, generators[g]))
        active = [g for g in active if not game.is_terminal(states[g])]
        ply += 1
    examples = []
    for g in range(games):
        final = float(game.returns(states[g]))  # player 0's view
        for state, policy, player in histories[g]:
            examples.append((state, policy, final if player == 0 else -final))
    return replay_tensors(game, examples, settings.augment)


# ----- training ---------------------------------------------------------------------


def train_candidate(
    net: PolicyValueNet,
    replay: list[dict[str, torch.Tensor]],
    settings: AlphaZeroSettings,
    seed: int,
    spent: Spent | None = None,
) -> tuple[PolicyValueNet, float, float]:
    """A trained copy of `net` (which is left alone) and its mean policy and value losses over the steps.

    The training is a search like every other: the network's parameters are a `ModuleSpace`, the replay
    window and the policy-plus-value loss a `DataLossProblem`, and Adam (`GradientDescent`) takes
    `train_steps` steps on minibatches through `searchlab.core.run`, which counts the forward-equivalents
    (added to `spent` when given, with the examples seen).

    Raises:
        DivergedError: the loss stopped being finite (lower `lr`).
    """
    device = next(net.parameters()).device
    data = {key: torch.cat([chunk[key] for chunk in replay]).to(device) for key in replay[0]}
    space = ModuleSpace(copy.deepcopy(net).train())
    problem = DataLossProblem(space, data, policy_value_loss, name="policy_value_loss")
    optimizer = GradientDescent(
        algorithm="adam", lr=settings.lr, weight_decay=settings.weight_decay, batch_size=settings.batch_size
    )
    sums = {"policy": 0.0, "value": 0.0}

    def add_parts(optimizer: GradientDescent, trace: Any) -> None:
        for key in sums:
            sums[key] += problem.last_parts[key]

    result = run_search(problem, optimizer, Budget(steps=settings.train_steps), seed, callback=add_parts)
    if spent is not None:
        spent.forward_equivalents += result.forward_equivalents
        spent.examples_seen += result.examples_seen
    candidate = space.module(result.candidate).eval()
    return candidate, sums["policy"] / settings.train_steps, sums["value"] / settings.train_steps


# ----- arena --------------------------------------------------------------------------


def arena(
    game: Any,
    candidate: PolicyValueNet,
    current: PolicyValueNet,
    settings: AlphaZeroSettings,
    seed: int,
    spent: Spent | None = None,
) -> tuple[int, int, int]:
    """Candidate against current over `arena_games` games (the candidate starts the even-numbered ones).

    Both sides search with PUCT (`arena_simulations`, no noise), all the games where a side is to
    move in one batch (`games.arena.play_games`); each game's first `arena_temperature_moves` plies
    are sampled from the visit counts, the rest are the most visited move. `spent`, when given, counts
    both networks' evaluations (a forward-equivalent per position).

    Returns:
        The candidate's (wins, draws, losses).
    """
    count = settings.arena_games
    search = settings.arena_search()
    counter = spent or Spent()

    def searcher(net: PolicyValueNet) -> BatchBot:
        evaluator = counter.counting(net_evaluator(net, game))

        def move(states: list[Any], rngs: list[np.random.Generator], plies: list[int]) -> list[int]:
            results = puct_search_many(game, states, evaluator, search, rngs)
            return [
                select_action(r.visits, 1.0 if ply < settings.arena_temperature_moves else 0.0, rng)
                for r, ply, rng in zip(results, plies, rngs)
            ]

        return move

    generators = [np.random.default_rng(s) for s in spawn_seeds(seed, max(count, 1))][:count]
    # The candidate starts the even-numbered games; both sides of a game draw from its one generator.
    outcomes = play_games(
        game, (searcher(candidate), searcher(current)), [g % 2 for g in range(count)], (generators,) * 2
    )
    return sum(o > 0 for o in outcomes), sum(o == 0 for o in outcomes), sum(o < 0 for o in outcomes)


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

    The folder holds `checkpoints/` (after every iteration), `metrics.jsonl` (the records as rows of the
    one metrics schema, see `alphazero_history.metrics_rows`) and `network.safetensors` (the current
    network, see `policy_value.load_net`).

    Args:
        game: the rules; needs `observation`, `observation_shape`, `num_symmetries`,
            `transform_state` and `transform_action` besides the verbs of the search.
        settings: the `AlphaZeroSettings`.
        out_dir: the run folder.
        seed: every random choice derives from it (iteration i uses seeds spawned from (seed, i)).
        resume: continue the run in `out_dir` (same game, settings and seed; `iterations` may grow,
            which extends a finished run); a run already at `iterations` is returned as is.
        progress: show a tqdm bar over iterations.
        device: "cpu", "cuda" or "auto"; on the CPU torch uses one thread (fastest for nets this small).

    Returns:
        (network, records): one record per iteration with iteration, examples, replay_examples,
        policy_loss, value_loss, arena_wins, arena_draws, arena_losses, arena_score, accepted,
        forward_equivalents and examples_seen (what the iteration spent: see `alphazero_history.Spent`), seconds.

    Raises:
        SearchlabError: a run already in `out_dir` without `resume`, or a checkpoint of another run;
            DivergedError when the loss stops being finite (the last checkpoint stays).
    """
    if not isinstance(settings, AlphaZeroSettings):
        raise SearchlabError(f"settings must be an AlphaZeroSettings, got {type(settings).__name__}")
    check_seed(seed)
    torch_device = resolve_device(device)
    out_dir = Path(out_dir)
    checkpoint_dir = out_dir / CHECKPOINT_DIR
    identity = {"format": _FORMAT, "game": game.name, "settings": dataclasses.asdict(settings), "seed": int(seed)}
    net = new_net(game, settings, spawn_seeds(seed, 1)[0]).to(torch_device)
    records: list[dict[str, Any]] = []
    replay: list[dict[str, torch.Tensor]] = []
    if resume:
        records, replay = resume_history(game, settings.iterations, out_dir / CHECKPOINT_DIR, identity, net)
    elif checkpoint.exists(checkpoint_dir):
        raise SearchlabError(f"{out_dir} already holds a run; pass resume=True to continue it or choose another folder")

    with cpu_threads(1 if torch_device.type == "cpu" else 0):
        bar = tqdm(total=settings.iterations, initial=len(records), desc="alphazero", disable=not progress)
        for iteration in range(len(records), settings.iterations):
            # Seeds of iteration i depend on (seed, i) only, so resuming replays them exactly.
            seeds = spawn_seeds(spawn_seeds(seed, iteration + 2)[iteration + 1], 3)
            net, replay, record = _iteration(game, settings, net, replay, iteration, seeds)
            records.append(record)
            score, policy_loss, value_loss = record["arena_score"], record["policy_loss"], record["value_loss"]
            checkpoint.save(
                checkpoint_dir,
                {**identity, "net": net.state_dict(), "records": records, "replay": replay},
                tag=str(iteration),
            )
            write_jsonl(out_dir / RECORDS_FILE, metrics_rows(records))
            save_net(net, out_dir / NETWORK_FILE)
            bar.update(1)
            bar.set_postfix(score=f"{score:.2f}", loss=f"{policy_loss + value_loss:.3f}")
            interrupts.reached("iteration", iteration + 1)
        bar.close()
    return net.eval(), records


def _iteration(
    game: Any,
    settings: AlphaZeroSettings,
    net: PolicyValueNet,
    replay: list[dict[str, torch.Tensor]],
    iteration: int,
    seeds: list[int],
) -> tuple[PolicyValueNet, list[dict[str, torch.Tensor]], dict[str, Any]]:
    """Self-play, train a candidate on the replay window, pit it against `net`; the net kept, replay and record."""
    start = time.perf_counter()
    selfplay_seed, train_seed, arena_seed = seeds
    spent = Spent()
    replay = (replay + [self_play(game, net, settings, selfplay_seed, spent)])[-settings.replay_iterations :]
    candidate, policy_loss, value_loss = train_candidate(net, replay, settings, train_seed, spent)
    if settings.arena_games:
        wins, draws, losses = arena(game, candidate, net, settings, arena_seed, spent)
        score = (wins + 0.5 * draws) / settings.arena_games
    else:
        wins = draws = losses = 0
        score = 1.0
    accepted = score >= settings.accept_score
    record = {
        "iteration": iteration,
        "examples": int(replay[-1]["values"].shape[0]),
        "replay_examples": int(sum(chunk["values"].shape[0] for chunk in replay)),
        "policy_loss": policy_loss,
        "value_loss": value_loss,
        "arena_wins": int(wins),
        "arena_draws": int(draws),
        "arena_losses": int(losses),
        "arena_score": score,
        "accepted": bool(accepted),
        "forward_equivalents": spent.forward_equivalents,
        "examples_seen": spent.examples_seen,
        "seconds": round(time.perf_counter() - start, 3),
    }
    return (candidate if accepted else net), replay, record
