"""The training-signals experiment's numbers turned into prose and tables, with the figures of `signals_figures`.

`report(config, result, context)` is attached to the experiment by the registry in
`searchlab.experiments`; the experiment module computes, this module only summarises and draws.
"""

from __future__ import annotations

from searchlab.experiments.base import RunContext
from searchlab.experiments.signals import Config
from searchlab.experiments.signals_figures import (
    kind,
    overoptimization_figure,
    paths_figure,
    reference_levels,
    reward_model_figure,
)

# What "true" means on each task, in the figures' and tables' words.
WORDS = {
    "tictactoe": {
        "true": "share of optimal moves",
        "truth": "is the move optimal?",
        "over": "mean over contested positions",
        "item": "move",
    },
    "arithmetic": {
        "true": "share of correct answers",
        "truth": "is the answer right?",
        "over": "mean over sampled answers",
        "item": "answer",
    },
}


def _people_rows(config: Config, study: dict) -> list[list[str]]:
    """The people table: what each was configured with, what was measured, and its level."""
    demo, rater = study["demonstrator"], study["rater"]
    if config.task == "tictactoe":
        return [
            [
                "demonstrator",
                f"optimal move with p = {config.p:g}",
                f"{demo['measured_accuracy']:.3f}",
                f"{demo['samples']:,}",
                f"{demo['performance']['score']:.3f}",
            ],
            [
                "rater",
                f"correct judgement with q = {config.q:g}",
                f"{rater['measured_accuracy']:.3f}",
                f"{rater['samples']:,}",
                f"{rater['performance']['score']:.3f}",
            ],
        ]
    rows = []
    for who, level in (("demonstrator", demo), ("rater", rater)):
        for name, m in level["measured"].items():
            rows.append(
                [
                    who,
                    f"{name.removeprefix(who + ' ')} {m['configured']:.3f}",
                    f"{m['measured']:.3f}",
                    f"{m['samples']:,}",
                    f"{level['performance']['score']:.3f}",
                ]
            )
    return rows


def _detail(performance: dict) -> str:
    """The second true-performance column: optimal-move share (tictactoe) or accuracy by difficulty (arithmetic)."""
    if "optimal_share" in performance:
        return f"{performance['optimal_share']:.3f}"
    return ", ".join(f"{d} digit{'s' * (d != '1')}: {a:.3f}" for d, a in performance["by_digits"].items())


def _over_rows(study: dict) -> list[list[str]]:
    """The over-optimisation table: per arm, the true reward at the start, at its best and at the end, and the fit."""
    over = []
    for name, label in (("best_of_n", "best-of-n"), ("rl", "policy steps")):
        arm = study["overoptimization"][name]
        best = max(arm["rows"], key=lambda row: row["true"])
        fit = arm["fit"] or {}
        over.append(
            [
                label,
                f"{arm['rows'][0]['true']:.3f}",
                f"{best['true']:.3f} at {'n' if name == 'best_of_n' else 'step'} {best['knob']:,}",
                f"{arm['rows'][-1]['true']:.3f}",
                f"{arm['rows'][-1]['proxy']:.3f}",
                "-" if fit.get("alpha") is None else f"{fit['alpha']:.3g}",
                "-" if fit.get("beta") is None else f"{fit['beta']:.3g}",
                "-" if fit.get("peak_d") is None else f"{fit['peak_d']:.2f}",
            ]
        )
    return over


