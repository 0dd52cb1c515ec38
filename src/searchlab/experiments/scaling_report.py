"""The scaling experiment's fits and trials turned into figures, tables and prose.

The experiment module computes; this module only summarises and draws (the figures are in
`scaling_figures`). The registry attaches `report` to the experiment; this module imports the
experiment, never the reverse. The trials' learning curves are read again from the run's sweep folder.
"""

from __future__ import annotations

import math

from searchlab.experiments.base import RunContext
from searchlab.experiments.scaling import Config, read_outcomes
from searchlab.experiments.scaling_figures import examples_to_target, iso_loss, learning_curves, loss_vs_data

TASK_NAMES = {"mlp": "teacher-student MLPs", "charlm": "character language model"}
LOSS_NAMES = {"mlp": "test loss (MSE)", "charlm": "validation loss (nats/char)"}
UNITS = {"mlp": "examples", "charlm": "characters"}
FORM_NAMES = {"kaplan": "Kaplan", "chinchilla": "Chinchilla"}


def _number(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.{digits}g}"


def _tables(outcomes: dict, analyses: dict, labels: dict) -> list[dict]:
    exponents, heldout, sizes, optimal = [], [], [], []
    for task, analysis in analyses.items():
        name = labels["name"][task]
        exponents += _exponent_rows(name, analysis)
        heldout += _heldout_rows(name, analysis)
        sizes += _size_rows(name, analysis, outcomes[task])
        optimal += _optimal_rows(name, analysis)
    return [
        {
            "title": "Fitted exponents beside the published ones (different domains and scales: compare shapes, "
            "not values)",
            "columns": ["task", "law", "exponent", "fitted ± standard error", "published"],
            "rows": exponents,
        },
        {
            "title": "Fit without the largest model and the largest data size, predict those trials",
            "columns": [
                "task",
                "law",
                "trials fitted",
                "trials predicted",
                "mean |error| of the prediction",
                "fit's RMS log-residual (all trials)",
            ],
            "rows": heldout,
        },
        {
            "title": "Per model size: examples to reach the target loss, and the loss with the most data",
            "columns": ["task", "width", "parameters N", "examples to target", "loss at the largest D"],
            "rows": sizes,
        },
        {
            "title": "Compute-optimal split of a budget C = 6·N·D by the robust fit, with 95% bootstrap intervals "
            "(shown only where every refit's optimum lies inside the search: an optimum at an edge means these "
            "trials do not determine the split)",
            "columns": ["task", "compute C (FLOPs)", "N [95% CI]", "D [95% CI]", "predicted loss"],
            "rows": optimal,
        },
    ]


def _exponent_rows(name: str, analysis: dict) -> list[list]:
    rows = []
    for row in analysis["exponents"]:
        shown = _number(row["fitted"]) + (
            f" ± {_number(row['stderr'], 2)}" if row["stderr"] is not None else " (undetermined)"
        )
        rows.append([name, FORM_NAMES[row["form"]], row["exponent"], shown, row["published"]])
    return rows


def _heldout_rows(name: str, analysis: dict) -> list[list]:
    rows = []
    for form, outcome in analysis["heldout_prediction_error"].items():
        if outcome["fit"] is None:
            rows.append(
                [
                    name,
                    FORM_NAMES[form],
                    "-",
                    "-",
                    f"not fitted: {outcome['error']}",
                    _number(analysis["fits"][form].get("rmse_log")),
                ]
            )
            continue
        rows.append(
            [
                name,
                FORM_NAMES[form],
                outcome["fit"]["points"],
                len(outcome["points"]),
                f"{100 * outcome['mean_abs_relative_error']:.1f}%",
                f"{_number(analysis['fits'][form]['rmse_log'])}",
            ]
        )
    return rows


def _size_rows(name: str, analysis: dict, trials: list[dict]) -> list[list]:
    widths = {r["params"]: r["width"] for r in trials}
    largest = {r["params"]: r["loss"] for r in analysis["loss_at_largest_data"]}
    rows = []
    for row in analysis["examples_to_target"]:
        needed = row["examples"]
        shown = (
            "not reached"
            if needed is None
            else (f"≤ {_number(needed)}" if needed <= analysis["smallest_examples"] else _number(needed))
        )
        rows.append([name, widths[row["params"]], f"{row['params']:,}", shown, _number(largest[row["params"]], 4)])
    return rows


def _optimal_rows(name: str, analysis: dict) -> list[list]:
    rows = []
    for row in (analysis.get("huber_fit") or {}).get("compute_optimal") or []:
        if not row["bounded"]:
            rows.append([name, f"{row['compute']:.2e}", "not determined", "not determined", "-"])
            continue
        n = f"{_number(row['N_opt'])} [{_number(row['N_low'])}, {_number(row['N_high'])}]"
        d = f"{_number(row['D_opt'])} [{_number(row['D_low'])}, {_number(row['D_high'])}]"
        rows.append([name, f"{row['compute']:.2e}", n, d, _number(row["loss"], 4)])
    return rows


