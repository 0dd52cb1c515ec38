"""What a sweep writes and reads back: the trial, its record, the sweep's spec and the table.

A sweep writes every file atomically, so a file here that does not read back is one that
something else truncated, edited or put there. It is refused with a line naming it, never
silently run over: the user decides whether to delete it.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from searchlab.core.errors import SearchlabError
from searchlab.core.files import jsonable, write_text

SPEC_FIELDS = {"experiment": str, "size": str, "grid": dict, "seeds": list, "overrides": dict}
RECORD_FIX = "delete it to run that trial again"


@dataclasses.dataclass(frozen=True)
class Trial:
    """One grid point and one seed.

    Attributes:
        params: (key, value) pairs in grid order; values are hashable (lists are tuples).
        seed: the trial's seed.
    """

    params: tuple[tuple[str, Any], ...]
    seed: int

    @property
    def params_dict(self) -> dict[str, Any]:
        return dict(self.params)

    @property
    def key(self) -> str:
        """A file-name-safe, stable name: readable settings, then a hash of them all."""
        parts = [f"{k}={'+'.join(map(str, v)) if isinstance(v, tuple) else v}" for k, v in self.params]
        readable = re.sub(r"[^A-Za-z0-9._=+-]", "_", "_".join([*parts, f"seed={self.seed}"]))[:80]
        canonical = json.dumps([sorted(self.params), self.seed], default=jsonable)
        return f"{readable}-{hashlib.sha1(canonical.encode()).hexdigest()[:8]}"


def read_spec(out: Path) -> dict:
    """`out/sweep.json`, the spec `searchlab sweep` started the sweep in `out` with, checked for shape.

    Raises:
        SearchlabError: there is none, or it is not the object `searchlab sweep` writes
            (truncated, edited, another file); one line naming the file.
    """
    path = Path(out) / "sweep.json"
    if not path.is_file():
        raise SearchlabError(f"{out} holds no sweep to resume (no sweep.json); run without --resume first")
    fix = (
        f"--resume checks the command against it: run the same sweep with another --out "
        f"(moving {out}/trials into it keeps the finished trials)"
    )
    spec = _load_json(path, str(path), fix)
    problem = _shape_problem(spec, "a sweep spec", SPEC_FIELDS)
    if problem is None and not all(type(seed) is int for seed in spec["seeds"]):
        problem = "has 'seeds' that are not all whole numbers"
    if problem:
        raise SearchlabError(f"{path} {problem}; {fix}")
    return spec


def read_record(path: Path, key: str | None = None) -> dict | None:
    """A trial's record as `run_sweep` wrote it, checked for shape; None when there is none yet.

    Args:
        path: `out/trials/<key>.json`.
        key: the trial the record must belong to (None: any).

    Raises:
        SearchlabError: the file is not a trial record (not JSON, not an object, a status other
            than done or failed, a done trial without a result object) or another trial's record.
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return None
    record = _load_json(path, f"sweep trial record {path}", RECORD_FIX)
    problem = _shape_problem(record, "a trial record", {"status": str})
    if problem is None:
        status, result = record["status"], record.get("result")
        if status not in ("done", "failed"):
            problem = f"has status {status!r}, not done or failed"
        elif not isinstance(result, dict) and (status == "done" or result is not None):
            problem = f"is {status} but its result is {_kind(result)}, not an object"
        elif key is not None and record.get("key", key) != key:
            problem = f"is the record of trial {record['key']}, not of {key}"
    if problem:
        raise SearchlabError(f"sweep trial record {path} {problem}; {RECORD_FIX}")
    return record


def trial_record(out: Path, trial: Trial) -> dict | None:
    """The record of `trial` in the sweep folder `out` (see `read_record`), None when it has none yet."""
    return read_record(out / "trials" / f"{trial.key}.json", trial.key)


def _load_json(path: Path, name: str, fix: str) -> Any:
    """The JSON in `path`, or a one-line SearchlabError "NAME is not valid JSON (...); FIX"."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        problem = "is not UTF-8 text"
    except json.JSONDecodeError as err:
        problem = f"is not valid JSON ({err.msg} at line {err.lineno} column {err.colno}: truncated or edited?)"
    except RecursionError:
        problem = "is not valid JSON (it nests too deeply)"
    except OSError as err:
        problem = f"cannot be read ({err.strerror or type(err).__name__})"
    raise SearchlabError(f"{name} {problem}; {fix}")


def _shape_problem(value: Any, what: str, fields: dict[str, type]) -> str | None:
    """Why `value` is not an object with `fields` of those types, or None when it is."""
    if not isinstance(value, dict):
        return f"holds {_kind(value)}, not {what}"
    for name, kind in fields.items():
        if name not in value:
            return f"has no {name!r}, so it is not {what}"
        if not isinstance(value[name], kind):
            return f"has {_kind(value[name])} as its {name!r}, not {_kind(kind())}"
    return None


def _kind(value: Any) -> str:
    """What a JSON value is, in words: "a list", "an object", "null" ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    names = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


# ----- the table ----------------------------------------------------------------


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def table_rows(trials: Sequence[Trial], out: Path) -> list[dict]:
    """One row per trial that has a record: params, seed, status, then scalar results."""
    rows = []
    for trial in trials:
        record = trial_record(out, trial)
        if record is None:
            continue
        result = {k: v for k, v in (record.get("result") or {}).items() if _scalar(v)}
        rows.append({**trial.params_dict, "seed": trial.seed, "status": record["status"], **result})
    return rows


def write_table(trials: Sequence[Trial], out: Path) -> list[dict]:
    """Write `out/table.csv` (atomically) and return its rows."""
    rows = table_rows(trials, out)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    write_text(out / "table.csv", buffer.getvalue())
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return ",".join(map(str, value))
    return str(value)
