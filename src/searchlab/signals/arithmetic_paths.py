"""Training paths for arithmetic, one model class for all: imitation, interactive correction, approval, outcomes.

Each path is a function ``(people, settings, seed, start=None) -> PathResult``: the trained
model, its true performance (greedy exact accuracy on a fixed held-out set, by
difficulty), the labels it bought, a small curve, and what it started from.

* `behaviour_cloning`: fit the demonstrator's (noisy) answers.
* `dagger`: interactive correction, at behaviour cloning's number of gradient steps. After a
  first fit on a tenth of the demonstrations, the model answers fresh problems; the overseer
  (the same imperfect demonstrator) writes its own answer to each and, where the two differ,
  that answer joins the data as a correction; retrain on everything, a few rounds. An
  answer is one "state" here (the answer is written in one go), so this is DAgger at the
  level of problems: the overseer sees the model's own mistakes, not only its own
  demonstrations. Being imperfect, the overseer sometimes "corrects" a right answer
  into a wrong one and misses none (it disagrees with every wrong answer unless it
  makes the same mistake); both are counted.
* `approval_direct`: REINFORCE with a leave-one-out baseline, the reward the rater's
  0/1 approval of the model's sampled answers; the exploit (round answers, which the
  rater favours) is measured on the held-out set.
* `outcomes`: REINFORCE with a leave-one-out baseline, the reward the exact check.

The policy-gradient paths also report `expected_accuracy` before and after ("expected_accuracy_before",
"expected_accuracy_after" in `extra`): a clone can be right greedily and still sample many wrong
answers, and sharpening that distribution is most of what these paths do.

Approval and outcomes start from a model (``start``, else behaviour cloning on
``settings.bc_steps`` steps), since policy improvement needs a policy that is sometimes
right. The reward-model paths are in `arithmetic_rm_paths`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

import numpy as np
import torch

from searchlab.core.device import cpu_threads
from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, numpy_generator, spawn_seeds, torch_generator
from searchlab.lm.model import CausalTransformer
from searchlab.signals import arithmetic_model as M
from searchlab.signals.arithmetic import ArithmeticTask, Problem, check, encode_answers, encode_problems
from searchlab.signals.arithmetic_people import is_round
from searchlab.signals.people import ArithmeticPeople

HELD_OUT_SEED = 7_000_007
SAMPLED_SEED = (
    7_000_011  # the draws of the held-out answers sampled for a reward model, the same before and after training
)
THREADS = 1  # a model this small trains fastest on one thread, and does not fight other work for the cores


def _one_thread(function: Callable) -> Callable:
    """Run `function` with torch limited to `THREADS` CPU threads (restored afterwards)."""

    def wrapped(*args, **kwargs):
        with cpu_threads(THREADS):
            return function(*args, **kwargs)

    wrapped.__name__, wrapped.__doc__, wrapped.__wrapped__ = function.__name__, function.__doc__, function
    return wrapped  # the held-out problems are the same for every run seed


@dataclass(frozen=True)
class PathSettings:
    """Settings shared by every arithmetic training path; defaults run each path in tens of seconds on one core.

    Raises:
        SearchlabError: a count below its minimum, a rate out of range, or a bad task (one line each).
    """

    digits: tuple[int, ...] = (1, 2)
    operators: tuple[str, ...] = ("+", "-")
    model: M.ModelSettings = M.ModelSettings()
    learning_rate: float = 3e-3  # behaviour cloning (Adam)
    batch_size: int = 128
    demonstrations: int = 20_000  # demonstrator answers behaviour cloning may use
    bc_steps: int = 800
    dagger_rounds: int = 3
    dagger_problems: int = 2_000  # problems the model answers (and the overseer checks) per round
    dagger_steps: int = (
        130  # training steps per round, on everything gathered so far (about half of bc_steps over the rounds)
    )
    rl_learning_rate: float = 5e-4
    rl_steps: int = 250
    rl_problems: int = 32  # problems per policy step
    rl_samples: int = 4  # answers per problem; the baseline is the mean reward of the other answers
    eval_problems: int = 1_000
    curve_points: int = (
        6  # held-out evaluations per training loop (each costs a greedy pass over the held-out problems)
    )
    rater_candidates: int = 8  # n of the rater's level: pick an approved answer among n samples

    def __post_init__(self) -> None:
        object.__setattr__(self, "digits", tuple(self.digits))
        object.__setattr__(self, "operators", tuple(self.operators))
        self.task()
        for item in fields(self):
            value = getattr(self, item.name)
            if item.type == "int":
                low = 2 if item.name == "rl_samples" else 0 if item.name in ("dagger_rounds",) else 1
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                    raise SearchlabError(
                        f"arithmetic paths: {item.name} must be a whole number >= {low}, got {value!r}"
                    )
            if item.type == "float" and not (isinstance(value, (int, float)) and 0 < value < 1):
                raise SearchlabError(f"arithmetic paths: {item.name} must be a number between 0 and 1, got {value!r}")
        if not isinstance(self.model, M.ModelSettings):
            raise SearchlabError(f"arithmetic paths: model must be a ModelSettings, got {type(self.model).__name__}")
        self.model.config()  # checks the shape

    @classmethod
    def small(cls, **overrides) -> PathSettings:
        """A seconds-sized instance for tests: 1-digit problems, a short everything."""
        small = dict(
            digits=(1,),
            demonstrations=2_000,
            bc_steps=150,
            dagger_rounds=2,
            dagger_problems=400,
            dagger_steps=60,
            rl_steps=40,
            rl_problems=32,
            eval_problems=300,
            curve_points=4,
            rl_learning_rate=1e-3,
        )
        return replace(cls(), **{**small, **overrides})

    def task(self) -> ArithmeticTask:
        return ArithmeticTask(self.digits, self.operators)

    def held_out(self) -> list[Problem]:
        """The fixed evaluation problems (independent of every run seed)."""
        return self.task().sample(self.eval_problems, HELD_OUT_SEED)


@dataclass
class PathResult:
    """What one training path produced.

    Attributes:
        name: the path.
        model: the trained model.
        start: true performance of the model it started from ({"accuracy", "by_digits"}).
        performance: true performance after training (greedy exact accuracy on the held-out set).
        labels: answers or judgements bought from people (demonstrations, corrections, approvals);
            for outcomes, automatic checks.
        curve: [{"step", "labels", "accuracy", ...}] during training.
        extra: path-specific numbers (exploit rates, overseer mistakes, ...).
        seconds: wall time.
    """

    name: str
    model: CausalTransformer
    start: dict
    performance: dict
    labels: int
    curve: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        """JSON-ready, without the model."""
        keys = ("name", "start", "performance", "labels", "curve", "extra", "seconds")
        return {key: getattr(self, key) for key in keys}


def performance(correct: np.ndarray, problems: list[Problem]) -> dict:
    """{"accuracy": overall, "by_digits": {d: accuracy}} of (N,) bool results on `problems`."""
    digits = np.array([p.digits for p in problems])
    return {
        "accuracy": float(np.mean(correct)),
        "by_digits": {int(d): float(np.mean(correct[digits == d])) for d in np.unique(digits)},
    }


@_one_thread
def evaluate(model: CausalTransformer, settings: PathSettings) -> dict:
    """The model's true performance: greedy answers to the held-out problems, checked exactly."""
    problems = settings.held_out()
    return performance(M.correct(model, problems), problems)