def _floor_sentence(check: dict | None) -> str:
    """The task's known loss floor beside the robust fit's E (teacher task only)."""
    if not check:
        return ""
    known, fitted = check["known"], check["fitted"]
    if check["low"] is None:
        return f" The task's true floor is {known:.3g} (the test labels' noise); the robust fit's E is {fitted:.3g}."
    where = "inside" if check["inside"] else "outside"
    return (
        f" The task's true floor is {known:.3g} (the test labels' own noise): the robust fit's E = {fitted:.3g} "
        f"[{check['low']:.3g}, {check['high']:.3g}] has it {where} its 95% interval."
    )


def _optimal_sentence(huber: dict | None) -> str:
    rows = (huber or {}).get("compute_optimal") or []
    if not rows:
        return ""
    bounded = [row for row in rows if row["bounded"]]
    if not bounded:
        return (
            " No compute-optimal split is quoted: in some bootstrap refit the optimum runs to an edge (all compute "
            "to model size, or all to data), so these trials do not determine it."
        )
    row = bounded[-1]
    return (
        f" At C = {row['compute']:.2e} FLOPs the robust fit puts the best split at N = {_number(row['N_opt'])} "
        f"[{_number(row['N_low'])}, {_number(row['N_high'])}] and D = {_number(row['D_opt'])} "
        f"[{_number(row['D_low'])}, {_number(row['D_high'])}]"
        + ("." if len(bounded) == len(rows) else f"; at {len(rows) - len(bounded)} other budgets it is not determined.")
    )


def _claims(task: str, analysis: dict, labels: dict) -> list[str]:
    name = labels["name"][task]
    needed = [(r["params"], r["examples"]) for r in analysis["examples_to_target"]]
    reached = [(n, d) for n, d in needed if d is not None]
    largest = analysis["loss_at_largest_data"]
    lines = []
    if len(reached) >= 2:
        (n0, d0), (n1, d1) = reached[0], reached[-1]
        lines.append(
            f"{name}: to reach a loss of {analysis['target']:.3g} (what the smallest model gets from all "
            f"{int(analysis['largest_examples']):,} {UNITS[task]}), N = {n0:,} needs about {d0:,.0f} {UNITS[task]} and "
            f"N = {n1:,} about {d1:,.0f}"
            + (" (the smallest size in the grid: it may need fewer)" if d1 <= analysis["smallest_examples"] else "")
            + (
                f"; {len(needed) - len(reached)} of {len(needed)} sizes never reach it"
                if len(reached) < len(needed)
                else ""
            )
            + ". The essay's first claim, measured."
        )
    first, last = largest[0], largest[-1]
    best = min(largest, key=lambda r: r["loss"])
    lines.append(
        f"{name}: with the most data, the loss goes from {first['loss']:.4g} (N = {first['params']:,}) to "
        f"{last['loss']:.4g} (N = {last['params']:,}); the best is {best['loss']:.4g} at N = {best['params']:,}. "
        "The second claim: larger networks top out higher when data is plentiful"
        + ("." if best is last else ", up to the size where this grid's data runs out.")
    )
    chinchilla, kaplan = analysis["fits"]["chinchilla"], analysis["fits"]["kaplan"]
    if chinchilla["params"] is None or kaplan["params"] is None:
        errors = "; ".join(
            f"{FORM_NAMES[f['form']]}: {f['error']}" for f in (chinchilla, kaplan) if f["params"] is None
        )
        lines.append(f"{name}: no law could be fitted to these trials ({errors}).")
        return lines
    lines.append(
        f"{name}: Chinchilla fit a = {chinchilla['params']['a']:.3g}, b = {chinchilla['params']['b']:.3g}, irreducible "
        f"{_irreducible(chinchilla)} (RMS log-residual {chinchilla['rmse_log']:.3f}); Kaplan fit aN = "
        f"{kaplan['params']['aN']:.3g}, aD = {kaplan['params']['aD']:.3g} (RMS {kaplan['rmse_log']:.3f})."
        + _heldout_sentence(analysis["heldout_prediction_error"])
        + _huber_sentence(analysis.get("huber_fit"))
        + _floor_sentence(analysis.get("floor_check"))
        + _optimal_sentence(analysis.get("huber_fit"))
    )
    return lines


def _huber_sentence(huber: dict | None) -> str:
    """The robust Chinchilla fit (Huber loss on log loss, Besiroglu et al. 2024) with its bootstrap intervals."""
    if not huber or huber.get("params") is None:
        return ""
    params, intervals = huber["params"], huber.get("intervals") or {}

    def shown(name: str) -> str:
        if name not in intervals:
            return f"{params[name]:.3g}"
        low, high = intervals[name]
        return f"{params[name]:.3g} [{low:.3g}, {high:.3g}]"

    spread = f"; 95% intervals from {huber['resamples']} bootstrap refits over the trials" if intervals else ""
    return (
        f" Fitted the robust way (Huber loss on log loss, L-BFGS from a grid of starts, to {huber['rows']} trials"
        f"{spread}): "
        f"a = {shown('a')}, b = {shown('b')}, E = {shown('E')}."
    )


