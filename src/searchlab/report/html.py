"""The HTML report: one self-contained page that shows a list of run folders.

`write_report(path, run_dirs)` reads each run's `result.json` (its "report" section,
see `searchlab.experiments.base`) and `config.json`, and writes one page with a
section per run, in the order given. Figures and files are linked by paths
relative to the page's folder, so the page keeps working when the folder that
holds it and the runs is opened elsewhere or moved as a whole. The page uses
inline CSS only: no JavaScript, no fonts or scripts from the network.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import sys
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from searchlab.core import jsonfile
from searchlab.core.errors import SearchlabError
from searchlab.core.files import check_out_file, write_text
from searchlab.core.version import __version__
from searchlab.report.claims import claims_section, scale_line, seeds_line, verdict_line
from searchlab.report.html_values import duration, esc, format_value, href, image_size, inside, is_number

TITLE = "searchlab: machine learning as search over programs"

INTRODUCTION = (
    "Instead of writing a program by hand, machine learning searches for one. Every "
    "experiment on this page is built from the same four parts: a <b>search space</b> "
    "(the model class: every program the search may return), <b>training data</b>, a "
    "<b>performance metric</b> that scores a candidate on that data, and an "
    "<b>optimization algorithm</b> that decides which candidates to try next.",
    "Each section below takes one idea from the essay, runs the search, and reports what "
    "it found and what it cost. Cost is counted in <i>forward-equivalents</i>: scoring one "
    "candidate on one example costs 1, and a backward pass for a gradient costs 2 more, "
    "so exhaustive search, random perturbation and gradient descent can be compared on "
    "the same scale.",
)

# Every page names its writer in its head, so that `searchlab report` can tell a page it may replace from any
# other file.
_GENERATOR_TAG = '<meta name="generator" content="searchlab'
# Pages written before the generator tag began like this.
_LEGACY_HEAD = '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
_HEAD_BYTES = 4096

# Keys of result.json that the page shows elsewhere, not as "other results".
_KNOWN_KEYS = {"experiment", "title", "essay_section", "report"}


@dataclass(frozen=True)
class _Run:
    """One run folder as read from disk."""

    folder: Path
    result: dict[str, Any]
    config: dict[str, Any] | None
    config_note: str | None  # why config.json could not be shown, if it could not


def write_report(path: Path, run_dirs: list[Path], *, size: str | None = None, seconds: float | None = None) -> Path:
    """Write the HTML report for `run_dirs` (in that order) to `path`, atomically.

    Args:
        path: the HTML file to write; its folder is created if missing.
        run_dirs: finished run folders, each holding result.json (and usually config.json,
            metrics.jsonl and figures/).
        size: the budget the runs were made at ("tour", "quick" or "full"), for the footer.
        seconds: total wall time of the runs, for the footer.

    Returns:
        `path`.

    Raises:
        SearchlabError: a run folder has no result.json, or one that is not a valid JSON object or
            holds a table whose columns or rows are not arrays (figures outside the run folder
            are shown as a note, never read); or `path` is a folder or cannot be written. An
            existing file at `path` is replaced: the command line first refuses, with
            `check_report_path`, any that is not a searchlab report.
    """
    path = Path(path)
    check_out_file(path)
    runs = [_load_run(Path(folder)) for folder in run_dirs]  # read everything before writing
    page_dir = Path(os.path.abspath(path.parent))
    anchors = _anchors(runs)
    sections = "\n".join(
        _section(number, run, anchor, page_dir) for number, (run, anchor) in enumerate(zip(runs, anchors), start=1)
    )
    body = "\n".join(
        [
            '<header class="masthead">',
            f"<h1>{esc(TITLE)}</h1>",
            *(f'<p class="lede">{paragraph}</p>' for paragraph in INTRODUCTION),
            scale_line(size, len(runs)),
            "</header>",
            claims_section([(_name(run), run.result) for run in runs]),
            _contents(runs, anchors),
            sections or '<p class="note">No runs were given, so there is nothing to show yet.</p>',
            _footer(size, seconds, len(runs)),
        ]
    )
    page = (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'{_GENERATOR_TAG} {esc(__version__)}">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f"<title>{esc(TITLE)}</title>\n<style>{_css()}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
    write_text(path, page)
    return path


def check_report_path(path: Path) -> None:
    """Refuse a report path that is a folder, that cannot be written, or that holds anything but a searchlab report.

    Only a page this module wrote may be replaced: `searchlab report RUN --out RUN/result.json`
    must never turn a run's result into HTML.

    Raises:
        SearchlabError: the path cannot take the report.
    """
    path = Path(path)
    check_out_file(path)
    if path.exists() and not is_report(path):
        raise SearchlabError(
            f"--out {path} exists and is not a searchlab report, so it is not replaced; choose another --out "
            "(a new file, or a report written before)"
        )


def is_report(path: Path) -> bool:
    """Whether `path` is an HTML page that `write_report` wrote (its head names searchlab as the generator)."""
    if not path.is_file():  # a FIFO or a device is no report, and opening one could block
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return False
    if _GENERATOR_TAG in head:
        return True
    return head.startswith(_LEGACY_HEAD) and f"<title>{esc(TITLE)}</title>" in head


# ----- reading --------------------------------------------------------------


def _load_run(folder: Path) -> _Run:
    result_path = folder / "result.json"
    if not folder.is_dir():
        raise SearchlabError(f"run folder {folder} does not exist; check the path, or run the experiment first")
    if not result_path.is_file():
        raise SearchlabError(
            f"{folder} has no result.json, so its run did not finish; finish it with "
            f"`searchlab run NAME --out {folder} --resume`, or leave the folder out of the report"
        )
    fix = "run the experiment again to rewrite it, or leave the folder out of the report"
    result = jsonfile.read_object(result_path, fix=fix)
    _check_report(result.get("report"), result_path, fix)

    config, note = None, None
    config_path = folder / "config.json"
    if config_path.is_file():
        try:  # shown for reference only: a damaged one is noted on the page, not an error
            loaded = jsonfile.read(config_path, fix="")
            config = loaded if isinstance(loaded, dict) else None
            note = None if config is not None else "config.json does not hold a JSON object."
        except SearchlabError:
            note = "config.json is not valid JSON."
    else:
        note = "This run folder has no config.json."
    return _Run(folder=folder, result=result, config=config, config_note=note)


def _check_report(report: Any, result_path: Path, fix: str) -> None:
    """Refuse a report section whose tables cannot be drawn: `columns` and `rows` are arrays when given.

    Other parts of the wrong kind are shown as missing (see `_section` and `_items`).

    Raises:
        SearchlabError: naming `result_path`, the table and the entry.
    """
    if not isinstance(report, dict):
        return
    for number, table in enumerate(_items(report.get("tables"))):
        for key in ("columns", "rows"):
            if table.get(key) is not None:
                jsonfile.check_kind(
                    table[key], list, where=f"{result_path} 'report' table {number + 1} {key!r}", fix=fix
                )


def _anchors(runs: list[_Run]) -> list[str]:
    """A unique, URL-safe id per section: the experiment name, with -2, -3 ... on repeats."""
    seen: dict[str, int] = {}
    anchors = []
    for run in runs:
        base = re.sub(r"[^a-z0-9]+", "-", _name(run).lower()).strip("-") or "run"
        seen[base] = seen.get(base, 0) + 1
        anchors.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return anchors


def _name(run: _Run) -> str:
    return str(run.result.get("experiment") or (run.config or {}).get("experiment") or run.folder.name)


def _title(run: _Run) -> str:
    return str(run.result.get("title") or _name(run))


# ----- rendering ------------------------------------------------------------


def _contents(runs: list[_Run], anchors: list[str]) -> str:
    if not runs:
        return ""
    items = []
    for run, anchor in zip(runs, anchors):
        essay = str(run.result.get("essay_section") or "")
        cite = f' <span class="toc-essay">{esc(essay)}</span>' if essay else ""
        items.append(f'<li><a href="#{anchor}">{esc(_title(run))}</a>{cite}</li>')
    return '<nav class="toc" aria-label="Contents">\n<h2>Contents</h2>\n<ol>\n' + "\n".join(items) + "\n</ol>\n</nav>"


def _section(number: int, run: _Run, anchor: str, page_dir: Path) -> str:
    parts = [f'<section class="run" id="{anchor}">', f'<h2><span class="num">{number}.</span> {esc(_title(run))}</h2>']
    essay = str(run.result.get("essay_section") or "")
    if essay:
        parts.append(f'<p class="essay">Measures the essay section <cite>“{esc(essay)}”</cite></p>')
    parts.append(verdict_line(run.result))
    parts.append(seeds_line(run.config))
    report = run.result.get("report")
    if isinstance(report, dict):
        parts += [_summary(report.get("summary")), _headline(report.get("headline"))]
        parts += [_figure(item, run.folder, page_dir) for item in _items(report.get("figures"))]
        parts += [_table(item) for item in _items(report.get("tables"))]
        parts += [_text(item) for item in _items(report.get("texts"))]
    else:
        parts.append(
            '<p class="note">This run\'s result.json has no report section, so there is no summary '
            "or figure to show; its numbers are below and in result.json.</p>"
        )
        parts.append(_other_results(run.result))
    parts += [_config(run), _links(run.folder, page_dir), "</section>"]
    return "\n".join(part for part in parts if part)


def _items(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _summary(summary: Any) -> str:
    if not summary:
        return ""
    lines = summary if isinstance(summary, list) else str(summary).splitlines()
    return "\n".join(f"<p>{esc(line.strip())}</p>" for line in map(str, lines) if line.strip())


def _headline(headline: Any) -> str:
    cards = [
        f'<div class="card"><div class="value">{esc(format_value(item.get("value")))}</div>'
        f'<div class="label">{esc(item.get("label", ""))}</div></div>'
        for item in _items(headline)
    ]
    return f'<div class="cards">\n{"".join(cards)}\n</div>' if cards else ""


def _figure(item: dict, folder: Path, page_dir: Path) -> str:
    relative = str(item.get("path") or "")
    caption = str(item.get("caption") or "")
    file = inside(folder, relative) if relative else None
    if relative and file is None:  # never read, never linked: the page shows only what the run folder holds
        return f'<p class="note">Figure not shown: {esc(relative)} is outside the run folder. {esc(caption)}</p>'
    if file is None or not file.is_file():
        return f'<p class="note">Figure missing: {esc(relative or "(no path given)")} {esc(caption)}</p>'
    size = image_size(file)
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    alt = caption or f"figure {Path(relative).name}"
    link = href(file, page_dir)
    return (
        f'<figure>\n<a href="{link}"><img src="{link}" alt="{esc(alt)}"{dims}></a>\n'
        f"<figcaption>{esc(caption)}</figcaption>\n</figure>"
    )


def _table(item: dict) -> str:
    columns = [str(c) for c in item.get("columns") or []]
    rows = [row if isinstance(row, list) else [row] for row in item.get("rows") or []]
    width = max([len(columns), *(len(row) for row in rows)], default=0)
    numeric = [
        all(is_number(row[i]) for row in rows if i < len(row) and row[i] is not None)
        and any(i < len(row) and is_number(row[i]) for row in rows)
        for i in range(width)
    ]
    head = "".join(f'<th{_align(numeric[i])} scope="col">{esc(c)}</th>' for i, c in enumerate(columns))
    body = "\n".join(
        "<tr>" + "".join(f"<td{_align(is_number(cell))}>{esc(format_value(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    title = str(item.get("title") or "")
    caption = f"<caption>{esc(title)}</caption>" if title else ""
    thead = f"<thead><tr>{head}</tr></thead>" if columns else ""
    return f'<div class="table-wrap"><table>{caption}{thead}\n<tbody>\n{body}\n</tbody></table></div>'


def _text(item: dict) -> str:
    """A block of text shown as written (a model's sample), with its title."""
    title = str(item.get("title") or "")
    caption = f"<figcaption>{esc(title)}</figcaption>" if title else ""
    return f'<figure class="text">{caption}<pre>{esc(str(item.get("text") or ""))}</pre></figure>'


def _align(numeric: bool) -> str:
    return ' class="n"' if numeric else ""


def _other_results(result: dict) -> str:
    rows = [[key, value] for key, value in result.items() if key not in _KNOWN_KEYS]
    return _table({"columns": ["result", "value"], "rows": rows}) if rows else ""


def _config(run: _Run) -> str:
    if run.config is None:
        return f'<p class="note">{esc(run.config_note or "No configuration recorded.")}</p>'
    settings = run.config.get("config", run.config)
    if not isinstance(settings, dict):
        settings = {"config": settings}
    rows = "\n".join(
        f'<tr><th scope="row">{esc(key)}</th><td>{esc(format_value(value))}</td></tr>'
        for key, value in settings.items()
    )
    return (
        f'<details class="config"><summary>Configuration ({len(settings)} settings)</summary>\n'
        f'<div class="table-wrap"><table class="kv"><tbody>\n{rows}\n</tbody></table></div>\n</details>'
    )


def _links(folder: Path, page_dir: Path) -> str:
    names = ["result.json", "config.json", "metrics.jsonl"]
    links = [f'<a href="{href(folder / name, page_dir)}">{name}</a>' for name in names if (folder / name).is_file()]
    links.append(f'<a href="{href(folder, page_dir)}/">run folder</a>')
    return f'<p class="files">Files: {" · ".join(links)}</p>'


def _footer(size: str | None, seconds: float | None, count: int) -> str:
    generated = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
    facts = [f"Generated {generated}", f"{count} run{'s' if count != 1 else ''}"]
    if size:
        facts.append(f"size: {size}")
    if seconds is not None:
        facts.append(f"total time {duration(seconds)}")
    versions = f"Python {platform.python_version()} · torch {_torch_version()} · searchlab {__version__}"
    return (
        f"<footer>\n<p>{esc(' · '.join(facts))}</p>\n<p>{esc(versions)}</p>\n"
        "<p>Every number on this page is read from the run folders; rerun with "
        "<code>searchlab tour</code> or rebuild the page with <code>searchlab report</code>.</p>\n</footer>"
    )


def _torch_version() -> str:
    module = sys.modules.get("torch")
    if module is not None:
        return str(module.__version__)
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "not installed"


def _css() -> str:
    """The style sheet shipped beside this module (inlined so the page needs no other file)."""
    return resources.files("searchlab.report").joinpath("style.css").read_text(encoding="utf-8")
