"""The arithmetic reward model: its settings, the features it reads, and fitting it on the rater's labels.

The reward model is `reward_model.RewardEnsemble` on features of (problem, answer) made
here (`features`): the operator, each operand's digits right-aligned by place value, and
the answer's sign, length, digits by place value and roundness, all one-hot. The true
answer is never a feature: to predict approval the model has to learn the sums, or the
rater's taste for round answers, from the labels.

Labels come from the rater judging answers sampled from the starting policy: a pool as
large as the one `approval_direct` buys (``rl_steps * rl_problems * rl_samples``), of
which the reward model sees `fraction` (1, 0.1, 0.01, 0.001) and predicts the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from searchlab.core import checks
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, numpy_generator, spawn_seeds
from searchlab.lm.model import CausalTransformer
from searchlab.signals import arithmetic_model as M
from searchlab.signals import arithmetic_settings as settings_
from searchlab.signals.arithmetic import OPERATORS, ArithmeticProblem
from searchlab.signals.common import check_probability
from searchlab.signals.people import ArithmeticPeople
from searchlab.signals.reward_model import RewardEnsemble

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
        if not checks.is_number(self.fraction) or not 0 < self.fraction <= 1:
            raise SearchlabError(f"reward paths: fraction is a share of labels in (0, 1], got {self.fraction!r}")
        for name in ("members", "hidden", "rm_steps", "bon_problems", "bon_max", "overopt_steps"):
            value = getattr(self, name)
            checks.whole(f"reward paths: {name}", value, 1)
        if not checks.is_number(self.kl_coef) or self.kl_coef < 0:
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


def features(problems: list[ArithmeticProblem], answers: list[str]) -> np.ndarray:
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


@settings_.one_thread
def fit_reward_model(
    people: ArithmeticPeople,
    settings: settings_.PathSettings,
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
        "heldout accuracy": model.accuracy(x[rest], judged.approved[rest]),
        "truth accuracy": model.accuracy(x[rest], judged.correct[rest]),
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


def proxy_reward(model: RewardEnsemble):
    return lambda problems, answers: model.predict(features(problems, answers))


def sampled_proxy(
    policy: CausalTransformer, reward_model: RewardEnsemble, settings: settings_.PathSettings, n: int = 4
) -> float:
    """The reward model's mean P(approve) of `n` answers sampled from `policy` to each held-out problem
    (what the policy climbs)."""
    problems = settings.held_out()
    answers, _ = M.sample(policy, problems, n, seed=settings_.SAMPLED_SEED)
    return float(
        reward_model.predict(
            features([p for p in problems for _ in range(n)], [a for row in answers for a in row])
        ).mean()
    )
