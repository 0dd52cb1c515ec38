"""Arithmetic paths through a learned reward model: approval via the model, over-optimisation, the staged pipeline.

The reward model is `reward_model.RewardEnsemble` on features of (problem, answer) made
here (`features`): the operator, each operand's digits right-aligned by place value, and
the answer's sign, length, digits by place value and roundness, all one-hot. The true
answer is never a feature: to predict approval the model has to learn the sums, or the
rater's taste for round answers, from the labels.

Labels come from the rater judging answers sampled from the starting policy: a pool as
large as the one `approval_direct` buys (``rl_steps * rl_problems * rl_samples``), of
which the reward model sees `fraction` (1, 0.1, 0.01, 0.001) and predicts the rest.

* `approval_reward_model`: REINFORCE against the reward model's P(approve).
* `overoptimisation`: best-of-n against the reward model for n = 1..1024 on held-out
  problems (proxy and true reward against d = sqrt(log n - (n-1)/n)), then more policy
  steps with the KL to the start measured, both fitted with Gao et al.'s forms.
* `pipeline`: generic demonstrations (a worse demonstrator) -> expert demonstrations ->
  approval via the reward model -> outcomes, the true performance after each stage.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, replace

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, numpy_generator, spawn_seeds
from searchlab.lm.model import CausalTransformer
from searchlab.signals import arithmetic_model as M
from searchlab.signals import arithmetic_paths as paths
from searchlab.signals.arithmetic import OPERATORS, Problem
from searchlab.signals.common import check_probability
from searchlab.signals.people import ArithmeticPeople
from searchlab.signals.reward_model import LabelEfficiency, RewardEnsemble, bon_distance, gao_fit, label_efficiency

_PLACES = 6  # answer digits by place value (the longest answer has 6)
_OPERAND_PLACES = 3
HELDOUT_LABELS = 2_000  # rater labels every reward model is scored on, never fitted


@dataclass(frozen=True)
class RewardSettings:
    """Settings of the reward-model paths.

    Raises:
        SearchlabError: a fraction outside (0, 1], a count below 1, or a bad generic demonstrator.
    """

    fraction: float = 0.1  # of the pool's rater labels the reward model is fitted on
    members: int = 5
    hidden: int = 32
    rm_steps: int = 400
    bon_problems: int = 200
    bon_max: int = 1024  # best-of-n for n = 1, 2, 4, ... up to this
    overopt_steps: int = 500  # policy steps against the reward model for the over-optimisation curve (no KL penalty)
    kl_coef: float = 0.1  # KL penalty to the start when improving the policy against the reward model
    generic_base_error: float = 0.3  # the pipeline's generic demonstrator
    generic_per_digit_error: float = 0.3

    def __post_init__(self) -> None:
        if isinstance(self.fraction, bool) or not isinstance(self.fraction, (int, float)) or not 0 < self.fraction <= 1:
            raise SearchlabError(f"reward paths: fraction is a share of labels in (0, 1], got {self.fraction!r}")
        for name in ("members", "hidden", "rm_steps", "bon_problems", "bon_max", "overopt_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise SearchlabError(f"reward paths: {name} must be a whole number >= 1, got {value!r}")
        if (
            isinstance(self.kl_coef, bool)
            or not isinstance(self.kl_coef, (int, float))
            or not 0 <= self.kl_coef < math.inf
        ):
            raise SearchlabError(f"reward paths: kl_coef must be a finite number >= 0, got {self.kl_coef!r}")
        check_probability("reward paths", "generic_base_error", self.generic_base_error)
        check_probability("reward paths", "generic_per_digit_error", self.generic_per_digit_error)
        ArithmeticPeople(self.generic_base_error, self.generic_per_digit_error)  # error rate <= 1 at every difficulty

    @classmethod
    def small(cls, **overrides) -> RewardSettings:
        return replace(
            cls(), **{**dict(members=3, rm_steps=150, bon_problems=60, bon_max=64, overopt_steps=60), **overrides}
        )

    def ensemble(self) -> RewardEnsemble:
        return RewardEnsemble(members=self.members, hidden=self.hidden, steps=self.rm_steps)


def features(problems: list[Problem], answers: list[str]) -> np.ndarray:
    """(N, F) float32 one-hot features of (problem, answer) pairs; no feature holds the true result."""
    n = len(problems)
    if len(answers) != n:
        raise SearchlabError(f"give one answer per problem: {len(answers)} answers for {n} problems")
    ops = list(OPERATORS)
    operator = np.zeros((n, len(ops)), np.float32)
    operator[np.arange(n), [ops.index(p.operator) for p in problems]] = 1

    def places(numbers: np.ndarray, count: int) -> np.ndarray:
        """(N, count * 11): per place value (units first) a one-hot of the digit, slot 10 for 'no digit'."""
        out = np.zeros((n, count, 11), np.float32)
        for place in range(count):
            digit = np.where(numbers >= 10**place, numbers // 10**place % 10, 10)
            digit[(place == 0) & (numbers == 0)] = 0
            out[np.arange(n), place, digit] = 1
        return out.reshape(n, -1)

    left = places(np.array([p.left for p in problems]), _OPERAND_PLACES)
    right = places(np.array([p.right for p in problems]), _OPERAND_PLACES)
    text = np.array([a[:_PLACES].encode("ascii", "replace") for a in answers], dtype=f"S{_PLACES}")
    chars = text.view(np.uint8).reshape(n, _PLACES)  # (N, 6) bytes, 0 after the end
    length = (chars != 0).sum(axis=1)
    negative = chars[:, 0] == ord("-")
    digits = np.zeros((n, _PLACES, 11), np.float32)  # right-aligned: place 0 is the last character
    for place in range(_PLACES):
        index = length - 1 - place
        char = chars[np.arange(n), np.clip(index, 0, _PLACES - 1)]
        is_digit = (index >= 0) & (char >= ord("0")) & (char <= ord("9"))
        digits[np.arange(n), place, np.where(is_digit, char - ord("0"), 10)] = 1
    length_hot = np.zeros((n, _PLACES + 1), np.float32)
    length_hot[np.arange(n), np.minimum(length, _PLACES)] = 1
    shape = np.stack([negative, digits[:, 0, 0] == 1], axis=1).astype(np.float32)  # sign; ends in 0 (round)
    return np.concatenate([operator, left, right, digits.reshape(n, -1), length_hot, shape], axis=1)


@paths._one_thread
def fit_reward_model(
    people: ArithmeticPeople,
    settings: paths.PathSettings,
    rm: RewardSettings,
    policy: CausalTransformer,
    seed: int,
    fraction: float | None = None,
) -> tuple[RewardEnsemble, dict]:
    """Rater labels on answers sampled from `policy`; fit on `fraction` of them; report accuracy on held-out ones.

    The pool is as large as `approval_direct`'s (``rl_steps * rl_problems * rl_samples`` labels);
    `HELDOUT_LABELS` more, sampled the same way and never fitted, score the model against the
    rater's labels and against the truth, whatever the fraction; "majority_on_rest" is the
    accuracy of always giving the held-out labels' majority verdict, the trivial baseline, and
    "auc_on_rest_vs_rater" the chance that an approved answer scores above a disapproved one
    (0.5 for a model that learned nothing, whatever the labels' balance; nan with one class).
    """
    fraction = rm.fraction if fraction is None else replace(rm, fraction=fraction).fraction
    k = settings.rl_samples
    pool = settings.rl_steps * settings.rl_problems * k  # as many labels as approval_direct buys
    size = pool + HELDOUT_LABELS
    problem_seed, sample_seed, split_seed, fit_seed = spawn_seeds(check_seed(seed), 4)
    problems = settings.task().sample(math.ceil(size / k), problem_seed)
    answers, _ = M.sample(policy, problems, k, seed=sample_seed)
    flat_problems = [p for p in problems for _ in range(k)][:size]
    flat_answers = [a for row in answers for a in row][:size]
    judged = people.rater().judge(flat_problems, flat_answers)
    x = features(flat_problems, flat_answers)
    used = numpy_generator(split_seed).permutation(pool)[: max(1, round(fraction * pool))]
    rest = np.arange(pool, size)
    model = rm.ensemble().fit(x[used], judged.approved[used], fit_seed)
    report = {
        "fraction": fraction,
        "labels": int(used.size),
        "pool": pool,
        "heldout": HELDOUT_LABELS,
        "accuracy_on_rest_vs_rater": model.accuracy(x[rest], judged.approved[rest]),
        "accuracy_on_rest_vs_truth": model.accuracy(x[rest], judged.correct[rest]),
        "majority_on_rest": float(max(judged.approved[rest].mean(), 1.0 - judged.approved[rest].mean())),
        "auc_on_rest_vs_rater": _auc(model.predict(x[rest]), judged.approved[rest]),
    }
    return model, report


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve of `scores` against 0/1 `labels` (nan when only one class is present)."""
    labels = np.asarray(labels).astype(bool)
    if labels.all() or not labels.any():
        return float("nan")
    from sklearn.metrics import roc_auc_score  # deferred: scikit-learn is slow to import and only this needs it here

    return float(roc_auc_score(labels, np.asarray(scores, dtype=float)))


def _proxy(model: RewardEnsemble):
    return lambda problems, answers: model.predict(features(problems, answers))


def sampled_proxy(
    policy: CausalTransformer, reward_model: RewardEnsemble, settings: paths.PathSettings, n: int = 4
) -> float:
    """The reward model's mean P(approve) of `n` answers sampled from `policy` to each held-out problem (what the policy climbs)."""
    problems = settings.held_out()
    answers, _ = M.sample(policy, problems, n, seed=paths.SAMPLED_SEED)
    return float(
        reward_model.predict(
            features([p for p in problems for _ in range(n)], [a for row in answers for a in row])
        ).mean()
    )


@paths._one_thread
def approval_reward_model(
    people: ArithmeticPeople,
    settings: paths.PathSettings,
    seed: int,
    fraction: float | None = None,
    rm: RewardSettings | None = None,
    start: CausalTransformer | None = None,
) -> paths.PathResult:
    """Policy improvement (REINFORCE, leave-one-out baseline) against a reward model fitted on `fraction` of the rater labels.

    `extra` holds the reward model's fit report, "proxy_before" / "proxy_after": its mean score of
    answers sampled to the held-out problems before and after the policy steps, and beside them the
    true "expected_accuracy_before" / "expected_accuracy_after" (`paths.expected_accuracy`; the proxy can
    rise while the truth falls).
    """
    began = time.perf_counter()
    rm = rm or RewardSettings()
    start_seed, rm_seed, rl_seed = spawn_seeds(check_seed(seed), 3)
    model = paths._starting_model(people, settings, start_seed, start)
    before = paths.evaluate(model, settings)
    reward_model, report = fit_reward_model(people, settings, rm, model, rm_seed, fraction)
    proxy_before, expected_before = (
        sampled_proxy(model, reward_model, settings),
        paths.expected_accuracy(model, settings),
    )
    curve = paths.reinforce(
        model, _proxy(reward_model), settings, rl_seed, reference=copy.deepcopy(model), kl_coef=rm.kl_coef
    )
    extra = {
        "reward_model": report,
        "exploit_after": paths.round_rates(model, settings),
        "proxy_before": proxy_before,
        "proxy_after": sampled_proxy(model, reward_model, settings),
        "expected_accuracy_before": expected_before,
        "expected_accuracy_after": paths.expected_accuracy(model, settings),
    }
    name = f"approval (reward model, {report['fraction']:g})"
    return paths.PathResult(
        name,
        model,
        before,
        paths.evaluate(model, settings),
        report["labels"],
        curve,
        extra,
        time.perf_counter() - began,
    )


@paths._one_thread
def best_of_n(
    policy: CausalTransformer, reward_model: RewardEnsemble, problems: list[Problem], n_max: int, seed: int
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


def _gao(d: list[float], scores: list[float], kind: str, baseline: float) -> dict | None:
    try:
        return gao_fit(d, scores, kind, baseline).as_dict()
    except SearchlabError as err:  # too few or too flat points: say so rather than fail the run
        return {"error": str(err)}


@paths._one_thread
def overoptimisation(
    people: ArithmeticPeople,
    settings: paths.PathSettings,
    seed: int,
    rm: RewardSettings | None = None,
    start: CausalTransformer | None = None,
) -> dict:
    """Proxy against true reward as the policy is pushed harder against a learned reward model.

    Returns:
        {"reward_model": its fit report, "best_of_n": rows of n, d, proxy, true, "best_of_n_fit",
        "best_of_n_peak_n": the n with the highest true reward, "rl": curve points with kl, d,
        proxy, true (sampled answers' exact correctness), "rl_fit", "rl_peak": the point with the
        highest true reward, "seconds"}.
    """
    began = time.perf_counter()
    rm = rm or RewardSettings()
    start_seed, rm_seed, bon_seed, rl_seed = spawn_seeds(check_seed(seed), 4)
    start_model = paths._starting_model(people, settings, start_seed, start)
    reward_model, report = fit_reward_model(people, settings, rm, start_model, rm_seed)
    bon = best_of_n(start_model, reward_model, settings.held_out()[: rm.bon_problems], rm.bon_max, bon_seed)
    truth: list[float] = []

    def proxy_and_truth(problems: list[Problem], answers: list[str]) -> np.ndarray:
        truth.append(float(np.mean([a == p.answer for p, a in zip(problems, answers)])))
        return reward_model.predict(features(problems, answers))

    policy = copy.deepcopy(start_model)
    every = max(1, rm.overopt_steps // 10)

    def record(point: dict) -> None:
        point.update(true=float(np.mean(truth[-every:])), d=math.sqrt(max(point["kl"], 0.0)))

    rl = paths.reinforce(
        policy, proxy_and_truth, replace(settings, curve_points=10), rl_seed, rm.overopt_steps, start_model, record
    )
    start_true = bon[0]["true"]  # n = 1: the start's sampled answers
    rl_points = [{"step": 0, "kl": 0.0, "d": 0.0, "reward": bon[0]["proxy"], "true": start_true}] + rl
    return {
        "reward_model": report,
        "best_of_n": bon,
        "best_of_n_fit": _gao([r["d"] for r in bon], [r["true"] for r in bon], "bon", start_true),
        "best_of_n_peak_n": max(bon, key=lambda r: r["true"])["n"],
        "rl": rl_points,
        "rl_fit": _gao([r["d"] for r in rl_points], [r["true"] for r in rl_points], "rl", start_true),
        "rl_peak": max(rl_points, key=lambda r: r["true"]),
        "seconds": time.perf_counter() - began,
    }


@paths._one_thread
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
) -> list[paths.PathResult]:
    """`approval_reward_model` at each fraction of labels, from the same start and seed."""
    start = (
        start
        if start is not None
        else paths.behaviour_cloning(people, settings, spawn_seeds(check_seed(seed), 1)[0]).model
    )
    return [approval_reward_model(people, settings, seed, f, rm, start) for f in fractions]


@paths._one_thread
def pipeline(
    people: ArithmeticPeople, settings: paths.PathSettings, seed: int, rm: RewardSettings | None = None
) -> list[dict]:
    """Generic demonstrations -> expert demonstrations -> approval via the reward model -> outcomes.

    The generic demonstrator errs at `rm.generic_base_error + rm.generic_per_digit_error * (digits - 1)`;
    the expert stage fine-tunes on a quarter as many of `people`'s demonstrations for half the steps.

    Returns:
        One row per stage: {"stage", "start" (true performance before it), "performance", "labels", "seconds"}.
    """
    rm = rm or RewardSettings()
    generic = ArithmeticPeople(
        rm.generic_base_error, rm.generic_per_digit_error, people.noise, people.bias, people.seed
    )
    seeds = spawn_seeds(check_seed(seed), 4)
    rows = []
    model = None
    expert = replace(settings, demonstrations=max(1, settings.demonstrations // 4))
    stages = [
        ("generic demonstrations", lambda s, m: paths.behaviour_cloning(generic, settings, s, m)),
        (
            "expert demonstrations",
            lambda s, m: paths.behaviour_cloning(people, expert, s, m, steps=max(1, settings.bc_steps // 2)),
        ),
        ("approval via reward model", lambda s, m: approval_reward_model(people, settings, s, None, rm, m)),
        ("outcomes", lambda s, m: paths.outcomes(people, settings, s, m)),
    ]
    for (stage, train), stage_seed in zip(stages, seeds):
        result = train(stage_seed, model)
        model = result.model
        rows.append(
            {
                "stage": stage,
                "start": result.start,
                "performance": result.performance,
                "labels": result.labels,
                "seconds": result.seconds,
            }
        )
    return rows


__all__ = [
    "RewardSettings",
    "active_vs_random",
    "approval_reward_model",
    "best_of_n",
    "features",
    "fit_reward_model",
    "label_fractions",
    "overoptimisation",
    "pipeline",
    "sampled_proxy",
]
