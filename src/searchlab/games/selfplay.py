"""Local search over lookup-table strategies, scored by self-play or against perfect play.

The essay's local search (its "optimization algorithm" ingredient), in short: begin
with a random strategy, let it play its own copy, alter a few moves at random until
the altered strategy wins that match, keep it, and go again. Three searches
share one loop (`core.run`) so that they can be compared on the same count of evaluations:

* "self_play": the changed strategy must beat the current one in a match from
  every opening (the empty board and every position after one or two moves),
  playing each opening once as X and once as O (`ChallengeProblem`).
* "vs_perfect": the same local search, but a change is kept when it loses less
  often to the perfect player (an exact expectation, not a sample of games;
  `PerfectPlayerProblem`).
* "random_search": no local steps at all; every evaluation is a fresh random
  table, and the best one so far against the perfect player is kept.
* "league": self-play with a memory (`LeagueProblem`): the changed strategy must
  beat the current one and each of the champions before it (the last `LEAGUE_SIZE`),
  so the search cannot walk in circles. Like "self_play", it never sees the
  perfect player.

The space is `spaces.TableSpace`; the optimizers are `LocalSearch` and `RandomSearch`
with accept="first": the candidates of a batch are tried in order and the first that
improves is kept, so an evaluation (one candidate strategy scored: a whole match, or one
exact expectation) is counted as a one-at-a-time search would spend it. The observer's
measurements along the way (losses to the perfect player, the fraction of optimal moves)
are not counted: the searches never see them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from searchlab.core.budget import Budget
from searchlab.core.errors import SearchlabError
from searchlab.core.loop import run
from searchlab.core.optimizer import Optimizer
from searchlab.games.table_problems import (
    ChallengeProblem,
    LeagueProblem,
    PerfectPlayerProblem,
    legal_table,
    match,
    openings,
)
from searchlab.games.tables import PositionIndex
from searchlab.optimizers.local_search import LocalSearch
from searchlab.optimizers.random_search import RandomSearch

VARIANTS = ("self_play", "vs_perfect", "random_search", "league")
DEFAULT_VARIANTS = VARIANTS[:3]  # the league costs about 2.5x self-play's compute (measured): asked for by name
LEAGUE_SIZE = 8
GAMES_PER_THOUSAND = 1000.0

__all__ = [
    "DEFAULT_VARIANTS",
    "GAMES_PER_THOUSAND",
    "VARIANTS",
    "Observer",
    "SearchTrace",
    "improving_neighbours",
    "match_scores",
    "observe",
    "openings",
    "record_points",
    "search",
]


def match_scores(index: PositionIndex, challengers: np.ndarray, champion: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each challenger's wins minus losses against `champion`, from every start as X and as O."""
    return match(index, challengers, champion, starts)[0]


@dataclass
class SearchTrace:
    """What one search did, measured along the way.

    Attributes:
        variant: "self_play", "vs_perfect", "random_search" or "league".
        evaluations: evaluation counts at which the current strategy was measured.
        losses_vs_perfect: its losses per 1,000 games against the perfect player there.
        optimal_fraction: the fraction of decision positions where its move is optimal there.
        spent: forward-equivalents the search had spent by each of those points (at the end of the
            step within which the point fell: a step scores a batch of candidates at once).
        accepted: changes kept (for random search: times the best so far improved).
        games: games the search's scored challengers played against the champion (self-play and the
            league; the league's further games show in forward_equivalents), counted as a
            one-at-a-time search plays them; 0 for the exact expectations).
        never_loses_after: the evaluation count after which the current strategy first
            never lost to the perfect player, or None if that never happened.
        unbeatable_after: the same for "no opponent at all can beat it".
        table: the final strategy.
        forward_equivalents: moves the scored candidates chose (see `games.table_problems`).
        seconds: the search's time, up to its last step.
    """

    variant: str
    evaluations: list[int] = field(default_factory=list)
    losses_vs_perfect: list[float] = field(default_factory=list)
    optimal_fraction: list[float] = field(default_factory=list)
    spent: list[int] = field(default_factory=list)
    accepted: int = 0
    games: int = 0
    never_loses_after: int | None = None
    unbeatable_after: int | None = None
    table: np.ndarray | None = None
    forward_equivalents: int = 0
    seconds: float = 0.0

    def summary(self) -> dict:
        """JSON-ready numbers (the curve and the final state), without the table and the spending."""
        return {
            "evaluations": self.evaluations,
            "losses_vs_perfect": self.losses_vs_perfect,
            "optimal_fraction": self.optimal_fraction,
            "accepted": self.accepted,
            "games": self.games,
            "never_loses_after": self.never_loses_after,
            "unbeatable_after": self.unbeatable_after,
        }


