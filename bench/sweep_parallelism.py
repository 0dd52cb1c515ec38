"""The local sweep backend keeps both cores busy: the same 8 trials with 1 worker, then 2.

Each trial fits a student MLP to a teacher with searchlab's gradient descent
(`searchlab.runner.demo.demo_trial`, about 2.5 s of single-threaded CPU work).
The serial sweep runs the trials in this process (what `--workers 1` does); the
parallel one runs them on 2 worker processes. Both use one torch thread per
trial, and their results must be identical. Goal: speedup >= 1.7 on 2 cores.

The workers fork from a server process that imports torch once per Python
process (a few seconds, paid by the first sweep only). That one-off start-up is
timed on its own, with a two-trial sweep before the measured ones, and printed;
"speedup" is the steady state a sweep of any length approaches, and
"speedup_with_startup" charges the start-up to these 8 trials.

On a machine shared with other busy processes the number reads low: Linux gives
each session (autogroup) a share of the CPU, so the second worker mostly takes
time from the first. The load average at the start is printed to judge that by.

Prints a human line per sweep, then a JSON object as the last line:
{"speedup": serial_seconds / parallel_seconds, ...}
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from searchlab.core.trials import expand, run_sweep
from searchlab.runner.demo import demo_trial

GRID = {"width": (16, 32, 48, 64), "steps": (5000,)}
SEEDS = (0, 1)  # 4 widths x 2 seeds = 8 trials
WORKERS = 2


def timed_sweep(out: Path, workers: int) -> tuple[float, list[dict]]:
    trials = expand(GRID, SEEDS)
    start = time.perf_counter()
    rows = run_sweep(demo_trial, trials, out, workers=workers, progress=False)
    return time.perf_counter() - start, rows


def main() -> None:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        demo_trial({"steps": 20}, 0, Path(tmp) / "warm-up")  # one-off imports are not what is measured
        started = time.perf_counter()
        run_sweep(demo_trial, expand({"steps": (20,)}, (0, 1)), Path(tmp) / "start-up", workers=WORKERS, progress=False)
        startup = time.perf_counter() - started
        print(f"start-up: {startup:.2f} s (the worker server and two tiny trials; once per process)")
        serial, serial_rows = timed_sweep(Path(tmp) / "serial", 1)
        print(f"1 worker:  {serial:.2f} s for {len(serial_rows)} trials")
        parallel, parallel_rows = timed_sweep(Path(tmp) / "parallel", WORKERS)
        print(f"{WORKERS} workers: {parallel:.2f} s for {len(parallel_rows)} trials")
    failed = sum(row["status"] != "done" for row in serial_rows + parallel_rows)
    print(
        json.dumps(
            {
                "speedup": round(serial / parallel, 3),
                "goal": 1.7,
                "serial_seconds": round(serial, 3),
                "parallel_seconds": round(parallel, 3),
                "startup_seconds": round(startup, 3),
                "speedup_with_startup": round(serial / (parallel + startup), 3),
                "workers": WORKERS,
                "trials": len(serial_rows),
                "failed": failed,
                "same_results": serial_rows == parallel_rows,
                "load_average": round(load, 2),
                "cores": len(os.sched_getaffinity(0)),
            }
        )
    )


if __name__ == "__main__":
    main()