@_one_thread
def expected_accuracy(model: CausalTransformer, settings: PathSettings) -> float:
    """The probability that an answer sampled from `model` (temperature 1) to a held-out problem is the true one, averaged.

    Exact (no sampling): the mean over the held-out problems of p(true answer). Greedy
    accuracy moves only when the most likely answer changes; policy-gradient paths also
    sharpen the distribution, which this measures (it is the expected reward of the exact
    check, the quantity `outcomes` climbs).
    """
    problems = settings.held_out()
    with torch.no_grad():
        return float(M.log_prob(model, problems, [p.answer for p in problems]).exp().mean())


# ---- the people's levels ----------------------------------------------------------------


@_one_thread
def demonstrator_level(people: ArithmeticPeople, settings: PathSettings) -> dict:
    """The demonstrator's measured accuracy on the held-out problems, by difficulty."""
    problems = settings.held_out()
    answers = people.demonstrator().demonstrate(problems)
    return performance(np.array([check(p, a) for p, a in zip(problems, answers)]), problems)


@_one_thread
def rater_level(people: ArithmeticPeople, settings: PathSettings, model: CausalTransformer, seed: int) -> dict:
    """The rater's level as a selector: among `rater_candidates` answers sampled from `model`, pick one it approves.

    For each held-out problem, n answers are sampled from `model`, the rater judges each,
    and one approved answer is picked uniformly (one of the n if none is approved). The
    accuracy of the picks is the rater's level; "pass_at_n" (some candidate is right) is
    the ceiling any selector could reach from these candidates.
    """
    problems, n = settings.held_out(), settings.rater_candidates
    sample_seed, pick_seed = spawn_seeds(seed, 2)
    answers, _ = M.sample(model, problems, n, seed=sample_seed)
    flat_problems = [p for p in problems for _ in range(n)]
    flat_answers = [a for row in answers for a in row]
    approved = people.rater().rate(flat_problems, flat_answers).reshape(-1, n)
    right = np.array([check(p, a) for p, a in zip(flat_problems, flat_answers)]).reshape(-1, n)
    weights = np.where(approved.any(axis=1, keepdims=True), approved, True).astype(float)  # (N, n)
    keys = (
        numpy_generator(pick_seed).random(weights.shape) * weights
    )  # the largest key is a uniform pick among weighted
    picked = right[np.arange(len(problems)), keys.argmax(axis=1)]
    level = performance(picked, problems)
    level["pass_at_n"] = performance(right.any(axis=1), problems)["accuracy"]
    level["candidates"] = n
    return level