def _tables(config: Config, study: dict) -> list[dict]:
    words = WORDS[config.task]
    people = _people_rows(config, study)
    paths = [
        [
            d["name"],
            kind(d["name"]),
            f"{d['performance']['score']:.3f}",
            f"{d['start']['score']:.3f}",
            _detail(d["performance"]),
            ", ".join(f"{v:,} {k}" for k, v in d["queries"].items()),
        ]
        for d in study["path_details"]
    ]
    fractions = [
        [
            f"{r['fraction']:g}",
            f"{r['labels']:,}",
            "-" if r["heldout accuracy"] is None else f"{r['heldout accuracy']:.3f}",
            f"{r['truth accuracy']:.3f}",
        ]
        for r in study["reward_model"]["by_fraction"]
    ]
    over = _over_rows(study)
    stages = [
        [
            d["name"],
            f"{d['start']['score']:.3f}",
            f"{d['performance']['score']:.3f}",
            ", ".join(f"{v:,} {k}" for k, v in d["queries"].items()),
        ]
        for d in study["pipeline_details"]
    ]
    return [
        {
            "title": "The simulated people: configured, measured, and their level as players",
            "columns": ["who", "configured", "measured on samples", "samples", "true performance"],
            "rows": people,
        },
        {
            "title": "Each path and where it started: imitation from an untrained network, "
            "approval and outcomes from behaviour cloning",
            "columns": [
                "path",
                "signal",
                "true performance",
                "start",
                "optimal-move share" if config.task == "tictactoe" else "by difficulty",
                "signal spent",
            ],
            "rows": paths,
        },
        {
            "title": "Reward model: accuracy by the share of the rater's labels it saw",
            "columns": ["share", "labels", "held-out accuracy (rater)", "accuracy (truth)"],
            "rows": fractions,
        },
        {
            "title": f"Over-optimisation against the reward model: true performance ({words['true']}) "
            "as optimisation grows",
            "columns": ["optimising by", "start", "best", "last", "proxy at last", "alpha", "beta", "fitted peak d"],
            "rows": over,
        },
        {
            "title": "The staged pipeline: true performance after each stage",
            "columns": ["stage", "before", "after", "signal spent"],
            "rows": stages,
        },
    ]


def _verdict(order: list[tuple[str, float]], problems: int | None) -> str:
    """Whether imitation <= approval <= outcomes, allowing two standard errors where the scores are sampled.

    Tic-Tac-Toe's scores are exact (`problems` None): any order is taken as measured. Arithmetic's
    are shares of `problems` held-out answers, so a swap by less than two binomial standard errors is noise.
    """
    if [k for k, _ in order] == ["imitation", "approval", "outcomes"]:
        return "agrees with the essay's ordering"
    values = dict(order)
    noise = 0.0 if not problems else 2 * max((v * (1 - v) / problems) ** 0.5 for v in values.values())
    if values["imitation"] <= values["approval"] + noise and values["approval"] <= values["outcomes"] + noise:
        return (
            f"agrees with the essay's ordering within the noise of {problems:,} held-out problems "
            f"(a swap smaller than two standard errors, {noise:.3f})"
        )
    return "does not follow the essay's ordering"


def _active(study: dict) -> str:
    """Active against random queries, at each count, in words."""
    active, random = study["reward_model"]["active"], study["reward_model"]["random"]
    pairs = "; ".join(
        f"{count:,} labels: {a:.3f} against {r:.3f}"
        for count, a, r in zip(active["counts"], active["accuracy"], random["accuracy"])
    )
    ahead = sum(a > r for a, r in zip(active["accuracy"][1:], random["accuracy"][1:]))
    verdict = (
        "asking where the ensemble disagrees paid off at most counts"
        if ahead > (len(active["counts"]) - 1) / 2
        else "asking where the ensemble disagrees did not beat asking at random here"
    )
    return (
        f"Buying the rater's labels where an ensemble of reward models disagrees most, against buying them at random "
        f"(held-out accuracy, active against random): {pairs}. Measured: {verdict}."
    )


def _exploit(study: dict) -> str:
    """Arithmetic: how far each approval path leaned on the rater's soft spot for round answers."""
    rows = [(d["name"], d["extra"]["exploit_after"]) for d in study["path_details"] if "exploit_after" in d["extra"]]
    if not rows:
        return ""
    truth = rows[0][1]["true_round_rate"]
    start = next(
        (d["extra"]["exploit_before"]["round_rate"] for d in study["path_details"] if "exploit_before" in d["extra"]),
        None,
    )
    began = f" (behaviour cloning: {start:.2f})" if start is not None else ""
    return (
        "The rater's soft spot is measurable: among the held-out problems "
        f"{truth:.2f} have a round answer, and the share of round answers the model writes after each approval path is "
        + "; ".join(f"{name} {rates['round_rate']:.2f}" for name, rates in rows)
        + began
        + ". A share above the truth's is approval bought with answers of the favoured shape rather than right ones."
    )


def _intro(config: Config) -> str:
    essay = (
        "The essay names three kinds of training data: what a person would do (imitation), "
        "what a person would approve of (approval) and what actually works (outcomes). "
        "Here one network is trained on each, "
    )
    if config.task == "tictactoe":
        return essay + (
            "on Tic-Tac-Toe, where the truth is exact: a demonstrator who plays an optimal move with probability "
            f"{config.p:g}, a rater who judges a move correctly with probability {config.q:g}, and games against a "
            "fixed pool scored exactly."
        )
    digits = " or ".join(str(d) for d in config.digits)
    return essay + (
        f"on arithmetic with {digits}-digit operands, the answer written one character at a time: a demonstrator "
        f"who slips with probability {config.base_error:g} + {config.per_digit_error:g} per extra digit, a rater who "
        f"misjudges an answer with probability {config.noise:g} and approves a round answer (ending in 0) outright "
        f"with probability {config.bias:g}, and an exact check of every answer."
    )


