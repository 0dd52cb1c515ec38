"""Linear regression, y = a*x + b, solved by every optimizer on the same problem.

The essay opens "Deep learning: gradient descent on deep neural networks" with
linear regression: a model class of lines, squared error as the metric, and a
closed form that needs no search at all. Here the closed form and the search
optimizers (gradient descent, random search, local search, an evolution
strategy, and exhaustive search over a grid of lines) fit the same data with the
same accounting, so the cost of searching is measured against the exact answer. The
whole fit is then repeated on `seeds` seeds (new data, new starts) for the claims'
intervals (`regression_claims`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from searchlab.core import Budget, SquaredError, SupervisedProblem
from searchlab.core import run as run_search
from searchlab.core.device import cpu_threads, resolve_device
from searchlab.core.errors import SearchlabError
from searchlab.core.jsonfile import NUMBER
from searchlab.core.optimizer import Optimizer
from searchlab.core.seeding import spawn_seeds
from searchlab.core.trace import Result
from searchlab.data import synthetic, tabular
from searchlab.experiments.base import Experiment, RunContext, require, series_row
from searchlab.experiments.regression_claims import claims, seed_numbers
from searchlab.experiments.regression_scale import Standardiser, check_scales
from searchlab.optimizers import OPTIMIZERS, make_optimizer
from searchlab.spaces import GridSpace, LinearSpace

DEFAULT_OPTIMIZERS = ("least_squares", "gradient", "random_search", "local_search", "evolution", "exhaustive")
# Child-seed slots: fixed per purpose and per registered optimizer, so that one
# optimizer's numbers do not change when others are added to or left out of a run.
SEED_SLOTS = ("data", "cloud", *OPTIMIZERS)
# "Reached the optimum" means a loss within this fraction above the closed form's.
WITHIN = 0.01
# When the optimum is (nearly) 0, gaps are measured against this fraction of the variance of y.
FLOOR = 1e-6
SECTIONS = ("Deep learning: gradient descent on deep neural networks", "Deep neural networks")


@dataclass(frozen=True)
class Config:
    """Settings of the regression experiment; the defaults are the full size.

    Attributes:
        seed: seeds the synthetic data, the cloud figure and every optimizer.
        device: "cpu", "cuda" or "auto".
        n: number of synthetic (temperature, sales) pairs (ignored with `csv`).
        noise: standard deviation of the synthetic sales noise, in ice creams.
        csv: the user's own CSV file; None uses synthetic data.
        x, y: the CSV columns to use as input and target.
        optimizers: registry names to run, in order.
        budget: forward-equivalents each search optimizer may spend.
        batch_size: examples per evaluation for the search optimizers (None: all).
        algorithm, lr, momentum: gradient descent ("sgd" or "adam").
        population_size: candidates per step for random search, local search and evolution.
        step_size: local search's perturbation size (standardised units).
        sigma, evolution_lr: the evolution strategy's perturbation size and learning rate.
        grid_levels: exhaustive search's levels per parameter, spread evenly over
            [-grid_range, grid_range] in standardised units.
        grid_range: half-width of that grid.
        cloud: number of sampled candidate lines in the cloud figure.
        threads: CPU threads torch and numpy may use during the run (0: leave their setting); a line
            has two parameters, so extra threads only add synchronisation, which costs dearly (and
            spins) when other programs share the cores. Restored afterwards.
        seeds: repeats of the whole fit (new data, new starts) behind the claims' intervals; seed i is the
            i-th child of `seed` (`core.seeding.spawn_seeds`); 0 measures no claims.
    """

    seed: int = 0
    device: str = "cpu"
    n: int = 200
    noise: float = 40.0
    csv: str | None = None
    x: str = "temperature"
    y: str = "sales"
    optimizers: tuple[str, ...] = DEFAULT_OPTIMIZERS
    budget: int = 3_000_000
    batch_size: int | None = None
    algorithm: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.0
    population_size: int = 16
    step_size: float = 0.05
    sigma: float = 0.05
    evolution_lr: float = 0.05
    grid_levels: int = 121
    grid_range: float = 1.5
    cloud: int = 14
    threads: int = 1
    seeds: int = 5

    def __post_init__(self) -> None:
        require(len(self.optimizers) > 0, f"--optimizers lists none; choose from {', '.join(OPTIMIZERS)}")
        for name in self.optimizers:
            require(
                name in OPTIMIZERS, f"unknown optimizer {name!r} in --optimizers; choose from {', '.join(OPTIMIZERS)}"
            )
        repeated = sorted({name for name in self.optimizers if self.optimizers.count(name) > 1})
        require(not repeated, f"--optimizers lists {', '.join(repeated)} more than once; list each optimizer once")
        require(self.budget > 0, f"--budget must be a positive number of forward-equivalents, got {self.budget}")
        require(self.n >= 2, f"--n must be at least 2 pairs to fit a line, got {self.n}")
        require(
            math.isfinite(self.noise) and self.noise >= 0, f"--noise must be a finite number >= 0, got {self.noise}"
        )
        require(self.grid_levels >= 2, f"--grid_levels must be at least 2, got {self.grid_levels}")
        require(
            math.isfinite(self.grid_range) and self.grid_range > 0,
            f"--grid_range must be a positive number, got {self.grid_range}",
        )
        require(self.cloud >= 0, f"--cloud must be 0 or more candidate lines, got {self.cloud}")
        require(self.seeds >= 0, f"--seeds must be 0 or more repeats, got {self.seeds}")
        require(
            self.threads >= 0,
            f"--threads must be 0 (leave torch's setting) or a positive number of threads, got {self.threads}",
        )
        require(
            self.csv is not None or (self.x, self.y) == ("temperature", "sales"),
            "--x and --y pick columns of a CSV file; give the file with --csv FILE "
            "(without it the data are synthetic temperature and sales)",
        )
        require(self.csv is None or self.csv.strip() != "", "--csv needs a file path")
        require(
            self.batch_size is None or self.batch_size > 0,
            f"--batch_size must be positive (or none for all examples), got {self.batch_size}",
        )
        if "evolution" in self.optimizers:
            require(
                self.population_size >= 2 and self.population_size % 2 == 0,
                "--population_size must be an even number >= 2 for evolution (it scores antithetic pairs), "
                f"got {self.population_size}",
            )
        make_optimizers(self)  # each optimizer checks its own settings now, before anything is written


@dataclass(frozen=True)
class RegressionData:
    """The pairs to fit, in their original units, and where they came from."""

    x: np.ndarray  # (N,) float64
    y: np.ndarray  # (N,) float64
    x_name: str
    y_name: str
    source: str
    truth: tuple[float, float] | None  # (a, b) the synthetic pairs were drawn around


def make_optimizers(config: Config) -> dict[str, Optimizer]:
    """The configured optimizers by name, built from the config's settings."""
    batch = {"batch_size": config.batch_size}
    settings = {
        "least_squares": {},
        "gradient": {"algorithm": config.algorithm, "lr": config.lr, "momentum": config.momentum, **batch},
        "random_search": {"population_size": config.population_size, **batch},
        "local_search": {"population_size": config.population_size, "step_size": config.step_size, **batch},
        "evolution": {
            "population_size": config.population_size,
            "sigma": config.sigma,
            "lr": config.evolution_lr,
            **batch,
        },
        "exhaustive": {"candidates_per_step": config.grid_levels},
    }
    return {name: make_optimizer(name, **settings.get(name, {})) for name in config.optimizers}


