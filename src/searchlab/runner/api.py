"""The Python API: run an experiment as `searchlab run` does, or load a run folder, from a notebook or script.

    import searchlab

    run = searchlab.run("regression", size="quick", out="runs/r", seed=3, lr=0.05)
    run.result["closed_form"]  # result.json as a dict
    run.metrics[-1]["loss"]    # metrics.jsonl, one dict a row, the same columns in every experiment
    [row["loss"] for row in run.metrics if row["values"]["optimizer"] == "gradient"]  # one curve
    run.figures                # the files under figures/
    again = searchlab.load_run("runs/r")

Both go through the same checks and the same code as the command line, so a bad
setting raises `SearchlabError` with the message the command line prints after
"error: ", and the run folder is the one `searchlab run` would write.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from searchlab.core import checks, jsonfile
from searchlab.core.errors import SearchlabError


@dataclasses.dataclass(frozen=True)
class Run:
    """A run folder, read back.

    Attributes:
        folder: the run folder.
        experiment: the experiment's name.
        config: the settings the run used (config.json's "config").
        result: result.json: the headline numbers and the "report" section.
        metrics: metrics.jsonl's rows, one dict per row (empty when the run wrote none). Every
            experiment writes the columns `searchlab.core.METRICS_COLUMNS`: series (which curve),
            step, forward_equivalents, examples_seen, labels, seconds, loss (null where the
            experiment does not measure it) and values (a dict of its own numbers, among them the
            parts of the series' name, such as "optimizer").
        figures: the files under figures/, sorted by path.
    """

    folder: Path
    experiment: str
    config: dict[str, Any]
    result: dict[str, Any]
    metrics: list[dict[str, Any]]
    figures: list[Path]

    def __repr__(self) -> str:  # short: a notebook shows it whole
        return (
            f"Run({str(self.folder)!r}, experiment={self.experiment!r}, {len(self.config)} settings, "
            f"{len(self.metrics)} metric rows, {len(self.figures)} figures)"
        )


def run(
    name: str,
    *,
    size: str = "full",
    out: str | Path | None = None,
    seed: int | None = None,
    resume: bool = False,
    progress: bool = False,
    **overrides: Any,
) -> Run:
    """Run experiment `name` into a run folder exactly as `searchlab run NAME` does; return the folder read back.

    Args:
        name: the experiment (`searchlab list` shows them).
        size: "full" (the default, as `searchlab run`), "tour" or "quick" (as `--quick`).
            A resumed run keeps the size it was started with.
        out: the run folder, which must be new or empty. None, as for the command line:
            runs/NAME under the current folder, or runs/NAME-2, -3 ... when runs/NAME holds
            something; with `resume`, runs/NAME.
        seed: the random seed (None: the experiment's default, 0).
        resume: continue the interrupted run in `out` (as `--resume`); settings given
            again must equal the ones it was started with.
        progress: show progress bars (off by default, unlike the command line).
        **overrides: config settings by name (`lr=0.05`, `optimizers=("gradient",)`), as
            `--KEY VALUE` on the command line; a string is read as the command line reads it.

    Returns:
        The finished run (see `Run`).

    Raises:
        SearchlabError: an unknown experiment or setting, a value of the wrong type or one the
            config refuses, a folder that is not new or empty, no run to resume, or bad input
            data; the message is the one `searchlab run` prints after "error: ".
        KeyboardInterrupt: the run was interrupted; `resume=True` continues it.
    """
    from searchlab.experiments import get_experiment
    from searchlab.runner.config import typed_overrides
    from searchlab.runner.runs import execute_plan, plan_run

    experiment = get_experiment(name)
    settings = typed_overrides(experiment.config, overrides)
    if seed is not None:
        if not checks.is_whole(seed) or seed < 0:
            raise SearchlabError(f"--seed expects a whole number >= 0, got {seed!r}")
        settings["seed"] = seed
    plan = plan_run(experiment, settings, size=size, out=out, resume=resume)
    execute_plan(plan, progress=progress)
    return load_run(plan.out)


def load_run(path: str | Path) -> Run:
    """The finished run in folder `path` (one `searchlab run`, a tour or `searchlab.run` wrote).

    Raises:
        SearchlabError: `path` is not a finished run folder (no result.json), or its config.json,
            result.json or metrics.jsonl does not read back (truncated, edited); the message names the file.
    """
    folder = Path(path)
    if not (folder / "result.json").is_file():
        raise SearchlabError(f"{folder} is not a finished run folder (no result.json)")
    fix = "it is not as searchlab wrote it; run the experiment again into a new folder"
    saved = jsonfile.read_object(folder / "config.json", fix=fix, fields={"experiment": str, "config": dict})
    result = jsonfile.read_object(folder / "result.json", fix=fix)
    metrics_path = folder / "metrics.jsonl"
    metrics = jsonfile.read_lines(metrics_path, fix=fix) if metrics_path.is_file() else []
    figures_folder = folder / "figures"
    figures = sorted(p for p in figures_folder.rglob("*") if p.is_file()) if figures_folder.is_dir() else []
    return Run(folder, saved["experiment"], saved["config"], result, metrics, figures)
