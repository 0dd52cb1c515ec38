"""The claims table that opens the report, and the one-line verdicts that open each section.

Every experiment may list `claims` in its result.json: rows of `core.intervals.CLAIM_KEYS` whose
verdict was computed from an interval by the rule in `core.intervals.RULE`. The report gathers them
into one table at the top, states the rule under it, and opens each run's section with its verdicts.
A row that is not such a dict is left out of the table and counted in a note: the report of a damaged
result.json still renders.
"""

from __future__ import annotations

from typing import Any

from searchlab.core.intervals import CLAIM_KEYS, RULE, VERDICTS
from searchlab.report.html_values import esc, format_value


def claim_rows(result: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The well-formed claim rows of a result, and how many rows were not."""
    claims = result.get("claims")
    if not isinstance(claims, list):
        return [], 0 if claims is None else 1
    good = [row for row in claims if isinstance(row, dict) and set(CLAIM_KEYS) <= set(row)]
    good = [row for row in good if row["verdict"] in VERDICTS]
    return good, len(claims) - len(good)


def claims_section(results: list[tuple[str, dict[str, Any]]]) -> str:
    """The table of every run's claims (run name, claim, estimate with its interval, baseline, seeds, verdict)."""
    rows, bad = [], 0
    for name, result in results:
        good, skipped = claim_rows(result)
        bad += skipped
        rows += [(name, row) for row in good]
    if not rows and not bad:
        return ""
    body = "\n".join(
        "<tr>"
        f"<td>{esc(row['claim'])}<br><small>{esc(row['measure'])}</small></td>"
        f'<td class="n">{esc(_interval(row))}</td>'
        f'<td class="n">{esc(format_value(row["baseline"]))}</td>'
        f'<td class="n">{esc(format_value(row["seeds"]))}</td>'
        f'<td class="verdict {esc(row["verdict"])}"><strong>{esc(row["verdict"])}</strong></td>'
        f"<td>{esc(name)}</td>"
        "</tr>"
        for name, row in rows
    )
    head = "".join(
        f'<th scope="col">{c}</th>'
        for c in ("Claim (and what was measured)", "Estimate [95% interval]", "Baseline", "Seeds", "Verdict", "Run")
    )
    note = f'<p class="note">{bad} claim rows were not well formed and are left out.</p>' if bad else ""
    return (
        '<section class="claims" id="claims">\n<h2>The essay\'s claims, measured</h2>\n'
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>\n'
        f'<p class="note">How a verdict is computed: {esc(RULE)}.</p>{note}\n</section>'
    )


def verdict_line(result: dict[str, Any]) -> str:
    """One line opening a run's section: each of its claims' ids with its verdict; empty without claims."""
    good, _ = claim_rows(result)
    if not good:
        return ""
    parts = ", ".join(f"{row['id']}: <strong>{esc(row['verdict'])}</strong>" for row in good)
    return f'<p class="verdicts">Verdicts: {parts}.</p>'


def _interval(row: dict[str, Any]) -> str:
    estimate = format_value(row["estimate"])
    if row["ci_low"] is None or row["ci_high"] is None:
        return f"{estimate} (no interval)"
    return f"{estimate} [{format_value(row['ci_low'])}, {format_value(row['ci_high'])}]"


SIZE_WORDS = {
    "full": "full size (`searchlab run NAME`)",
    "tour": "the tour's budgets (`searchlab tour`: every experiment in about 15 minutes on 2 cores)",
    "quick": "the quick budgets (`--quick`: a check that everything runs, in minutes; too small to read much into)",
}


def scale_line(size: str | None, count: int) -> str:
    """The line under the page's title that says how big the runs below were; empty when unknown."""
    if size is None:
        return ""
    return f'<p class="facts">{count} run{"s" if count != 1 else ""} at {esc(SIZE_WORDS.get(size, size))}.</p>'


def seeds_line(config: Any) -> str:
    """How many independent runs a run's settings asked for (config.json's `seeds` or `*_seeds`); empty if none."""
    settings = config.get("config") if isinstance(config, dict) else None
    if not isinstance(settings, dict):
        return ""
    seeds = {key: value for key, value in settings.items() if key == "seeds" or key.endswith("_seeds")}
    if not seeds or not all(isinstance(v, int) and not isinstance(v, bool) for v in seeds.values()):
        return ""
    words = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in seeds.items())
    return f'<p class="facts">Independent runs per measurement: {esc(words)} (each claim says its own count).</p>'
