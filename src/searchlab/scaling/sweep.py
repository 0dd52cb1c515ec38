"""Sweeps: a grid of trials over config keys, run in parallel, each written as it finishes.

A *trial* is one grid point and one seed. A *trial function* is a top-level,
importable function

    trial_fn(params: dict, seed: int, folder: Path) -> dict

that returns JSON-ready results, deterministic given (params, seed); `folder` is
the trial's own scratch folder. `run_sweep` runs the trials that are not finished
yet, on local processes or on a Ray cluster, and writes each finished one
atomically as `out/trials/<key>.json`, so a sweep stopped in any way (Ctrl-C,
`kill -9`, a lost machine) loses only the trials that were running, and the same
call again runs only the missing ones. At the end it writes `out/table.csv`.

Grid specs, as `searchlab sweep --grid` takes them (values typed by the config):

    lr=0.01,0.1          a list of values
    width=log:4:256:7    7 log-spaced values from 4 to 256 (ints rounded, repeats dropped)
    lr=lin:0.1:0.5:5     5 evenly spaced values from 0.1 to 0.5
    widths=1,4;16,64     a setting that is itself a list: `;` separates the grid's values
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import itertools
import json
import math
import os
import re
import shutil
import time
import typing
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from searchlab.core import interrupts
from searchlab.core.errors import SearchlabError
from searchlab.core.files import _jsonable, write_json, write_text

TrialFn = Callable[[dict, int, Path], dict]
RAY_MISSING = "the Ray backend needs the ray extra: pip install 'searchlab[ray]'"
# The most trials a sweep from the command line takes. Each trial is a whole experiment run (seconds at
# the least), so 10,000 is already hours to days of work; above it a mistyped COUNT is far likelier than
# a wish, and checking every point's config alone would keep the command silent for minutes.
MAX_TRIALS = 10_000


@dataclasses.dataclass(frozen=True)
class Trial:
    """One grid point and one seed.

    Attributes:
        params: (key, value) pairs in grid order; values are hashable (lists are tuples).
        seed: the trial's seed.
    """

    params: tuple[tuple[str, Any], ...]
    seed: int

    @property
    def params_dict(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def key(self) -> str:
        """A file-name-safe, stable name: readable settings, then a hash of them all."""
        parts = [f"{k}={'+'.join(map(str, v)) if isinstance(v, tuple) else v}" for k, v in self.params]
        readable = re.sub(r"[^A-Za-z0-9._=+-]", "_", "_".join([*parts, f"seed={self.seed}"]))[:80]
        canonical = json.dumps([sorted(self.params), self.seed], default=_jsonable)
        return f"{readable}-{hashlib.sha1(canonical.encode()).hexdigest()[:8]}"


# ----- the grid ---------------------------------------------------------------


def parse_grid(config_cls: type, specs: Sequence[str]) -> dict[str, tuple]:
    """`["lr=0.01,0.1", "width=log:4:256:7"]` -> `{"lr": (0.01, 0.1), "width": (4, 8, ..., 256)}`.

    Raises:
        SearchlabError: a spec without `=`, an unknown or repeated key, `seed` (use
            --seeds), an empty value list, or a value the key's type refuses.
    """
    # Imported here: the experiments package loads every experiment, which trial workers do not need.
    from searchlab.experiments.base import config_fields

    fields = config_fields(config_cls)
    hints = typing.get_type_hints(config_cls)
    grid: dict[str, tuple] = {}
    for spec in specs:
        key, sep, text = spec.partition("=")
        name = key.strip().lstrip("-").replace("-", "_")
        if not sep or not name:
            raise SearchlabError(f"--grid {spec!r} is not KEY=VALUES; write it like --grid lr=0.01,0.1")
        if name == "seed":
            raise SearchlabError("seed cannot be a grid key; give the seeds with --seeds 0,1,2")
        if name not in fields:
            raise SearchlabError(
                f"unknown grid key {name!r}; valid keys are {', '.join(f for f in fields if f != 'seed')}"
            )
        if name in grid:
            raise SearchlabError(f"grid key {name!r} is given twice; list all its values in one --grid {name}=A,B,C")
        try:
            values = _values(name, text.strip(), hints[name])
        except SearchlabError as err:
            raise SearchlabError(f"--grid {spec!r}: {err}") from None
        if not values:
            raise SearchlabError(f"--grid {spec!r} lists no values; give at least one, as in --grid {name}=A,B")
        grid[name] = values
    return grid


def _values(name: str, text: str, hint: Any) -> tuple:
    from searchlab.experiments.base import _parse_value

    if text.startswith(("log:", "lin:")):
        return _spaced(name, text, hint)
    is_list = typing.get_origin(hint) is tuple or tuple in (typing.get_origin(a) for a in typing.get_args(hint))
    items = text.split(";") if is_list or ";" in text else text.split(",")
    values = [_parse_value(name, item.strip(), hint) for item in items if item.strip()]
    if len(set(map(repr, values))) != len(values):
        raise SearchlabError("a value is listed twice; list each value once")
    return tuple(values)


def _spaced(name: str, text: str, hint: Any) -> tuple:
    """`log:LOW:HIGH:COUNT` or `lin:LOW:HIGH:COUNT` over an int or float setting."""
    kind, *parts = text.split(":")
    numeric = {int, float} & {hint, *typing.get_args(hint)}
    if not numeric:
        raise SearchlabError(f"{kind}: spacing needs a number setting, and {name} is not one; list its values instead")
    try:
        low, high, count = float(parts[0]), float(parts[1]), int(parts[2])
        if len(parts) != 3:
            raise ValueError
    except (ValueError, IndexError):
        raise SearchlabError(f"write the spacing as {kind}:LOW:HIGH:COUNT, e.g. {name}={kind}:1:100:5") from None
    if count < 1 or not (math.isfinite(low) and math.isfinite(high)):
        raise SearchlabError(f"{kind}: needs finite LOW and HIGH and a COUNT of at least 1")
    if count > MAX_TRIALS:
        raise SearchlabError(f"{kind}: takes a COUNT of at most {MAX_TRIALS:,} (a sweep's most trials), got {count:,}")
    if kind == "log" and (low <= 0 or high <= 0):
        raise SearchlabError("log: spacing needs LOW and HIGH above 0; use lin: to include 0 or negatives")
    if count == 1:
        points = [low]
    elif kind == "log":
        points = [math.exp(math.log(low) + (math.log(high) - math.log(low)) * i / (count - 1)) for i in range(count)]
    else:
        points = [low + (high - low) * i / (count - 1) for i in range(count)]
    if int in numeric and float not in numeric:
        return tuple(dict.fromkeys(round(p) for p in points))  # rounding can repeat small ints: keep each once
    return tuple(dict.fromkeys(float(f"{p:.6g}") for p in points))  # 0.01, not 0.009999999999999998


def grid_points(grid: dict[str, tuple]) -> list[dict[str, Any]]:
    """Every combination, the first key varying slowest."""
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


# ----- running ------------------------------------------------------------------


def pending_trials(trials: Sequence[Trial], out: Path) -> list[Trial]:
    """The trials without a finished record under `out/trials` (failed ones are run again).

    Raises:
        SearchlabError: a record that is not one `run_sweep` wrote (see `read_record`).
    """
    return [t for t in trials if (_read_record(out, t) or {}).get("status") != "done"]


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
        results = _local_results(trial_fn, jobs, min(workers, max(len(jobs), 1)), threads_per_trial)
    else:
        results = _ray_results(trial_fn, jobs, workers, address, threads_per_trial)
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


def run_trial(trial_fn: TrialFn, trial: Trial, folder: Path) -> dict:
    """Run one trial in a fresh folder; an exception is a failed trial, not a failed sweep."""
    shutil.rmtree(folder, ignore_errors=True)  # what a killed attempt left behind
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        # Through JSON and back: numpy scalars become floats, and a result that cannot be saved fails here.
        result = json.loads(json.dumps(trial_fn(trial.params_dict, trial.seed, folder), default=_jsonable))
        outcome = {"status": "done", "result": result, "error": None}
    except Exception as err:
        text = str(err) if isinstance(err, SearchlabError) else f"{type(err).__name__}: {err}"
        outcome = {"status": "failed", "result": None, "error": (text.strip().splitlines() or [""])[0][:300]}
    try:
        folder.rmdir()  # only if the trial left it empty
    except OSError:
        pass
    return {**outcome, "seconds": round(time.perf_counter() - started, 4)}


def _init_worker(threads: int) -> None:
    """Before a worker's first trial: die with the sweep, leave Ctrl-C to it, and pin torch's threads
    (same numbers everywhere, no oversubscription)."""
    import signal

    _die_with_sweep()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    import torch

    torch.set_num_threads(threads)


def _die_with_sweep() -> None:
    """End this worker the moment the process running the sweep is gone, however it went.

    A `kill -9` of the sweep gives it no chance to stop its workers, and a worker waiting
    for its next task, or deep in a trial, would otherwise run on for good; so would the
    fork server and multiprocessing's resource tracker, which exit only once every process
    holding their pipes has (the workers hold them). multiprocessing hands each child a
    sentinel of the process that started it (the sweep, also when the fork server forks
    the child), ready once that process has exited: a daemon thread waits on it and ends
    the worker at once. No polling, and no pid that could be reused. A parent-death signal
    (prctl) would not do: a worker's parent is the fork server, not the sweep.
    """
    import multiprocessing
    import threading

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the sweep process has ended
        os._exit(1)  # now, even mid-trial: its result would have nobody to go to

    threading.Thread(target=watch, name="searchlab-sweep-watchdog", daemon=True).start()


Results = Iterator[tuple[Trial, dict, int]]  # (trial, outcome, trials still running)


def _local_results(trial_fn: TrialFn, jobs: list[tuple[Trial, Path]], workers: int, threads: int) -> Results:
    if workers <= 1:
        import torch

        saved = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            for index, (trial, folder) in enumerate(jobs, start=1):
                yield trial, run_trial(trial_fn, trial, folder), int(index < len(jobs))  # the next one starts now
        finally:
            torch.set_num_threads(saved)
        return
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    executor = ProcessPoolExecutor(
        workers, mp_context=_process_context(), initializer=_init_worker, initargs=(threads,)
    )
    futures = {executor.submit(run_trial, trial_fn, trial, folder): trial for trial, folder in jobs}
    pending = set(futures)
    try:
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                try:
                    outcome = future.result()
                except Exception as err:
                    outcome = {
                        "status": "failed",
                        "result": None,
                        "error": f"worker process failed: {err}"[:300],
                        "seconds": None,
                    }
                yield futures[future], outcome, min(len(pending), workers)
    finally:
        if pending:
            # Leaving early: running trials are lost anyway, so end their processes now
            # (shutdown alone would wait for them). `_processes` is the pool's own map.
            for process in list((getattr(executor, "_processes", None) or {}).values()):
                process.terminate()
        executor.shutdown(wait=True, cancel_futures=True)


def _process_context():
    """forkserver where there is one, else spawn; never a plain fork.

    A child forked from a process that has run torch inherits its thread pools in a
    broken state. The fork server only imports torch (it never computes), so children
    forked from it are safe, and they start at once instead of each importing torch
    again (seconds per worker on a busy machine). It lives as long as this process,
    so later sweeps reuse it; when this process is killed it exits once the workers
    have (`_die_with_sweep`), and the resource tracker after it.
    """
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["searchlab.scaling.sweep"])
    return context


def _ray_trial(trial_fn: TrialFn, trial: Trial, folder: str, threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    return run_trial(trial_fn, trial, Path(folder))


def _ray_results(
    trial_fn: TrialFn, jobs: list[tuple[Trial, Path]], workers: int, address: str | None, threads: int
) -> Results:
    try:
        import ray
    except ImportError:
        raise SearchlabError(RAY_MISSING) from None
    import logging

    if not jobs:
        return  # nothing to run: do not start a cluster for it

    started = not ray.is_initialized()
    if started:
        quiet = {"logging_level": logging.WARNING, "log_to_driver": False}
        if address:
            ray.init(address=address, **quiet)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, **quiet)
    pending: list = []
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(_ray_trial)
        refs = {task.remote(trial_fn, trial, str(folder.resolve()), threads): trial for trial, folder in jobs}
        capacity = max(int(ray.cluster_resources().get("CPU", 1)), 1)
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1, timeout=0.5)
            for ref in ready:
                try:
                    outcome = ray.get(ref)
                except ray.exceptions.RayError as err:  # the worker died or the task was lost
                    line = (str(err).strip().splitlines() or [type(err).__name__])[0]
                    outcome = {
                        "status": "failed",
                        "result": None,
                        "error": f"Ray task failed: {line}"[:300],
                        "seconds": None,
                    }
                yield refs[ref], outcome, min(len(pending), capacity)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()


# ----- reading back what a sweep wrote ----------------------------------------------------
#
# A sweep writes every file atomically, so a file here that does not read back is one that
# something else truncated, edited or put there. It is refused with a line naming it, never
# silently run over: the user decides whether to delete it.

SPEC_FIELDS = {"experiment": str, "size": str, "grid": dict, "seeds": list, "overrides": dict}
RECORD_FIX = "delete it to run that trial again"


def read_spec(out: Path) -> dict:
    """`out/sweep.json`, the spec `searchlab sweep` started the sweep in `out` with, checked for shape.

    Raises:
        SearchlabError: there is none, or it is not the object `searchlab sweep` writes
            (truncated, edited, another file); one line naming the file.
    """
    path = Path(out) / "sweep.json"
    if not path.is_file():
        raise SearchlabError(f"{out} holds no sweep to resume (no sweep.json); run without --resume first")
    fix = (
        f"--resume checks the command against it: run the same sweep with another --out "
        f"(moving {out}/trials into it keeps the finished trials)"
    )
    spec = _load_json(path, str(path), fix)
    problem = _shape_problem(spec, "a sweep spec", SPEC_FIELDS)
    if problem is None and not all(type(seed) is int for seed in spec["seeds"]):
        problem = "has 'seeds' that are not all whole numbers"
    if problem:
        raise SearchlabError(f"{path} {problem}; {fix}")
    return spec


def read_record(path: Path, key: str | None = None) -> dict | None:
    """A trial's record as `run_sweep` wrote it, checked for shape; None when there is none yet.

    Args:
        path: `out/trials/<key>.json`.
        key: the trial the record must belong to (None: any).

    Raises:
        SearchlabError: the file is not a trial record (not JSON, not an object, a status other
            than done or failed, a done trial without a result object) or another trial's record.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return None
    record = _load_json(path, f"sweep trial record {path}", RECORD_FIX)
    problem = _shape_problem(record, "a trial record", {"status": str})
    if problem is None:
        status, result = record["status"], record.get("result")
        if status not in ("done", "failed"):
            problem = f"has status {status!r}, not done or failed"
        elif not isinstance(result, dict) and (status == "done" or result is not None):
            problem = f"is {status} but its result is {_kind(result)}, not an object"
        elif key is not None and record.get("key", key) != key:
            problem = f"is the record of trial {record['key']}, not of {key}"
    if problem:
        raise SearchlabError(f"sweep trial record {path} {problem}; {RECORD_FIX}")
    return record


