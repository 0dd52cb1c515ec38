"""Linear regression, y = a*x + b, solved by every optimizer on the same problem.

The essay opens "Deep learning: gradient descent on deep neural networks" with
linear regression: a model class of lines, squared error as the metric, and a
closed form that needs no search at all. Here the closed form and the search
optimizers (gradient descent, random search, local search, an evolution
strategy, and exhaustive search over a grid of lines) fit the same data with the
same accounting, so the cost of searching is measured against the exact answer.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch

from searchlab.core import Budget, SquaredError, SupervisedProblem
from searchlab.core import run as run_search
from searchlab.core.device import resolve_device
from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import Optimizer
from searchlab.core.seeding import spawn_seeds
from searchlab.core.trace import Result
from searchlab.data import synthetic, tabular
from searchlab.data.files import shown
from searchlab.experiments.base import Experiment, RunContext, require, series_row
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
# The largest slope, intercept or loss (in the data's units) a fit may reach: far inside float64's 1.8e308,
# so that the search's losses, a hundred million times the unit loss, still convert to finite numbers.
_LARGEST = 1e250
# The smallest loss of a unit line in the data's units (y's variance): far above float64's smallest normal 2.2e-308,
# so that losses a billion times smaller than it are still distinct from 0.
_SMALLEST = 1e-250
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
        _check_scales(x, y, config)
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
class Standardiser:
    """x and y shifted to mean 0 and scaled to standard deviation 1, and back."""

    x_mean: float
    x_std: float
    y_mean: float
    y_std: float

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray) -> Standardiser:
        y_std = _spread(y)
        return cls(float(x.mean()), _spread(x), float(y.mean()), y_std if y_std > 0 else 1.0)

    def to_original(self, a: float, b: float) -> tuple[float, float]:
        """(a, b) of the standardised line -> (a, b) in the data's units."""
        slope = a * self.y_std / self.x_std
        return slope, self.y_mean + self.y_std * b - slope * self.x_mean

    def to_standard(self, a: float, b: float) -> tuple[float, float]:
        slope = a * self.x_std / self.y_std
        return slope, (b + a * self.x_mean - self.y_mean) / self.y_std

    def loss_to_original(self, loss: float) -> float:
        """A mean squared error of standardised y in the data's squared units of y."""
        return loss * self.y_std**2


def _spread(values: np.ndarray) -> float:
    """The standard deviation, also where squaring the deviations would underflow or overflow float64.

    Ordinary data take numpy's `std` unchanged (so results stay bitwise the same);
    deviations below about 1e-150 or above about 1e150 are first divided by the
    largest of them, so that 1e-200-sized spreads do not square to 0.
    """
    plain = float(values.std())
    if 1e-150 < plain < 1e150:
        return plain
    deviations = values - values.mean()
    largest = float(np.abs(deviations).max())
    return 0.0 if largest == 0 else largest * float(np.sqrt(np.mean((deviations / largest) ** 2)))


def _check_scales(x: np.ndarray, y: np.ndarray, config: Config) -> None:
    """Refuse columns whose spreads put the fitted line or its losses outside float64 in the data's units.

    The search runs on standardised x and y; converting its answers back multiplies
    by the ratio of the spreads of y and x, and losses by the spread of y squared,
    which must neither overflow nor underflow to 0.

    Raises:
        SearchlabError: the slope, intercept or loss of a unit line in standardised
            units is beyond `_LARGEST` in the data's units, or that loss is below `_SMALLEST`.
    """
    scale = Standardiser.of(x, y)
    slope, intercept = scale.to_original(1.0, 1.0)
    loss = scale.loss_to_original(1.0)
    if not loss > _SMALLEST:
        raise SearchlabError(
            f"column {config.y!r} of {shown(config.csv)} varies by only {scale.y_std:.3g}, "
            "so its squared errors underflow 64-bit floats; "
            "rescale the column (e.g. multiply it by a power of 10)"
        )
    if not all(math.isfinite(v) and abs(v) < _LARGEST for v in (slope, intercept, loss)):
        raise SearchlabError(
            f"column {config.x!r} of {shown(config.csv)} varies by only {scale.x_std:.3g} "
            f"while column {config.y!r} varies by {scale.y_std:.3g}; "
            "a line between them is too steep for 64-bit floats, "
            "so rescale one of the columns (e.g. multiply x by a power of 10)"
        )


def run(config: Config, data: RegressionData, context: RunContext) -> dict:
    """Fit the line with every configured optimizer; the numbers (`regression_report` draws and words them).

    metrics.jsonl gets one row per step of every optimizer, losses in the data's units: the report's
    convergence figure is drawn from it.
    """
    device = resolve_device(config.device)
    scale = Standardiser.of(data.x, data.y)
    inputs = torch.tensor((data.x - scale.x_mean) / scale.x_std, dtype=torch.float64, device=device).reshape(
        -1, 1
    )  # (N, 1)
    targets = torch.tensor((data.y - scale.y_mean) / scale.y_std, dtype=torch.float64, device=device).reshape(
        -1, 1
    )  # (N, 1)
    line = SupervisedProblem(LinearSpace(1, 1), inputs, targets, SquaredError())
    levels = np.linspace(-config.grid_range, config.grid_range, config.grid_levels)
    grid = SupervisedProblem(GridSpace(LinearSpace(1, 1), levels), inputs, targets, SquaredError())
    seeds = dict(zip(SEED_SLOTS, spawn_seeds(config.seed, len(SEED_SLOTS))))
    budget = Budget(forward_equivalents=config.budget)

    def fit(name: str, optimizer: Optimizer) -> Result:
        problem = grid if name == "exhaustive" else line
        return run_search(
            problem,
            optimizer,
            budget,
            seeds[name],
            checkpoint_dir=context.checkpoint_dir(name),
            resume=context.resume,
            progress=context.bar_label(f"regression/{name}"),
        )

    optimizers = make_optimizers(config)
    results = {name: fit(name, optimizer) for name, optimizer in optimizers.items()}
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
            for name, result in results.items()
            for row in result.trace.rows()
        ]
    )
    return {
        "closed_form": closed,
        "optimizers": summaries,
        "data": {
            "n": len(data.x),
            "source": data.source,
            "x": data.x_name,
            "y": data.y_name,
            "standardisation": dataclasses.asdict(scale),
        },
    }


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
    tour={},  # the full size already takes seconds
    quick={"n": 100, "budget": 200_000, "grid_levels": 41, "cloud": 10},
)