def record_points(evaluations: int, count: int = 60) -> np.ndarray:
    """About `count` evaluation counts, log-spaced from 1 to `evaluations`, where a search is measured."""
    points = np.unique(np.round(np.logspace(0, np.log10(max(evaluations, 1)), count)).astype(np.int64))
    return points[points <= evaluations]


def search(
    index: PositionIndex,
    variant: str,
    *,
    evaluations: int,
    changes: int = 3,
    batch: int = 128,
    seed_rng: np.random.Generator,
    progress: Callable[[int], None] | None = None,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
) -> SearchTrace:
    """Run one search for `evaluations` evaluations through `core.run` and measure it along the way.

    Args:
        index: the positions and their solution.
        variant: one of VARIANTS.
        evaluations: how many candidate strategies the search may score.
        changes: moves changed per local step (the essay's "handful").
        batch: candidates proposed and scored together (a speed setting only): the first one
            that improves is kept, and evaluations are counted as a one-at-a-time search would
            spend them, up to and including that one.
        seed_rng: the generator the run's seed is drawn from.
        progress: called with the number of evaluations done after each batch.
        checkpoint_dir: where the run keeps checkpoints (None: none).
        resume: continue from the checkpoint there, exactly; a finished search just reads back.

    Returns:
        The `SearchTrace`.
    """
    if variant not in VARIANTS:
        raise SearchlabError(f"unknown search {variant!r}; choose one of {', '.join(VARIANTS)}")
    if evaluations < 1 or changes < 1 or batch < 1:
        raise SearchlabError("a search needs at least one evaluation, one change per step and a batch of at least one")
    problem = {
        "self_play": lambda: ChallengeProblem(index),
        "league": lambda: LeagueProblem(index, size=LEAGUE_SIZE),
    }.get(variant, lambda: PerfectPlayerProblem(index))()
    if variant == "random_search":
        optimizer = RandomSearch(population_size=batch, accept="first", max_evaluations=evaluations)
    else:
        optimizer = LocalSearch(population_size=batch, step_size=changes, accept="first", max_evaluations=evaluations)
    observer = Observer(index, variant, evaluations, progress)
    problem.records = observer  # checkpointed with the problem, so a resumed search continues its curve
    seed = int(seed_rng.integers(2**63 - 1))
    # Every step scores at least one candidate, so `max_evaluations` ends the search first.
    result = run(
        problem,
        optimizer,
        Budget(steps=evaluations),
        seed,
        checkpoint_dir=checkpoint_dir,
        resume=resume,
        callback=observer,
    )
    trace = observer.trace
    trace.table = result.candidate.numpy().astype(np.int8)
    trace.games = result.examples_seen if variant in ("self_play", "league") else 0
    trace.forward_equivalents = result.forward_equivalents
    trace.seconds = float(result.trace["seconds"][-1]) if len(result.trace) else 0.0
    return trace


