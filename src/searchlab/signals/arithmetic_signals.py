"""Arithmetic as a training-signals task (`searchlab.signals.task.Task`) for the shared machinery.

`ArithmeticSignals` gives the imitation paths (`searchlab.signals.imitation`) the demonstrator's
answers to sampled problems, the model's greedy answers to fresh ones for DAgger's overseer (who
keeps only its corrections) and the answers' negative log-likelihood; it gives `reinforce` the
model's own answers to reward (`AnswerBatch`), a leave-one-out baseline, and the rater's, the
reward model's and the exact check's signals for `searchlab.signals.paths`; `policy_steps` runs
`reinforce` on a model with a reward of (problems, answers).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from searchlab.core.device import cpu_threads
from searchlab.lm.model import CausalTransformer
from searchlab.signals import arithmetic_model as M
from searchlab.signals import arithmetic_reward as R
from searchlab.signals import imitation
from searchlab.signals.arithmetic import ANSWER_LENGTH, ArithmeticProblem, encode_answers, encode_problems
from searchlab.signals.arithmetic_people import ArithmeticTruth
from searchlab.signals.arithmetic_settings import THREADS, PathSettings, evaluate, expected_accuracy, round_rates
from searchlab.signals.paths import Signal
from searchlab.signals.people import ArithmeticPeople
from searchlab.signals.persons import Checker, Demonstrator
from searchlab.signals.reinforce import reinforce
from searchlab.signals.task import ImitationPlan
from searchlab.signals.training import Shown
from searchlab.spaces.module import ModuleSpace


@dataclass(frozen=True)
class AnswerBatch:
    """One policy step's samples: `rl_samples` answers to each of `rl_problems` problems, flat (problem-major).

    Attributes:
        problems, answers: (B k,) each problem repeated k times, and the answers sampled to it.
        sampled_log_probs: (B, k) the answers' log-probabilities under the model that sampled them.
    """

    problems: list[ArithmeticProblem]
    answers: list[str]
    sampled_log_probs: np.ndarray


class ArithmeticSignals:
    """Arithmetic as a training-signals `Task`: the transformer, its held-out accuracy, its own answers to reward.

    The baseline of an answer's reward is the mean reward of the other answers to the same problem.
    """

    name = "arithmetic"

    curve_starts = False

    def __init__(self, people: ArithmeticPeople | None, settings: PathSettings, rm: Any = None) -> None:
        self.people, self.settings, self.rm = people, settings, rm  # rm: the reward-model paths' RewardSettings
        self.rl_learning_rate, self.rl_steps = settings.rl_learning_rate, settings.rl_steps
        self._problems = settings.task()
        self.imitation = ImitationPlan(
            learning_rate=settings.learning_rate,
            batch_size=settings.batch_size,
            steps=settings.bc_steps,
            demonstrations=settings.demonstrations,
            rounds=settings.dagger_rounds,
            round_steps=settings.dagger_steps,
            first_demonstrations=max(1, settings.demonstrations // 10),
            visits=settings.dagger_problems,
            overseer_queries="overseer answers",
            corrections_only=True,
            curve_points=settings.curve_points,
        )

    def new_model(self, seed: int, start: CausalTransformer | None = None) -> CausalTransformer:
        return copy.deepcopy(start) if start is not None else M.make_model(self.settings.model, seed)

    def evaluate(self, model: CausalTransformer) -> dict:
        return evaluate(model, self.settings)

    def improvement_start(self, seed: int, start: CausalTransformer | None = None) -> CausalTransformer:
        """A copy of `start`, else behaviour cloning on `bc_steps` steps: improvement needs a policy sometimes right."""
        if start is not None:
            return copy.deepcopy(start)
        with cpu_threads(THREADS):
            return imitation.behaviour_cloning(self, seed).model

    def probe(self, model: CausalTransformer) -> dict:
        """The chance that a sampled answer is right (`expected_accuracy`), which policy steps sharpen."""
        return {"expected_accuracy": expected_accuracy(model, self.settings)}

    def approval_signal(self, model: CausalTransformer) -> Signal:
        """The rater's approvals; the exploit of its soft spot for round answers is measured alongside."""
        rater, fired, settings = self.people.rater(), [], self.settings
        exploit_before = round_rates(model, settings)

        def approve(problems: list[ArithmeticProblem], answers: list[str]) -> np.ndarray:
            judged = rater.judge(problems, answers)
            fired.append(float(judged.fired.mean()))
            return judged.approved.astype(float)

        def extra() -> dict:
            tenth = max(1, len(fired) // 10)
            return {
                "exploit_before": exploit_before,
                "exploit_after": round_rates(model, settings),
                "bias_fired_first_steps": float(np.mean(fired[:tenth])),
                "bias_fired_last_steps": float(np.mean(fired[-tenth:])),
            }

        on_eval = lambda point: point.update(round_rate=round_rates(model, settings)["round_rate"])  # noqa: E731
        return Signal(
            self.reward(approve), lambda spent: {"rater labels": spent.labels}, extra, on_eval, buys_labels=True
        )

    def reward_model_signal(self, model: CausalTransformer, seed: int, fraction: float | None) -> Signal:
        """A reward model's P(approve), fitted on rater labels of `model`'s answers; a KL penalty to `model`."""
        rm, settings = self.rm or R.RewardSettings(), self.settings
        reward_model, report = R.fit_reward_model(self.people, settings, rm, model, seed, fraction)
        proxy_before = R.sampled_proxy(model, reward_model, settings)

        def extra() -> dict:
            return {
                "reward_model": report,
                "exploit_after": round_rates(model, settings),
                "proxy_before": proxy_before,
                "proxy_after": R.sampled_proxy(model, reward_model, settings),
            }

        return Signal(
            self.reward(R.proxy_reward(reward_model)),
            lambda spent: {"rater labels": report["labels"]},  # bought for the fit, none during the steps
            extra,
            reference=copy.deepcopy(model),
            kl_coef=rm.kl_coef,
            name=f"approval (reward model, {report['fraction']:g})",
        )

    def outcome_signal(self) -> Signal:
        """The exact check of every sampled answer (1 right, 0 wrong); each check is counted."""

        checker = Checker(ArithmeticTruth(self._problems))
        exact = lambda problems, answers: checker.check(problems, answers).astype(float)  # noqa: E731
        return Signal(self.reward(exact), lambda spent: {"exact checks": spent.examples_seen})

    def record_every(self, steps: int) -> int:
        return max(1, steps // self.settings.curve_points)

    def demonstrations(
        self, demonstrator: Demonstrator, amount: int, seed: int
    ) -> tuple[list[ArithmeticProblem], list[str]]:
        """`amount` problems drawn from `seed`, and the demonstrator's answers to them."""
        problems = self._problems.sample(amount, seed)
        return problems, demonstrator.demonstrate(problems)

    def visit(self, model: CausalTransformer, amount: int, seed: int) -> tuple[list[ArithmeticProblem], list[str]]:
        """`amount` fresh problems drawn from `seed`, and the model's greedy answers to them."""
        asked = self._problems.sample(amount, seed)
        return asked, M.greedy(model, asked)

    def imitation_problem(
        self, model: CausalTransformer, problems: list[ArithmeticProblem], answers: list[str], bought: int
    ) -> Shown:
        """Negative log-likelihood of the shown answers; one forward-equivalent per answer position predicted."""
        data = {
            "problems": torch.as_tensor(encode_problems(problems)),
            "answers": torch.as_tensor(encode_answers(answers, M.VOCAB)),
        }
        model.train()
        return Shown(ModuleSpace(model), data, _cloning_loss, "answer_nll", bought, cost_per_example=ANSWER_LENGTH)

    def policy_batch(self, model: CausalTransformer, rng: np.random.Generator) -> AnswerBatch:
        k = self.settings.rl_samples
        problems = self._problems.sample(self.settings.rl_problems, rng)
        answers, sampled_log_probs = M.sample(model, problems, k, seed=int(rng.integers(2**31)))
        return AnswerBatch(
            [p for p in problems for _ in range(k)], [a for row in answers for a in row], sampled_log_probs
        )

    def moves(self, batch: AnswerBatch) -> int:
        """Answer characters the model chose: each answer's characters and its end marker, unless the answer
        filled every position but the last, where the end marker is forced (`arithmetic_model._write`)."""
        return sum(min(len(answer) + 1, ANSWER_LENGTH - 1) for answer in batch.answers)

    def log_ratio(self, model: CausalTransformer, batch: AnswerBatch, reference: CausalTransformer) -> np.ndarray:
        with torch.no_grad():
            reference_log_probs = M.log_prob(reference, encode_problems(batch.problems), batch.answers).numpy()
        return batch.sampled_log_probs - reference_log_probs.reshape(-1, self.settings.rl_samples)  # (B, k)

    def advantages(self, batch: AnswerBatch, rewards: np.ndarray) -> torch.Tensor:
        k = self.settings.rl_samples
        baseline = (rewards.sum(axis=1, keepdims=True) - rewards) / (k - 1)  # leave-one-out mean
        return torch.as_tensor((rewards - baseline).reshape(-1), dtype=torch.float32)

    def log_probs(self, model: CausalTransformer, batch: AnswerBatch) -> tuple[torch.Tensor, None]:
        model.train()
        return M.log_prob(model, encode_problems(batch.problems), batch.answers), None  # (B k,)

    def reward(self, score: Callable[[list[ArithmeticProblem], list[str]], np.ndarray]) -> Callable:
        """A reward of batches from `score(problems, answers) -> (B k,)`: shaped (B, k), one row per problem."""
        k = self.settings.rl_samples
        return lambda batch: np.asarray(score(batch.problems, batch.answers), dtype=float).reshape(-1, k)


def _cloning_loss(run, rows: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean negative log-likelihood per counted answer character (`arithmetic_model.nll`); `run` is the candidate."""
    return M.nll(run, rows["problems"], rows["answers"])


def policy_steps(
    model: CausalTransformer,
    score: Callable[[list[ArithmeticProblem], list[str]], np.ndarray],
    settings: PathSettings,
    seed: int,
    steps: int | None = None,
    reference: CausalTransformer | None = None,
    on_eval: Callable[[dict], None] | None = None,
    kl_coef: float = 0.0,
) -> list[dict]:
    """`reinforce` on `model`'s answers, rewarded by `score(problems, answers)`; returns the learning curve.

    Each step draws `rl_problems` problems and samples `rl_samples` answers to each. With `reference`,
    each curve point also has "kl" (mean log-ratio of the step's samples), and `kl_coef` > 0 subtracts
    kl_coef * log(p / p_reference) from each sample's reward.
    """
    task = ArithmeticSignals(None, settings)
    steps = settings.rl_steps if steps is None else steps
    curve, _ = reinforce(
        task, model, task.reward(score), seed, steps, reference=reference, kl_coef=kl_coef, on_eval=on_eval
    )
    return curve
