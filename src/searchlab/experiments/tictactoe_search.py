"""Tic-Tac-Toe strategies found by search: local search (self-play or against the perfect player) and random search.

Each search runs several times (`runs`) and is measured against perfect play along the way. Every search
is a `core.run` with its checkpoints under checkpoints/local_search/VARIANT-RUN/: a resumed run reads a
finished search back without searching and continues an interrupted one exactly. The best local-search
table is saved in the run folder for `searchlab play`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from searchlab.core.seeding import numpy_generator, spawn_seeds
from searchlab.experiments.base import RunContext
from searchlab.games.saved_strategies import save_local_strategy
from searchlab.games.selfplay import improving_neighbours, search


def local_searches(
    index, variants: tuple[str, ...], runs: int, evaluations: int, changes: int, seed: int, context: RunContext
) -> dict[str, Any]:
    """Every search variant, `runs` runs each; per variant the mean curve and every run's outcome.

    Args:
        index: the numbered positions (`games.tables.PositionIndex`).
        variants: the searches to run (self_play, vs_perfect, random_search).
        runs: independent runs of each search; `seed` spawns one seed per run, shared by the variants.
        evaluations: candidate strategies each run may score.
        changes: moves changed per local-search step.
    """
    seeds = spawn_seeds(seed, runs)
    out: dict[str, Any] = {}
    best_local = None
    for variant in variants:
        done = [
            _search_run(index, variant, evaluations, changes, run_seed, i, context) for i, run_seed in enumerate(seeds)
        ]
        curves = [run["curve"] for run in done]
        out[variant] = {
            "evaluations": curves[0]["evaluations"],
            "losses_vs_perfect": _mean([c["losses_vs_perfect"] for c in curves]),
            "optimal_fraction": _mean([c["optimal_fraction"] for c in curves], digits=5),
            "runs": [{key: value for key, value in run.items() if key not in ("curve", "table")} for run in done],
            "per_run_losses_vs_perfect": [c["losses_vs_perfect"] for c in curves],
            "per_run_optimal_fraction": [c["optimal_fraction"] for c in curves],
            "per_run_forward_equivalents": [c["forward_equivalents"] for c in curves],
        }
        if variant == "vs_perfect" or (best_local is None and variant == "self_play"):
            pick = min(done, key=lambda run: run["final_losses_vs_perfect"])
            best_local = (variant, pick)
    if best_local is not None:
        variant, pick = best_local
        table = np.asarray(pick["table"], dtype=np.int8)
        metadata = {
            "variant": variant,
            "seed": str(pick["seed"]),
            "losses_vs_perfect": str(pick["final_losses_vs_perfect"]),
        }
        path = save_local_strategy(context.out, table, metadata)
        out["saved"] = {"path": path, "variant": variant, "seed": pick["seed"]}
    return out


def _search_run(
    index, variant: str, evaluations: int, changes: int, seed: int, number: int, context: RunContext
) -> dict[str, Any]:
    """One search, measured, checkpointed by `core.run` (a resumed run continues or reads it back)."""
    bar = None
    if context.progress:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=evaluations,
            desc=f"tictactoe/{variant} run {number + 1}",
            unit="eval",
            unit_scale=True,
            leave=False,
        )
    try:
        trace = search(
            index,
            variant,
            evaluations=evaluations,
            changes=changes,
            seed_rng=numpy_generator(seed),
            progress=(lambda done: bar.update(done - bar.n)) if bar is not None else None,
            checkpoint_dir=context.checkpoint_dir(f"local_search/{variant}-{number}"),
            resume=context.resume,
        )
    finally:
        if bar is not None:
            bar.close()
    improving, neighbours = improving_neighbours(index, trace.table)
    table = trace.table
    return {
        "seed": seed,
        "seconds": round(trace.seconds, 3),
        "accepted": trace.accepted,
        "games": trace.games,
        "forward_equivalents": trace.forward_equivalents,
        "never_loses_after": trace.never_loses_after,
        "unbeatable_after": trace.unbeatable_after,
        "final_losses_vs_perfect": round(float(index.losses_vs(table)[0]) * 1000, 4),
        "final_losses_vs_perfect_two_move_openings": round(float(index.losses_vs(table, plies=2)[0]) * 1000, 4),
        "final_losses_vs_random": round(float(index.losses_vs(table, "random")[0]) * 1000, 4),
        "final_optimal_fraction": round(float(index.optimal_fraction(table)[0]), 5),
        "improving_one_move_changes": improving,
        "one_move_changes": neighbours,
        "curve": {
            "evaluations": [int(e) for e in trace.evaluations],
            "losses_vs_perfect": [round(v, 4) for v in trace.losses_vs_perfect],
            "optimal_fraction": [round(v, 5) for v in trace.optimal_fraction],
            "forward_equivalents": [int(f) for f in trace.spent],
        },
        "table": table.astype(int).tolist(),
    }


def _mean(rows: list[list[float]], digits: int = 4) -> list[float]:
    return [round(float(v), digits) for v in np.mean(np.asarray(rows, dtype=float), axis=0)]