class Observer:
    """The `core.run` callback that measures the search's current strategy at the record points.

    It notes each change of the optimizer's incumbent: the old strategy held until just before the
    evaluation that replaced it. What it keeps (`state`) rides in the problem's checkpoints.
    """

    def __init__(
        self, index: PositionIndex, variant: str, evaluations: int, progress: Callable[[int], None] | None = None
    ) -> None:
        self.index = index
        self.trace = SearchTrace(variant)
        self.points = list(record_points(evaluations))
        self.record_count = len(self.points)
        self.table: np.ndarray | None = None
        self.progress = progress

    def __call__(self, optimizer: Optimizer, trace: Any) -> None:
        done = optimizer.evaluations_
        table = optimizer.candidate_.numpy()
        spent = int(trace["forward_equivalents"][-1])
        if self.table is None:  # the start, scored by the first step
            self.table = table.copy()
            observe(self.index, self.trace, self.table, done, self.points, changed=True, spent=spent)
        elif not np.array_equal(table, self.table):
            observe(self.index, self.trace, self.table, done - 1, self.points, spent=spent)
            self.table = table.copy()
            self.trace.accepted += 1
            observe(self.index, self.trace, self.table, done, self.points, changed=True, spent=spent)
        else:
            observe(self.index, self.trace, self.table, done, self.points, spent=spent)
        if self.progress is not None:
            self.progress(done)

    def state(self) -> dict[str, Any]:
        trace = self.trace
        return {
            "points": [int(p) for p in self.points],
            "evaluations": [int(e) for e in trace.evaluations],
            "losses_vs_perfect": list(trace.losses_vs_perfect),
            "optimal_fraction": list(trace.optimal_fraction),
            "spent": [int(f) for f in trace.spent],
            "accepted": trace.accepted,
            "never_loses_after": trace.never_loses_after,
            "unbeatable_after": trace.unbeatable_after,
            "table": None if self.table is None else torch.from_numpy(self.table.copy()),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Take back what `state` returned; ValueError for records that cannot be this search's."""
        curve = [state[key] for key in ("evaluations", "losses_vs_perfect", "optimal_fraction", "spent")]
        if len({len(values) for values in curve}) != 1 or len(curve[0]) + len(state["points"]) != self.record_count:
            raise ValueError("the search's measured curve does not fit its record points")
        trace = self.trace
        self.points = [int(p) for p in state["points"]]
        trace.evaluations = [int(e) for e in state["evaluations"]]
        trace.losses_vs_perfect = [float(v) for v in state["losses_vs_perfect"]]
        trace.optimal_fraction = [float(v) for v in state["optimal_fraction"]]
        trace.spent = [int(f) for f in state["spent"]]
        trace.accepted = int(state["accepted"])
        trace.never_loses_after = state["never_loses_after"]
        trace.unbeatable_after = state["unbeatable_after"]
        self.table = None if state["table"] is None else legal_table(self.index, state["table"])


def observe(
    index: PositionIndex,
    trace: SearchTrace,
    table: np.ndarray,
    done: int,
    points: list[int],
    changed: bool = False,
    spent: int = 0,
) -> None:
    """Measure `table` at every record point up to `done` evaluations (`spent` forward-equivalents by then),
    and note when it first stops losing."""
    due = [points.pop(0) for _ in range(len(points)) if points and points[0] <= done]
    if not (due or (changed and trace.unbeatable_after is None)):
        return
    losses = float(index.losses_vs(table)[0])
    if trace.never_loses_after is None and losses == 0.0:
        trace.never_loses_after = done
    if losses == 0.0 and trace.unbeatable_after is None and not index.can_be_beaten(table)[0]:
        trace.unbeatable_after = done
    if due:
        fraction = float(index.optimal_fraction(table)[0])
        for point in due:
            trace.evaluations.append(point)
            trace.losses_vs_perfect.append(losses * GAMES_PER_THOUSAND)
            trace.optimal_fraction.append(fraction)
            trace.spent.append(spent)


def improving_neighbours(index: PositionIndex, table: np.ndarray) -> tuple[int, int]:
    """How many of the strategy's one-move changes lose less to the perfect player, out of how many.

    (0, n) means the strategy is a local optimum of the "vs_perfect" search with one
    change per step. Only changes in positions its games reach can matter; the rest
    leave every game as it was and are counted as non-improving without playing them.
    """
    relevant = np.zeros(index.decisions, dtype=bool)
    base = float(index.losses_vs(table, visited=relevant)[0])
    total = int((index.legal_count[: index.decisions] - 1).sum())
    rows = []
    for position in np.flatnonzero(relevant):
        for action in np.flatnonzero(index.legal[position]):
            if action != table[position]:
                row = table.copy()
                row[position] = action
                rows.append(row)
    if not rows:
        return 0, total
    losses = np.concatenate([index.losses_vs(np.stack(rows[i : i + 512])) for i in range(0, len(rows), 512)])
    return int((losses < base - 1e-12).sum()), total
