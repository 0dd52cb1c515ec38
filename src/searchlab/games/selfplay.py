"""Local search over lookup-table strategies, scored by self-play or against perfect play.

The essay's local search (its "optimization algorithm" ingredient), in short: begin
with a random strategy, let it play its own copy, alter a few moves at random until
the altered strategy wins that match, keep it, and go again. Three searches
share one loop so that they can be compared on the same count of evaluations:

* "self_play": the changed strategy must beat the current one in a match from
  every opening (the empty board and every position after one or two moves),
  playing each opening once as X and once as O.
* "vs_perfect": the same local search, but a change is kept when it loses less
  often to the perfect player (an exact expectation, not a sample of games).
* "random_search": no local steps at all; every evaluation is a fresh random
  table, and the best one so far against the perfect player is kept.

An evaluation is one candidate strategy scored (a whole match, or one exact
expectation). The observer's measurements along the way (losses to the perfect
player, the fraction of optimal moves) are not counted: the searches never see them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.games.tables import PositionIndex

VARIANTS = ("self_play", "vs_perfect", "random_search")
GAMES_PER_THOUSAND = 1000.0


def openings(index: PositionIndex, plies: int = 2) -> np.ndarray:
    """Ids of the empty board and of every position after at most `plies` moves (82 for two)."""
    return np.flatnonzero((index.marks <= plies) & (np.arange(len(index)) < index.decisions))


def propose(
    index: PositionIndex, table: np.ndarray, count: int, changes: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """`count` random changes of `table`, each of `changes` moves, as (positions, moves), both (count, changes).

    Only positions with at least two legal moves are picked, and the new move is drawn
    uniformly from the legal moves other than the table's, so every change is a real
    one (unless one candidate picks the same position twice, which the last pick wins).
    """
    choosable = np.flatnonzero(index.legal_count[: index.decisions] >= 2)
    where = choosable[rng.integers(0, choosable.size, (count, changes))]
    legal_count = index.legal_count[where]
    rank = np.argmax(index._legal_actions[where] == table[where][..., None].astype(np.int64), axis=-1)
    shift = 1 + (rng.random((count, changes)) * (legal_count - 1)).astype(np.int64)
    moves = index.nth_legal(where, (rank + shift) % legal_count).astype(np.int8)
    return where, moves


def apply_changes(table: np.ndarray, where: np.ndarray, moves: np.ndarray) -> np.ndarray:
    """The tables that `propose`'s changes (rows of `where`, `moves`) make from `table`: (rows, decisions)."""
    out = np.repeat(table[None, :], where.shape[0], axis=0)
    rows = np.arange(where.shape[0])
    for j in range(where.shape[1]):
        out[rows, where[:, j]] = moves[:, j]
    return out


def mutate(index: PositionIndex, table: np.ndarray, count: int, changes: int, rng: np.random.Generator) -> np.ndarray:
    """`count` copies of `table`, each with `changes` random moves replaced by other legal moves."""
    return apply_changes(table, *propose(index, table, count, changes, rng))


def match_scores(index: PositionIndex, challengers: np.ndarray, champion: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each challenger's wins minus losses against `champion`, from every start as X and as O."""
    tables = np.concatenate([champion[None, :], challengers])
    k = challengers.shape[0]
    rows = np.repeat(np.arange(1, k + 1), starts.size)
    at = np.tile(starts, k)
    as_x = index.play(tables, rows, 0, at).astype(np.int64)
    as_o = index.play(tables, 0, rows, at).astype(np.int64)
    return (as_x - as_o).reshape(k, starts.size).sum(axis=1)


@dataclass
class SearchTrace:
    """What one search did, measured along the way.

    Attributes:
        variant: "self_play", "vs_perfect" or "random_search".
        evaluations: evaluation counts at which the current strategy was measured.
        losses_vs_perfect: its losses per 1,000 games against the perfect player there.
        optimal_fraction: the fraction of decision positions where its move is optimal there.
        accepted: changes kept (for random search: times the best so far improved).
        games: games the search played out (self-play matches; 0 for the exact expectations).
        never_loses_after: the evaluation count after which the current strategy first
            never lost to the perfect player, or None if that never happened.
        unbeatable_after: the same for "no opponent at all can beat it".
        table: the final strategy.
    """

    variant: str
    evaluations: list[int] = field(default_factory=list)
    losses_vs_perfect: list[float] = field(default_factory=list)
    optimal_fraction: list[float] = field(default_factory=list)
    accepted: int = 0
    games: int = 0
    never_loses_after: int | None = None
    unbeatable_after: int | None = None
    table: np.ndarray | None = None

    def summary(self) -> dict:
        """JSON-ready numbers (the curve and the final state), without the table."""
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
) -> SearchTrace:
    """Run one search for `evaluations` evaluations and measure it along the way.

    Args:
        index: the positions and their solution.
        variant: one of VARIANTS.
        evaluations: how many candidate strategies the search may score.
        changes: moves changed per local step (the essay's "handful").
        batch: candidates proposed and scored together (a speed setting only): the first one
            that improves is kept, and evaluations are counted as a one-at-a-time search would
            spend them, up to and including that one; random search counts the whole batch.
        seed_rng: the generator every random choice comes from.
        progress: called with the number of evaluations done after each batch.

    Returns:
        The `SearchTrace`.
    """
    if variant not in VARIANTS:
        raise SearchlabError(f"unknown search {variant!r}; choose one of {', '.join(VARIANTS)}")
    if evaluations < 1 or changes < 1 or batch < 1:
        raise SearchlabError("a search needs at least one evaluation, one change per step and a batch of at least one")
    rng = seed_rng
    trace = SearchTrace(variant)
    starts = openings(index)
    current = index.random_tables(1, rng)[0]
    current_loss = float(index.losses_vs(current)[0]) if variant != "self_play" else None
    relevant = _relevant(index, variant, current, starts)
    done = 1 if variant == "random_search" else 0
    points = list(record_points(evaluations))
    observe(index, trace, current, done, points, changed=True)

    while done < evaluations:
        count = min(batch, evaluations - done)
        if variant == "random_search":
            current, current_loss, done = _random_batch(index, trace, current, current_loss, done, count, points, rng)
        else:
            current, current_loss, relevant, done = _local_batch(
                index, trace, (current, current_loss, relevant), done, count, changes, starts, points, rng
            )
        if progress is not None:
            progress(done)
    trace.table = current
    return trace


