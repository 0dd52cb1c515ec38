"""Arithmetic paths through a learned reward model: approval via the model, over-optimisation, the staged pipeline.

The reward model, its features and its fit are in `arithmetic_reward`.

* `approval_reward_model`: REINFORCE against the reward model's P(approve).
* `overoptimisation`: best-of-n against the reward model for n = 1..1024 on held-out
  problems (proxy and true reward against d = sqrt(log n - (n-1)/n)), then more policy
  steps with the KL to the start measured, both fitted with Gao et al.'s forms.
* `pipeline_stages`: generic demonstrations (a worse demonstrator) -> expert demonstrations ->
  approval via the reward model -> outcomes, the true performance after each stage.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import replace

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, spawn_seeds
from searchlab.lm.model import CausalTransformer
from searchlab.signals import arithmetic_model as M
from searchlab.signals import arithmetic_paths as paths
from searchlab.signals import paths as generic
from searchlab.signals.arithmetic import ArithmeticProblem
from searchlab.signals.arithmetic_reward import (
    RewardSettings,
    features,
    fit_reward_model,
)
from searchlab.signals.arithmetic_signals import ArithmeticSignals
from searchlab.signals.people import ArithmeticPeople
from searchlab.signals.pipeline import Stage
from searchlab.signals.result import PathResult, arm
from searchlab.signals.reward_model import LabelEfficiency, RewardEnsemble, bon_distance, gao_fit, label_efficiency


@paths.one_thread
def approval_reward_model(
    people: ArithmeticPeople,
    settings: paths.PathSettings,
    seed: int,
    fraction: float | None = None,
    rm: RewardSettings | None = None,
    start: CausalTransformer | None = None,
) -> PathResult:
    """Policy improvement (REINFORCE, leave-one-out baseline) against a reward model fitted on `fraction` of the
    rater labels (`rm.fraction` by default), with a KL penalty `rm.kl_coef` to the start.

    `extra` holds the reward model's fit report, "proxy_before" / "proxy_after": its mean score of
    answers sampled to the held-out problems before and after the policy steps, and beside them the
    true "expected_accuracy_before" / "expected_accuracy_after" (`paths.expected_accuracy`; the proxy can
    rise while the truth falls).
    """
    task = ArithmeticSignals(people, settings, rm or RewardSettings())
    return generic.approval_reward_model(task, seed, fraction, start)


@paths.one_thread
def best_of_n(
    policy: CausalTransformer, reward_model: RewardEnsemble, problems: list[ArithmeticProblem], n_max: int, seed: int
) -> list[dict]:
    """Best-of-n by the reward model for n = 1, 2, 4, ..., n_max: mean proxy and true reward of the pick, and d.

    n_max answers are sampled per problem once; for each n they are split into n_max // n
    disjoint groups of n and the reward model's favourite of each group is scored.
    """
    answers, _ = M.sample(policy, problems, n_max, seed=seed)
    flat_problems = [p for p in problems for _ in range(n_max)]
    flat_answers = [a for row in answers for a in row]
    proxy = reward_model.predict(features(flat_problems, flat_answers)).reshape(len(problems), n_max)
    truth = np.array([a == p.answer for p, a in zip(flat_problems, flat_answers)], dtype=float).reshape(
        len(problems), n_max
    )
    rows = []
    n = 1
    while n <= n_max:
        groups = n_max // n
        grouped = proxy[:, : groups * n].reshape(len(problems), groups, n)
        pick = grouped.argmax(axis=2)[..., None]  # (P, groups, 1)
        chosen_truth = np.take_along_axis(truth[:, : groups * n].reshape(len(problems), groups, n), pick, axis=2)
        rows.append(
            {
                "n": n,
                "d": float(bon_distance(n)),
                "proxy": float(np.take_along_axis(grouped, pick, axis=2).mean()),
                "true": float(chosen_truth.mean()),
            }
        )
        n *= 2
    return rows


def _gao(rows: list[dict], kind: str, baseline: float) -> dict | None:
    """The Gao et al. fit of the rows' true reward against d, or None when too few or too flat points allow none."""
    try:
        return gao_fit([r["d"] for r in rows], [r["true"] for r in rows], kind, baseline).as_dict()
    except SearchlabError:
        return None


