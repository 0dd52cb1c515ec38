"""The scaling experiment's fits and trials turned into figures, tables and prose.

The experiment module computes; this module only summarises and draws.
"""

from __future__ import annotations

import math

import numpy as np

from searchlab.experiments.base import RunContext
from searchlab.experiments.scaling import Config
from searchlab.scaling import laws

TASK_NAMES = {"mlp": "teacher-student MLPs", "charlm": "character language model"}
LOSS_NAMES = {"mlp": "test loss (MSE)", "charlm": "validation loss (nats/char)"}
DATA_NAMES = {"mlp": "training examples D", "charlm": "training characters D"}
UNITS = {"mlp": "examples", "charlm": "characters"}
FORM_NAMES = {"kaplan": "Kaplan", "chinchilla": "Chinchilla"}


def _fit(analysis: dict, form: str) -> laws.Fit | None:
    """The saved fit as a `laws.Fit`, or None where the fit failed."""
    saved = analysis["fits"][form]
    if saved["params"] is None:
        return None
    return laws.Fit(
        form=form,
        params=saved["params"],
        stderr={k: math.inf if v is None else v for k, v in saved["stderr"].items()},
        rmse_log=saved["rmse_log"],
        points=saved["points"],
    )


def _columns(rows: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.array([r["params"] for r in rows], float),
        np.array([r["examples"] for r in rows], float),
        np.array([r["loss"] for r in rows], float),
    )


def _colors(sizes):
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("viridis")
    return {size: cmap(i / max(len(sizes) - 1, 1) * 0.9) for i, size in enumerate(sizes)}


def _loss_vs_data(outcomes: dict, analyses: dict, context: RunContext, labels: dict) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(outcomes), figsize=(6.2 * len(outcomes), 4.6), squeeze=False)
    for ax, (task, rows) in zip(axes[0], outcomes.items()):
        N, D, L = _columns(rows)
        sizes = sorted(set(N))
        colors = _colors(sizes)
        cell_n, cell_d, cell_l, _ = laws.mean_by_cell(N, D, L)
        grid = np.geomspace(D.min(), D.max(), 80)
        chinchilla, kaplan = _fit(analyses[task], "chinchilla"), _fit(analyses[task], "kaplan")
        for size in sizes:
            mine = cell_n == size
            low = [L[(N == size) & (D == d)].min() for d in cell_d[mine]]
            high = [L[(N == size) & (D == d)].max() for d in cell_d[mine]]
            mean = cell_l[mine]
            ax.errorbar(
                cell_d[mine],
                mean,
                yerr=[mean - low, np.array(high) - mean],
                fmt="o",
                ms=4,
                color=colors[size],
                capsize=2,
                label=f"N = {int(size):,}",
            )
            for fit, style, width in ((chinchilla, "-", 1.2), (kaplan, ":", 1.0)):
                if fit is not None:
                    ax.plot(grid, fit.predict(size, grid), style, color=colors[size], lw=width)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(DATA_NAMES[task])
        ax.set_ylabel(labels["loss"][task])
        ax.set_title(f"{labels['name'][task]}\nloss against data, one colour per model size", fontsize=10)
        ax.legend(fontsize=7, ncol=2, title="solid: Chinchilla fit, dotted: Kaplan", title_fontsize=7)
        ax.grid(True, which="both", alpha=0.25)
    return context.figure(figure, "loss_vs_data.png")


def _examples_to_target(outcomes: dict, analyses: dict, context: RunContext, labels: dict) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(outcomes), figsize=(5.2 * len(outcomes), 4.0), squeeze=False)
    for ax, task in zip(axes[0], outcomes):
        analysis = analyses[task]
        reached = [(r["params"], r["examples"]) for r in analysis["examples_to_target"] if r["examples"] is not None]
        missed = [r["params"] for r in analysis["examples_to_target"] if r["examples"] is None]
        if reached:
            n, d = zip(*reached)
            ax.plot(n, d, "o-", color="#1f77b4", label="examples needed (interpolated between grid sizes)")
        if missed:
            ax.plot(
                missed,
                [analysis["largest_examples"]] * len(missed),
                "x",
                color="#d62728",
                ms=8,
                label="not reached within the largest D",
            )
        ax.axhline(analysis["smallest_examples"], color="grey", lw=0.8, ls="--", label="smallest D in the grid")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("parameters N")
        ax.set_ylabel(f"{DATA_NAMES[task]} to reach {analysis['target']:.3g}")
        ax.set_title(f"{labels['name'][task]}\ndata needed to reach one target loss", fontsize=10)
        ax.legend(fontsize=7)
        ax.grid(True, which="both", alpha=0.25)
    return context.figure(figure, "examples_to_target.png")


