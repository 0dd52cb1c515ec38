"""`searchlab sweep`: one experiment over a grid of settings and seeds, one run folder per trial.

The trial engine (parallel processes or Ray, records, resume) is `searchlab.core.trials`;
this module makes an experiment its trial function: each trial runs like `searchlab run
NAME` into `out/trials/KEY/`, and its numbers (result.json's, timings left out) are the
table's columns. The sweep folder holds sweep.json (what --resume checks the command
against), trials/, table.csv and, with two seeds or more, summary.csv: each number's mean over
the seeds of a grid point with its 95% bootstrap interval (`searchlab.runner.summary`). With no
grid at all, a sweep just repeats the experiment over its seeds.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from searchlab.core.errors import SearchlabError
from searchlab.core.files import check_out_folder, jsonable, write_json
from searchlab.core.trials import check_grid, expand, grid_points, pending_trials, read_spec, run_sweep
from searchlab.runner import runs
from searchlab.runner.config import config_fields, show_value
from searchlab.runner.grid import parse_grid
from searchlab.runner.summary import print_summary, summarise, write_summary

if TYPE_CHECKING:
    from searchlab.experiments.base import Experiment


@dataclasses.dataclass(frozen=True)
class SweepPlan:
    """A sweep checked and ready to run: every grid point's config built once, the folder chosen.

    Attributes:
        experiment: what each trial runs.
        size: the size of each trial's run.
        fixed: the settings every trial shares (typed).
        grid: setting -> the values it takes.
        seeds: each grid point runs once per seed.
        out: the sweep folder (sweep.json is written there for a new sweep).
    """

    experiment: Experiment
    size: str
    fixed: dict[str, Any]
    grid: dict[str, tuple]
    seeds: list[int]
    out: Path


def plan_sweep(
    experiment: Experiment,
    fixed: dict[str, Any],
    grid_specs: list[str],
    *,
    seeds: list[int],
    size: str,
    device: str | None,
    out: Path | None,
    resume: bool,
) -> SweepPlan:
    """Check the whole sweep (every grid point's config, the data, the folder); write sweep.json if new.

    Raises:
        SearchlabError: a bad grid or setting, a folder in use (or, with `resume`, one whose
            sweep.json differs from this sweep), or input data the experiment refuses.
    """
    if "seed" in fixed:
        raise SearchlabError("a sweep takes its seeds from --seeds 0,1,2, not --seed")
    if "device" in config_fields(experiment.config):
        fixed["device"] = device or fixed.get("device", "cpu")  # trials share the cores: cpu unless asked
    if not grid_specs and len(seeds) < 2:
        raise SearchlabError(
            "nothing to sweep; give a grid (--grid KEY=VALUES, e.g. --grid lr=0.01,0.1) or several seeds "
            "(--seeds 0,1,2)"
        )
    grid = parse_grid(experiment.config, grid_specs) if grid_specs else {}
    both = sorted(set(grid) & set(fixed))
    if both:
        raise SearchlabError(f"--{both[0]} is both fixed and in the grid; give it once")
    make_config = functools.partial(experiment.make_config, size, **fixed)
    check_grid(make_config, grid, seeds)
    experiment.prepare(make_config(**grid_points(grid)[0], seed=seeds[0]))  # the user's files, checked before writing
    spec = json.loads(
        json.dumps(
            {"experiment": experiment.name, "size": size, "grid": grid, "seeds": seeds, "overrides": fixed},
            default=jsonable,
        )
    )
    if resume:
        out = out or Path("runs") / f"sweep-{experiment.name}"
        check_out_folder(out)
        _check_resumed_spec(out, spec)
    else:
        out = out or runs.free_folder(Path("runs") / f"sweep-{experiment.name}")
        check_out_folder(out)
        if not runs.is_empty(out):
            raise SearchlabError(
                f"{out} is not empty; add --resume to continue the sweep there, or choose another --out"
            )
        write_json(out / "sweep.json", spec)
    return SweepPlan(experiment, size, fixed, grid, seeds, Path(out))


def run_planned_sweep(
    plan: SweepPlan, *, backend: str, workers: int | None, address: str | None, progress: bool
) -> list[dict]:
    """Run the missing trials of `plan`, printing what it does and the table; return the table's rows."""
    name, out, seeds = plan.experiment.name, plan.out, plan.seeds
    trials = expand(plan.grid, seeds)
    todo = pending_trials(trials, out)
    print(
        f"sweep {name}: {len(trials)} trials ({len(trials) // len(seeds)} grid points x {len(seeds)} seeds), "
        f"{len(trials) - len(todo)} already done, {len(todo)} to run ({backend})",
        flush=True,
    )
    started = time.perf_counter()
    trial_fn = functools.partial(experiment_trial, name, plan.size, plan.fixed)
    rows = run_sweep(trial_fn, trials, out, backend=backend, workers=workers, address=address, progress=progress)
    print(f"ran {len(todo)} trials in {time.perf_counter() - started:.1f} s")
    print_table(rows, list(plan.grid))
    written = "sweep.json, trials/, table.csv"
    if len(seeds) > 1:
        summary = summarise(rows, list(plan.grid))
        write_summary(out / "summary.csv", summary, list(plan.grid))
        print_summary(summary, list(plan.grid))
        written += ", summary.csv"
    failed = [row for row in rows if row["status"] != "done"]
    if failed:
        print(
            f"{len(failed)} of {len(rows)} trials failed (errors in {out}/trials/KEY.json); "
            "the same command with --resume runs them again"
        )
    print(f"wrote {out}/ ({written})")
    return rows


def _check_resumed_spec(out: Path, spec: dict) -> None:
    saved = read_spec(out)
    for key in spec:
        if saved.get(key) != spec[key]:
            raise SearchlabError(
                f"this sweep's {key} ({json.dumps(spec[key])}) differs from the one in {out} "
                f"({json.dumps(saved.get(key))}); repeat the original command with --resume, or choose another --out"
            )


def experiment_trial(name: str, size: str, fixed: dict[str, Any], params: dict, seed: int, folder: Path) -> dict:
    """One trial: `searchlab run NAME` with the grid point and seed into `folder`; its numbers, flattened."""
    from searchlab.experiments import get_experiment

    experiment = get_experiment(name)
    config = experiment.make_config(size, **fixed, **params, seed=seed)
    result = runs.execute(experiment, config, experiment.prepare(config), folder, resume=False, progress=False)
    return result_numbers(result)


def result_numbers(result: dict, prefix: str = "") -> dict[str, Any]:
    """Numbers and booleans of a result, nested keys joined with dots.

    Text, lists and the "report" section are left out, and so are timings (keys
    naming seconds): they differ from run to run, and a trial's result must not.
    """
    flat: dict[str, Any] = {}
    for key, value in result.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name != "report":
            flat.update(result_numbers(value, f"{name}."))
        elif isinstance(value, (bool, int, float)) and "seconds" not in key:
            flat[name] = value
    return flat


def print_table(rows: list[dict], params: list[str]) -> None:
    """Params, seed, status and two headline numbers: ones that vary across trials, losses and accuracies first."""
    numbers = [c for c in dict.fromkeys(k for row in rows for k in row) if c not in (*params, "seed", "status")]
    varying = [c for c in numbers if len({repr(row.get(c)) for row in rows}) > 1]
    scores = [c for c in varying if any(word in c.rsplit(".", 1)[-1] for word in ("loss", "accuracy"))]
    columns = [*params, "seed", "status", *list(dict.fromkeys(scores + varying + numbers))[:2]]
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    for line in [columns, *cells]:
        print("  " + "  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip())


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return show_value(value) if value is not None else "-"
