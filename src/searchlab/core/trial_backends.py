"""Where a sweep's trials run: in this process, in local worker processes, or on a Ray cluster.

Each backend is a generator of `(trial, outcome, trials still running)` in the order the
trials finish; `searchlab.core.trials.run_sweep` writes each outcome as it comes. Closing
the generator early (Ctrl-C, an error) stops the workers.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from searchlab.core.errors import SearchlabError
from searchlab.core.files import jsonable
from searchlab.core.trial_records import Trial

TrialFn = Callable[[dict, int, Path], dict]
Results = Iterator[tuple[Trial, dict, int]]  # (trial, outcome, trials still running)
RAY_MISSING = "the Ray backend needs the ray extra: pip install 'searchlab[ray]'"


def run_trial(trial_fn: TrialFn, trial: Trial, folder: Path) -> dict:
    """Run one trial in a fresh folder; an exception is a failed trial, not a failed sweep."""
    shutil.rmtree(folder, ignore_errors=True)  # what a killed attempt left behind
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        # Through JSON and back: numpy scalars become floats, and a result that cannot be saved fails here.
        result = json.loads(json.dumps(trial_fn(trial.params_dict, trial.seed, folder), default=jsonable))
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


def in_process_results(trial_fn: TrialFn, jobs: list[tuple[Trial, Path]], threads: int) -> Results:
    """The trials one after another in this process, with torch pinned to `threads` meanwhile."""
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for index, (trial, folder) in enumerate(jobs, start=1):
            yield trial, run_trial(trial_fn, trial, folder), int(index < len(jobs))  # the next one starts now
    finally:
        torch.set_num_threads(saved)


def local_results(trial_fn: TrialFn, jobs: list[tuple[Trial, Path]], workers: int, threads: int) -> Results:
    """The trials on `workers` local processes (in this process when `workers` is 1)."""
    if workers <= 1:
        yield from in_process_results(trial_fn, jobs, threads)
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
    context.set_forkserver_preload(["searchlab.core.trial_backends"])
    return context


def _ray_trial(trial_fn: TrialFn, trial: Trial, folder: str, threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    return run_trial(trial_fn, trial, Path(folder))


def ray_results(
    trial_fn: TrialFn, jobs: list[tuple[Trial, Path]], workers: int, address: str | None, threads: int
) -> Results:
    """The trials on a Ray cluster: the one at `address`, or a local Ray with `workers` CPUs started here."""
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
