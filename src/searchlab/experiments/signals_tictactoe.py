"""The training-signals study on Tic-Tac-Toe (`searchlab run signals`, the default task).

The policy picks moves in every Tic-Tac-Toe decision position. The demonstrator plays an
optimal move with probability p, else a plausible mistake; the rater judges a move
correctly with probability q; the outcome is the exact expected score against a fixed pool
of opponents, playing both sides. The library code is in `searchlab.signals`; this module
runs it in the order the report tells it and hands `signals.run` the task's pieces.

Approval and outcomes improve the behaviour-cloned policy, as on arithmetic: one shared
start, so each gain is comparable.
"""

from __future__ import annotations

from typing import Any

from searchlab.core.seeding import spawn_seeds
from searchlab.experiments.base import RunContext


def study(config, context: RunContext) -> dict[str, Any]:
    """Measure the people, train every path, probe the reward model, run the pipeline.

    Returns:
        {"header": the task's own result keys (metric, people, perfect play), "runs": path results,
        "stages": pipeline results, "curves": label-efficiency curves, "over": the over-optimisation study}.
    """
    from tqdm import tqdm

    from searchlab.signals.people import TicTacToePeople
    from searchlab.signals.pipeline import pipeline
    from searchlab.signals.tictactoe_overoptimisation import active_vs_random, overoptimisation
    from searchlab.signals.tictactoe_paths import (
        SignalSettings,
        approval_direct,
        approval_reward_model,
        behaviour_cloning,
        dagger,
        outcomes,
        pipeline_stages,
    )

    people_seed, paths_seed, _, active_seed, over_seed, pipe_seed = spawn_seeds(config.seed, 6)
    people = TicTacToePeople(p=config.p, q=config.q, seed=people_seed)
    settings = SignalSettings(
        imitation_steps=config.imitation_steps,
        rl_steps=config.rl_steps,
        demonstration_games=config.demonstration_games,
        rm_steps=config.rm_steps,
    )
    measured = people.measure(seed=config.seed)
    stages = 1 + len(config.fractions) + 3  # paths, each reward model, label efficiency, over-optimisation, pipeline
    bar = tqdm(total=stages, desc="signals", unit="stage", disable=not context.progress)

    cloned = behaviour_cloning(people, settings, paths_seed)
    start = cloned.model
    runs = [
        cloned,
        dagger(people, settings, paths_seed),
        approval_direct(people, settings, paths_seed, start),
        outcomes(people, settings, paths_seed, start),
    ]
    bar.update(1)
    for fraction in config.fractions:
        runs.insert(-1, approval_reward_model(people, settings, paths_seed, fraction=fraction, start=start))
        bar.update(1)
    curves = active_vs_random(people, settings, active_seed, config.label_counts)
    bar.update(1)
    over = overoptimisation(
        people,
        settings,
        over_seed,
        rl_steps=config.overoptimization_steps,
        record_every=max(1, config.overoptimization_steps // 12),
    )
    bar.update(1)
    piped = pipeline(*pipeline_stages(people, settings, pipe_seed))
    bar.update(1)
    bar.close()
    header = {"metric": "exact expected score against the pool (win 1, draw 1/2, loss 0), both sides"}
    return {"header": header | _people(config, measured), "runs": runs, "stages": piped, "curves": curves, "over": over}


def _people(config, measured: dict) -> dict[str, Any]:
    """The people's configured and measured accuracies and their level as players, and perfect play's."""
    from searchlab.signals.tictactoe_policy import demonstrator_probabilities, measure, rater_probabilities
    from searchlab.signals.tictactoe_task import default_task

    return {
        "demonstrator": {
            "p": config.p,
            "measured_accuracy": measured["demonstrator accuracy"].measured,
            "samples": measured["demonstrator accuracy"].samples,
            "performance": measure(demonstrator_probabilities(config.p)).as_dict(),
        },
        "rater": {
            "q": config.q,
            "measured_accuracy": measured["rater accuracy"].measured,
            "samples": measured["rater accuracy"].samples,
            "performance": measure(rater_probabilities(config.q)).as_dict(),
        },
        "perfect": measure(default_task().optimal_probabilities).as_dict(),
    }