def prepare(config: Config) -> RegressionData:
    """Load (or make) the pairs and check them; writes nothing."""
    resolve_device(config.device)
    if config.csv is not None:
        x, y = tabular.load_xy(config.csv, config.x, config.y)
        check_scales(x, y, config)
        return RegressionData(
            x, y, config.x, config.y, f"{len(x)} rows of columns {config.x!r} and {config.y!r} from {config.csv}", None
        )
    seed = spawn_seeds(config.seed, len(SEED_SLOTS))[SEED_SLOTS.index("data")]
    pairs = synthetic.temperature_sales(config.n, config.noise, seed)
    source = (
        f"{config.n} synthetic days of temperature (degrees C) and ice creams sold, drawn around "
        f"sales = {pairs.slope:g}*temperature + {pairs.intercept:g} with noise of standard deviation {pairs.noise:g}"
    )
    return RegressionData(pairs.x, pairs.y, "temperature", "sales", source, (pairs.slope, pairs.intercept))


@dataclass(frozen=True)
class Fitted:
    """Every configured optimizer's answer on one data set, summarised in the data's units."""

    scale: Standardiser
    results: dict[str, Result]
    closed: dict  # the closed form's line and loss, and what it spent
    summaries: dict[str, dict]  # per optimizer: its line, loss and what its search spent


