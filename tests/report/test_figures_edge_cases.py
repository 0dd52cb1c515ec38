"""Figures drawn from runs where nothing reached the target still draw (a tiny budget used to end in a traceback)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

from searchlab.report.figures import ratio_slope_figure


def test_a_ratio_panel_with_no_size_draws_a_note_instead_of_failing_on_log_axes():
    empty = {"params": [], "ratios": [], "lower_bound": [], "slope": None, "intercept": None, "points": 0}
    figure = ratio_slope_figure({"perturbation's cost / sgd's cost": {"local_search": empty}})
    figure.savefig(io.BytesIO(), format="png")  # what failed: "Data cannot be log-scaled"
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert any("no ratio to draw" in t for t in texts)


def test_a_tiny_budget_perturbation_run_ends_with_its_report(tmp_path):
    from searchlab.cli import main

    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                "perturbation",
                "--quick",
                "--widths",
                "1,5",
                "--seeds",
                "1",
                "--budget",
                "2000",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    assert (out / "result.json").is_file() and (out / "figures" / "cost_vs_parameters.png").is_file()
