"""Scaling: bigger networks and more data, measured on a grid and fitted with the published laws.

The essay ("How big would these models need to be?", and its footnote 14) says
two things about size: a larger network reaches a given performance after fewer
training examples, and, given plenty of data, it tops out at a better
performance. This experiment measures both at CPU scale.

Two tasks, each a grid of model size N x training-set size D, log-spaced over at
least two orders of magnitude each, several seeds per cell:

- `mlp`: student MLPs of growing width learning a fixed, seeded teacher network
  from D noisy examples (`searchlab.scaling.teacher`; `--mlp_data digits` uses
  scikit-learn's digits instead);
- `charlm`: the character-level transformer at small widths trained on the
  first D characters of the embedded corpus (`searchlab.scaling.tasks`).

Every (N, D, seed) is one trial of a sweep (`searchlab.core.trials`): the
trials run in parallel worker processes, each written to disk as it finishes,
so `--resume` after an interruption runs only the missing ones. The analysis
(`searchlab.scaling.laws`) fits Kaplan et al.'s L(N, D) and the Chinchilla form
to each task's trials, fits them again without the largest model and the largest
data size to predict those, and derives the compute-optimal split of a budget.
The figures and prose are in `scaling_report`, which reads the trials' records again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from searchlab.core.device import resolve_device
from searchlab.core.errors import SearchlabError
from searchlab.core.trials import MAX_TRIALS, Trial, read_record, run_sweep
from searchlab.experiments.base import Experiment, RunContext, require, series_row
from searchlab.experiments.scaling_claims import claims, floor_check
from searchlab.scaling import grid, laws
from searchlab.scaling.huber_fit import compute_optimal_interval, fit_chinchilla_huber
from searchlab.scaling.student import DIGITS_POOL
from searchlab.scaling.tasks import LM_DEFAULTS, scaling_trial

SECTION = "How big would these models need to be?"
TASKS = ("mlp", "charlm")
BACKENDS = ("local", "ray")
SWEEP_FOLDER = "sweep"  # the run folder's sweep/: every trial's record, as `run` and the report read them


@dataclass(frozen=True)
class Config:
    """Settings of the scaling experiment; the defaults are the full size (about 25 minutes on 2 cores).

    Attributes:
        seed: the first trial seed; cell i's seeds are seed, seed + 1, ...
        device: "cpu" (trials run in CPU worker processes, one thread each).
        tasks: which sweeps to run: mlp, charlm or both.
        mlp_data: the MLP task's data: "teacher" (a seeded teacher network with
            label noise of std 0.3) or "digits" (at most 1,500 training images).
        mlp_widths: hidden width of the two-layer student MLPs (N follows).
        mlp_examples: training-set sizes D.
        mlp_seeds: trials per (width, examples) cell.
        lm_widths: width of the 2-layer, 2-head character transformers.
        lm_characters: training-text lengths D (characters).
        lm_seeds: trials per (width, characters) cell.
        lm_steps: training steps of a language-model trial (16 windows of 64 characters each), at least.
        lm_passes: passes over its D training characters every language-model trial makes at the least:
            a trial whose D needs more than `lm_steps` steps for them gets them, so that the largest D is
            learned to its ceiling rather than cut off part-way through one pass.
        huber_resamples: bootstrap refits behind the intervals of the robust Chinchilla fit
            (`scaling.huber_fit`, Besiroglu et al. 2024); 0 fits it without intervals.
        target: the loss whose examples-to-target each size is asked for; none:
            what the smallest model reaches at the largest D (mean over seeds), so
            the question is how much data each larger model needs to match it.
        workers: trials at once (0: one per usable core).
        backend: "local" (processes here) or "ray" (the ray extra).
        address: an existing Ray cluster's address (none: start one here).
    """

    seed: int = 0
    device: str = "cpu"
    tasks: tuple[str, ...] = TASKS
    mlp_data: str = "teacher"
    mlp_widths: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128, 256)
    mlp_examples: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
    mlp_seeds: int = 3
    lm_widths: tuple[int, ...] = (8, 16, 32, 64, 128)
    lm_characters: tuple[int, ...] = (4000, 12600, 40000, 126000, 400000)
    lm_seeds: int = 3
    lm_steps: int = 600
    lm_passes: float = 3.0
    huber_resamples: int = 100
    target: float | None = None
    workers: int = 0
    backend: str = "local"
    address: str | None = None

    def __post_init__(self) -> None:
        require(self.seed >= 0, f"--seed must be 0 or more, got {self.seed}")
        require(
            self.device in ("cpu", "auto"),
            f"--device {self.device}: the scaling trials run on CPU worker processes; use --device cpu",
        )
        require(len(self.tasks) > 0, f"--tasks lists none; choose from {', '.join(TASKS)}")
        for task in self.tasks:
            require(task in TASKS, f"unknown task {task!r} in --tasks; choose from {', '.join(TASKS)}")
        require(len(set(self.tasks)) == len(self.tasks), "--tasks lists a task twice; list each once")
        require(self.mlp_data in ("teacher", "digits"), f"--mlp_data must be teacher or digits, got {self.mlp_data!r}")
        for name in ("mlp_widths", "mlp_examples", "lm_widths", "lm_characters"):
            values = getattr(self, name)
            require(len(values) >= 2, f"--{name} needs at least 2 sizes to fit a law, got {len(values)}")
            require(all(v >= 1 for v in values), f"--{name} must all be at least 1, got {values}")
            require(list(values) == sorted(set(values)), f"--{name} must increase, each listed once; got {values}")
        require(
            self.mlp_examples[0] >= 6,
            f"--mlp_examples must start at 6 or more (a fifth is held out), got {self.mlp_examples[0]}",
        )
        if self.mlp_data == "digits":
            require(
                self.mlp_examples[-1] <= DIGITS_POOL,
                f"--mlp_examples goes to {self.mlp_examples[-1]}, but digits has {DIGITS_POOL} training images; "
                "try --mlp_examples 25,50,100,200,400,800,1500",
            )
        require(all(w % 2 == 0 for w in self.lm_widths), f"--lm_widths must be even (two heads), got {self.lm_widths}")
        require(
            self.lm_characters[0] >= 700,
            "--lm_characters must start at 700 or more (windows of 65 and a held-out tenth), got "
            f"{self.lm_characters[0]}",
        )
        require(self.mlp_seeds >= 1 and self.lm_seeds >= 1, "--mlp_seeds and --lm_seeds must be at least 1")
        # The Chinchilla law has 5 parameters: a fit needs at least 6 trials.
        for task, cells in (
            ("mlp", (self.mlp_widths, self.mlp_examples, self.mlp_seeds)),
            ("charlm", (self.lm_widths, self.lm_characters, self.lm_seeds)),
        ):
            widths, sizes, seeds = cells
            require(
                task not in self.tasks or len(widths) * len(sizes) * seeds >= 6,
                f"the {task} grid has {len(widths) * len(sizes) * seeds} trials; fitting a law needs at least 6: "
                "add sizes or seeds",
            )
            require(
                task not in self.tasks or len(widths) * len(sizes) * seeds <= MAX_TRIALS,
                f"the {task} grid has {len(widths) * len(sizes) * seeds:,} trials ({len(widths)} widths x "
                f"{len(sizes)} sizes x {seeds:,} seeds); a sweep takes at most {MAX_TRIALS:,}: give fewer sizes "
                "or seeds",
            )
        require(self.lm_steps >= 2, f"--lm_steps must be at least 2, got {self.lm_steps}")
        require(
            math.isfinite(self.lm_passes) and 0 <= self.lm_passes <= 100,
            f"--lm_passes must be a number from 0 to 100, got {self.lm_passes}",
        )
        require(self.target is None or self.target > 0, f"--target must be a positive loss or none, got {self.target}")
        require(self.workers >= 0, f"--workers must be 0 (one per core) or more, got {self.workers}")
        require(
            self.huber_resamples >= 0, f"--huber_resamples must be 0 (no intervals) or more, got {self.huber_resamples}"
        )
        require(self.backend in BACKENDS, f"--backend must be local or ray, got {self.backend!r}")


@dataclass(frozen=True)
class Plan:
    """The trials of each task, in the order they are started (the slowest first)."""

    trials: dict[str, list[Trial]]

    @property
    def ordered(self) -> list[Trial]:
        everything = [trial for trials in self.trials.values() for trial in trials]
        return sorted(everything, key=_expected_cost, reverse=True)


def _expected_cost(trial: Trial) -> float:
    """A rough cost, so the long trials start first and the workers finish together."""
    params = trial.params_dict
    if params["task"] == "charlm":
        return params["steps"] * (1 + params["width"] / 16) * 0.01  # ~3 s at width 8, ~18 s at 128 for 300 steps
    return 1.0 + params["width"] / 256


def prepare(config: Config) -> Plan:
    """Every trial of every task; checks that the sizes are ones the trials accept. Writes nothing."""
    resolve_device(config.device)
    trials: dict[str, list[Trial]] = {}
    if "mlp" in config.tasks:
        trials["mlp"] = [
            Trial(
                (("task", "mlp"), ("data", config.mlp_data), ("width", width), ("examples", examples)), config.seed + i
            )
            for width in config.mlp_widths
            for examples in config.mlp_examples
            for i in range(config.mlp_seeds)
        ]
    if "charlm" in config.tasks:
        trials["charlm"] = [
            Trial(
                (
                    ("task", "charlm"),
                    ("width", width),
                    ("characters", characters),
                    ("steps", lm_steps(config, characters)),
                ),
                config.seed + i,
            )
            for width in config.lm_widths
            for characters in config.lm_characters
            for i in range(config.lm_seeds)
        ]
    return Plan(trials)


def lm_steps(config: Config, characters: int) -> int:
    """Steps of a language-model trial on `characters`: `lm_steps`, or enough for `lm_passes` over its training part."""
    lm = LM_DEFAULTS
    trained = characters - round(characters * lm["holdout"])
    return max(config.lm_steps, math.ceil(config.lm_passes * trained / (lm["batch_size"] * lm["context"])))


def run(config: Config, plan: Plan, context: RunContext) -> dict:
    """Run (or finish) the sweep and fit the laws per task; the numbers (the report module draws)."""
    folder = context.out / SWEEP_FOLDER
    run_sweep(
        scaling_trial,
        plan.ordered,
        folder,
        backend=config.backend,
        workers=config.workers or None,
        address=config.address,
        progress=context.progress,
    )
    outcomes = {task: _outcomes(folder, trials) for task, trials in plan.trials.items()}
    context.write_metrics(
        [
            _metrics_row(task, row, seen, loss)
            for task, rows in outcomes.items()
            for row in rows
            for seen, loss in row["curve"]
        ]
    )
    analyses = {task: analyse(rows, config.target, config.huber_resamples) for task, rows in outcomes.items()}
    primary = analyses.get("mlp") or analyses["charlm"]
    return {
        "trials": [
            {"task": task, **{k: row[k] for k in ("params", "examples", "seed", "loss", "width")}}
            for task, rows in outcomes.items()
            for row in rows
        ],
        "fits": primary["fits"],
        "heldout_prediction_error": primary["heldout_prediction_error"],
        "examples_to_target": primary["examples_to_target"],
        "tasks": analyses,
        "claims": claims(outcomes),
    }


def read_outcomes(config: Config, out) -> dict[str, list[dict]]:
    """Each task's trial results (with seed and width, curves included), as the sweep in run folder `out` saved them.

    Raises:
        SearchlabError: a trial failed or is missing, or its record is damaged (naming the file).
    """
    folder = out / SWEEP_FOLDER
    return {task: _outcomes(folder, trials) for task, trials in prepare(config).trials.items()}


RESULT_KEYS = ("params", "examples", "loss", "curve")  # what `scaling_trial` returns and the analysis reads


def _metrics_row(task: str, trial: dict, seen: int, loss: float) -> dict[str, Any]:
    """One point of a trial's learning curve as a metrics.jsonl row of "task=T params=N examples=D seed=S".

    Every trial trains by gradient steps, so what it had spent at a point is 3 forward-equivalents per
    thing it had seen (forward and backward): per example for the MLP tasks, per token for the language
    model, whose curve counts tokens (its `examples_seen` is null, its tokens a value).
    """
    parts = {"task": task, "params": trial["params"], "examples": trial["examples"], "seed": trial["seed"]}
    if task == "charlm":
        return series_row(parts, step=None, forward_equivalents=3 * int(seen), loss=loss, tokens_seen=int(seen))
    return series_row(parts, step=None, forward_equivalents=3 * int(seen), examples_seen=int(seen), loss=loss)


def _outcomes(folder, trials: list[Trial]) -> list[dict]:
    """Each trial's result with its seed; a failed or missing trial stops the analysis with its error.

    Raises:
        SearchlabError: a trial failed or is missing, or its record is damaged (naming the file).
    """
    rows = []
    for trial in trials:
        path = folder / "trials" / f"{trial.key}.json"
        record = read_record(path, trial.key) or {"status": "missing", "error": "not run"}
        if record["status"] != "done":
            raise SearchlabError(
                f"scaling trial {trial.key} {record['status']}: {record.get('error')}; "
                "fix the cause and continue with --resume (finished trials are kept)"
            )
        result = record["result"]
        lacking = [key for key in RESULT_KEYS if key not in result]
        if lacking:
            raise SearchlabError(
                f"sweep trial record {path} has no {', '.join(lacking)} in its result, so it is not a scaling "
                "trial's; delete it to run that trial again"
            )
        rows.append({**result, "seed": trial.seed, "width": trial.params_dict["width"]})
    return rows


def analyse(rows: list[dict], target: float | None, huber_resamples: int = 0) -> dict[str, Any]:
    """Fits, held-out predictions, examples to target and the compute-optimal split for one task's trials.

    Besides the least-squares fits (`laws.FITTERS`, with standard errors), the Chinchilla form is fitted the
    robust way (`huber_fit`: Huber loss on log loss, L-BFGS from a grid) with `huber_resamples` bootstrap
    refits over the trials for 95% intervals.
    """
    N = np.array([row["params"] for row in rows], dtype=float)
    D = np.array([row["examples"] for row in rows], dtype=float)
    L = np.array([row["loss"] for row in rows], dtype=float)
    fits, failed = {}, {}
    for form, fitter in laws.FITTERS.items():
        try:
            fits[form] = fitter(N, D, L)
        except SearchlabError as err:  # e.g. trials too short to show a trend: say so, keep the rest
            failed[form] = {"form": form, "params": None, "stderr": None, "error": str(err)}
    holdout = grid.largest_holdout(N, D)
    heldout = {}
    for form, fitter in laws.FITTERS.items():
        try:
            outcome = laws.heldout_prediction_error(fitter, N, D, L, holdout)
        except SearchlabError as err:  # too few trials once the largest are held out, or no fit
            heldout[form] = {"mean_abs_relative_error": None, "error": str(err), "points": [], "fit": None}
            continue
        heldout[form] = {**{k: v for k, v in outcome.items() if k != "fit"}, "fit": outcome["fit"].to_dict()}
    compute = 6.0 * N * D
    budgets = np.geomspace(compute.min(), compute.max(), 3)
    try:
        robust = fit_chinchilla_huber(N, D, L, bootstrap=huber_resamples, seed=0)
        huber = robust.to_dict() | {"compute_optimal": [compute_optimal_interval(robust, c) for c in budgets]}
    except SearchlabError as err:  # fewer than five trials
        huber = {"params": None, "error": str(err)}
    largest = grid.loss_at_largest_data(N, D, L)
    if target is None:
        target = largest[min(largest)]  # the smallest model with all the data
    to_target = grid.examples_to_target_by_size(N, D, L, target)
    optimal = {form: [laws.compute_optimal(fit, c) for c in budgets] for form, fit in fits.items()}
    return {
        "fits": {form: fits[form].to_dict() if form in fits else failed[form] for form in laws.FITTERS},
        "heldout_prediction_error": heldout,
        "huber_fit": huber,
        "floor_check": floor_check(rows, huber),
        "target": float(target),
        "examples_to_target": [
            {"params": int(n), "examples": None if d is None else float(d)} for n, d in sorted(to_target.items())
        ],
        "loss_at_largest_data": [{"params": int(n), "loss": float(v)} for n, v in sorted(largest.items())],
        "largest_examples": float(D.max()),
        "smallest_examples": float(D.min()),
        "exponents": [
            {**row, "stderr": row["stderr"] if np.isfinite(row["stderr"]) else None}
            for row in laws.exponents_vs_published(fits)
        ],
        "compute_optimal": {
            form: [{k: float(v) for k, v in row.items()} for row in rows_] for form, rows_ in optimal.items()
        },
    }


EXPERIMENT = Experiment(
    name="scaling",
    title="Scaling: bigger networks, more data, and the laws fitted to both",
    essay_section=SECTION,
    config=Config,
    prepare=prepare,
    run=run,
    tour={
        "mlp_widths": (2, 4, 8, 16, 32, 64, 128),
        "mlp_examples": (64, 256, 1024, 4096, 16384),
        "mlp_seeds": 3,
        "lm_widths": (8, 16, 32, 64, 128),
        "lm_characters": (4000, 40000, 400000),
        "lm_seeds": 1,
        "lm_steps": 300,
        "lm_passes": 1.0,
        "huber_resamples": 30,
    },
    quick={
        "mlp_widths": (2, 8, 32, 128),
        "mlp_seeds": 2,
        "lm_widths": (8, 16, 32, 64),
        "lm_seeds": 1,
        "huber_resamples": 10,
    },
)
