"""The HTML report: order, relative links, escaping, number formats, errors, atomic write."""

from __future__ import annotations

import json
import re
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from searchlab.core import metrics_row
from searchlab.core.errors import SearchlabError
from searchlab.core.intervals import RULE, bootstrap_interval, claim_row
from searchlab.report.html import write_report


def make_run(
    folder: Path, name: str, *, title: str | None = None, report: dict | None = None, with_report: bool = True
) -> Path:
    """A finished run folder with config.json, metrics.jsonl, result.json and one tiny PNG."""
    (folder / "figures").mkdir(parents=True)
    Image.new("RGB", (8, 6), (200, 30, 30)).save(folder / "figures" / "loss.png")
    (folder / "config.json").write_text(
        json.dumps({"experiment": name, "config": {"seed": 0, "lr": 0.05, "label": "a<b"}})
    )
    (folder / "metrics.jsonl").write_text(
        json.dumps(metrics_row("optimizer=sgd", step=0, forward_equivalents=0, loss=1.0)) + "\n"
    )
    result = {
        "experiment": name,
        "title": title or f"The {name} experiment",
        "essay_section": "Stochastic gradient descent",
    }
    if with_report:
        result["report"] = report or {
            "summary": "First paragraph.\nSecond paragraph.",
            "headline": [{"label": "test accuracy", "value": "0.97"}],
            "figures": [{"path": "figures/loss.png", "caption": f"Loss of {name}"}],
            "tables": [
                {
                    "title": "final losses",
                    "columns": ["optimizer", "loss", "spent"],
                    "rows": [["gradient", 0.123456789, 1234567]],
                }
            ],
        }
    (folder / "result.json").write_text(json.dumps(result))
    return folder


