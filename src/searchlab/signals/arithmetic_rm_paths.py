"""Arithmetic paths through a learned reward model: approval via the model, over-optimisation, the staged pipeline.

The reward model, its features and its fit are in `arithmetic_reward`.

* `approval_reward_model`: REINFORCE against the reward model's P(approve).
* `overoptimisation`: best-of-n against the reward model for n = 1..1024 on held-out
  problems (proxy and true reward against d = sqrt(log n - (n-1)/n)), then more policy
  steps with the KL to the start measured, both fitted with Gao et al.'s forms: the sweep
  of `searchlab.signals.overoptimisation`, with `ArithmeticStudy` as this task's part.
* `pipeline_stages`: generic demonstrations (a worse demonstrator) -> expert demonstrations ->
  approval via the reward model -> outcomes, the true performance after each stage.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

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
from searchlab.signals.overoptimisation import overoptimisation as sweep
from searchlab.signals.people import ArithmeticPeople
from searchlab.signals.pipeline import Stage
from searchlab.signals.result import PathResult
from searchlab.signals.reward_model import LabelEfficiency, RewardEnsemble, label_efficiency


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
    policy: CausalTransformer,
    reward_model: RewardEnsemble,
    problems: list[ArithmeticProblem],
    best_of: Sequence[int],
    seed: int,
) -> list[dict]:
    """Best-of-n by the reward model for each n of `best_of`: rows {"knob" (n), "proxy", "true"}, the mean
    proxy and true reward of the pick.

    max(best_of) answers are sampled per problem once; for each n they are split into max // n
    disjoint groups of n and the reward model's favourite of each group is scored.
    """
    n_max = max(best_of)
    answers, _ = M.sample(policy, problems, n_max, seed=seed)
    flat_problems = [p for p in problems for _ in range(n_max)]
    flat_answers = [a for row in answers for a in row]
    proxy = reward_model.predict(features(flat_problems, flat_answers)).reshape(len(problems), n_max)
    truth = np.array([a == p.answer for p, a in zip(flat_problems, flat_answers)], dtype=float).reshape(
        len(problems), n_max
    )
    rows = []
    for n in best_of:
        groups = n_max // n
        grouped = proxy[:, : groups * n].reshape(len(problems), groups, n)
        pick = grouped.argmax(axis=2)[..., None]  # (P, groups, 1)
        chosen_truth = np.take_along_axis(truth[:, : groups * n].reshape(len(problems), groups, n), pick, axis=2)
        rows.append(
            {
                "knob": n,
                "proxy": float(np.take_along_axis(grouped, pick, axis=2).mean()),
                "true": float(chosen_truth.mean()),
            }
        )
    return rows


class ArithmeticStudy:
    """Arithmetic's part in over-optimisation (`overoptimisation.Study`), measured on sampled answers.

    The proxy is a reward model fitted on rater labels of the start's sampled answers. Best-of-n
    picks among answers sampled to the first `rm.bon_problems` held-out problems, n = 1, 2, 4, ...
    up to `rm.bon_max`; policy steps are `rm.overopt_steps` REINFORCE steps against the proxy (no
    KL penalty), a row ten times, whose "true" is the exact correctness of the answers sampled in
    the steps since the last row.
    """

    def __init__(self, people: ArithmeticPeople, settings: paths.PathSettings, rm: RewardSettings) -> None:
        self.people, self.settings, self.rm = people, settings, rm
        self.best_of = tuple(2**k for k in range(rm.bon_max.bit_length()))  # powers of 2 up to bon_max

    def fit_proxy(self, start: CausalTransformer, seed: int) -> tuple[RewardEnsemble, dict]:
        return fit_reward_model(self.people, self.settings, self.rm, start, seed)

    def best_of_n(self, start: CausalTransformer, proxy: RewardEnsemble, seed: int) -> list[dict]:
        return best_of_n(start, proxy, self.settings.held_out()[: self.rm.bon_problems], self.best_of, seed)

    def push(self, start: CausalTransformer, proxy: RewardEnsemble, seed: int) -> list[dict]:
        truth: list[float] = []

        def proxy_and_truth(problems: list[ArithmeticProblem], answers: list[str]) -> np.ndarray:
            truth.append(float(np.mean([a == p.answer for p, a in zip(problems, answers)])))
            return proxy.predict(features(problems, answers))

        steps = self.rm.overopt_steps
        every = max(1, steps // 10)
        record = lambda point: point.update(true=float(np.mean(truth[-every:])))  # noqa: E731
        policy, settings = copy.deepcopy(start), replace(self.settings, curve_points=10)
        curve = paths.policy_steps(policy, proxy_and_truth, settings, seed, steps, start, record)
        return [{"knob": r["step"], "kl": r["kl"], "proxy": r["reward"], "true": r["true"]} for r in curve]


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
        each arm has its Gao fit (None when none fits) and the knob where the true reward peaked
        (`overoptimisation.overoptimisation`).
    """
    rm = rm or RewardSettings()
    return sweep(ArithmeticSignals(people, settings, rm), ArithmeticStudy(people, settings, rm), seed, start)


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
    "ArithmeticStudy",
    "RewardSettings",
    "active_vs_random",
    "approval_reward_model",
    "best_of_n",
    "fit_reward_model",
    "label_fractions",
    "overoptimisation",
    "pipeline_stages",
]
