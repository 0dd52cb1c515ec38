"""The scaling experiment's four figures: loss against data, data to a target, iso-loss contours, learning curves.

Each takes the trials of every task (`outcomes`: task -> rows, as `scaling.read_outcomes` reads them), the
analyses that `scaling.analyse` made of them, and the task and loss names (`labels`), draws one panel per
task, saves the figure into the run folder and returns its relative path.
"""

from __future__ import annotations

import math

import numpy as np

from searchlab.experiments.base import RunContext
from searchlab.scaling import laws
from searchlab.scaling.grid import mean_by_cell

DATA_NAMES = {"mlp": "training examples D", "charlm": "training characters D"}


def saved_fit(analysis: dict, form: str) -> laws.Fit | None:
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


def loss_vs_data(outcomes: dict, analyses: dict, context: RunContext, labels: dict) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(outcomes), figsize=(6.2 * len(outcomes), 4.6), squeeze=False)
    for ax, (task, rows) in zip(axes[0], outcomes.items()):
        N, D, L = _columns(rows)
        sizes = sorted(set(N))
        colors = _colors(sizes)
        cell_n, cell_d, cell_l, _ = mean_by_cell(N, D, L)
        grid = np.geomspace(D.min(), D.max(), 80)
        chinchilla, kaplan = saved_fit(analyses[task], "chinchilla"), saved_fit(analyses[task], "kaplan")
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


def examples_to_target(outcomes: dict, analyses: dict, context: RunContext, labels: dict) -> str:
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


def iso_loss(outcomes: dict, analyses: dict, context: RunContext, labels: dict) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(outcomes), figsize=(5.6 * len(outcomes), 4.4), squeeze=False)
    for ax, (task, rows) in zip(axes[0], outcomes.items()):
        N, D, _ = _columns(rows)
        fit = saved_fit(analyses[task], "chinchilla")
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


def learning_curves(outcomes: dict, context: RunContext, labels: dict) -> str:
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
