"""Measure every registered test threshold over many seeds and torch thread counts.

Tests of trained or searched quantities register them with `tests/margins.py`
(`@margin(seed=..., name=(op, threshold))`). This script imports every test module,
runs each registered quantity for seeds 0..N-1 (and the test's own seed) with each
thread count, and prints, for every bound, the worst value, the mean and standard
deviation over all draws, and how many standard deviations the worst value sits
clear of the threshold. A bound passes the rule when every draw passes and the
worst is at least 3 standard deviations clear (see `margins.clear`).

Usage (from the project root, after `make install`):

    .venv/bin/python scripts/measure_margins.py                      # everything, 10 seeds, 1 and 2 threads
    .venv/bin/python scripts/measure_margins.py --only arithmetic --seeds 20

Results are merged into --out (JSON, one entry per quantity), so partial runs add up.
Exit status: 0 when every measured bound meets the rule, 1 when one does not.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


def load_test_modules() -> None:
    """Import every tests/**/test_*.py under a unique name, so that their @margin registrations run."""
    sys.path.insert(0, str(TESTS))
    for path in sorted(TESTS.rglob("test_*.py")):
        name = "margin_tests." + ".".join(path.relative_to(TESTS).with_suffix("").parts)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)


def measure(entry, seeds: list[int], threads: list[int]) -> dict:
    from margins import clear

    draws: dict[str, list[float]] = {name: [] for name in entry.bounds}
    rows = []
    started = time.perf_counter()
    saved = torch.get_num_threads()
    try:
        for count in threads:
            torch.set_num_threads(count)
            for seed in seeds:
                values = entry.function(seed)
                rows.append({"threads": count, "seed": seed, **{k: float(v) for k, v in values.items()}})
                for name in draws:
                    draws[name].append(float(values[name]))
    finally:
        torch.set_num_threads(saved)
    bounds = {
        name: {"op": op, "threshold": threshold, **clear(draws[name], op, threshold)}
        for name, (op, threshold) in entry.bounds.items()
    }
    return {
        "seed": entry.seed,
        "seeds": seeds,
        "threads": threads,
        "draws": len(rows),
        "seconds": round(time.perf_counter() - started, 1),
        "bounds": bounds,
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seeds", type=int, default=10, help="seeds 0..N-1 are measured, plus each test's own (default 10)"
    )
    parser.add_argument("--threads", default="1,2", help="torch thread counts, comma-separated (default 1,2)")
    parser.add_argument(
        "--only",
        default="",
        help="measure only quantities whose name contains this text (or one of these, comma-separated)",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the registered quantities and their bounds, measure nothing"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "runs" / "margins.json", help="JSON file to merge the results into"
    )
    args = parser.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    if args.seeds < 2 or not threads or min(threads) < 1:
        print("error: --seeds must be at least 2 and --threads a list of counts >= 1", file=sys.stderr)
        return 2

    load_test_modules()
    from margins import REGISTRY

    wanted = [part for part in args.only.split(",") if part] or [""]
    chosen = {name: entry for name, entry in REGISTRY.items() if any(part in name for part in wanted)}
    if not chosen:
        print(
            f"error: no registered quantity matches {args.only!r} ({len(REGISTRY)} registered; see --list)",
            file=sys.stderr,
        )
        return 2
    if args.list:
        for name, entry in chosen.items():
            print(f"{name.removeprefix('margin_tests.')} (seed {entry.seed}): {entry.bounds}")
        return 0

    results = json.loads(args.out.read_text()) if args.out.is_file() else {}
    failing = []
    for name, entry in tqdm(chosen.items(), desc="quantities", unit="quantity"):
        seeds = sorted(set(range(args.seeds)) | {entry.seed})
        short = name.removeprefix("margin_tests.")
        results[short] = measure(entry, seeds, threads)
        for bound, row in results[short]["bounds"].items():
            verdict = "ok" if row["ok"] else "TOO CLOSE"
            tqdm.write(
                f"{short} {bound} {row['op']} {row['threshold']}: worst {row['worst']:.4g}, mean {row['mean']:.4g} "
                f"+- {row['std']:.3g} -> {row['sigmas_clear']:.1f} sd clear [{verdict}]"
            )
            if not row["ok"]:
                failing.append(f"{short} {bound}")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(
        f"wrote {args.out}; {len(failing)} bound(s) too close to their thresholds"
        + (": " + ", ".join(failing) if failing else "")
    )
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
