"""A sweep's numbers over its seeds: per grid point, each number's mean with a 95% bootstrap interval.

table.csv keeps one row per trial; summary.csv folds the seeds of each grid point into one row per
(grid point, number): how many seeds finished, the mean, the interval's ends and the spread (sample
standard deviation). Numbers that are the same in every seed (settings echoed into result.json,
counts fixed by the size) are left out: an interval of a constant says nothing. The interval is the
percentile bootstrap of `searchlab.core.intervals`; with one finished seed there is none.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import numpy as np

from searchlab.core.files import write_text
from searchlab.core.intervals import bootstrap_interval

COLUMNS = ("number", "seeds", "mean", "ci_low", "ci_high", "std")


def summarise(rows: list[dict[str, Any]], params: list[str]) -> list[dict[str, Any]]:
    """One row per grid point and number that varies across that point's finished seeds.

    Args:
        rows: the sweep's table (one dict per trial, with the grid's params, "seed" and "status").
        params: the grid's setting names, in order.

    Returns:
        Dicts with the params' values, then `COLUMNS`; grid points in the table's order.
    """
    points: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("status") == "done":
            points.setdefault(tuple(repr(row.get(p)) for p in params), []).append(row)
    summary = []
    for trials in points.values():
        names = [key for key in trials[0] if key not in (*params, "seed", "status")]
        for name in names:
            values = [trial.get(name) for trial in trials]
            if not all(_is_number(v) for v in values) or len(set(values)) == 1:
                continue
            interval = bootstrap_interval(values)
            summary.append(
                {
                    **{p: trials[0].get(p) for p in params},
                    "number": name,
                    "seeds": len(values),
                    "mean": interval.estimate,
                    "ci_low": interval.low,
                    "ci_high": interval.high,
                    "std": float(np.std(values, ddof=1)),
                }
            )
    return summary


def write_summary(path: Path, summary: list[dict[str, Any]], params: list[str]) -> None:
    """summary.csv, written whole or not at all (list-valued settings joined with commas, as in table.csv)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*params, *COLUMNS], lineterminator="\n")
    writer.writeheader()
    for row in summary:
        writer.writerow({key: ",".join(map(str, v)) if isinstance(v, tuple | list) else v for key, v in row.items()})
    write_text(path, buffer.getvalue())


def print_summary(summary: list[dict[str, Any]], params: list[str], most: int = 6) -> None:
    """The headline numbers (losses and accuracies first) as `mean [low, high]` per grid point."""
    if not summary:
        return
    names = list(dict.fromkeys(row["number"] for row in summary))
    scores = [n for n in names if any(word in n.rsplit(".", 1)[-1] for word in ("loss", "accuracy"))]
    shown = set(list(dict.fromkeys(scores + names))[:most])
    print(f"over seeds (mean and 95% bootstrap interval; all numbers in summary.csv): {len(names)} numbers vary")
    for row in summary:
        if row["number"] in shown:
            where = ", ".join(f"{p}={row[p]}" for p in params)
            interval = "" if row["ci_low"] is None else f" [{row['ci_low']:.4g}, {row['ci_high']:.4g}]"
            print(f"  {where + '  ' if where else ''}{row['number']}: {row['mean']:.4g}{interval} (n={row['seeds']})")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
