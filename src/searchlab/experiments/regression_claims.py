"""The regression experiment's claims, computed from the numbers of its repeated runs (one per seed).

Each seed draws new data (or, on the user's CSV, starts every search afresh) and fits the line with every
configured optimizer, the closed form among them. Two claims of the essay's "no search needed" are tested:

* `regression_needs_no_search`: the closed form's training loss is never worse than the lowest loss any
  search reached. Measured per seed as (closed-form loss - best search's loss) / the closed form's loss,
  paired by seed; the claim predicts it below `ROUNDING` (a search that beats the closed form by more than
  float rounding contradicts it).
* `regression_search_costs_more`: the forward-equivalents gradient descent spends before its loss first
  comes within 1% of the closed form's, divided by what the closed form spends (one pass over the data);
  the claim predicts the ratio above `COST_RATIO` (search costs an order of magnitude more). A run that
  never came within 1% counts what it spent in all (a lower bound on what it needed).

This module only turns per-seed numbers into rows; `regression.run` measures them.
"""

from __future__ import annotations

from typing import Any

from searchlab.core.intervals import bootstrap_interval, claim_row, paired_difference

ROUNDING = 1e-9  # relative: two losses closer than this differ by float rounding only
COST_RATIO = 10.0  # "no search needed": searching costs at least ten times what the closed form does


def seed_numbers(seed: int, summaries: dict[str, dict], closed: dict, mean_loss: float) -> dict[str, Any]:
    """One seed's numbers for the claims, from that seed's optimizer summaries (as `run` writes them).

    Args:
        seed: the seed the repeat ran with.
        summaries: optimizer name -> its summary (`loss`, `forward_equivalents`,
            `forward_equivalents_to_within_1_percent`).
        closed: the closed form's line summary (`loss`) and its `forward_equivalents`.
        mean_loss: the loss of predicting the mean of y (the trivial baseline).
    """
    searched = {name: s for name, s in summaries.items() if name != "least_squares"}
    best = min(searched, key=lambda name: searched[name]["loss"], default=None)
    gradient = searched.get("gradient")
    gradient_cost = None
    if gradient is not None:
        reached = gradient["forward_equivalents_to_within_1_percent"]
        gradient_cost = gradient["forward_equivalents"] if reached is None else reached
    return {
        "seed": seed,
        "closed_form_loss": closed["loss"],
        "closed_form_forward_equivalents": closed["forward_equivalents"],
        "mean_loss": mean_loss,
        "best_search": best,
        "best_search_loss": None if best is None else searched[best]["loss"],
        "gradient_forward_equivalents_to_within_1_percent": gradient_cost,
        "gradient_reached_1_percent": None
        if gradient is None
        else gradient["forward_equivalents_to_within_1_percent"] is not None,
    }


def claims(rows: list[dict[str, Any]], section: str) -> list[dict[str, Any]]:
    """The claim rows from the per-seed numbers (`seed_numbers`); a claim without its numbers is left out."""
    if not rows:
        return []
    out = []
    closed = [row["closed_form_loss"] for row in rows]
    mean_ratio = sum(row["mean_loss"] / row["closed_form_loss"] for row in rows) / len(rows)
    baseline = f"predicting the mean of y: {mean_ratio:.3g} x the closed form's loss"
    if all(row["best_search_loss"] is not None for row in rows):
        out.append(
            claim_row(
                "regression_needs_no_search",
                "Linear regression is solved in closed form: no search reaches a lower training loss.",
                "closed-form training loss minus the lowest loss any search reached, as a fraction of the closed "
                f"form's, paired by seed; the claim predicts it below {ROUNDING:g} (float rounding)",
                # Each seed's losses as fractions of its closed form's, which is 1 on that scale.
                paired_difference([1.0] * len(rows), [row["best_search_loss"] / c for row, c in zip(rows, closed)]),
                threshold=ROUNDING,
                predicts="below",
                baseline=baseline,
                section=section,
            )
        )
    ratios = cost_ratios(rows)
    if ratios is not None:
        out.append(
            claim_row(
                "regression_search_costs_more",
                "Searching for the line costs far more compute than solving for it.",
                "forward-equivalents gradient descent spent before its loss came within 1% of the closed form's "
                "(all it spent, a lower bound, if it never did), over the closed form's cost (one pass over the "
                f"data); the claim predicts a ratio above {COST_RATIO:g}",
                bootstrap_interval(ratios),
                threshold=COST_RATIO,
                predicts="above",
                baseline=f"closed form: {rows[0]['closed_form_forward_equivalents']:,} forward-equivalents",
                section=section,
            )
        )
    return out


def cost_ratios(rows: list[dict[str, Any]]) -> list[float] | None:
    """Per seed, gradient descent's forward-equivalents to within 1% over the closed form's; None without it."""
    if any(row["gradient_forward_equivalents_to_within_1_percent"] is None for row in rows):
        return None
    return [
        row["gradient_forward_equivalents_to_within_1_percent"] / row["closed_form_forward_equivalents"] for row in rows
    ]
