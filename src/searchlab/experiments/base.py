"""What every experiment is: a frozen config dataclass, `prepare` and `run`.

`prepare(config) -> data` loads and checks everything the run needs and writes
nothing, so bad input fails before any folder is made. `run(config, data,
context) -> result` does the work and writes figures, checkpoints and metrics
under the run folder.

The result is a JSON-ready dict. Besides the experiment's own headline keys it
holds a "report" section that the HTML report renders as it is:

    "report": {
        "summary": "prose, one paragraph per line",
        "headline": [{"label": "...", "value": "..."}],
        "figures": [{"path": "figures/name.png", "caption": "..."}],
        "tables": [{"title": "...", "columns": [...], "rows": [[...], ...]}],
        "texts": [{"title": "...", "text": "shown as written, e.g. a model's sample"}],
    }
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from searchlab.core import jsonfile, stages
from searchlab.core.errors import SearchlabError
from searchlab.core.files import save_figure, write_jsonl
from searchlab.core.trace import check_metrics_rows, metrics_row


@dataclass(frozen=True)
class Experiment:
    """A registered experiment.

    Attributes:
        name: the command-line name (`searchlab run NAME`).
        title: the report's heading.
        essay_section: the essay section the experiment measures.
        config: the frozen dataclass of settings; its defaults are the full size.
            It checks its own values in `__post_init__` (raising SearchlabError).
        prepare: `prepare(config) -> data`; raises SearchlabError on bad input, writes nothing.
        run: `run(config, data, context) -> result dict`.
        tour: overrides that shrink the full size to the tour's budget.
        quick: overrides for `--quick` (CI-sized).
        variants: more tour runs of the same experiment, folder suffix -> overrides (for
            example {"arithmetic": {"task": "arithmetic"}} runs into NAME-arithmetic/ too).
        report: `report(config, result, context) -> dict`, from the experiment's `X_report`
            module: draws the figures and returns the result's "report" section. The registry in
            `searchlab.experiments` attaches it, so an experiment never imports its report module.
    """

    name: str
    title: str
    essay_section: str
    config: type
    prepare: Callable[[Any], Any]
    run: Callable[[Any, Any, RunContext], dict]
    tour: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    quick: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    variants: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    report: Callable[[Any, dict, RunContext], dict] | None = None

    def execute(self, config: Any, data: Any, context: RunContext) -> dict:
        """Run, then add the report section (figures drawn) when the experiment has a report module."""
        result = self.run(config, data, context)
        if self.report is not None:
            result = {**result, "report": self.report(config, result, context)}
        return result

    def make_config(self, size: str = "full", **overrides: Any) -> Any:
        """The config at a size ("full", "tour" or "quick") with overrides on top."""
        base = {"full": {}, "tour": dict(self.tour), "quick": {**self.tour, **self.quick}}[size]
        return self.config(**{**base, **overrides})


@dataclass
class RunContext:
    """Where and how an experiment writes.

    Attributes:
        out: the run folder (created by the caller).
        resume: continue from checkpoints under `out/checkpoints`.
        progress: show progress bars.
    """

    out: Path
    resume: bool = False
    progress: bool = True

    def figure(self, figure, name: str, *, dpi: int = 120) -> str:
        """Save a matplotlib figure as figures/NAME (atomically), close it, return its relative path."""
        import matplotlib.pyplot as plt

        path = self.out / "figures" / name
        save_figure(figure, path, dpi=dpi, bbox_inches="tight")
        plt.close(figure)
        return f"figures/{name}"

    def checkpoint_dir(self, stage: str) -> Path:
        return self.out / "checkpoints" / stage

    def write_metrics(self, rows: list[dict]) -> None:
        """Write metrics.jsonl, one row a line; every row must have exactly `core.METRICS_COLUMNS`.

        The check is here, where every experiment writes, so that no experiment's rows can drift
        from the one schema that readers (the report, `searchlab.load_run`, a user's notebook) rely on.

        Raises:
            TypeError: a row of another shape (a bug in the experiment; nothing is written).
        """
        check_metrics_rows(rows)
        write_jsonl(self.out / "metrics.jsonl", rows)

    def bar_label(self, label: str) -> str | None:
        return label if self.progress else None

    def stage(
        self,
        record: Path,
        compute: Callable[[], dict[str, Any]],
        fields: Mapping[str, jsonfile.Kind] | None = None,
        check: stages.Check | None = None,
    ) -> dict[str, Any]:
        """A stage's outcome: read back from `record` when a resumed run finished it, else `compute()`d and kept.

        See `searchlab.core.stages.stage` (fields: entries read back, with their kinds; check: further checks).

        Raises:
            SearchlabError: the record is truncated or of the wrong shape (the message names it).
        """
        return stages.stage(record, compute, resume=self.resume, fields=fields, check=check)


def series_name(parts: Mapping[str, Any]) -> str:
    """The `series` of a metrics row: its parts as "key=value" separated by spaces, in the order given.

    For example {"task": "mlp", "params": 12, "seed": 0} -> "task=mlp params=12 seed=0"; a value with a
    space or a quote in it is quoted as a shell would ("path='behaviour cloning'"), so `shlex.split` takes
    any name apart again. Callers also put the parts into the row's `values`, so that a reader picks
    curves out by value without parsing names at all.
    """
    return " ".join(f"{key}={shlex.quote(str(value))}" for key, value in parts.items())


def series_row(parts: Mapping[str, Any], **columns: Any) -> dict[str, Any]:
    """`core.metrics_row` of the series `series_name(parts)`, with the parts also among its values.

    Args:
        parts: what names the curve (an optimizer, a model size and a seed, a training path).
        columns: the row's columns (step=, forward_equivalents=, ...) and further values.
    """
    return metrics_row(series_name(parts), **columns, **parts)


def settle_variant_settings(config: Any, variant: str, defaults: Mapping[str, Mapping[str, Any]]) -> None:
    """Settings that differ by a variant (a task, a game), fixed in a frozen config's `__post_init__`.

    A field left None takes ``defaults[field][variant]`` (its full size for this variant); a field
    given as a mapping {variant: value} (as experiment sizes may give it) takes the value for
    `variant`. Everything else is left as it is.
    """
    for item in dataclasses.fields(config):
        value = getattr(config, item.name)
        if value is None and item.name in defaults:
            value = defaults[item.name]
        if isinstance(value, Mapping):
            object.__setattr__(config, item.name, value[variant])


def require(condition: bool, message: str) -> None:
    """Raise `SearchlabError(message)` unless `condition`; for config validation."""
    if not condition:
        raise SearchlabError(message)