@paths.one_thread
def overoptimisation(
    people: ArithmeticPeople,
    settings: paths.PathSettings,
    seed: int,
    rm: RewardSettings | None = None,
    start: CausalTransformer | None = None,
) -> dict:
    """Proxy against true reward as the policy is pushed harder against a learned reward model.

    Returns:
        {"best_of_n": an `arm` of rows {knob (n), d, proxy, true}, "rl": an `arm` of rows {knob (step),
        d, kl, proxy, true (sampled answers' exact correctness)}, "reward_model": its fit report, "seconds"};
        each arm has its Gao fit (None when none fits) and the knob where the true reward peaked.
    """
    began = time.perf_counter()
    rm = rm or RewardSettings()
    start_seed, rm_seed, bon_seed, rl_seed = spawn_seeds(check_seed(seed), 4)
    start_model = paths.starting_model(people, settings, start_seed, start)
    reward_model, report = fit_reward_model(people, settings, rm, start_model, rm_seed)
    bon = best_of_n(start_model, reward_model, settings.held_out()[: rm.bon_problems], rm.bon_max, bon_seed)
    truth: list[float] = []

    def proxy_and_truth(problems: list[ArithmeticProblem], answers: list[str]) -> np.ndarray:
        truth.append(float(np.mean([a == p.answer for p, a in zip(problems, answers)])))
        return reward_model.predict(features(problems, answers))

    policy = copy.deepcopy(start_model)
    every = max(1, rm.overopt_steps // 10)

    def record(point: dict) -> None:
        point.update(true=float(np.mean(truth[-every:])), d=math.sqrt(max(point["kl"], 0.0)))

    rl = paths.policy_steps(
        policy, proxy_and_truth, replace(settings, curve_points=10), rl_seed, rm.overopt_steps, start_model, record
    )
    start_true = bon[0]["true"]  # n = 1: the start's sampled answers
    rl_points = [{"step": 0, "kl": 0.0, "d": 0.0, "reward": bon[0]["proxy"], "true": start_true}] + rl
    bon_rows = [{"knob": r["n"], "d": r["d"], "proxy": r["proxy"], "true": r["true"]} for r in bon]
    rl_rows = [
        {"knob": r["step"], "d": r["d"], "kl": r["kl"], "proxy": r["reward"], "true": r["true"]} for r in rl_points
    ]
    return {
        "best_of_n": arm(bon_rows, _gao(bon_rows, "bon", start_true), max(bon, key=lambda r: r["true"])["n"]),
        "rl": arm(rl_rows, _gao(rl_rows, "rl", start_true), max(rl_points, key=lambda r: r["true"])["step"]),
        "reward_model": report,
        "seconds": time.perf_counter() - began,
    }


@paths.one_thread
def active_vs_random(
    people: ArithmeticPeople,
    settings: paths.PathSettings,
    rm: RewardSettings,
    policy: CausalTransformer,
    seed: int,
    counts=(100, 200, 400, 800, 1600, 3200),
    heldout: int = 2_000,
) -> dict[str, LabelEfficiency]:
    """Label-efficiency curves of random and disagreement-driven queries, the rater's labels bought one by one.

    The items are answers `policy` samples to fresh problems (`rl_samples` per problem), as the
    approval paths label them; the rater judges each once (its label book, looked up only when
    a query asks), so every label bought is counted. ``2 * counts[-1]`` items form the pool
    queries draw from, `heldout` more score each refit against the rater's labels.
    """
    k = settings.rl_samples
    size = 2 * counts[-1] + heldout
    problem_seed, sample_seed, curve_seed = spawn_seeds(check_seed(seed), 3)
    problems = settings.task().sample(math.ceil(size / k), problem_seed)
    answers, _ = M.sample(policy, problems, k, seed=sample_seed)
    flat_problems = [p for p in problems for _ in range(k)][:size]
    flat_answers = [a for row in answers for a in row][:size]
    labels = people.rater().rate(flat_problems, flat_answers).astype(np.float32)
    x = features(flat_problems, flat_answers)
    pool, scored = slice(0, size - heldout), slice(size - heldout, size)
    oracle = lambda indices: labels[pool][indices]  # noqa: E731 - the rater's book, read only when asked
    return {
        name: label_efficiency(
            x[pool],
            oracle,
            x[scored],
            labels[scored],
            counts,
            curve_seed,
            active=(name == "active"),
            ensemble=rm.ensemble(),
        )
        for name in ("random", "active")
    }


def label_fractions(
    people: ArithmeticPeople,
    settings: paths.PathSettings,
    seed: int,
    fractions=(1.0, 0.1, 0.01, 0.001),
    rm: RewardSettings | None = None,
    start: CausalTransformer | None = None,
) -> list[PathResult]:
    """`approval_reward_model` at each fraction of labels, from the same start and seed."""
    start = (
        start
        if start is not None
        else paths.behaviour_cloning(people, settings, spawn_seeds(check_seed(seed), 1)[0]).model
    )
    return [approval_reward_model(people, settings, seed, f, rm, start) for f in fractions]


def pipeline_stages(
    people: ArithmeticPeople, settings: paths.PathSettings, seed: int, rm: RewardSettings | None = None
) -> tuple[list[Stage], list[int]]:
    """The stages of `signals.pipeline.pipeline` on arithmetic, and their seeds: generic demonstrations ->
    expert demonstrations -> approval via the reward model -> outcomes.

    The generic demonstrator errs at `rm.generic_base_error + rm.generic_per_digit_error * (digits - 1)`;
    the expert stage fine-tunes on a quarter as many of `people`'s demonstrations for half the steps.
    """
    rm = rm or RewardSettings()
    generic = ArithmeticPeople(
        rm.generic_base_error, rm.generic_per_digit_error, people.noise, people.bias, people.seed
    )
    expert = replace(settings, demonstrations=max(1, settings.demonstrations // 4))
    stages: list[Stage] = [
        ("generic demonstrations", lambda s, m: paths.behaviour_cloning(generic, settings, s, m)),
        (
            "expert demonstrations",
            lambda s, m: paths.behaviour_cloning(people, expert, s, m, steps=max(1, settings.bc_steps // 2)),
        ),
        ("approval via reward model", lambda s, m: approval_reward_model(people, settings, s, None, rm, m)),
        ("outcomes", lambda s, m: paths.outcomes(people, settings, s, m)),
    ]
    return stages, spawn_seeds(check_seed(seed), 4)


__all__ = [
    "RewardSettings",
    "active_vs_random",
    "approval_reward_model",
    "best_of_n",
    "fit_reward_model",
    "label_fractions",
    "overoptimisation",
    "pipeline_stages",
]