def fit_all(config: Config, data: RegressionData, checkpoints: RunContext | None, label: str = "regression") -> Fitted:
    """Fit the line with every configured optimizer (and the closed form, the yardstick, even when unlisted).

    Args:
        config: the settings; `config.seed` seeds every optimizer.
        data: the pairs to fit.
        checkpoints: the run's context, whose checkpoints each search keeps and resumes from; None keeps
            none and shows no progress (a repeat, whose whole outcome is kept as a stage instead).
        label: the progress bars' prefix.
    """
    device = resolve_device(config.device)
    scale = Standardiser.of(data.x, data.y)
    inputs = torch.tensor((data.x - scale.x_mean) / scale.x_std, dtype=torch.float64, device=device).reshape(-1, 1)
    targets = torch.tensor((data.y - scale.y_mean) / scale.y_std, dtype=torch.float64, device=device).reshape(-1, 1)
    line = SupervisedProblem(LinearSpace(1, 1), inputs, targets, SquaredError())  # inputs, targets: (N, 1)
    levels = np.linspace(-config.grid_range, config.grid_range, config.grid_levels)
    grid = SupervisedProblem(GridSpace(LinearSpace(1, 1), levels), inputs, targets, SquaredError())
    seeds = dict(zip(SEED_SLOTS, spawn_seeds(config.seed, len(SEED_SLOTS))))
    budget = Budget(forward_equivalents=config.budget)

    def fit(name: str, optimizer: Optimizer) -> Result:
        return run_search(
            grid if name == "exhaustive" else line,
            optimizer,
            budget,
            seeds[name],
            checkpoint_dir=None if checkpoints is None else checkpoints.checkpoint_dir(name),
            resume=checkpoints is not None and checkpoints.resume,
            progress=None if checkpoints is None else checkpoints.bar_label(f"{label}/{name}"),
        )

    results = {name: fit(name, optimizer) for name, optimizer in make_optimizers(config).items()}
    # The closed form is the yardstick, computed even when it is not among the listed optimizers.
    exact = (
        results["least_squares"]
        if "least_squares" in results
        else fit("least_squares", make_optimizer("least_squares"))
    )
    closed = _line_summary(exact, data, scale)
    reference = gap_reference(closed["loss"], data.y)
    summaries = {
        name: {
            **_line_summary(result, data, scale),
            **_search_summary(name, result, closed["loss"], reference, scale, grid),
        }
        for name, result in results.items()
    }
    return Fitted(scale, results, {**closed, "forward_equivalents": int(exact.forward_equivalents)}, summaries)


def run(config: Config, data: RegressionData, context: RunContext) -> dict:
    """Fit the line with every configured optimizer, then again on each of `config.seeds` seeds for the claims.

    metrics.jsonl gets one row per step of every optimizer of the first fit (at `config.seed`), losses in the
    data's units: the report's convergence figure is drawn from it.
    """
    with cpu_threads(config.threads):
        return _run(config, data, context)


def _run(config: Config, data: RegressionData, context: RunContext) -> dict:
    fitted = fit_all(config, data, context)
    scale = fitted.scale
    # One row per step of every optimizer; losses in the data's units, as in result.json.
    context.write_metrics(
        [
            series_row(
                {"optimizer": name},
                step=row["step"],
                forward_equivalents=row["forward_equivalents"],
                examples_seen=row["examples_seen"],
                labels=row["labels"],
                seconds=row["seconds"],
                loss=scale.loss_to_original(row["loss"]),
                best_loss=scale.loss_to_original(row["best_loss"]),
                standardised_loss=row["loss"],
            )
            for name, result in fitted.results.items()
            for row in result.trace.rows()
        ]
    )
    repeats = [repeat(config, data, seed, index, context) for index, seed in enumerate(repeat_seeds(config))]
    return {
        "closed_form": {key: fitted.closed[key] for key in ("a", "b", "loss")},
        "optimizers": fitted.summaries,
        "data": {
            "n": len(data.x),
            "source": data.source,
            "x": data.x_name,
            "y": data.y_name,
            "standardisation": dataclasses.asdict(scale),
        },
        "over_seeds": {
            "seeds": len(repeats),
            "note": "each seed draws new data (the CSV stays) and runs every optimizer again from a new start",
            "runs": repeats,
        },
        "claims": claims(repeats, SECTIONS[0]),
    }