# ---- training loops -----------------------------------------------------------------------


def _fit(
    model: CausalTransformer,
    problem_ids: torch.Tensor,
    answer_ids: torch.Tensor,
    steps: int,
    settings: PathSettings,
    seed: int,
    curve: list[dict] | None = None,
    labels: int = 0,
    offset: int = 0,
) -> None:
    """`steps` Adam steps of behaviour cloning on rows drawn uniformly (with replacement) from the data."""
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    generator = torch_generator(seed)
    every = max(1, steps // settings.curve_points)
    model.train()
    for step in range(steps):
        rows = torch.randint(0, problem_ids.shape[0], (settings.batch_size,), generator=generator)
        loss = M.nll(model, problem_ids[rows], answer_ids[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if curve is not None and ((step + 1) % every == 0 or step + 1 == steps):
            curve.append(
                {
                    "step": offset + step + 1,
                    "labels": labels,
                    "loss": float(loss.detach()),
                    "accuracy": evaluate(model, settings)["accuracy"],
                }
            )


def _encode(problems: list[Problem], answers: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.as_tensor(encode_problems(problems)), torch.as_tensor(encode_answers(answers, M.VOCAB))


@_one_thread
def behaviour_cloning(
    people: ArithmeticPeople,
    settings: PathSettings,
    seed: int,
    start: CausalTransformer | None = None,
    steps: int | None = None,
    name: str = "behaviour cloning",
) -> PathResult:
    """Fit `settings.demonstrations` demonstrator answers for `steps` (default `bc_steps`) steps."""
    began = time.perf_counter()
    init_seed, data_seed, fit_seed = spawn_seeds(check_seed(seed), 3)
    model = copy.deepcopy(start) if start is not None else M.make_model(settings.model, init_seed)
    before = evaluate(model, settings)
    problems = settings.task().sample(settings.demonstrations, data_seed)
    answers = people.demonstrator().demonstrate(problems)
    curve = [{"step": 0, "labels": len(problems), "accuracy": before["accuracy"]}]
    _fit(
        model,
        *_encode(problems, answers),
        settings.bc_steps if steps is None else steps,
        settings,
        fit_seed,
        curve,
        len(problems),
    )
    data_accuracy = float(np.mean([check(p, a) for p, a in zip(problems, answers)]))
    return PathResult(
        name,
        model,
        before,
        evaluate(model, settings),
        len(problems),
        curve,
        {"demonstration_accuracy": data_accuracy},
        time.perf_counter() - began,
    )


@_one_thread
def dagger(
    people: ArithmeticPeople, settings: PathSettings, seed: int, start: CausalTransformer | None = None
) -> PathResult:
    """Interactive correction at behaviour cloning's compute: clone a tenth of the demonstrations, then
    `dagger_rounds` rounds of (the model answers, the overseer corrects where it disagrees, retrain on all).

    The first fit takes ``bc_steps - dagger_rounds * dagger_steps`` steps (at least 1), so the
    path spends as many gradient steps as `behaviour_cloning` in all; with `start` that fit is
    skipped and the rounds begin from `start`. `labels` counts every answer the overseer wrote:
    the first demonstrations and one per problem it looked at in the rounds.
    """
    began = time.perf_counter()
    init_seed, data_seed, fit_seed, *round_seeds = spawn_seeds(check_seed(seed), settings.dagger_rounds + 3)
    overseer = people.demonstrator()  # one stream for the first demonstrations and every correction
    problems = settings.task().sample(max(1, settings.demonstrations // 10), data_seed)
    answers = overseer.demonstrate(problems)
    labels = len(problems)
    first_steps = max(1, settings.bc_steps - settings.dagger_rounds * settings.dagger_steps)
    if start is None:
        model = M.make_model(settings.model, init_seed)
        untrained = evaluate(model, settings)
        _fit(model, *_encode(problems, answers), first_steps, settings, fit_seed)
    else:
        model, untrained, first_steps = copy.deepcopy(start), None, 0
    before = evaluate(model, settings)
    curve = [{"step": first_steps, "labels": labels, "data": len(problems), "accuracy": before["accuracy"]}]
    counts = {"corrections": 0, "corrections_wrong": 0, "right_answers_overruled": 0, "wrong_answers_missed": 0}
    for round_index, round_seed in enumerate(round_seeds):
        ask_seed, round_fit_seed = spawn_seeds(round_seed, 2)
        asked = settings.task().sample(settings.dagger_problems, ask_seed)
        written = M.greedy(model, asked)
        overseen = overseer.demonstrate(asked)  # the overseer writes its own answer to compare
        differs = [w != o for w, o in zip(written, overseen)]
        for p, w, o, d in zip(asked, written, overseen, differs):
            counts["corrections"] += d
            counts["corrections_wrong"] += d and not check(p, o)
            counts["right_answers_overruled"] += d and check(p, w)
            counts["wrong_answers_missed"] += (not d) and not check(p, w)
        problems += [p for p, d in zip(asked, differs) if d]
        answers += [o for o, d in zip(overseen, differs) if d]
        labels += len(asked)  # the overseer looked at (and answered) every problem
        _fit(model, *_encode(problems, answers), settings.dagger_steps, settings, round_fit_seed)
        curve.append(
            {
                "step": first_steps + (round_index + 1) * settings.dagger_steps,
                "round": round_index + 1,
                "labels": labels,
                "data": len(problems),
                "accuracy": evaluate(model, settings)["accuracy"],
            }
        )
    extra = {
        **counts,
        "gradient_steps": first_steps + settings.dagger_rounds * settings.dagger_steps,
        "first_clone": before if untrained is not None else None,
    }
    return PathResult(
        "dagger",
        model,
        untrained or before,
        evaluate(model, settings),
        labels,
        curve,
        extra,
        time.perf_counter() - began,
    )


@_one_thread
def reinforce(
    model: CausalTransformer,
    reward: Callable[[list[Problem], list[str]], np.ndarray],
    settings: PathSettings,
    seed: int,
    steps: int | None = None,
    reference: CausalTransformer | None = None,
    on_eval: Callable[[dict], None] | None = None,
    kl_coef: float = 0.0,
) -> list[dict]:
    """Policy-gradient steps (REINFORCE, leave-one-out baseline) on `model`, in place; returns the curve.

    Each step draws `rl_problems` problems, samples `rl_samples` answers to each, scores them
    with `reward(problems, answers) -> (B,)`, and ascends mean((r - mean of the other answers' r) * log p).
    With `reference`, each curve point also has "kl": KL(model || reference) estimated on the step's samples
    (mean log-ratio), and `kl_coef` > 0 subtracts kl_coef * log(p / p_reference) from each sample's reward,
    the usual penalty that keeps the policy near where the reward model was fitted.
    """
    steps = settings.rl_steps if steps is None else steps
    k = settings.rl_samples
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.rl_learning_rate)
    every = max(1, steps // settings.curve_points)
    rng = numpy_generator(seed)
    task = settings.task()
    curve: list[dict] = []
    for step in range(steps):
        problems = task.sample(settings.rl_problems, rng)
        answers, sampled_log_probs = M.sample(model, problems, k, seed=int(rng.integers(2**31)))
        flat_problems = [p for p in problems for _ in range(k)]
        flat_answers = [a for row in answers for a in row]
        rewards = np.asarray(reward(flat_problems, flat_answers), dtype=float).reshape(-1, k)  # (B, k)
        log_ratio = np.zeros_like(rewards)
        if reference is not None:
            with torch.no_grad():
                reference_log_probs = (
                    M.log_prob(reference, encode_problems(flat_problems), flat_answers).numpy().reshape(-1, k)
                )
            log_ratio = sampled_log_probs - reference_log_probs  # (B, k)
        shaped = rewards - kl_coef * log_ratio
        baseline = (shaped.sum(axis=1, keepdims=True) - shaped) / (k - 1)  # leave-one-out mean
        advantages = torch.as_tensor((shaped - baseline).reshape(-1), dtype=torch.float32)
        model.train()
        log_probs = M.log_prob(model, encode_problems(flat_problems), flat_answers)  # (B k,)
        loss = -(advantages * log_probs).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if (step + 1) % every == 0 or step + 1 == steps:
            point = {
                "step": step + 1,
                "reward": float(rewards.mean()),
                "accuracy": evaluate(model, settings)["accuracy"],
            }
            if reference is not None:
                point["kl"] = float(log_ratio.mean())
            if on_eval is not None:
                on_eval(point)
            curve.append(point)
    return curve


def _starting_model(
    people: ArithmeticPeople, settings: PathSettings, seed: int, start: CausalTransformer | None
) -> CausalTransformer:
    return copy.deepcopy(start) if start is not None else behaviour_cloning(people, settings, seed).model


def round_rates(model: CausalTransformer, settings: PathSettings) -> dict:
    """How often the model's greedy held-out answers are round (the rater's soft spot), next to the truth's rate."""
    problems = settings.held_out()
    answers = M.greedy(model, problems)
    rounds = np.array([is_round(a) for a in answers])
    wrong = np.array([not check(p, a) for p, a in zip(problems, answers)])
    return {
        "round_rate": float(rounds.mean()),
        "true_round_rate": float(np.mean([is_round(p.answer) for p in problems])),
        "wrong_round_rate": float((rounds & wrong).mean()),
        "round_share_of_wrong": float((rounds & wrong).sum() / max(wrong.sum(), 1)),
    }


@_one_thread
def approval_direct(
    people: ArithmeticPeople, settings: PathSettings, seed: int, start: CausalTransformer | None = None
) -> PathResult:
    """Policy improvement against the rater's approvals (REINFORCE, leave-one-out baseline), exploit measured."""
    began = time.perf_counter()
    start_seed, rl_seed = spawn_seeds(check_seed(seed), 2)
    model = _starting_model(people, settings, start_seed, start)
    before, exploit_before, expected_before = (
        evaluate(model, settings),
        round_rates(model, settings),
        expected_accuracy(model, settings),
    )
    rater = people.rater()
    fired: list[float] = []

    def approve(problems: list[Problem], answers: list[str]) -> np.ndarray:
        judged = rater.judge(problems, answers)
        fired.append(float(judged.fired.mean()))
        return judged.approved.astype(float)

    curve = reinforce(
        model,
        approve,
        settings,
        rl_seed,
        on_eval=lambda point: point.update(round_rate=round_rates(model, settings)["round_rate"]),
    )
    labels = settings.rl_steps * settings.rl_problems * settings.rl_samples
    extra = {
        "exploit_before": exploit_before,
        "exploit_after": round_rates(model, settings),
        "bias_fired_first_steps": float(np.mean(fired[: max(1, len(fired) // 10)])),
        "bias_fired_last_steps": float(np.mean(fired[-max(1, len(fired) // 10) :])),
        "expected_accuracy_before": expected_before,
        "expected_accuracy_after": expected_accuracy(model, settings),
    }
    return PathResult(
        "approval (rater)", model, before, evaluate(model, settings), labels, curve, extra, time.perf_counter() - began
    )


@_one_thread
def outcomes(
    people: ArithmeticPeople, settings: PathSettings, seed: int, start: CausalTransformer | None = None
) -> PathResult:
    """Policy improvement from the exact check (REINFORCE, leave-one-out baseline); `labels` counts checks."""
    began = time.perf_counter()
    start_seed, rl_seed = spawn_seeds(check_seed(seed), 2)
    model = _starting_model(people, settings, start_seed, start)
    before, expected_before = evaluate(model, settings), expected_accuracy(model, settings)

    def exact(problems: list[Problem], answers: list[str]) -> np.ndarray:
        return np.array([check(p, a) for p, a in zip(problems, answers)], dtype=float)

    curve = reinforce(model, exact, settings, rl_seed)
    labels = settings.rl_steps * settings.rl_problems * settings.rl_samples
    extra = {"expected_accuracy_before": expected_before, "expected_accuracy_after": expected_accuracy(model, settings)}
    return PathResult(
        "outcomes (exact check)",
        model,
        before,
        evaluate(model, settings),
        labels,
        curve,
        extra,
        time.perf_counter() - began,
    )
