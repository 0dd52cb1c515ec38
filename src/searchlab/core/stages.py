"""Stages: parts of a run whose whole outcome is kept once they finish, so a resumed run reads it back.

`core.run` checkpoints a search between its steps. Some work is not one search: a round robin, the
compressor baselines of a text, one cell of an ablation, a tuning run that must end in a number. Such a
part is a *stage*. When it finishes, its outcome (a JSON object) is written atomically to its record
file; a resumed run that finds the record reads it back, checked for shape, instead of doing the work
again. An interrupted stage left no record, so it runs again from its start.

A stage's pictures (tensors the report draws but result.json does not hold) are kept with
`keep_tensors` and read with `kept_tensors`, in the checkpoint format of `core.checkpoint`.

This module and the loop are the only writers of what a resumed run reads: experiments describe their
stages, the core keeps them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from searchlab.core import checkpoint, jsonfile
from searchlab.core.files import write_json

RECORD = "outcome.json"  # the usual name of a stage's record in its folder

Check = Callable[[dict[str, Any], Path], None]


def stage(
    record: str | Path,
    compute: Callable[[], dict[str, Any]],
    *,
    resume: bool,
    fields: Mapping[str, jsonfile.Kind] | None = None,
    check: Check | None = None,
) -> dict[str, Any]:
    """The outcome of a stage: read back from `record` when resuming a run that finished it, else computed.

    Args:
        record: the JSON file the finished stage's outcome is kept in.
        compute: does the stage's work and returns its outcome (a JSON-ready dict).
        resume: whether this run continues an earlier one (only then is a record read back).
        fields: entries the caller reads, with their kinds (see `searchlab.core.jsonfile`).
        check: further checks of a record read back: raises SearchlabError naming the file.

    Raises:
        SearchlabError: a record that is truncated, of the wrong shape, or refused by `check`; the message
            names the file and says to delete it to run the stage again.
    """
    record = Path(record)
    if resume and record.is_file():
        return read(record, fields=fields, check=check, fix=f"delete {record} to run that stage again")
    outcome = compute()
    write_json(record, outcome)
    return outcome


def read(
    record: str | Path,
    *,
    fields: Mapping[str, jsonfile.Kind] | None = None,
    check: Check | None = None,
    fix: str = "run the experiment again",
) -> dict[str, Any]:
    """A finished stage's record, checked; for readers (a report) that need it after the run.

    Raises:
        SearchlabError: naming the file, when it is missing, truncated or of the wrong shape (`fix` says what to do).
    """
    record = Path(record)
    outcome = jsonfile.read_object(record, fields=fields, fix=fix)
    if check is not None:
        check(outcome, record)
    return outcome


def keep_tensors(directory: str | Path, state: dict[str, Any]) -> None:
    """Keep a stage's nested dict of tensors, numbers and lists in `directory` (replacing what was there)."""
    checkpoint.save(directory, state, tag="kept")


def kept_tensors(directory: str | Path, keys: Iterable[str]) -> dict[str, Any]:
    """What `keep_tensors` kept in `directory`; every one of `keys` must be there.

    Raises:
        SearchlabError: naming the folder, when nothing is kept there or it is damaged.
    """
    return checkpoint.load(directory, keys=keys)