def report(config: Config, study: dict, context: RunContext) -> dict:
    """The report section: headline, prose, figures and tables."""
    paths, levels = study["paths"], {name: value for name, value, _ in reference_levels(study)}
    levels["perfect play"] = study["perfect"]["score"]
    imitation = max(v for k, v in paths.items() if kind(k) == "imitation")
    approval = max(v for k, v in paths.items() if kind(k) == "approval")
    outcome = paths["outcomes"]
    demo, rater = levels["demonstrator"], levels["rater's pick"]
    order = sorted((("imitation", imitation), ("approval", approval), ("outcomes", outcome)), key=lambda item: item[1])
    verdict = _verdict(order, study.get("heldout_problems"))
    over = study["overoptimization"]["best_of_n"]
    best = max(over["rows"], key=lambda row: row["true"])
    words = WORDS[config.task]
    summary = [
        _intro(config),
        f"Measured: the best imitation path reaches {imitation:.3f}, the best approval path {approval:.3f} "
        f"and outcomes {outcome:.3f}, against the demonstrator's own {demo:.3f}, the rater's pick {rater:.3f} and "
        f"{'perfect play' if config.task == 'tictactoe' else 'a perfect score'} {levels['perfect play']:.3f}. "
        f"The ordering {' < '.join(k for k, _ in order)} {verdict} "
        "(imitation at about the demonstrator's level, approval above it, outcomes beyond).",
        "A reward model that learns the rater's judgements from a share of them is only as good as its labels: "
        + "; ".join(
            f"{r['labels']:,} labels give {r['truth accuracy']:.2f} accuracy against the truth"
            for r in study["reward_model"]["by_fraction"]
        )
        + ". Optimising a policy against it harder and harder raises its predicted approval from "
        f"{over['rows'][0]['proxy']:.3f} to {over['rows'][-1]['proxy']:.3f} "
        f"(best-of-n, n = 1 to {over['rows'][-1]['knob']:,}), while the true "
        f"{words['true']} goes from {over['rows'][0]['true']:.3f} "
        + (
            f"to a peak of {best['true']:.3f} at n = {best['knob']:,} and back down to "
            f"{over['rows'][-1]['true']:.3f}: over-optimisation, measured."
            if best is not over["rows"][-1]
            else f"to {best['true']:.3f}, still rising at the largest n: no over-optimisation within this range."
        ),
    ]
    summary.append(_active(study))
    if config.task == "arithmetic":
        summary.append(_exploit(study))
    figures = [
        {
            "path": paths_figure(study, context),
            "caption": f"True performance ({study['metric']}) after each training path and after each stage "
            "of the pipeline, beside "
            "the demonstrator, the rater's pick among the "
            + ("moves" if config.task == "tictactoe" else "sampled answers")
            + " it approves, and "
            + ("perfect play." if config.task == "tictactoe" else "a perfect score."),
        },
        {
            "path": reward_model_figure(study, context, words),
            "caption": "Left: the reward model's accuracy against how many rater labels it saw. "
            "Right: buying labels where an "
            "ensemble of reward models disagrees most (active) against buying them at random.",
        },
        {
            "path": overoptimization_figure(study, context, words),
            "caption": "Over-optimisation: the reward model's approval (proxy) keeps rising as the policy moves "
            f"away from where it started, and the true {words['true']} with it, until it peaks and falls "
            "if the proxy is exploited; dotted, "
            "the functional forms of Gao, Schulman and Hilton (2022) fitted in d = sqrt(KL).",
        },
    ]
    headline = [
        {"label": "imitation / approval / outcomes", "value": f"{imitation:.3f} / {approval:.3f} / {outcome:.3f}"},
        {"label": "demonstrator / rater's pick", "value": f"{demo:.3f} / {rater:.3f}"},
        {"label": "pipeline, last stage", "value": f"{list(study['pipeline'].values())[-1]:.3f}"},
    ]
    return {"summary": "\n".join(summary), "headline": headline, "figures": figures, "tables": _tables(config, study)}