def _load_json(path: Path, name: str, fix: str) -> Any:
    """The JSON in `path`, or a one-line SearchlabError "NAME is not valid JSON (...); FIX"."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        problem = "is not UTF-8 text"
    except json.JSONDecodeError as err:
        problem = f"is not valid JSON ({err.msg} at line {err.lineno} column {err.colno}: truncated or edited?)"
    except RecursionError:
        problem = "is not valid JSON (it nests too deeply)"
    except OSError as err:
        problem = f"cannot be read ({err.strerror or type(err).__name__})"
    raise SearchlabError(f"{name} {problem}; {fix}")


def _shape_problem(value: Any, what: str, fields: dict[str, type]) -> str | None:
    """Why `value` is not an object with `fields` of those types, or None when it is."""
    if not isinstance(value, dict):
        return f"holds {_kind(value)}, not {what}"
    for name, kind in fields.items():
        if name not in value:
            return f"has no {name!r}, so it is not {what}"
        if not isinstance(value[name], kind):
            return f"has {_kind(value[name])} as its {name!r}, not {_kind(kind())}"
    return None


def _kind(value: Any) -> str:
    """What a JSON value is, in words: "a list", "an object", "null" ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    names = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


# ----- the table ----------------------------------------------------------------


def _read_record(out: Path, trial: Trial) -> dict | None:
    return read_record(out / "trials" / f"{trial.key}.json", trial.key)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def table_rows(trials: Sequence[Trial], out: Path) -> list[dict]:
    """One row per trial that has a record: params, seed, status, then scalar results."""
    rows = []
    for trial in trials:
        record = _read_record(out, trial)
        if record is None:
            continue
        result = {k: v for k, v in (record.get("result") or {}).items() if _scalar(v)}
        rows.append({**trial.params_dict, "seed": trial.seed, "status": record["status"], **result})
    return rows


