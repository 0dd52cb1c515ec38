"""A learned network combined with hard-coded tree search, each half measured against an exact solver.

Essay ("Example datasets and performance metrics"): "we would also probably combine deep
learning models with 'hard-coded' algorithms to some extent. For example, the AlphaGo
system involves a deep learning model coming up with initial best-guess moves and then
improving on those moves with a hard-coded search algorithm."

Here that system is built small and taken apart. An AlphaZero-style network is trained
by self-play (`games.alphazero`), then four movers choose moves:

* random: any legal move (the floor);
* network: the network's top move, no search (simulations 0);
* uct: Monte-Carlo tree search with random playouts and no network (search alone);
* puct: the same kind of tree search guided by the network's priors and values (AlphaGo's recipe),

the two searches at 1, 4, 16 ... simulations. Each is scored twice against perfect play
(the minimax solver for Tic-Tac-Toe, `connect4_solver` for Connect Four on 4x5): the
share of a fixed, seeded set of positions where its move is optimal, and the share of
games it loses against the perfect player (`hybrid_movers`). This module computes; `hybrid_report` draws.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from searchlab.core import checkpoint, checks, jsonfile, stages
from searchlab.core.device import DEVICES, cpu_threads, resolve_device
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import spawn_seeds
from searchlab.experiments.base import Experiment, RunContext, require, series_name, series_row, settle_variant_settings
from searchlab.experiments.hybrid_compare import (
    matched_time_claim,
    network_claim,
    perfect_mover,
    player_names,
    tournament,
)
from searchlab.experiments.hybrid_movers import (
    PerfectPlayer,
    losses_vs_perfect,
    make_mover,
    optimal_choices,
    sample_positions,
)

SECTION = "Example datasets and performance metrics"
GAME_NAMES = ("tictactoe", "connect4-small")
METHODS = ("random", "network", "uct", "puct")  # the movers, in the order the report shows them
SEARCHES = ("uct", "puct")  # the movers that take a number of simulations
# Full-size training that differs by game: Connect Four's network needs more search per move
# and more training to stop losing to the perfect player (at tictactoe's settings it lost half its games).
BY_GAME = {
    "iterations": {"tictactoe": 60, "connect4-small": 80},
    "selfplay_simulations": {"tictactoe": 50, "connect4-small": 100},
    "train_steps": {"tictactoe": 200, "connect4-small": 300},
}
NETWORK_FILE = "network.safetensors"  # the trained network, at the top of the run folder (`searchlab play` reads it)


@dataclass(frozen=True)
class Config:
    """Settings of the hybrid experiment; the defaults are the full size (about 2 minutes for tictactoe,
    10 for connect4-small).

    Attributes:
        seed: seeds the training, the positions, every search and every game.
        device: "cpu", "cuda" or "auto" for the network (the searches run on the CPU).
        game: "tictactoe" or "connect4-small" (Connect Four on 4 rows x 5 columns, solved exactly).
        iterations: AlphaZero self-play / train / arena rounds (default 60 for tictactoe, 80 for connect4-small).
        selfplay_games: self-play games per iteration.
        selfplay_simulations: PUCT simulations per self-play move, the arena uses half (default 50 / 100).
        train_steps: Adam steps per iteration (default 200 / 300).
        arena_games: candidate-vs-current games per iteration (0 accepts every candidate).
        arena_alpha: a candidate replaces the current network only if it scores 55% and wins significantly
            more arena games than it loses (one-sided sign test on the decisive games at this level); 0 drops
            the test and keeps the 55% rule alone.
        positions: distinct positions the movers are scored on (reached by random play, not
            over, and with at least one move that is not optimal).
        simulations: the search budgets to compare, increasing.
        games_vs_perfect: games of each mover against the perfect player, sides alternating.
        c_puct: PUCT's exploration weight, in training and in the comparison.
        elo_games: games each pair of rated players plays (half as many seeded openings, each with both
            sides; 0 skips the ratings); see `hybrid_compare`.
        elo_simulations: the search budgets rated on the Elo scale.
    """

    seed: int = 0
    device: str = "cpu"
    game: str = "tictactoe"
    iterations: int | None = None
    selfplay_games: int = 32
    selfplay_simulations: int | None = None
    train_steps: int | None = None
    arena_games: int = 20
    arena_alpha: float = 0.05
    positions: int = 300
    simulations: tuple[int, ...] = (1, 4, 16, 64, 256, 1024)
    games_vs_perfect: int = 40
    c_puct: float = 1.5
    elo_games: int = 20
    elo_simulations: tuple[int, ...] = (16, 256)

    def __post_init__(self) -> None:
        require(self.game in GAME_NAMES, f"unknown --game {self.game!r}; choose one of {', '.join(GAME_NAMES)}")
        settle_variant_settings(self, self.game, BY_GAME)  # None: this game's full size
        require(self.device in DEVICES, f"unknown --device {self.device!r}; choose one of {', '.join(DEVICES)}")
        require(self.seed >= 0, f"--seed must be 0 or more, got {self.seed}")
        for name in (
            "iterations",
            "selfplay_games",
            "selfplay_simulations",
            "train_steps",
            "positions",
            "games_vs_perfect",
        ):
            require(getattr(self, name) >= 1, f"--{name} must be at least 1, got {getattr(self, name)}")
        require(self.arena_games >= 0, f"--arena_games must be 0 or more, got {self.arena_games}")
        require(0.0 <= self.arena_alpha < 1.0, f"--arena_alpha must be in [0, 1), got {self.arena_alpha}")
        require(
            len(self.simulations) > 0
            and all(n >= 1 for n in self.simulations)
            and list(self.simulations) == sorted(set(self.simulations)),
            f"--simulations must be increasing whole numbers from 1 up, e.g. 1,4,16,64, got {self.simulations}",
        )
        require(self.c_puct > 0, f"--c_puct must be a positive number, got {self.c_puct}")
        require(self.elo_games >= 0, f"--elo_games must be 0 or more, got {self.elo_games}")
        require(
            len(self.elo_simulations) > 0 and all(n >= 1 for n in self.elo_simulations),
            f"--elo_simulations must be whole numbers from 1 up, e.g. 16,256, got {self.elo_simulations}",
        )


@dataclass(frozen=True)
class Prepared:
    """What `prepare` makes: the game and its perfect player."""

    game: Any
    perfect: PerfectPlayer


def prepare(config: Config) -> Prepared:
    """Check the device and make the game and its solver (under a second); writes nothing."""
    from searchlab.games import GAMES

    resolve_device(config.device)
    game = GAMES[config.game]()
    return Prepared(game=game, perfect=PerfectPlayer(game))


def run(config: Config, data: Prepared, context: RunContext) -> dict[str, Any]:
    """Train the network, then score every mover at every simulation count against the solver."""
    from searchlab.games.policy_value import save_net

    game, perfect = data.game, data.perfect
    train_seed, positions_seed, moves_seed, games_seed, elo_seed = spawn_seeds(config.seed, 5)
    net, records = _train(config, game, train_seed, context)
    save_net(net, context.out / NETWORK_FILE)
    positions = sample_positions(game, perfect, config.positions, positions_seed)
    optimal = [perfect.optimal_actions(s) for s in positions]
    cells = [("random", 0), ("network", 0)] + [(m, n) for m in SEARCHES for n in config.simulations]
    ablation = []
    bar = None
    if context.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(cells), desc=f"hybrid/{game.name} ablation", unit="mover")
    with cpu_threads(1 if resolve_device(config.device).type == "cpu" else 0):
        for method, simulations in cells:
            cell = (game.name, method, simulations)
            row = context.stage(
                context.checkpoint_dir("ablation") / f"{method}-{simulations}.json",
                lambda method=method, simulations=simulations: _ablation_row(
                    config, game, perfect, net, (method, simulations), (positions, optimal), (moves_seed, games_seed)
                ),
                _ROW_FIELDS,
                lambda row, done, cell=cell: _check_row(row, done, cell, len(positions)),
            )
            ablation.append(row)
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    training = [
        {
            "iteration": r["iteration"],
            "wins": r["arena_wins"],
            "draws": r["arena_draws"],
            "losses": r["arena_losses"],
            "score": round(r["arena_score"], 4),
            "accepted": r["accepted"],
            "policy_loss": round(r["policy_loss"], 5),
            "value_loss": round(r["value_loss"], 5),
            "examples": r["examples"],
            "seconds": r["seconds"],
        }
        for r in records
    ]
    context.write_metrics(_metrics(records, ablation))
    numbers = {
        "game": game.name,
        "positions": len(positions),
        "losses_vs_perfect_means": "share of games lost against the perfect player (sides alternate; perfect play "
        "never loses)",
        "ablation": [{k: v for k, v in row.items() if k != "optimal_by_position"} for row in ablation],
        "training": training,
        "elo": _elo(config, data, net, elo_seed, context),
        "claims": network_claim(ablation, len(positions), SECTION)
        + matched_time_claim(ablation, len(positions), SECTION),
        "network": {"path": NETWORK_FILE, "game": game.name, "observation_shape": list(game.observation_shape)},
    }
    return numbers


def _elo(config: Config, data: Prepared, net: Any, seed: int, context: RunContext) -> dict[str, Any] | None:
    """Every mover and the perfect player on one Elo scale (`hybrid_compare.tournament`), kept as a stage."""
    if config.elo_games == 0:
        return None
    movers = {
        name: perfect_mover(data.perfect)
        if name == "perfect"
        else make_mover(
            name.split("-")[0], data.game, net, int(name.split("-")[1]) if "-" in name else 0, config.c_puct
        )
        for name in player_names(config.elo_simulations)
    }
    with cpu_threads(1 if resolve_device(config.device).type == "cpu" else 0):
        return context.stage(
            context.checkpoint_dir("elo") / stages.RECORD,
            lambda: tournament(data.game, movers, config.elo_games, seed),
            {"players": list, "games_per_pair": int, "wins": list, "draws": list, "ratings": list},
        )


# ----- training -----------------------------------------------------------------------


def _metrics(records: list[dict[str, Any]], ablation: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """metrics.jsonl: a row per training iteration (the series "stage=training"), then one per ablation cell.

    Training rows are AlphaZero's own (`alphazero_history.metrics_rows`: compute and examples counted up
    from the start). An ablation cell measures a finished mover rather than spending on a search, so its
    `forward_equivalents` is null; its simulations per move and its scores are values.
    """
    from searchlab.games.alphazero_history import metrics_rows

    training = metrics_rows(records, series_name({"stage": "training"}), stage="training")
    cells = [
        series_row(
            {"stage": "ablation", "method": row["method"], "simulations": row["simulations"]},
            step=None,
            forward_equivalents=None,
            seconds=row["seconds"],
            **{key: value for key, value in row.items() if key not in ("method", "simulations", "seconds")},
        )
        for row in ablation
    ]
    return training + cells


def alphazero_settings(config: Config):
    """The `AlphaZeroSettings` a config asks for (the arena searches half as much as self-play)."""
    from searchlab.games.alphazero import AlphaZeroSettings

    return AlphaZeroSettings(
        iterations=config.iterations,
        selfplay_games=config.selfplay_games,
        simulations=config.selfplay_simulations,
        c_puct=config.c_puct,
        train_steps=config.train_steps,
        arena_games=config.arena_games,
        arena_simulations=max(1, config.selfplay_simulations // 2),
        accept_alpha=config.arena_alpha or None,
    )


# An ablation row as `run` keeps it, read back by a resumed run: key -> kinds of its value.
_ROW_FIELDS = {
    "game": str,
    "method": str,
    "simulations": int,
    "optimal_fraction": jsonfile.NUMBER,
    "losses_vs_perfect": jsonfile.NUMBER,
    "games": int,
    "seconds": jsonfile.NUMBER,
}


def _ablation_row(config: Config, game: Any, perfect: Any, net: Any, cell: tuple, positions: tuple, seeds: tuple):
    """One mover's row of the ablation: its optimal-move share on every position and its losses to perfect play."""
    (method, simulations), (states, optimal), (moves_seed, games_seed) = cell, positions, seeds
    start = time.perf_counter()
    mover = make_mover(method, game, net, simulations, config.c_puct)
    if method == "random":  # the exact expectation per position, not a sample of it
        choices = [len(o) / len(game.legal_actions(s)) for s, o in zip(states, optimal)]
    else:
        choices = [float(c) for c in optimal_choices(mover, states, optimal, moves_seed)]
    per_position = (time.perf_counter() - start) / len(states)
    losses = losses_vs_perfect(game, perfect, mover, config.games_vs_perfect, games_seed)
    return {
        "game": game.name,
        "method": method,
        "simulations": simulations,
        "optimal_fraction": round(float(np.mean(choices)), 5),
        "optimal_by_position": [round(c, 5) for c in choices],  # pairs up across movers
        "seconds_per_position": round(per_position, 6),  # the time to choose, for comparisons at matched compute
        "losses_vs_perfect": round(losses, 5),
        "games": config.games_vs_perfect,
        "seconds": round(time.perf_counter() - start, 3),
    }


