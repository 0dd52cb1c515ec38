"""Sweeps: a grid of trials over config keys, run in parallel, each written as it finishes.

A *trial* is one grid point and one seed. A *trial function* is a top-level,
importable function

    trial_fn(params: dict, seed: int, folder: Path) -> dict

that returns JSON-ready results, deterministic given (params, seed); `folder` is
the trial's own scratch folder. `run_sweep` runs the trials that are not finished
yet, on local processes or on a Ray cluster (`searchlab.core.trial_backends`), and
writes each finished one atomically as `out/trials/<key>.json`, so a sweep stopped
in any way (Ctrl-C, `kill -9`, a lost machine) loses only the trials that were
running, and the same call again runs only the missing ones. At the end it writes
`out/table.csv` (`searchlab.core.trial_records`).

A grid is a dict {key: tuple of values}. Turning `searchlab sweep --grid` text into
one, typed by an experiment's config, is the runner's (`searchlab.runner.sweep`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from searchlab.core import interrupts
from searchlab.core.errors import SearchlabError
from searchlab.core.files import write_json
from searchlab.core.trial_backends import RAY_MISSING, TrialFn, local_results, ray_results, run_trial
from searchlab.core.trial_records import Trial, read_record, read_spec, table_rows, trial_record, write_table

__all__ = [
    "MAX_TRIALS",
    "RAY_MISSING",
    "Trial",
    "TrialFn",
    "check_grid",
    "check_size",
    "expand",
    "grid_points",
    "pending_trials",
    "read_record",
    "read_spec",
    "run_sweep",
    "run_trial",
    "table_rows",
    "write_table",
]

# The most trials a sweep from the command line takes. Each trial is a whole experiment run (seconds at
# the least), so 10,000 is already hours to days of work; above it a mistyped COUNT is far likelier than
# a wish, and checking every point's config alone would keep the command silent for minutes.
MAX_TRIALS = 10_000


def grid_points(grid: dict[str, tuple]) -> list[dict[str, Any]]:
    """Every combination, the first key varying slowest."""
    import itertools

    return [dict(zip(grid, combo)) for combo in itertools.product(*grid.values())]


def check_grid(make_config: Callable[..., Any], grid: dict[str, tuple], seeds: Sequence[int]) -> None:
    """Build every grid point's config so the config's own checks run before anything is written.

    Raises:
        SearchlabError: naming the first grid point the config refuses.
    """
    if not seeds:
        raise SearchlabError("--seeds lists no seeds; give at least one, as in --seeds 0,1,2")
    check_size(grid, seeds)
    for point in grid_points(grid):
        try:
            make_config(**point, seed=seeds[0])
        except SearchlabError as err:
            shown = ", ".join(f"{k}={','.join(map(str, v)) if isinstance(v, tuple) else v}" for k, v in point.items())
            raise SearchlabError(f"grid point {shown}: {err}") from None


def check_size(grid: dict[str, tuple], seeds: Sequence[int]) -> None:
    """Refuse a sweep of more than `MAX_TRIALS` trials, counted without building a single one.

    Raises:
        SearchlabError: with the count and how it comes about.
    """
    count = math.prod(len(values) for values in grid.values()) * len(seeds)
    if count > MAX_TRIALS:
        factors = " x ".join(f"{len(values):,}" for values in grid.values())
        raise SearchlabError(
            f"the grid has {count:,} trials ({factors} values x {len(seeds):,} seed{'s' * (len(seeds) != 1)}); "
            f"a sweep takes at most {MAX_TRIALS:,}: give fewer values (a smaller log:/lin: COUNT) or seeds"
        )


def expand(grid: dict[str, tuple], seeds: Sequence[int]) -> list[Trial]:
    """The trials in a fixed order: grid points in order, then seeds within each point."""
    return [Trial(tuple(point.items()), int(seed)) for point in grid_points(grid) for seed in seeds]


def pending_trials(trials: Sequence[Trial], out: Path) -> list[Trial]:
    """The trials without a finished record under `out/trials` (failed ones are run again).

    Raises:
        SearchlabError: a record that is not one `run_sweep` wrote (see `read_record`).
    """
    return [t for t in trials if (trial_record(out, t) or {}).get("status") != "done"]


def run_sweep(
    trial_fn: TrialFn,
    trials: Sequence[Trial],
    out: Path,
    *,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    progress: bool = True,
    threads_per_trial: int = 1,
) -> list[dict]:
    """Run the unfinished trials, write each as it finishes, then write `out/table.csv`.

    Args:
        trial_fn: a top-level importable `trial_fn(params, seed, folder) -> dict`.
        trials: the sweep's trials, in table order (`expand`).
        out: the sweep folder; finished trials already under `out/trials` are kept.
        backend: "local" (processes on this machine) or "ray".
        workers: trials at once; default the usable cores (local) or, for a Ray
            started here, its CPUs. `workers=1` runs in this process.
        address: an existing Ray cluster ("auto", "host:6379", "ray://host:10001").
        progress: show a bar with done / running / failed counts and the time left.
        threads_per_trial: torch threads per trial (1 keeps results reproducible
            and the cores not oversubscribed).

    Returns:
        The table's rows in trial order: params, "seed", "status", then the scalar results.

    Raises:
        SearchlabError: an unknown backend, "ray" without ray installed, or a damaged
            record under `out/trials` (before any trial runs).
        KeyboardInterrupt: passed on after stopping the workers; finished trials are on disk.
    """
    from tqdm import tqdm

    if backend not in ("local", "ray"):
        raise SearchlabError(f"unknown backend {backend!r}; choose local or ray")
    workers = workers or len(os.sched_getaffinity(0))
    todo = pending_trials(trials, out)
    jobs = [(t, out / "trials" / t.key) for t in todo]
    if backend == "local":
        results = local_results(trial_fn, jobs, min(workers, max(len(jobs), 1)), threads_per_trial)
    else:
        results = ray_results(trial_fn, jobs, workers, address, threads_per_trial)
    kept = len(trials) - len(todo)
    bar = tqdm(total=len(todo), desc=f"sweep ({kept} kept)" if kept else "sweep", unit="trial", disable=not progress)
    done = failed = 0
    try:
        for trial, outcome, running in results:
            write_json(
                out / "trials" / f"{trial.key}.json",
                {"key": trial.key, "params": trial.params_dict, "seed": trial.seed, **outcome},
            )
            done += outcome["status"] == "done"
            failed += outcome["status"] == "failed"
            bar.set_postfix_str(f"done={done} running={running} failed={failed}", refresh=False)
            bar.update(1)
            interrupts.reached("trial", done + failed)
    finally:
        results.close()  # stops the workers if we are leaving early (Ctrl-C, an error)
        bar.close()
    return write_table(trials, out)