class _Collect(HTMLParser):
    """Every img src and a href in a page, and whether it parses."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs)
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])


def parse(page: Path) -> _Collect:
    collector = _Collect()
    collector.feed(page.read_text(encoding="utf-8"))
    return collector


def resolve(page: Path, href: str) -> Path:
    return (page.parent / urllib.parse.unquote(href)).resolve()


def test_sections_appear_in_the_given_order(tmp_path):
    runs = [make_run(tmp_path / n, n) for n in ("zeta", "alpha", "mid")]
    page = write_report(tmp_path / "index.html", runs)
    assert page == tmp_path / "index.html"
    text = page.read_text(encoding="utf-8")
    positions = [text.index(f'id="{n}"') for n in ("zeta", "alpha", "mid")]
    assert positions == sorted(positions)
    # The table of contents links to each section in the same order.
    toc = [href for href in parse(page).links if href.startswith("#")]
    assert toc == ["#zeta", "#alpha", "#mid"]
    assert "Stochastic gradient descent" in text
    assert text.count("<p>First paragraph.</p>") == 3 and text.count("<p>Second paragraph.</p>") == 3


def test_repeated_experiments_get_distinct_anchors(tmp_path):
    runs = [make_run(tmp_path / "a", "same"), make_run(tmp_path / "b", "same")]
    text = write_report(tmp_path / "index.html", runs).read_text(encoding="utf-8")
    assert 'id="same"' in text and 'id="same-2"' in text


@pytest.mark.parametrize("page_folder", [".", "report", "deep/er/report"])
def test_figures_and_files_are_linked_relative_to_the_page(tmp_path, page_folder):
    runs = [make_run(tmp_path / "runs" / "my run", "regression"), make_run(tmp_path / "elsewhere" / "digits", "digits")]
    page = write_report(tmp_path / page_folder / "index.html", runs)
    collected = parse(page)
    assert len(collected.images) == 2
    for image, run in zip(collected.images, runs):
        src = image["src"]
        assert not src.startswith("/") and "://" not in src
        assert resolve(page, src) == (run / "figures" / "loss.png").resolve()
        assert image["alt"].startswith("Loss of")
        assert (image["width"], image["height"]) == ("8", "6")
    files = [href for href in collected.links if not href.startswith("#")]
    for name in ("result.json", "config.json", "metrics.jsonl"):
        targets = {resolve(page, href) for href in files if href.endswith(name)}
        assert targets == {(run / name).resolve() for run in runs}


def test_links_survive_moving_the_whole_folder(tmp_path):
    runs = [make_run(tmp_path / "tour" / "regression", "regression")]
    write_report(tmp_path / "tour" / "index.html", runs)
    moved = tmp_path / "moved"
    (tmp_path / "tour").rename(moved)
    page = moved / "index.html"
    (image,) = parse(page).images
    assert resolve(page, image["src"]).is_file()


def test_text_is_escaped(tmp_path):
    evil = "<script>alert(1)</script> & more"
    report = {
        "summary": evil,
        "headline": [{"label": evil, "value": "<b>1</b>"}],
        "figures": [{"path": "figures/loss.png", "caption": evil}],
        "tables": [{"title": evil, "columns": [evil], "rows": [[evil]]}],
    }
    run = make_run(tmp_path / "run", "x", title=evil, report=report)
    text = write_report(tmp_path / "index.html", [run]).read_text(encoding="utf-8")
    assert "<script>" not in text and "<b>1</b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in text
    assert "a&lt;b" in text  # config values too
    assert " & " not in text


def test_table_numbers_are_formatted_and_right_aligned(tmp_path):
    report = {
        "tables": [
            {
                "title": "numbers",
                "columns": ["name", "float", "int", "tiny", "huge"],
                "rows": [["a", 0.123456789, 1234567, 1.23456e-7, 6.02214076e23], ["b", 2.0, 12, None, float("nan")]],
            }
        ]
    }
    run = make_run(tmp_path / "run", "x", report=report)
    text = write_report(tmp_path / "index.html", [run]).read_text(encoding="utf-8")
    cells = re.findall(r"<td( class=\"n\")?>(.*?)</td>", text.split("<details")[0])
    assert cells[:5] == [
        ("", "a"),
        (' class="n"', "0.1235"),
        (' class="n"', "1,234,567"),
        (' class="n"', "1.235e-7"),
        (' class="n"', "6.022e23"),
    ]
    assert cells[5:] == [("", "b"), (' class="n"', "2"), (' class="n"', "12"), ("", "—"), (' class="n"', "NaN")]
    assert '<th class="n" scope="col">float</th>' in text and '<th scope="col">name</th>' in text


def test_missing_report_section_is_tolerated(tmp_path):
    run = make_run(tmp_path / "run", "bare", title="A bare run", with_report=False)
    text = write_report(tmp_path / "index.html", [run]).read_text(encoding="utf-8")
    assert "A bare run" in text and "no report section" in text


def test_missing_result_json_names_the_folder(tmp_path):
    good = make_run(tmp_path / "good", "good")
    bad = make_run(tmp_path / "unfinished", "bad")
    (bad / "result.json").unlink()
    with pytest.raises(SearchlabError, match=r"unfinished.*result\.json.*--resume"):
        write_report(tmp_path / "index.html", [good, bad])
    assert not (tmp_path / "index.html").exists()


def test_invalid_result_json_names_the_file(tmp_path):
    bad = make_run(tmp_path / "broken", "bad")
    (bad / "result.json").write_text('{"experiment": "bad", ')
    with pytest.raises(SearchlabError, match=r"broken.*result\.json is not valid JSON.*again"):
        write_report(tmp_path / "index.html", [bad])


def test_written_atomically_without_leftovers(tmp_path):
    runs = [make_run(tmp_path / "runs" / "a", "a")]
    page = tmp_path / "out" / "index.html"
    page.parent.mkdir()
    page.write_text("old page")
    write_report(page, runs, size="quick", seconds=125.0)
    assert sorted(p.name for p in page.parent.iterdir()) == ["index.html"]
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "size: quick" in text and "2 min 05 s" in text
    # A failing report leaves the old page in place and no temporary file behind.
    (runs[0] / "result.json").write_text("not json")
    with pytest.raises(SearchlabError):
        write_report(page, runs)
    assert sorted(p.name for p in page.parent.iterdir()) == ["index.html"] and page.read_text(encoding="utf-8") == text


def test_page_is_self_contained(tmp_path):
    text = write_report(tmp_path / "index.html", [make_run(tmp_path / "a", "a")]).read_text(encoding="utf-8")
    assert "<script" not in text and "http://" not in text and "https://" not in text
    assert '<meta name="viewport"' in text and "<details" in text
    assert "Python" in text and "torch" in text and "searchlab" in text


# ----- claims: the table that opens the report, the verdict line that opens a section -----


def _with_claims(folder, claims):
    result = json.loads((folder / "result.json").read_text())
    result["claims"] = claims
    (folder / "result.json").write_text(json.dumps(result))
    return folder


def test_claims_open_the_report_with_the_rule_and_each_section_with_its_verdicts(tmp_path):
    supported = claim_row(
        "a_beats_b",
        "A beats <B>",
        "A minus B",
        bootstrap_interval([0.2, 0.3, 0.25]),
        threshold=0.0,
        baseline=0.5,
        section="S",
    )
    unsure = claim_row("c_helps", "C helps", "gain", bootstrap_interval([0.1]), threshold=0.0, section="S")
    first = _with_claims(make_run(tmp_path / "one", "one"), [supported, unsure])
    second = make_run(tmp_path / "two", "two")  # no claims: no verdict line
    page = write_report(tmp_path / "index.html", [first, second]).read_text()
    table = page[page.index('id="claims"') : page.index("</section>", page.index('id="claims"'))]
    assert "A beats &lt;B&gt;" in table and "supported" in table and "inconclusive" in table
    assert "(no interval)" in table  # one seed: the estimate alone, and the rule makes it inconclusive
    assert RULE.split(";")[0] in page
    assert page.index('id="claims"') < page.index("Contents")
    one = page[page.index('<section class="run" id="one"') : page.index('<section class="run" id="two"')]
    assert "Verdicts: a_beats_b: <strong>supported</strong>, c_helps: <strong>inconclusive</strong>." in one
    assert "Verdicts:" not in page[page.index('<section class="run" id="two"') :]


def test_without_claims_there_is_no_table_and_malformed_rows_are_counted_not_shown(tmp_path):
    plain = write_report(tmp_path / "plain.html", [make_run(tmp_path / "one", "one")]).read_text()
    assert 'id="claims"' not in plain
    good = claim_row("x", "X", "m", bootstrap_interval([1.0, 2.0]), threshold=0.0, section="S")
    damaged = _with_claims(
        make_run(tmp_path / "two", "two"), [good, {"id": "half a row"}, "text", {**good, "verdict": "sure"}]
    )
    page = write_report(tmp_path / "damaged.html", [damaged]).read_text()
    assert "3 claim rows were not well formed" in page and "<td>X<br>" in page


def test_the_page_says_the_size_at_the_top_and_each_run_its_seeds(tmp_path):
    plain = make_run(tmp_path / "plain", "plain")
    seeded = make_run(tmp_path / "seeded", "seeded")
    config = json.loads((seeded / "config.json").read_text())
    config["config"] |= {"seeds": 5, "lm_seeds": 2}
    (seeded / "config.json").write_text(json.dumps(config))
    page = write_report(tmp_path / "index.html", [plain, seeded], size="tour").read_text(encoding="utf-8")
    header = page[: page.index("</header>")]
    assert "2 runs at the tour" in header and "searchlab tour" in header
    assert page.count("Independent runs per measurement") == 1
    assert "seeds 5, lm seeds 2" in page
    untold = write_report(tmp_path / "other.html", [plain]).read_text(encoding="utf-8")
    assert " run at " not in untold[: untold.index("</header>")]
