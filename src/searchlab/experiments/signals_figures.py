"""The training-signals experiment's figures: each path's true performance, the reward model, over-optimisation.

Drawn from the result's numbers only (either task); `signals_report` writes the prose and tables.
"""

from __future__ import annotations

import numpy as np

from searchlab.experiments.base import RunContext

KIND = {"behaviour cloning": "imitation", "dagger": "imitation", "approval (rater)": "approval", "outcomes": "outcomes"}
KIND_COLOURS = {"imitation": "#1f77b4", "approval": "#2ca02c", "outcomes": "#d62728"}


def kind(name: str) -> str:
    return KIND.get(name, "approval" if name.startswith("approval") else "imitation")


def reference_levels(study: dict) -> list[tuple[str, float, str]]:
    return [
        ("demonstrator", study["demonstrator"]["performance"]["score"], "#1f77b4"),
        ("rater's pick", study["rater"]["performance"]["score"], "#2ca02c"),
        (
            "perfect play" if "optimal_share" in study["perfect"] else "perfect score",
            study["perfect"]["score"],
            "black",
        ),
    ]


def paths_figure(study: dict, context: RunContext) -> str:
    import matplotlib.pyplot as plt

    names = list(study["paths"]) + [f"pipeline: {name}" for name in study["pipeline"]]
    scores = list(study["paths"].values()) + list(study["pipeline"].values())
    colours = [KIND_COLOURS[kind(n)] for n in study["paths"]] + ["#7f7f7f"] * len(study["pipeline"])
    figure, ax = plt.subplots(figsize=(8.5, 0.42 * len(names) + 1.6))
    rows = np.arange(len(names))[::-1]
    ax.barh(rows, scores, color=colours, alpha=0.85)
    for row, score in zip(rows, scores):
        ax.text(score + 0.005, row, f"{score:.3f}", va="center", fontsize=8)
    start = study["path_details"][0]["start"]["score"]
    for label, value, colour in [*reference_levels(study), ("untrained network", start, "#999999")]:
        ax.axvline(value, color=colour, ls="--", lw=1.1, label=f"{label}: {value:.3f}")
    ax.set_yticks(rows, names, fontsize=8)
    ax.set_xlabel(study["metric"])
    ax.set_xlim(0, max(scores + [study["perfect"]["score"]]) * 1.15)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(
        "True performance of the same network trained on each signal (blue: imitation, green: approval, red: outcomes)",
        fontsize=9,
    )
    return context.figure(figure, "paths.png")


def reward_model_figure(study: dict, context: RunContext, words: dict) -> str:
    import matplotlib.pyplot as plt

    rm = study["reward_model"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    rows = [r for r in rm["by_fraction"]]
    labels = [r["labels"] for r in rows]
    left.plot(labels, [r["truth accuracy"] for r in rows], "o-", label=f"against the truth ({words['truth']})")
    heldout = [(r["labels"], r["heldout accuracy"]) for r in rows if r["heldout accuracy"] is not None]
    if heldout:
        left.plot(*zip(*heldout), "s--", label="against the rater's held-out labels")
    left.set_xscale("log")
    left.set_xlabel("rater labels the reward model saw")
    left.set_ylabel("accuracy")
    left.set_title("Reward model: accuracy against labels seen", fontsize=10)
    left.legend(fontsize=8)
    left.grid(alpha=0.3)
    for name, style in (("random", "o-"), ("active", "s-")):
        right.plot(rm[name]["counts"], rm[name]["accuracy"], style, label=f"{name} queries")
    right.set_xscale("log")
    right.set_xlabel("labels bought")
    right.set_ylabel("held-out accuracy (rater's labels)")
    right.set_title("Asking where the ensemble disagrees, against asking at random", fontsize=10)
    right.legend(fontsize=8)
    right.grid(alpha=0.3)
    return context.figure(figure, "reward_model.png")


def overoptimization_figure(study: dict, context: RunContext, words: dict) -> str:
    import matplotlib.pyplot as plt

    from searchlab.signals.reward_model import GaoFit

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    titles = {"best_of_n": "best-of-n, n = 1 ... 1024", "rl": "more policy steps against the reward model"}
    for ax, name in zip(axes, ("best_of_n", "rl")):
        arm = study["overoptimization"][name]
        d = [row["d"] for row in arm["rows"]]
        ax.plot(
            d, [row["proxy"] for row in arm["rows"]], "o-", color="#ff7f0e", label="proxy: the reward model's approval"
        )
        ax.plot(d, [row["true"] for row in arm["rows"]], "s-", color="#1f77b4", label=f"true: {words['true']}")
        if arm["fit"] is not None:
            fit = GaoFit(**{k: (np.inf if v is None else v) for k, v in arm["fit"].items()})
            grid = np.linspace(1e-3, max(d), 100)
            ax.plot(
                grid,
                arm["rows"][0]["true"] + fit.predict(grid),
                ":",
                color="#1f77b4",
                label=f"Gao et al. form ({fit.kind})",
            )
            if np.isfinite(fit.peak_d):
                ax.axvline(fit.peak_d, color="grey", lw=0.8, ls="--", label=f"fitted peak, d = {fit.peak_d:.2f}")
        ax.set_xlabel("d = sqrt(KL from the starting policy)")
        ax.set_ylabel(words["over"])
        ax.set_title(titles[name], fontsize=10)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    return context.figure(figure, "overoptimization.png")
