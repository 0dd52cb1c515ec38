"""Run the test suite pinned to one core and on every core, and report tests whose outcome differs.

A seeded training run gives the same numbers only on one machine with one thread
count: float reductions are ordered differently with more threads and on other CPUs.
A test that passes with 2 threads and fails with 1 (or the reverse) sits on a knife's
edge and will fail on somebody's machine. `taskset -c 0` leaves one core, so torch
starts with one thread; the normal run uses every core this process may use.

Usage (from the project root, after `make install`):

    .venv/bin/python scripts/pinned_vs_normal.py              # both runs, one after the other
    .venv/bin/python scripts/pinned_vs_normal.py --together   # both at once: also loads the machine
    .venv/bin/python scripts/pinned_vs_normal.py -- tests/signals -k reward   # pytest arguments after --

Prints each mode's torch thread count and pass / fail / skip counts, then every test
whose outcome differs (with the first line of its failure), and writes the comparison
as JSON to --out. Exit status: 0 when every outcome agrees, 1 when some differ, 2 on
bad usage (taskset missing, only one core, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODES = ("pinned", "normal")


def _command(mode: str, junit: Path, pytest_args: list[str]) -> list[str]:
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *pytest_args]
    return ["taskset", "-c", "0", *pytest] if mode == "pinned" else pytest


def _torch_threads(mode: str) -> int:
    probe = [sys.executable, "-c", "import torch; print(torch.get_num_threads())"]
    command = ["taskset", "-c", "0", *probe] if mode == "pinned" else probe
    return int(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def outcomes(junit: Path) -> dict[str, tuple[str, str]]:
    """{test id: (outcome, first line of its message)} from a pytest junit XML file."""
    results: dict[str, tuple[str, str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
                message = (child.get("message") or child.text or "").strip().splitlines()[:1]
                message = message[0][:200] if message else ""
                break
        results[test_id] = (outcome, message)
    return results


def compare(pinned: dict[str, tuple[str, str]], normal: dict[str, tuple[str, str]]) -> list[dict[str, str]]:
    """Tests whose outcome differs between the modes, or that ran in one mode only."""
    differ = []
    for test_id in sorted(set(pinned) | set(normal)):
        a, b = pinned.get(test_id, ("absent", "")), normal.get(test_id, ("absent", ""))
        if a[0] != b[0]:
            differ.append({"test": test_id, "pinned": a[0], "normal": b[0], "message": a[1] or b[1]})
    return differ


def _counts(results: dict[str, tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome, _ in results.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    return dict(sorted(counts.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="Arguments after -- go to pytest.")
    parser.add_argument(
        "--together", action="store_true", help="run both modes at the same time (slower each, also a load test)"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "runs" / "pinned_vs_normal.json", help="where to write the comparison (JSON)"
    )
    args, pytest_args = parser.parse_known_args(argv)
    pytest_args = [a for a in pytest_args if a != "--"]
    if shutil.which("taskset") is None:
        print("error: taskset is missing (Debian: apt-get install util-linux)", file=sys.stderr)
        return 2
    if len(os.sched_getaffinity(0)) < 2:
        print(
            "error: this process may use only one core, so both runs would be pinned; run it on a machine with two or "
            "more",
            file=sys.stderr,
        )
        return 2
    threads = {mode: _torch_threads(mode) for mode in MODES}
    with tempfile.TemporaryDirectory() as tmp:
        junit = {mode: Path(tmp) / f"{mode}.xml" for mode in MODES}
        logs = {mode: Path(tmp) / f"{mode}.log" for mode in MODES}
        seconds: dict[str, float] = {}
        started: dict[str, float] = {}
        processes: dict[str, subprocess.Popen] = {}
        for mode in MODES:
            print(f"running the suite {mode} (torch threads: {threads[mode]}) ...", flush=True)
            started[mode] = time.perf_counter()
            with logs[mode].open("w") as log:
                processes[mode] = subprocess.Popen(
                    _command(mode, junit[mode], pytest_args), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
                )
            if not args.together:
                processes[mode].wait()
                seconds[mode] = time.perf_counter() - started[mode]
        for mode in MODES:
            processes[mode].wait()
            seconds.setdefault(mode, time.perf_counter() - started[mode])
        missing = [mode for mode in MODES if not junit[mode].exists()]
        if missing:
            for mode in missing:
                print(logs[mode].read_text()[-3000:], file=sys.stderr)
            print(
                f"error: pytest wrote no report in the {', '.join(missing)} run (its output is above)", file=sys.stderr
            )
            return 2
        results = {mode: outcomes(junit[mode]) for mode in MODES}
    differ = compare(results["pinned"], results["normal"])
    for mode in MODES:
        print(f"{mode:>6}: torch threads {threads[mode]}, {seconds[mode]:.0f} s, {_counts(results[mode])}")
    if differ:
        print(f"{len(differ)} test(s) whose outcome depends on the core count:")
        for row in differ:
            print(f"  {row['test']}: pinned {row['pinned']}, normal {row['normal']}  {row['message']}")
    else:
        print(f"every one of the {len(results['normal'])} tests had the same outcome pinned and normal")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "threads": threads,
                "seconds": {m: round(s, 1) for m, s in seconds.items()},
                "counts": {m: _counts(results[m]) for m in MODES},
                "differ": differ,
                "failed_in_both": sorted(
                    t
                    for t, (o, _) in results["normal"].items()
                    if o in ("failed", "error") and results["pinned"].get(t, ("",))[0] == o
                ),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.out}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
