"""The tour: every experiment (or those asked for) in essay order into one folder, then the HTML report.

A tour folder holds tour.json (its size and settings, for --resume), one run folder per
experiment and variant (NAME or NAME-VARIANT, finished) or `.FOLDER.partial` (running or
interrupted), claims.json (every run's `claims` rows, see `collect_claims`) and index.html.
With --resume, finished runs are kept and interrupted ones continue.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from searchlab.core.errors import SearchlabError
from searchlab.core.files import check_out_folder, read_json, write_json
from searchlab.runner import runs

TOUR_FILE = "tour.json"  # marks a tour folder and records its size and settings, for --resume
CLAIMS_FILE = "claims.json"


def run_tour(
    names: list[str], *, size: str, overrides: dict[str, Any], out: Path, resume: bool, progress: bool
) -> Path:
    """Run the experiments `names` into the tour folder `out` (see `tour_folder`), printing progress.

    Every experiment's config and data are checked before any of them runs.

    Returns:
        The report's path, out/index.html.
    """
    from searchlab.experiments import EXPERIMENTS
    from searchlab.report.html import write_report

    plans = []
    for name in names:
        experiment = EXPERIMENTS[name]
        for suffix, variant in {"": {}, **experiment.variants}.items():
            config = experiment.make_config(size, **{**variant, **overrides})
            folder = f"{name}-{suffix}" if suffix else name
            plans.append((experiment, folder, config, experiment.prepare(config)))
    write_json(out / TOUR_FILE, {"size": size, "overrides": overrides})
    started = time.perf_counter()
    run_dirs = []
    for index, (experiment, folder, config, data) in enumerate(plans, start=1):
        final = out / folder
        partial = out / f".{folder}.partial"
        if resume and (final / "result.json").is_file() and not partial.exists():
            print(f"[{index}/{len(plans)}] {folder}: kept (already finished)")
            run_dirs.append(final)
            continue
        resumed = resume and (partial / "config.json").is_file()
        if partial.exists() and not resumed:
            shutil.rmtree(partial)
        print(f"[{index}/{len(plans)}] {folder}: {experiment.title}", flush=True)
        t0 = time.perf_counter()
        result = runs.execute(experiment, config, data, partial, resume=resumed, progress=progress)
        if final.exists():
            shutil.rmtree(final)
        partial.rename(final)
        run_dirs.append(final)
        for item in result.get("report", {}).get("headline", [])[:4]:
            print(f"    {item['label']}: {item['value']}")
        print(f"    ({time.perf_counter() - t0:.1f} s)", flush=True)
    collect_claims(out / CLAIMS_FILE, run_dirs, size=size)
    index_path = write_report(out / "index.html", run_dirs, size=size, seconds=time.perf_counter() - started)
    print(f"tour finished in {time.perf_counter() - started:.1f} s; report: {index_path}")
    return index_path


def collect_claims(path: Path, run_dirs: list[Path], *, size: str) -> list[dict[str, Any]]:
    """Write every run's `claims` (result.json) to one file, each row naming its run; return the rows.

    The file also states the rule the verdicts were computed by, so that it can be read on its own.
    """
    from searchlab.core.intervals import RULE
    from searchlab.report.claims import claim_rows

    claims = []
    for folder in run_dirs:
        result = read_json(folder / "result.json", fix=f"run the tour again with --resume to redo {folder.name}")
        good, _ = claim_rows(result) if isinstance(result, dict) else ([], 0)  # malformed rows: left out
        claims += [{**row, "run": folder.name} for row in good]
    write_json(path, {"size": size, "rule": RULE, "claims": claims})
    return claims


def tour_names(only: str | None) -> list[str]:
    """The experiments to run: all of them, or those `--only` names (at least one, each once)."""
    from searchlab.experiments import EXPERIMENTS, get_experiment

    if only is None:
        return list(EXPERIMENTS)
    names = [get_experiment(n.strip()).name for n in only.split(",") if n.strip()]
    if not names:
        raise SearchlabError(
            f"--only {only!r} names no experiment; give comma-separated names, e.g. --only regression,digits "
            "(see `searchlab list`), or leave --only out to run them all"
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise SearchlabError(f"--only lists {twice[0]} twice; list each experiment once")
    return names


def tour_folder(out: Path | None, *, resume: bool, size: str, overrides: dict[str, Any]) -> Path:
    """The tour's folder: a new or empty one; with `resume`, also one that holds a tour made with the same settings.

    A folder that holds anything else (a run folder, a tour without --resume) is refused, so a tour never
    overwrites what it did not write or, unasked, what it did. None means runs/tour (runs/tour-2 ... when
    that holds something and this is not a resume).
    """
    from searchlab.report.html import check_report_path

    if not resume:
        out = out or runs.free_folder(Path("runs") / "tour")
        check_out_folder(out)
        if not runs.is_empty(out):
            what = "holds a tour" if _holds_tour(out) else "is not empty"
            raise SearchlabError(f"{out} {what}; add --resume to continue the tour there, or choose another --out")
        return out
    out = out or Path("runs") / "tour"
    check_out_folder(out)
    if not runs.is_empty(out) and not _holds_tour(out):
        raise SearchlabError(
            f"{out} holds files a tour does not write, so it is no tour to resume; choose another --out"
        )
    if (out / TOUR_FILE).is_file():
        saved = _read_tour_file(out / TOUR_FILE)
        for key, value in {"size": size, "overrides": overrides}.items():
            if saved.get(key) != value:
                raise SearchlabError(
                    f"this tour's {key} ({json.dumps(value)}) differs from the one in {out} "
                    f"({json.dumps(saved.get(key))}); repeat the original command with --resume, "
                    "or choose another --out"
                )
    check_report_path(out / "index.html")
    return out


def _holds_tour(out: Path) -> bool:
    """Whether the folder `out` holds a tour: its tour.json, or (older tours) only what a tour writes."""
    from searchlab.experiments import EXPERIMENTS

    if (out / TOUR_FILE).is_file():
        return True
    folders = [
        f"{name}-{suffix}" if suffix else name
        for name, experiment in EXPERIMENTS.items()
        for suffix in ("", *experiment.variants)
    ]
    allowed = {"index.html", CLAIMS_FILE, *folders, *(f".{folder}.partial" for folder in folders)}
    try:
        return all(entry.name in allowed for entry in out.iterdir())
    except OSError:
        return False


def _read_tour_file(path: Path) -> dict[str, Any]:
    saved = read_json(path, fix="delete it to resume the tour with the settings given now")
    if not isinstance(saved, dict):
        raise SearchlabError(
            f"{path} is not a tour record (not a JSON object); delete it to resume the tour with the settings given now"
        )
    return saved


def report_runs(out: Path, run_folders: list[Path]) -> Path:
    """`searchlab report`: the HTML report of finished run folders, in their order, written to `out`.

    Raises:
        SearchlabError: `out` cannot take a report (a folder, unwritable, a file searchlab did not write)
            or a folder is not a finished run; checked before anything is written.
    """
    from searchlab.report.html import check_report_path, write_report

    check_report_path(out)  # a folder, an unwritable path or a file that is not a report: refused first
    for folder in run_folders:
        if not (folder / "result.json").is_file():
            raise SearchlabError(f"{folder} is not a finished run folder (no result.json)")
    return write_report(out, run_folders)