def _irreducible(fit: dict) -> str:
    E = fit["params"]["E"]
    if fit["stderr"]["E"] is None or E < 1e-6:
        return f"loss E = {E:.3g}, at its bound (these trials do not pin down a floor)"
    return f"loss E = {E:.3g} ± {fit['stderr']['E']:.2g}"


def _percent(outcome: dict) -> str:
    error = outcome["mean_abs_relative_error"]
    return "-" if error is None else f"{100 * error:.1f}%"


def _determined(outcome: dict) -> bool:
    """A held-out refit whose every parameter has a standard error (none ran to a bound)."""
    return outcome["fit"] is not None and all(v is not None for v in outcome["fit"]["stderr"].values())


def _heldout_sentence(heldout: dict) -> str:
    if any(outcome["fit"] is None for outcome in heldout.values()):
        return " This grid is too small to fit again without its largest trials, so there is no held-out prediction."
    if not all(_determined(outcome) for outcome in heldout.values()):
        return (
            " Fitted again without the largest model and data size, a parameter runs to its bound (no standard "
            "error), so that refit does not determine the law and no prediction error is quoted."
        )
    return (
        " Fitted without the largest model and data size, they predict those trials to within "
        f"{_percent(heldout['chinchilla'])} (Chinchilla) and {_percent(heldout['kaplan'])} (Kaplan) on average."
    )


def _labels(config: Config) -> dict[str, dict[str, str]]:
    """Task names and loss names for the figures and prose; the MLP task's depend on its data."""
    digits = config.mlp_data == "digits"
    return {
        "name": {**TASK_NAMES, "mlp": "MLPs on digits" if digits else TASK_NAMES["mlp"]},
        "loss": {**LOSS_NAMES, "mlp": "test loss (cross-entropy)" if digits else LOSS_NAMES["mlp"]},
    }


def report(config: Config, result: dict, context: RunContext) -> dict:
    """Draw the four figures into the run folder; the result's report section: headline, prose, figures and tables."""
    outcomes, analyses = read_outcomes(config, context.out), result["tasks"]
    labels = _labels(config)
    figures = [
        {
            "path": loss_vs_data(outcomes, analyses, context, labels),
            "caption": "Held-out loss against training-set size, one colour per model size (points: mean over "
            "seeds, bars: lowest and highest seed), with both laws fitted to every trial.",
        },
        {
            "path": examples_to_target(outcomes, analyses, context, labels),
            "caption": "How many training examples each model size needs to reach one target loss: larger "
            "networks need fewer (the essay's footnote 14, first half).",
        },
        {
            "path": iso_loss(outcomes, analyses, context, labels),
            "caption": "Iso-loss contours of the Chinchilla fit over model size and data, the trials as dots, "
            "and the split of each compute budget C = 6·N·D that the fit says is best (red). The fit is "
            "extrapolated beyond the dots.",
        },
        {
            "path": learning_curves(outcomes, context, labels),
            "caption": "Learning curves at the largest data size (first seed): held-out loss as training goes "
            "on, per model size.",
        },
    ]
    trials = sum(len(rows) for rows in outcomes.values())
    summary = [
        "The essay's footnote 14 makes two claims about size: a larger network reaches a given performance after "
        "fewer training examples, and it tops out at a better performance when data is plentiful. Here both are "
        f"measured on a grid of model sizes and data sizes ({trials} trials, each a separate training run with "
        "its own seed), and the two published scaling laws are fitted to the results with scipy.",
        *[line for task, analysis in analyses.items() for line in _claims(task, analysis, labels)],
        "The published exponents come from language models with up to billions of parameters and tokens (Kaplan "
        "et al. 2020; Hoffmann et al. 2022). These tasks are tiny, a different domain and trained differently "
        "(early stopping on a held-out part of each training set, many epochs), so the fitted exponents are not "
        "expected to match; the shape of the laws is what carries over. The compute-optimal split uses C = 6·N·D "
        "as the papers do, which counts one pass over the data.",
    ]
    primary = analyses.get("mlp") or analyses["charlm"]
    chinchilla = primary["fits"]["chinchilla"]["params"]
    exponents = "not fitted" if chinchilla is None else f"a = {chinchilla['a']:.3g}, b = {chinchilla['b']:.3g}"
    headline = [
        {"label": "trials", "value": f"{trials}"},
        {"label": f"Chinchilla exponents ({next(iter(analyses))})", "value": exponents},
        {
            "label": "held-out prediction error (Chinchilla)",
            "value": _percent(primary["heldout_prediction_error"]["chinchilla"])
            if _determined(primary["heldout_prediction_error"]["chinchilla"])
            else "not determined (a refit parameter at its bound)",
        },
    ]
    return {
        "summary": "\n".join(summary),
        "headline": headline,
        "figures": figures,
        "tables": _tables(outcomes, analyses, labels),
    }
