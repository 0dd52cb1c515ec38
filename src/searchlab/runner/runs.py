"""One experiment run into one run folder: where it goes, which config it runs, and writing it.

A run folder holds config.json (written first), metrics.jsonl, figures/, checkpoints/
and result.json (written last); all of them atomically. A new run needs a new or
empty folder; `--resume` continues the run already in one, with the config it saved.
`plan_run` does every check before anything is written, `execute` writes.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from searchlab.core.errors import SearchlabError
from searchlab.core.files import check_out_folder, make_out_folder, write_json
from searchlab.runner.config import config_dict, saved_config

if TYPE_CHECKING:
    from searchlab.experiments.base import Experiment

SIZES = ("full", "tour", "quick")


@dataclasses.dataclass(frozen=True)
class RunPlan:
    """A run checked and ready to start: nothing is written yet.

    Attributes:
        experiment: what runs.
        config: its settings (for a resumed run, those in the folder's config.json).
        data: what `experiment.prepare(config)` loaded and checked.
        out: the run folder (new or empty, or the run being resumed).
        resume: continue the run in `out`.
    """

    experiment: Experiment
    config: Any
    data: Any
    out: Path
    resume: bool


def plan_run(
    experiment: Experiment, overrides: dict[str, Any], *, size: str, out: str | Path | None, resume: bool
) -> RunPlan:
    """Check a run as `searchlab run` does, in its order, before anything is written.

    Args:
        experiment: the experiment.
        overrides: typed settings on top of the size (see `searchlab.runner.config`).
        size: "full", "tour" or "quick" (a resumed run keeps the size it was started with).
        out: the run folder; None for runs/NAME (a new run takes runs/NAME-2, -3 ... when
            runs/NAME holds something; --resume always means runs/NAME).
        resume: continue the run in `out`, whose saved settings must agree with `overrides`.

    Raises:
        SearchlabError: a bad setting, a folder that cannot be used (or, for a new run, is not
            empty), no run to resume, or input data the experiment refuses.
    """
    out = None if out is None else Path(out)
    if resume:
        out = out or Path("runs") / experiment.name
        check_out_folder(out)
        config = resumed_config(experiment, out, overrides)
    else:
        if size not in SIZES:
            raise SearchlabError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
        config = experiment.make_config(size, **overrides)
        out = out or free_folder(Path("runs") / experiment.name)
        check_out_folder(out)
        if not is_empty(out):
            raise SearchlabError(f"{out} is not empty; choose another --out, or add --resume to continue the run there")
    return RunPlan(experiment, config, experiment.prepare(config), Path(out), resume)


def execute(experiment: Experiment, config: Any, data: Any, out: Path, *, resume: bool, progress: bool) -> dict:
    """Run into `out`, writing config.json first and result.json last (both atomically); return the result.

    A new folder that a refused run leaves without checkpoints is removed again.
    """
    from searchlab.experiments.base import RunContext

    created = not out.exists()
    make_out_folder(out)
    try:
        if not resume:
            write_json(out / "config.json", {"experiment": experiment.name, "config": config_dict(config)})
        result = experiment.execute(config, data, RunContext(out=out, resume=resume, progress=progress))
    except SearchlabError:
        if created and not (out / "checkpoints").exists():
            shutil.rmtree(out, ignore_errors=True)
        raise
    result = {
        "experiment": experiment.name,
        "title": experiment.title,
        "essay_section": experiment.essay_section,
        **result,
    }
    write_json(out / "result.json", result)
    return result


def execute_plan(plan: RunPlan, *, progress: bool) -> dict:
    """`execute` what `plan_run` checked."""
    return execute(plan.experiment, plan.config, plan.data, plan.out, resume=plan.resume, progress=progress)


def resumed_config(experiment: Experiment, out: Path, overrides: dict[str, Any]) -> Any:
    """The config saved in `out`; settings given again must equal the saved ones.

    Raises:
        SearchlabError: no readable config.json in `out`, or a setting that differs from it.
    """
    config = saved_config(experiment, out)
    current = config_dict(config)
    for key, value in overrides.items():
        if current[key] != value:
            raise SearchlabError(
                f"--{key} {value!r} differs from the run being resumed ({current[key]!r}); "
                "a resumed run keeps its config: drop the setting or start a new run"
            )
    return config


def free_folder(base: Path) -> Path:
    """`base` if it is new or an empty folder, else the first of `base-2`, `base-3` ... that does not exist."""
    if not base.exists() or is_empty(base):
        return base
    n = 2
    while (base.parent / f"{base.name}-{n}").exists():
        n += 1
    return base.parent / f"{base.name}-{n}"


def is_empty(folder: Path) -> bool:
    """Whether `folder` is missing or an empty folder (a file, or a folder that cannot be listed, is not empty)."""
    if not folder.exists():
        return True
    try:
        return folder.is_dir() and not any(folder.iterdir())
    except OSError:
        return False