def repeat_seeds(config: Config) -> list[int]:
    """The seeds of the repeated measurement, derived from `config.seed`."""
    return spawn_seeds(config.seed, config.seeds)


def repeat(config: Config, data: RegressionData, seed: int, index: int, context: RunContext) -> dict:
    """The claims' numbers of one seed (`regression_claims.seed_numbers`), kept as a stage for --resume.

    The config is the run's with `seed` in place of its seed: new synthetic data, new starts for every search.
    """
    config = dataclasses.replace(config, seed=seed, seeds=0)

    def compute() -> dict:
        pairs = data if config.csv is not None else prepare(config)
        fitted = fit_all(config, pairs, None)
        return seed_numbers(seed, fitted.summaries, fitted.closed, float(np.var(pairs.y)))

    def check(row: dict, record: Path) -> None:
        if row["seed"] != seed:
            raise SearchlabError(f"{record} holds seed {row['seed']}, not {seed}; delete it to run that seed again")

    return context.stage(context.checkpoint_dir("seeds") / f"seed-{index}.json", compute, _REPEAT_FIELDS, check)


_REPEAT_FIELDS = {"seed": int, "closed_form_loss": NUMBER, "mean_loss": NUMBER, "closed_form_forward_equivalents": int}


def gap_reference(optimum: float, y: np.ndarray) -> float:
    """What gaps to the optimum are fractions of: the optimum itself, or for data exactly on a line
    (optimum 0) a sliver of y's variance instead."""
    return max(optimum, FLOOR * float(np.var(y)))


def _line_summary(result: Result, data: RegressionData, scale: Standardiser) -> dict:
    """a, b and the mean squared error of a result's line, all in the data's units (float64)."""
    a_std, b_std = (float(v) for v in result.candidate.detach().to("cpu", torch.float64))
    a, b = scale.to_original(a_std, b_std)
    loss = float(np.mean((a * data.x + b - data.y) ** 2))
    return {"a": a, "b": b, "loss": loss}


def _search_summary(
    name: str, result: Result, optimum: float, reference: float, scale: Standardiser, grid: SupervisedProblem
) -> dict:
    """What a search spent and how close it got; gaps to the optimum are fractions of `reference`."""
    losses = [scale.loss_to_original(v) for v in result.trace["loss"]]
    reached = next(
        (fe for fe, loss in zip(result.trace["forward_equivalents"], losses) if loss <= optimum + WITHIN * reference),
        None,
    )
    final = scale.loss_to_original(result.final_loss)
    summary = {
        "final_loss": final,
        "excess_percent": _percent_above(final, optimum, reference),
        "forward_equivalents": int(result.forward_equivalents),
        "forward_equivalents_to_within_1_percent": None if reached is None else int(reached),
        "seconds": round(result.seconds, 4),
        "steps": int(result.steps),
        "stopped_because": result.stopped_because,
    }
    if name == "exhaustive":
        size = grid.space.size
        summary["grid_candidates"] = size
        summary["grid_candidates_evaluated"] = min(size, result.forward_equivalents // grid.n_examples)
    return summary


def _percent_above(loss: float, optimum: float, reference: float) -> float:
    """100 * (loss - optimum) / reference, with float rounding around the optimum read as 0."""
    percent = 100 * (loss - optimum) / reference
    return 0.0 if abs(percent) < 1e-9 else percent


EXPERIMENT = Experiment(
    name="regression",
    title="Linear regression: one closed form and five searches",
    essay_section=SECTIONS[0],
    config=Config,
    prepare=prepare,
    run=run,
    tour={"seeds": 3},  # the full size takes seconds a fit
    quick={"n": 100, "budget": 200_000, "grid_levels": 41, "cloud": 10, "seeds": 2},
)
