"""The training-signals study on arithmetic (`searchlab run signals --task arithmetic`).

A tiny causal transformer writes the answers to "37 plus 45?"-style problems one
character at a time. The demonstrator errs more often on harder problems, the rater
approves correct answers with some noise and has a soft spot for round answers, and the
outcome is the exact check. True performance is the exact accuracy of the model's
greedy answers on a fixed set of held-out problems. The library code is in
`searchlab.signals.arithmetic_paths` and `arithmetic_rm_paths`; this module runs it in
the order the report tells it and returns the numbers under the same keys as the
Tic-Tac-Toe study.

Every approval and outcome path starts from the same behaviour-cloned model, so each
path's gain is measured from one shared starting point.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from searchlab.core.seeding import spawn_seeds
from searchlab.experiments.base import RunContext

OUTCOMES = "outcomes"


def settings(config) -> tuple[Any, Any]:
    """The library's path and reward settings for `config` (checked there: one-line errors)."""
    from searchlab.signals.arithmetic_paths import PathSettings
    from searchlab.signals.arithmetic_rm_paths import RewardSettings

    rounds = 3
    paths = PathSettings(
        digits=config.digits,
        demonstrations=config.demonstrations,
        bc_steps=config.imitation_steps,
        dagger_rounds=rounds,
        dagger_steps=max(1, config.imitation_steps // (2 * rounds)),
        dagger_problems=max(1, config.demonstrations // 10),
        rl_steps=config.rl_steps,
    )
    reward = RewardSettings(
        rm_steps=config.rm_steps, overopt_steps=config.overoptimization_steps, bon_problems=config.best_of_problems
    )
    return paths, reward


def people(config):
    from searchlab.signals.people import ArithmeticPeople

    """The simulated people of `config`, seeded by the first child of its seed (the paths use the others)."""
    return ArithmeticPeople(
        config.base_error, config.per_digit_error, config.noise, config.bias, spawn_seeds(config.seed, 1)[0]
    )


def study(config, context: RunContext) -> dict[str, Any]:
    """Measure the people, train every path, probe the reward model, run the pipeline; JSON-ready numbers."""
    from tqdm import tqdm

    from searchlab.signals import arithmetic_paths as P
    from searchlab.signals import arithmetic_rm_paths as R

    crowd = people(config)
    path_settings, reward = settings(config)
    _, paths_seed, rater_seed, active_seed, over_seed, pipe_seed = spawn_seeds(
        config.seed, 6
    )  # child 0 seeds the people
    steps = [
        "behaviour cloning",
        "dagger",
        "approval (rater)",
        *[f"reward model {f:g}" for f in config.fractions],
        "outcomes",
        "label efficiency",
        "over-optimisation",
        "pipeline",
    ]
    bar = tqdm(total=len(steps), desc="signals (arithmetic)", unit="stage", disable=not context.progress)

    def done(result):
        bar.update(1)
        return result

    cloned = done(P.behaviour_cloning(crowd, path_settings, paths_seed))
    start = cloned.model
    runs = [
        cloned,
        done(P.dagger(crowd, path_settings, paths_seed)),
        done(P.approval_direct(crowd, path_settings, paths_seed, start)),
    ]
    runs += [
        done(R.approval_reward_model(crowd, path_settings, paths_seed, f, reward, start)) for f in config.fractions
    ]
    runs.append(done(replace(P.outcomes(crowd, path_settings, paths_seed, start), name=OUTCOMES)))
    curves = done(R.active_vs_random(crowd, path_settings, reward, start, active_seed, config.label_counts))
    over = done(R.overoptimisation(crowd, path_settings, over_seed, reward, start))
    stages = done(R.pipeline(crowd, path_settings, pipe_seed, reward))
    bar.close()

    measured = crowd.measure(seed=config.seed, task=path_settings.task())
    demonstrator = P.demonstrator_level(crowd, path_settings)
    rater = P.rater_level(crowd, path_settings, start, rater_seed)
    context.write_metrics([{"path": r.name, **point} for r in runs for point in r.curve])
    return {
        "metric": f"exact accuracy of the greedy answers to {path_settings.eval_problems:,} held-out problems",
        "heldout_problems": path_settings.eval_problems,
        "demonstrator": {
            "base_error": config.base_error,
            "per_digit_error": config.per_digit_error,
            "measured": {name: asdict(m) for name, m in measured.items() if name.startswith("demonstrator")},
            "performance": _level(demonstrator),
        },
        "rater": {
            "noise": config.noise,
            "bias": config.bias,
            "measured": {name: asdict(m) for name, m in measured.items() if name.startswith("rater")},
            "performance": _level(rater) | {"pass_at_n": rater["pass_at_n"], "candidates": rater["candidates"]},
        },
        "perfect": {"score": 1.0},
        "paths": {r.name: r.performance["accuracy"] for r in runs},
        "path_details": [_details(r) for r in runs],
        "reward_model": {
            "by_fraction": [_fraction_row(r.extra["reward_model"]) for r in runs if "reward_model" in r.extra],
            "active": {
                "counts": curves["active"].counts,
                "accuracy": curves["active"].accuracy,
                "picked_disagreement": curves["active"].picked_disagreement,
                "pool_median_disagreement": curves["active"].pool_median_disagreement,
            },
            "random": {"counts": curves["random"].counts, "accuracy": curves["random"].accuracy},
        },
        "overoptimization": {
            "best_of_n": {
                "rows": [
                    {"knob": r["n"], "d": r["d"], "proxy": r["proxy"], "true": r["true"]} for r in over["best_of_n"]
                ],
                "fit": _fit(over["best_of_n_fit"]),
                "peak_knob": over["best_of_n_peak_n"],
            },
            "rl": {
                "rows": [
                    {"knob": r["step"], "d": r["d"], "kl": r["kl"], "proxy": r["reward"], "true": r["true"]}
                    for r in over["rl"]
                ],
                "fit": _fit(over["rl_fit"]),
                "peak_knob": over["rl_peak"]["step"],
            },
            "reward_model": _fraction_row(over["reward_model"]),
        },
        "pipeline": {row["stage"]: row["performance"]["accuracy"] for row in stages},
        "pipeline_details": [
            {
                "name": row["stage"],
                "start": _level(row["start"]),
                "performance": _level(row["performance"]),
                "queries": {"labels": row["labels"]},
                "seconds": row["seconds"],
            }
            for row in stages
        ],
    }


def _level(performance: dict) -> dict:
    return {"score": performance["accuracy"], "by_digits": {str(d): a for d, a in performance["by_digits"].items()}}


def _details(result) -> dict:
    spent = {"outcomes": "exact checks", "behaviour cloning": "demonstrations", "dagger": "overseer answers"}
    return {
        "name": result.name,
        "start": _level(result.start),
        "performance": _level(result.performance),
        "queries": {spent.get(result.name, "rater labels"): result.labels},
        "curve": result.curve,
        "extra": result.extra,
        "seconds": result.seconds,
    }


def _fraction_row(report: dict) -> dict:
    return {
        "fraction": report["fraction"],
        "labels": report["labels"],
        "heldout accuracy": report.get("accuracy_on_rest_vs_rater"),
        "truth accuracy": report.get("accuracy_on_rest_vs_truth"),
    }


def _fit(fit: dict | None) -> dict | None:
    return None if fit is None or "error" in fit else fit
