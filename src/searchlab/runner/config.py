"""An experiment's settings in and out: command-line text, Python values, and config.json.

The command line gives settings as text (`--lr 0.05`), the Python API as values
(`lr=0.05`); both end up as the same typed values of the experiment's frozen config
class, which then checks them itself in `__post_init__`. A run folder's config.json
holds them as `{"experiment": NAME, "config": {...}}` and `saved_config` reads it back
for `--resume`.
"""

from __future__ import annotations

import dataclasses
import numbers
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from searchlab.core import jsonfile
from searchlab.core.errors import SearchlabError

if TYPE_CHECKING:
    from searchlab.experiments.base import Experiment


def config_fields(config_cls: type) -> dict[str, dataclasses.Field]:
    """The config class's fields by name, in their order."""
    return {f.name: f for f in dataclasses.fields(config_cls)}


def config_dict(config: Any) -> dict[str, Any]:
    """A config's settings as a dict (what config.json's "config" holds)."""
    return dataclasses.asdict(config)


def setting_name(config_cls: type, key: str) -> str:
    """The field that `--KEY` (or the keyword KEY) sets: dashes read as underscores.

    Raises:
        SearchlabError: the config has no such setting; the message lists the valid ones.
    """
    fields = config_fields(config_cls)
    name = key.replace("-", "_")
    if name not in fields:
        raise SearchlabError(f"unknown setting --{key}; valid settings are {', '.join('--' + f for f in fields)}")
    return name


def settings_text(extra: list[str]) -> dict[str, str]:
    """The command line's settings, as text by key: `['--lr', '0.1', '--x=temp']` -> `{'lr': '0.1', 'x': 'temp'}`.

    Raises:
        SearchlabError: an argument that is not `--KEY VALUE` or `--KEY=VALUE`.
    """
    pairs: dict[str, str] = {}
    i = 0
    while i < len(extra):
        token = extra[i]
        if not token.startswith("--") or token == "--":
            raise SearchlabError(f"unexpected argument {token!r}; settings are given as --KEY VALUE")
        if "=" in token:
            key, value = token[2:].split("=", 1)
            i += 1
        else:
            if i + 1 >= len(extra):
                raise SearchlabError(f"setting {token} needs a value, as in {token} VALUE")
            key, value = token[2:], extra[i + 1]
            i += 2
        pairs[key] = value
    return pairs


def parse_overrides(config_cls: type, raw: Mapping[str, str]) -> dict[str, Any]:
    """Turn command-line strings into typed config values; unknown keys name the valid ones."""
    return _settings(config_cls, raw, parse_value)


def typed_overrides(config_cls: type, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Python values for config settings, checked as the command line checks its text.

    A string given for a setting that is not text is read exactly as the command line
    reads it (`"0.05"`, `"none"`, `"a,b"`); other values must have the setting's type
    (an int is taken for a float, a list or tuple for a tuple). The config's own checks
    run later, when it is built.

    Raises:
        SearchlabError: an unknown setting (listing the valid ones) or a value of the wrong type.
    """
    return _settings(config_cls, raw, typed_value)


def _settings(config_cls: type, raw: Mapping[str, Any], read: Callable[[str, Any, Any], Any]) -> dict[str, Any]:
    """Each given setting by its field name, read by `read(name, value, type hint)`."""
    hints = typing.get_type_hints(config_cls)
    values = {}
    for key, value in raw.items():
        name = setting_name(config_cls, key)
        values[name] = read(name, value, hints[name])
    return values


def parse_value(name: str, text: str, hint: Any) -> Any:
    """Command-line text for setting `name` as a value of the type `hint`.

    Raises:
        SearchlabError: the text is not of that type ("--lr expects a number, got 'x'").
    """
    if (optional := _optional(hint)) is not None:
        inner, allows_none = optional
        return None if allows_none and text.lower() in ("none", "null") else parse_value(name, text, inner)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is tuple:
        element = args[0] if args else str
        items = [item.strip() for item in text.split(",") if item.strip()]
        return tuple(parse_value(name, item, element) for item in items)
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


def typed_value(name: str, value: Any, hint: Any) -> Any:
    """A Python value for setting `name`, checked against the type `hint` (see `typed_overrides`).

    Raises:
        SearchlabError: the value is not of that type.
    """
    if isinstance(value, str) and hint is not str:
        return parse_value(name, value, hint)
    if (optional := _optional(hint)) is not None:
        inner, allows_none = optional
        return None if allows_none and value is None else typed_value(name, value, inner)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise SearchlabError(f"--{name} expects a list of values, got {value!r}")
        element = args[0] if args else typing.Any
        return tuple(typed_value(name, item, element) for item in value)
    if hint is bool and not isinstance(value, bool):
        raise SearchlabError(f"--{name} expects true or false, got {value!r}")
    if hint is int and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
        raise SearchlabError(f"--{name} expects a whole number, got {value!r}")
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise SearchlabError(f"--{name} expects a number, got {value!r}")
        return float(value)
    if hint is str and not isinstance(value, str):
        raise SearchlabError(f"--{name} expects text, got {value!r}")
    return int(value) if hint is int else value


def show_value(value: Any) -> str:
    """A setting's value as the command line writes it: `1,2` for a tuple, `none` for None."""
    if isinstance(value, dict):  # a size that differs by task: "800 (tictactoe) / 1000 (arithmetic)"
        return " / ".join(f"{show_value(v)} ({k})" for k, v in value.items())
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value) or "''"
    return "none" if value is None else str(value)


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
        name: saved_value(saved["config"][name], hints[name], f"{path} setting {name!r}", fix)
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


def saved_value(value: Any, hint: Any, where: str, fix: str) -> Any:
    """A setting as config.json holds it, checked against the field's type; JSON lists back to tuples."""
    if (optional := _optional(hint)) is not None:
        inner, allows_none = optional
        return None if allows_none and value is None else saved_value(value, inner, where, fix)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is tuple:
        jsonfile.check_kind(value, list, where=where, fix=fix)
        element = args[0] if args else jsonfile.ANY
        return tuple(saved_value(item, element, f"{where} item {i}", fix) for i, item in enumerate(value))
    kinds = {bool: bool, int: int, float: jsonfile.NUMBER, str: str}.get(hint)
    return value if kinds is None else jsonfile.check_kind(value, kinds, where=where, fix=fix)


def _optional(hint: Any) -> tuple[Any, bool] | None:
    """For a union hint (`int | None`): its first non-None member and whether None is allowed; else None."""
    if typing.get_origin(hint) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(hint)
    return next(a for a in args if a is not type(None)), type(None) in args
