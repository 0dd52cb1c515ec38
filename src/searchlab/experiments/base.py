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
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from searchlab.core import jsonfile
from searchlab.core.errors import SearchlabError
from searchlab.core.files import save_figure, write_jsonl


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
        write_jsonl(self.out / "metrics.jsonl", rows)

    def bar_label(self, label: str) -> str | None:
        return label if self.progress else None

    def saved(self, path: Path, fields: Mapping[str, jsonfile.Kind] | None = None) -> dict[str, Any] | None:
        """What a finished stage of a resumed run saved in the JSON file `path`, or None when it must run.

        Args:
            path: the stage's record, written when the stage finished.
            fields: entries the caller reads, with their kinds (see `searchlab.core.jsonfile`).

        Raises:
            SearchlabError: the file is truncated or of the wrong shape (the message names it).
        """
        if not (self.resume and path.is_file()):
            return None
        return jsonfile.read_object(path, fields=fields, fix=f"delete {path} to run that stage again")


def config_fields(config_cls: type) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(config_cls)}


def parse_overrides(config_cls: type, raw: Mapping[str, str]) -> dict[str, Any]:
    """Turn command-line strings into typed config values; unknown keys name the valid ones."""
    fields = config_fields(config_cls)
    hints = typing.get_type_hints(config_cls)
    values = {}
    for key, text in raw.items():
        name = key.replace("-", "_")
        if name not in fields:
            raise SearchlabError(f"unknown setting --{key}; valid settings are {', '.join('--' + f for f in fields)}")
        values[name] = _parse_value(name, text, hints[name])
    return values


def _parse_value(name: str, text: str, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if text.lower() in ("none", "null") and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _parse_value(name, text, inner[0])
    if origin is tuple:
        element = args[0] if args else str
        items = [item.strip() for item in text.split(",") if item.strip()]
        return tuple(_parse_value(name, item, element) for item in items)
    if hint is bool:
        lowered = text.lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise SearchlabError(f"--{name} expects true or false, got {text!r}")
    if hint in (int, float):
        try:
            return hint(text)
        except ValueError:
            kind = "a whole number" if hint is int else "a number"
            raise SearchlabError(f"--{name} expects {kind}, got {text!r}") from None
    return text


def config_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def saved_config(experiment: Experiment, out: Path) -> Any:
    """The config of the run in folder `out`, read back from its config.json, for `--resume`.

    Settings missing from the file take their defaults and unknown ones are ignored
    (the file may come from another version); every setting present must have its type.

    Raises:
        SearchlabError: naming the file: there is none, it is truncated or not a config of
            `experiment`, a setting has the wrong type, or the config refuses a value.
    """
    path = Path(out) / "config.json"
    if not path.is_file():
        raise SearchlabError(f"{out} holds no run to resume (no config.json); run without --resume first")
    fix = "restore it, or start a new run without --resume"
    saved = jsonfile.read_object(path, fix=fix, fields={"experiment": str, "config": dict})
    if saved["experiment"] != experiment.name:
        raise SearchlabError(f"{out} holds a {saved['experiment']!r} run, not {experiment.name!r}")
    hints = typing.get_type_hints(experiment.config)
    values = {
        name: _saved_value(saved["config"][name], hints[name], f"{path} setting {name!r}", fix)
        for name in config_fields(experiment.config)
        if name in saved["config"]
    }
    try:
        return experiment.config(**values)
    except SearchlabError as err:
        raise SearchlabError(f"{path}: {err}") from None
    except (TypeError, ValueError, KeyError) as err:
        raise SearchlabError(
            f"{path} holds settings this version cannot use ({type(err).__name__}: {err}); {fix}"
        ) from None


def _saved_value(value: Any, hint: Any, where: str, fix: str) -> Any:
    """A setting as config.json holds it, checked against the field's type; JSON lists back to tuples."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _saved_value(value, inner[0], where, fix)
    if origin is tuple:
        jsonfile.check_kind(value, list, where=where, fix=fix)
        element = args[0] if args else jsonfile.ANY
        return tuple(_saved_value(item, element, f"{where} item {i}", fix) for i, item in enumerate(value))
    kinds = {bool: bool, int: int, float: jsonfile.NUMBER, str: str}.get(hint)
    return value if kinds is None else jsonfile.check_kind(value, kinds, where=where, fix=fix)


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