def _iso_loss(outcomes: dict, analyses: dict, context: RunContext, labels: dict) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(outcomes), figsize=(5.6 * len(outcomes), 4.4), squeeze=False)
    for ax, (task, rows) in zip(axes[0], outcomes.items()):
        N, D, _ = _columns(rows)
        fit = _fit(analyses[task], "chinchilla")
        if fit is None:
            ax.text(
                0.5, 0.5, "the Chinchilla fit failed:\nno contours", ha="center", va="center", transform=ax.transAxes
            )
            ax.set_axis_off()
            continue
        n_range, d_range = (N.min() / 2, N.max() * 4), (D.min() / 2, D.max() * 4)
        grid_n, grid_d, grid_l = laws.iso_loss_grid(fit, n_range, d_range)
        levels = np.geomspace(grid_l.min() * 1.02, grid_l.max(), 10)
        contours = ax.contour(grid_n, grid_d, grid_l, levels=levels, cmap="viridis_r", linewidths=1)
        ax.clabel(contours, fontsize=6, fmt="%.3g")
        ax.scatter(N, D, s=8, color="black", zorder=3, label="trials")
        budgets = np.geomspace(6 * n_range[0] * d_range[0] * 4, 6 * n_range[1] * d_range[1] / 4, 40)
        frontier = laws.compute_optimal_frontier(fit, budgets)
        inside = (
            (frontier["N_opt"] >= n_range[0])
            & (frontier["N_opt"] <= n_range[1])
            & (frontier["D_opt"] >= d_range[0])
            & (frontier["D_opt"] <= d_range[1])
        )
        ax.plot(
            frontier["N_opt"][inside],
            frontier["D_opt"][inside],
            "-",
            color="#d62728",
            lw=2,
            label="compute-optimal split (C = 6ND)",
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(*n_range)
        ax.set_ylim(*d_range)
        ax.set_xlabel("parameters N")
        ax.set_ylabel(DATA_NAMES[task])
        ax.set_title(f"{labels['name'][task]}\niso-loss contours of the Chinchilla fit", fontsize=10)
        ax.legend(fontsize=7, loc="upper left")
    return context.figure(figure, "iso_loss.png")


def _learning_curves(outcomes: dict, context: RunContext, labels: dict) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(outcomes), figsize=(5.6 * len(outcomes), 4.0), squeeze=False)
    for ax, (task, rows) in zip(axes[0], outcomes.items()):
        largest = max(r["examples"] for r in rows)
        first_seed = min(r["seed"] for r in rows)
        chosen = sorted(
            (r for r in rows if r["examples"] == largest and r["seed"] == first_seed), key=lambda r: r["params"]
        )
        colors = _colors([r["params"] for r in chosen])
        for row in chosen:
            if row["curve"]:
                seen, loss = zip(*row["curve"])
                ax.plot(seen, loss, "-", color=colors[row["params"]], label=f"N = {row['params']:,}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("examples seen in training" if task == "mlp" else "characters seen in training")
        ax.set_ylabel(labels["loss"][task])
        ax.set_title(f"{labels['name'][task]}\nlearning curves at D = {int(largest):,}", fontsize=10)
        ax.legend(fontsize=7)
        ax.grid(True, which="both", alpha=0.25)
    return context.figure(figure, "learning_curves.png")


def _number(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.{digits}g}"


def _tables(outcomes: dict, analyses: dict, labels: dict) -> list[dict]:
    exponents, heldout, sizes, optimal = [], [], [], []
    for task, analysis in analyses.items():
        name = labels["name"][task]
        for row in analysis["exponents"]:
            shown = _number(row["fitted"]) + (
                f" ± {_number(row['stderr'], 2)}" if row["stderr"] is not None else " (undetermined)"
            )
            exponents.append([name, FORM_NAMES[row["form"]], row["exponent"], shown, row["published"]])
        for form, outcome in analysis["heldout_prediction_error"].items():
            if outcome["fit"] is None:
                heldout.append(
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
            heldout.append(
                [
                    name,
                    FORM_NAMES[form],
                    outcome["fit"]["points"],
                    len(outcome["points"]),
                    f"{100 * outcome['mean_abs_relative_error']:.1f}%",
                    f"{_number(analysis['fits'][form]['rmse_log'])}",
                ]
            )
        widths = {r["params"]: r["width"] for r in outcomes[task]}
        largest = {r["params"]: r["loss"] for r in analysis["loss_at_largest_data"]}
        for row in analysis["examples_to_target"]:
            needed = row["examples"]
            shown = (
                "not reached"
                if needed is None
                else (f"≤ {_number(needed)}" if needed <= analysis["smallest_examples"] else _number(needed))
            )
            sizes.append([name, widths[row["params"]], f"{row['params']:,}", shown, _number(largest[row["params"]], 4)])
        for form, rows in analysis["compute_optimal"].items():
            for row in rows:
                optimal.append(
                    [
                        name,
                        FORM_NAMES[form],
                        f"{row['compute']:.2e}",
                        _number(row["N_opt"]),
                        _number(row["D_opt"]),
                        _number(row["loss"], 4),
                    ]
                )
    return [
        {
            "title": "Fitted exponents beside the published ones (different domains and scales: compare shapes, not values)",
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
            "title": "Compute-optimal split of a budget C = 6·N·D, from each fit",
            "columns": ["task", "law", "compute C (FLOPs)", "N", "D", "predicted loss"],
            "rows": optimal,
        },
    ]


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
        f"{name}: with the most data, the loss goes from {first['loss']:.4g} (N = {first['params']:,}) to {last['loss']:.4g} "
        f"(N = {last['params']:,}); the best is {best['loss']:.4g} at N = {best['params']:,}. The second claim: larger "
        "networks top out higher when data is plentiful"
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
    )
    return lines


def _irreducible(fit: dict) -> str:
    E = fit["params"]["E"]
    if fit["stderr"]["E"] is None or E < 1e-6:
        return f"loss E = {E:.3g}, at its bound (these trials do not pin down a floor)"
    return f"loss E = {E:.3g} ± {fit['stderr']['E']:.2g}"


def _percent(outcome: dict) -> str:
    error = outcome["mean_abs_relative_error"]
    return "-" if error is None else f"{100 * error:.1f}%"


def _heldout_sentence(heldout: dict) -> str:
    if any(outcome["fit"] is None for outcome in heldout.values()):
        return " This grid is too small to fit again without its largest trials, so there is no held-out prediction."
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


def report(config: Config, outcomes: dict, analyses: dict, context: RunContext) -> dict:
    """The report section: headline, prose, figures and tables."""
    labels = _labels(config)
    figures = [
        {
            "path": _loss_vs_data(outcomes, analyses, context, labels),
            "caption": "Held-out loss against training-set size, one colour per model size (points: mean over seeds, bars: "
            "lowest and highest seed), with both laws fitted to every trial.",
        },
        {
            "path": _examples_to_target(outcomes, analyses, context, labels),
            "caption": "How many training examples each model size needs to reach one target loss: larger networks need fewer "
            "(the essay's footnote 14, first half).",
        },
        {
            "path": _iso_loss(outcomes, analyses, context, labels),
            "caption": "Iso-loss contours of the Chinchilla fit over model size and data, the trials as dots, and the split of "
            "each compute budget C = 6·N·D that the fit says is best (red). The fit is extrapolated beyond the dots.",
        },
        {
            "path": _learning_curves(outcomes, context, labels),
            "caption": "Learning curves at the largest data size (first seed): held-out loss as training goes on, per model size.",
        },
    ]
    trials = sum(len(rows) for rows in outcomes.values())
    summary = [
        "The essay's footnote 14 makes two claims about size: a larger network reaches a given performance after fewer "
        "training examples, and it tops out at a better performance when data is plentiful. Here both are measured on a grid "
        f"of model sizes and data sizes ({trials} trials, each a separate training run with its own seed), and the two "
        "published scaling laws are fitted to the results with scipy.",
        *[line for task, analysis in analyses.items() for line in _claims(task, analysis, labels)],
        "The published exponents come from language models with up to billions of parameters and tokens (Kaplan et al. 2020; "
        "Hoffmann et al. 2022). These tasks are tiny, a different domain and trained differently (early stopping on a held-out "
        "part of each training set, many epochs), so the fitted exponents are not expected to match; the shape of the laws is "
        "what carries over. The compute-optimal split uses C = 6·N·D as the papers do, which counts one pass over the data.",
    ]
    primary = analyses.get("mlp") or analyses["charlm"]
    chinchilla = primary["fits"]["chinchilla"]["params"]
    exponents = "not fitted" if chinchilla is None else f"a = {chinchilla['a']:.3g}, b = {chinchilla['b']:.3g}"
    headline = [
        {"label": "trials", "value": f"{trials}"},
        {"label": f"Chinchilla exponents ({next(iter(analyses))})", "value": exponents},
        {
            "label": "held-out prediction error (Chinchilla)",
            "value": _percent(primary["heldout_prediction_error"]["chinchilla"]),
        },
    ]
    return {
        "summary": "\n".join(summary),
        "headline": headline,
        "figures": figures,
        "tables": _tables(outcomes, analyses, labels),
    }