def _random_batch(
    index: PositionIndex,
    trace: SearchTrace,
    current: np.ndarray,
    current_loss: float,
    done: int,
    count: int,
    points: list[int],
    rng: np.random.Generator,
) -> tuple[np.ndarray, float, int]:
    """Score `count` random tables as a batch, recorded as if one at a time: the best so far changes at each
    candidate that beats every earlier one. Returns the new best, its loss and the evaluations done."""
    candidates = index.random_tables(count, rng)
    losses = index.losses_vs(candidates)
    for i in np.flatnonzero(losses < np.minimum.accumulate(np.concatenate([[current_loss], losses]))[:-1] - 1e-12):
        observe(index, trace, current, done + int(i), points)
        current, current_loss = candidates[i], float(losses[i])
        trace.accepted += 1
        observe(index, trace, current, done + int(i) + 1, points, changed=True)
    done += count
    observe(index, trace, current, done, points)
    return current, current_loss, done


def _local_batch(
    index: PositionIndex,
    trace: SearchTrace,
    incumbent: tuple[np.ndarray, float | None, np.ndarray],
    done: int,
    count: int,
    changes: int,
    starts: np.ndarray,
    points: list[int],
    rng: np.random.Generator,
) -> tuple[np.ndarray, float | None, np.ndarray, int]:
    """One batch of local steps from the incumbent (table, loss, relevant positions); the first success is kept.

    Returns the new incumbent's table, loss and relevant positions, and the evaluations done.
    """
    current, current_loss, relevant = incumbent
    # A change in a position the current strategy is never asked about in its
    # games cannot alter any game: such a candidate scores exactly what the
    # current one does (a tie), so only the others are built and played out.
    where, moves = propose(index, current, count, changes, rng)
    touching = np.flatnonzero(relevant[where].any(axis=1))
    built = apply_changes(current, where[touching], moves[touching])
    real = ((built != current[None, :]) & relevant[None, :]).any(axis=1)
    live, candidates = touching[real], built[real]
    if trace.variant == "self_play":
        scores = match_scores(index, candidates, current, starts) if live.size else np.zeros(0, dtype=np.int64)
        trace.games += 2 * starts.size * live.size
        improved = scores > 0
    else:
        losses = index.losses_vs(candidates) if live.size else np.zeros(0)
        improved = losses < current_loss - 1e-12
    better = np.flatnonzero(improved)  # in proposal order, since `live` is increasing
    # A one-at-a-time search would have stopped at its first success.
    done += int(live[better[0]]) + 1 if better.size else count
    observe(index, trace, current, done - 1, points)  # the strategy held until just before now
    if better.size:
        current = candidates[better[0]]
        current_loss = float(losses[better[0]]) if trace.variant == "vs_perfect" else None
        relevant = _relevant(index, trace.variant, current, starts)
        trace.accepted += 1
    observe(index, trace, current, done, points, changed=bool(better.size))
    return current, current_loss, relevant, done


def _relevant(index: PositionIndex, variant: str, table: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The positions the strategy's own evaluation games ask it about: (decisions,) bool."""
    relevant = np.zeros(index.decisions, dtype=bool)
    if variant == "self_play":
        index.play(table[None, :], 0, 0, starts, visited=relevant)  # a copy against itself
    else:
        index.losses_vs(table, visited=relevant)
    return relevant


def observe(
    index: PositionIndex, trace: SearchTrace, table: np.ndarray, done: int, points: list[int], changed: bool = False
) -> None:
    """Measure `table` at every record point up to `done` evaluations, and note when it first stops losing."""
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