def write_table(trials: Sequence[Trial], out: Path) -> list[dict]:
    """Write `out/table.csv` (atomically) and return its rows."""
    rows = table_rows(trials, out)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    write_text(out / "table.csv", buffer.getvalue())
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return ",".join(map(str, value))
    return str(value)


# ----- a trial for tests and benches -----------------------------------------------


def demo_trial(params: dict, seed: int, folder: Path) -> dict:
    """Fit a student MLP to a random teacher MLP with searchlab's gradient descent.

    Cheap, deterministic given (params, seed), and real searchlab work: the tests and
    `bench/sweep_parallelism.py` sweep it. Params (all optional): width (hidden
    units, 16), steps (Adam steps, 200), lr (0.01), examples (256).

    Raises:
        SearchlabError: an unknown param or a width below 1 (the sweep records it as failed).
    """
    import torch

    from searchlab.core import Budget, SquaredError, SupervisedProblem, run
    from searchlab.core.seeding import spawn_seeds, torch_generator
    from searchlab.optimizers import GradientDescent
    from searchlab.spaces import MLPSpace

    settings = {"width": 16, "steps": 200, "lr": 0.01, "examples": 256}
    unknown = set(params) - set(settings)
    if unknown:
        raise SearchlabError(f"demo_trial has no param {', '.join(sorted(unknown))}; it takes {', '.join(settings)}")
    settings.update(params)
    if int(settings["width"]) < 1:
        raise SearchlabError(f"width must be at least 1, got {settings['width']}")
    data_seed, teacher_seed, run_seed = spawn_seeds(seed, 3)
    x = torch.randn((int(settings["examples"]), 8), generator=torch_generator(data_seed))  # (N, 8)
    teacher = MLPSpace([8, 32, 1], activation="tanh")
    y = teacher.module(teacher.sample(1, torch_generator(teacher_seed))[0])(x).detach()  # (N, 1)
    student = MLPSpace([8, int(settings["width"]), 1], activation="tanh")
    problem = SupervisedProblem(student, x, y, SquaredError())
    result = run(
        problem,
        GradientDescent(algorithm="adam", lr=float(settings["lr"])),
        Budget(steps=int(settings["steps"])),
        seed=run_seed,
    )
    return {"final_loss": result.final_loss, "parameters": student.dim, "steps": result.steps}