def _check_row(row: dict[str, Any], done: Path, cell: tuple[str, str, int], positions: int) -> None:
    """Refuse a kept ablation row of another cell (game, method, simulations) or without `positions` scores.

    Raises:
        SearchlabError: naming `done`: the row of another cell, or its per-position choices are not
            `positions` numbers.
    """
    game, method, simulations = cell
    if (row["game"], row["method"], row["simulations"]) != cell:
        raise SearchlabError(
            f"{done} holds the row of {row['method']} at {row['simulations']} simulations on {row['game']!r}, "
            f"not of {method} at {simulations} on {game!r}; delete {done} to run that cell again"
        )
    choices = row.get("optimal_by_position")
    if choices is not None and not (
        isinstance(choices, list) and len(choices) == positions and all(checks.is_number(c) for c in choices)
    ):
        raise SearchlabError(
            f"{done} holds no list of {positions} per-position scores; delete {done} to run that cell again"
        )


def _train(config: Config, game: Any, seed: int, context: RunContext):
    """AlphaZero training into checkpoints/alphazero; a resumed run continues (or reuses) it exactly."""
    from searchlab.games.alphazero import CHECKPOINT_DIR, train

    folder = context.checkpoint_dir("alphazero")
    resume = context.resume and checkpoint.exists(
        folder / CHECKPOINT_DIR
    )  # stopped before the first iteration: start over
    return train(
        game,
        alphazero_settings(config),
        folder,
        seed=seed,
        resume=resume,
        progress=context.progress,
        device=config.device,
    )


EXPERIMENT = Experiment(
    name="hybrid",
    title="A network and a hard-coded search: what each half contributes",
    essay_section=SECTION,
    config=Config,
    prepare=prepare,
    run=run,
    tour={"iterations": 24, "simulations": (1, 4, 16, 64, 256), "elo_games": 12},  # about a minute on tictactoe
    quick={
        "iterations": 3,
        "selfplay_games": 16,
        "selfplay_simulations": 50,
        "train_steps": 100,
        "arena_games": 6,
        "positions": 80,
        "simulations": (1, 8, 64),
        "games_vs_perfect": 10,
        "elo_games": 4,
        "elo_simulations": (8,),
    },
)
