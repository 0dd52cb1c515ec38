"""The training-signals study on arithmetic (`searchlab run signals --task arithmetic`).

A tiny causal transformer writes the answers to "37 plus 45?"-style problems one
character at a time. The demonstrator errs more often on harder problems, the rater
approves correct answers with some noise and has a soft spot for round answers, and the
outcome is the exact check. True performance is the exact accuracy of the model's
greedy answers on a fixed set of held-out problems. The library code is in
`searchlab.signals.arithmetic_paths` and `arithmetic_rm_paths`; this module runs it in
the order the report tells it and hands `signals.run` the task's pieces, of the same
types as the Tic-Tac-Toe study's.

Every approval and outcome path starts from the same behaviour-cloned model, so each
path's gain is measured from one shared starting point.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from searchlab.core.seeding import spawn_seeds
from searchlab.experiments.base import RunContext


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
    """The simulated people of `config`, seeded by the first child of its seed (the paths use the others)."""
    from searchlab.signals.people import ArithmeticPeople

    return ArithmeticPeople(
        config.base_error, config.per_digit_error, config.noise, config.bias, spawn_seeds(config.seed, 1)[0]
    )


def study(config, context: RunContext) -> dict[str, Any]:
    """Measure the people, train every path, probe the reward model, run the pipeline.

    Returns:
        {"header": the task's own result keys (metric, people, perfect score), "runs": path results,
        "stages": pipeline results, "curves": label-efficiency curves, "over": the over-optimisation study}.
    """
    from tqdm import tqdm

    from searchlab.signals import arithmetic_paths as P
    from searchlab.signals import arithmetic_rm_paths as R
    from searchlab.signals.pipeline import pipeline

    crowd = people(config)
    path_settings, reward = settings(config)
    _, paths_seed, rater_seed, active_seed, over_seed, pipe_seed = spawn_seeds(config.seed, 6)  # 0: the people
    bar = tqdm(total=7 + len(config.fractions), desc="signals (arithmetic)", unit="stage", disable=not context.progress)

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
    runs.append(done(P.outcomes(crowd, path_settings, paths_seed, start)))
    curves = done(R.active_vs_random(crowd, path_settings, reward, start, active_seed, config.label_counts))
    over = done(R.overoptimisation(crowd, path_settings, over_seed, reward, start))
    stages = done(pipeline(*R.pipeline_stages(crowd, path_settings, pipe_seed, reward)))
    bar.close()
    measured = crowd.measure(seed=config.seed, task=path_settings.task())
    demonstrator = P.demonstrator_level(crowd, path_settings)
    rater = P.rater_level(crowd, path_settings, start, rater_seed)
    header = {
        "metric": f"exact accuracy of the greedy answers to {path_settings.eval_problems:,} held-out problems",
        "heldout_problems": path_settings.eval_problems,
        "demonstrator": {
            "base_error": config.base_error,
            "per_digit_error": config.per_digit_error,
            "measured": {name: asdict(m) for name, m in measured.items() if name.startswith("demonstrator")},
            "performance": demonstrator,
        },
        "rater": {
            "noise": config.noise,
            "bias": config.bias,
            "measured": {name: asdict(m) for name, m in measured.items() if name.startswith("rater")},
            "performance": rater,
        },
        "perfect": {"score": 1.0},
    }
    return {"header": header, "runs": runs, "stages": stages, "curves": curves, "over": over}
