"""Tic-Tac-Toe: the space of all strategies, searched exhaustively, locally and by a network.

Essay: "Basics of machine learning: search over programs". Instead of writing a Tic-Tac-Toe program, list
the strategies (the search space), play them against each other (data made by
play, scored +1 / 0 / -1) and search. This experiment measures each step:

* the exact size of the space: positions, games, and strategies for X and for O
  counted as lookup tables and as game trees, and how many of those never lose;
* exhaustive search done for real: the whole round robin from mid-game positions
  with k empty squares, as far as a time budget allows, and what the whole game
  would cost at the measured rate;
* local search by self-play (change a handful of moves, keep the change if it beats
  the current strategy), the same local search scored against the perfect player,
  and random search, all measured against perfect play along the way;
* a network that imitates the solver (moves as masked probabilities, or the next
  board drawn as a vector), scored on every position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from searchlab.core import jsonfile, stages
from searchlab.core.device import resolve_device
from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import positive
from searchlab.core.seeding import spawn_seeds
from searchlab.experiments.base import Experiment, RunContext, require, series_row
from searchlab.experiments.tictactoe_claims import claims
from searchlab.experiments.tictactoe_search import local_searches
from searchlab.games import TicTacToe
from searchlab.games.saved_strategies import NET_FOLDER, STRATEGIES
from searchlab.games.selfplay import DEFAULT_VARIANTS, VARIANTS
from searchlab.games.strategies import game_facts, log10, strategy_space

SECTION = "Basics of machine learning: search over programs"
SEED_SLOTS = ("round_robin", "local_search", "network")


@dataclass(frozen=True)
class Config:
    """Settings of the Tic-Tac-Toe experiment; the defaults are the full size (about 10 minutes on 2 cores).

    Attributes:
        seed: seeds the mid-game line, every search and every network.
        device: "cpu", "cuda" or "auto" (only the networks use it).
        round_robin_seconds: time budget of the exhaustive round robins; k grows while the
            next k's predicted time fits.
        variants: the strategy searches to run: self_play, vs_perfect, random_search (the default), and
            league (self-play against the last 8 champions at once; see `games.selfplay`).
        evaluations: candidate strategies each search may score.
        changes: moves changed per local-search step (the essay's "handful").
        seeds: independent runs of each search.
        net_hidden: hidden widths of the networks.
        net_steps: Adam steps of each network.
        net_lr: Adam's learning rate.
        net_holdout: fraction of symmetry classes kept out of training in the held-out runs
            (0 skips those runs).
    """

    seed: int = 0
    device: str = "cpu"
    round_robin_seconds: float = 90.0
    variants: tuple[str, ...] = DEFAULT_VARIANTS
    evaluations: int = 300_000
    changes: int = 3
    seeds: int = 5
    net_hidden: tuple[int, ...] = (64, 64)
    net_steps: int = 3000
    net_lr: float = 0.01
    net_holdout: float = 0.2

    def __post_init__(self) -> None:
        require(
            positive(self.round_robin_seconds),
            f"--round_robin_seconds must be a positive number, got {self.round_robin_seconds}",
        )
        require(len(self.variants) > 0, f"--variants lists none; choose from {', '.join(VARIANTS)}")
        for name in self.variants:
            require(name in VARIANTS, f"unknown search {name!r} in --variants; choose from {', '.join(VARIANTS)}")
        require(
            len(set(self.variants)) == len(self.variants),
            f"--variants lists a search twice: {', '.join(self.variants)}",
        )
        require(self.evaluations >= 1, f"--evaluations must be at least 1, got {self.evaluations}")
        require(1 <= self.changes <= 100, f"--changes must be between 1 and 100 moves, got {self.changes}")
        require(self.seeds >= 1, f"--seeds must be at least 1, got {self.seeds}")
        require(
            len(self.net_hidden) >= 1 and all(w >= 1 for w in self.net_hidden),
            f"--net_hidden needs widths of at least 1, got {self.net_hidden}",
        )
        require(self.net_steps >= 1, f"--net_steps must be at least 1, got {self.net_steps}")
        require(positive(self.net_lr), f"--net_lr must be a positive number, got {self.net_lr}")
        require(0.0 <= self.net_holdout < 1.0, f"--net_holdout must be in [0, 1), got {self.net_holdout}")


def prepare(config: Config):
    """Check the device and build the numbered positions with their solution (about a second); writes nothing."""
    from searchlab.games.tables import PositionIndex

    resolve_device(config.device)
    return PositionIndex(TicTacToe())


def run(config: Config, index, context: RunContext) -> dict[str, Any]:
    """Count the space, search it three ways and train the networks; `tictactoe_report` draws and words it."""
    seeds = dict(zip(SEED_SLOTS, spawn_seeds(config.seed, len(SEED_SLOTS))))
    numbers: dict[str, Any] = space_facts(index.game)
    numbers["exhaustive"] = _exhaustive(config, index.game, seeds["round_robin"], context)
    numbers["local_search"] = local_searches(
        index, config.variants, config.seeds, config.evaluations, config.changes, seeds["local_search"], context
    )
    numbers["neural"] = _networks(config, index, seeds["network"], context)
    numbers["decision_positions"] = index.decisions
    numbers["claims"] = claims(numbers)
    context.write_metrics(
        [
            _metrics_row(variant, number, point)
            for variant, data in numbers["local_search"].items()
            if variant in VARIANTS
            for number, (losses, fractions, spent) in enumerate(
                zip(
                    data["per_run_losses_vs_perfect"],
                    data["per_run_optimal_fraction"],
                    data["per_run_forward_equivalents"],
                )
            )
            for point in zip(data["evaluations"], losses, fractions, spent)
        ]
    )
    return numbers


def space_facts(game: TicTacToe) -> dict[str, Any]:
    """The exact counts, as the result keys the issue names (strategy counts as log10)."""
    facts = game_facts(game)
    strategies = {}
    for player, mark in ((0, "X"), (1, "O")):
        counts = strategy_space(game, player)
        strategies[mark] = {
            "table_log10": round(counts.log10_lookup_table, 4),
            "tree_log10": round(counts.log10_game_tree, 4),
            "never_lose_log10": round(counts.log10_never_losing, 4),
            "never_lose_fraction_log10": round(counts.log10_never_losing - counts.log10_game_tree, 4),
        }
    return {
        "positions": facts.positions,
        "positions_up_to_symmetry": facts.positions_up_to_symmetry,
        "terminal_positions": facts.terminal_positions,
        "games": facts.complete_games,
        "value": facts.value,
        "strategies": strategies,
    }


# ----- exhaustive search --------------------------------------------------------


def _metrics_row(variant: str, number: int, point: tuple[int, float, float, int]) -> dict[str, Any]:
    """One measured point of a local search as a metrics.jsonl row of the series "search=VARIANT run=N".

    forward_equivalents is what the search had spent by the point: one per move a scored candidate chose
    (`games.table_problems`), counted at the end of the step the point fell in. `evaluations` (candidate
    strategies scored) is a value. The search minimises no one loss: the losses per 1,000 games against
    the perfect player and the share of optimal moves, the observer's two measures, are values.
    """
    evaluations, losses, fraction, spent = point
    return series_row(
        {"search": variant, "run": number},
        step=None,
        forward_equivalents=spent,
        evaluations=evaluations,
        losses_vs_perfect=losses,
        optimal_fraction=fraction,
    )


def _exhaustive(config: Config, game: TicTacToe, seed: int, context: RunContext) -> dict[str, Any]:
    """Round robins along one perfect game until the budget; kept whole so a resumed run skips them."""
    return context.stage(
        context.checkpoint_dir("exhaustive") / stages.RECORD,
        lambda: _measure_exhaustive(config, game, seed, context),
        _EXHAUSTIVE_FIELDS,
        _check_exhaustive,
    )


def _measure_exhaustive(config: Config, game: TicTacToe, seed: int, context: RunContext) -> dict[str, Any]:
    from searchlab.games.roundrobin import perfect_line, sweep, whole_game_estimate
    from searchlab.games.strategies import count_tree_strategies

    result = sweep(game, seconds_budget=config.round_robin_seconds, seed=seed, progress=context.progress)
    rows = [
        {
            "empty_squares": r.empty_squares,
            "position": game.render(r.position).replace("\n", " "),
            "strategies_x": r.strategies_x,
            "strategies_o": r.strategies_o,
            "games": r.games,
            "seconds": round(r.seconds, 4),
            "games_per_second": round(r.games_per_second, 1),
            "value": r.value,
            "x_guarantee": r.x_guarantee,
            "o_guarantee": r.o_guarantee,
            "optimal": r.optimal,
            "first_move": r.first_move,
            # The essay's rule (best mean score over all opponents) beside the maximin pick above.
            "mean_rule_x_score": round(r.mean_x_score, 6),
            "mean_rule_x_worst": r.mean_x_worst,
            "mean_rule_o_worst": r.mean_o_worst,
            "mean_rule_optimal": r.mean_optimal,
        }
        for r in result.results
    ]
    # The exact game count of every k on the same line, played or not, for the explosion figure.
    line = perfect_line(game, seed)
    sizes = []
    for k in range(1, len(line)):
        root = line[len(line) - 1 - k]
        games = count_tree_strategies(game, 0, root) * count_tree_strategies(game, 1, root)
        sizes.append({"empty_squares": k, "games_log10": round(log10(games), 4)})
    rate = result.games_per_second or 1.0
    whole = whole_game_estimate(game, rate)
    outcome = {
        "rows": rows,
        "all_optimal": all(row["optimal"] for row in rows),
        "mean_rule_all_optimal": all(row["mean_rule_optimal"] for row in rows),
        "largest_k": rows[-1]["empty_squares"] if rows else 0,
        "budget_seconds": config.round_robin_seconds,
        "games_per_second": round(rate, 1),
        "next": None
        if result.next_empty_squares is None
        else {
            "empty_squares": result.next_empty_squares,
            "games_log10": round(log10(result.next_games), 4),
            "predicted_seconds_log10": round(math.log10(result.next_seconds), 4),
        },
        "game_sizes": sizes,
        "whole_game": {
            "games_log10": round(whole.log10_games, 4),
            "seconds_log10": round(whole.log10_seconds, 4),
            "ages_of_universe_log10": round(whole.log10_ages_of_universe, 4),
        },
    }
    return outcome


# ----- stage records read back on resume ------------------------------------------
# What a finished stage keeps in its outcome.json: key -> kinds of its value (see `searchlab.core.jsonfile`).
# A resumed run reads them back instead of running the stage, so they are checked to be what the report reads.

_NUMBER, _NONE = jsonfile.NUMBER, type(None)
_EXHAUSTIVE_FIELDS = {
    "rows": list,
    "all_optimal": bool,
    "mean_rule_all_optimal": bool,
    "largest_k": int,
    "budget_seconds": _NUMBER,
    "games_per_second": _NUMBER,
    "next": (dict, _NONE),
    "game_sizes": list,
    "whole_game": dict,
}
_ROUND_ROBIN_FIELDS = {
    "empty_squares": int,
    "position": str,
    "strategies_x": int,
    "strategies_o": int,
    "games": int,
    "seconds": _NUMBER,
    "value": _NUMBER,
    "x_guarantee": int,
    "o_guarantee": int,
    "optimal": bool,
    "mean_rule_x_worst": int,
    "mean_rule_o_worst": int,
    "mean_rule_optimal": bool,
}
_NEXT_FIELDS = {"empty_squares": int, "games_log10": _NUMBER, "predicted_seconds_log10": _NUMBER}
_SIZE_FIELDS = {"empty_squares": int, "games_log10": _NUMBER}
_WHOLE_GAME_FIELDS = {"games_log10": _NUMBER, "seconds_log10": _NUMBER, "ages_of_universe_log10": _NUMBER}


def _check_exhaustive(saved: dict[str, Any], done: Path) -> None:
    """The round robins' record, with every part the report reads checked (a SearchlabError naming `done` if not)."""
    fix = f"delete {done} to run that stage again"
    for key, fields in (("rows", _ROUND_ROBIN_FIELDS), ("game_sizes", _SIZE_FIELDS)):
        for number, item in enumerate(saved[key]):
            jsonfile.check_object(item, fields, where=f"{done} {key!r} item {number}", fix=fix)
    if saved["next"] is not None:
        jsonfile.check_object(saved["next"], _NEXT_FIELDS, where=f"{done} 'next'", fix=fix)
    jsonfile.check_object(saved["whole_game"], _WHOLE_GAME_FIELDS, where=f"{done} 'whole_game'", fix=fix)


# ----- the networks --------------------------------------------------------------


def _networks(config: Config, index, seed: int, context: RunContext) -> dict[str, Any]:
    """Both outputs trained on every position (saved for `play`), and again with symmetry classes held out."""
    from searchlab.games.neural import METRICS_FILE, OUTPUTS

    out: dict[str, Any] = {}
    runs = [(output, 0.0) for output in OUTPUTS]
    if config.net_holdout > 0:
        runs += [(output, config.net_holdout) for output in OUTPUTS]
    for output, holdout in runs:
        name = output if holdout == 0 else f"{output}_heldout"
        folder = context.checkpoint_dir(f"net/{name}")
        strategy = _trained_strategy(config, index, seed, context, output, holdout)
        if not strategy.metrics:  # the report reads them: a trained network always has them
            raise SearchlabError(
                f"{folder / METRICS_FILE} is missing or empty, so the trained network's scores are lost; "
                f"delete {folder / 'done.json'} to train it again"
            )
        metrics = dict(strategy.metrics)
        metrics["losses_vs_perfect_two_move_openings"] = round(
            float(index.losses_vs(strategy.table, plies=2)[0]) * 1000, 4
        )
        out[name] = metrics
        if name == "moves":
            strategy.save(context.out / STRATEGIES / NET_FOLDER)
            out["saved"] = {"path": f"{STRATEGIES}/{NET_FOLDER}", "output": output}
    return out


def _trained_strategy(config: Config, index, seed: int, context: RunContext, output: str, holdout: float):
    """The network of one output (and held-out share), trained or, on resume, read back once it finished."""
    from searchlab.games.neural import NeuralStrategy, train_strategy

    name = output if holdout == 0 else f"{output}_heldout"
    folder = context.checkpoint_dir(f"net/{name}")
    trained = []

    def train() -> dict[str, bool]:
        trained.append(
            train_strategy(
                index,
                output=output,
                hidden=config.net_hidden,
                steps=config.net_steps,
                lr=config.net_lr,
                holdout_fraction=holdout,
                seed=seed,
                device=config.device,
                checkpoint_dir=folder / "training",
                resume=context.resume,
                progress=context.bar_label(f"tictactoe/network ({name})"),
            )
        )
        trained[0].save(folder)
        return {"done": True}

    context.stage(folder / "done.json", train, {"done": bool})
    return trained[0] if trained else NeuralStrategy.load(folder, index)


EXPERIMENT = Experiment(
    name="tictactoe",
    title="Tic-Tac-Toe: searching the space of strategies",
    essay_section=SECTION,
    config=Config,
    prepare=prepare,
    run=run,
    tour={"evaluations": 60_000, "seeds": 3},  # the round robin keeps its full budget: k = 5 is the showpiece
    quick={"round_robin_seconds": 3.0, "evaluations": 5_000, "seeds": 2, "net_steps": 600, "net_holdout": 0.0},
)
