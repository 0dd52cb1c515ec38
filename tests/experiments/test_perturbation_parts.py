"""The perturbation redesign's parts: the effective-dimension proxy, the tuning rule, the per-seed slopes, the
growing task and the claim, each against a case whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cli_checks import assert_config_refuses
from searchlab.core.intervals import CLAIM_KEYS
from searchlab.experiments.perturbation import EXPERIMENT, growing_task, growth_claims
from searchlab.experiments.perturbation_config import (
    Config,
    growing_budget,
    growing_examples,
    settings_for,
    student_space,
)
from searchlab.experiments.perturbation_dimension import (
    effective_dimension,
    gauss_newton_eigenvalues,
    network_effective_dimension,
    output_jacobian,
)
from searchlab.experiments.perturbation_fits import ratio_vs_dimension, seed_slopes, slope_interval
from searchlab.experiments.perturbation_prose import tuning_paragraph
from searchlab.experiments.perturbation_tuning import tune_value
from searchlab.spaces import MLPSpace

# ----- the effective-dimension proxy ------------------------------------------


def _matrix(rows: int, singular_values: list[float], seed: int = 0) -> np.ndarray:
    """A (rows, len(singular_values)) matrix with exactly these singular values (random orthonormal factors)."""
    rng = np.random.default_rng(seed)
    d = len(singular_values)
    u, _ = np.linalg.qr(rng.normal(size=(rows, d)))
    v, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return u @ np.diag(singular_values) @ v.T


def test_the_jacobian_of_a_linear_model_is_its_inputs_and_the_proxy_counts_known_eigenvalues():
    x = torch.tensor(_matrix(12, [10.0, 5.0, 1.0, 0.1, 0.01, 0.0]))  # (N=12, d=6): eigenvalues 100, 25, 1, 0.01, ...
    jacobian = output_jacobian(lambda w, example: example @ w, torch.zeros(6, dtype=torch.float64), x)
    assert torch.allclose(jacobian, x, atol=1e-12)
    eigenvalues = gauss_newton_eigenvalues(jacobian)
    assert np.allclose(eigenvalues, [100.0, 25.0, 1.0, 0.01, 1e-4, 0.0], atol=1e-9)
    assert effective_dimension(eigenvalues, 1e-3) == 3  # above 0.1
    assert effective_dimension(eigenvalues, 1e-5) == 4  # above 0.001
    assert effective_dimension(eigenvalues, 1e-7) == 5  # above 1e-5; the zero never counts
    assert effective_dimension(np.zeros(3), 0.5) == 0


@pytest.mark.parametrize("n, d", [(5, 20), (20, 5)])
def test_both_gram_matrices_give_the_squared_singular_values(n, d):
    jacobian = torch.tensor(np.random.default_rng(n).normal(size=(n, d)))
    expected = np.linalg.svd(jacobian.numpy(), compute_uv=False) ** 2
    assert np.allclose(gauss_newton_eigenvalues(jacobian)[: min(n, d)], expected)


@pytest.mark.parametrize("examples, inputs, expected", [(30, 4, 5), (3, 4, 3)])
def test_a_one_layer_network_has_the_rank_of_its_inputs_with_a_bias_column(examples, inputs, expected):
    # A linear network y = x w + b: J = [x, 1], of rank min(N, inputs + 1) for random x.
    space = MLPSpace([inputs, 1])
    x = torch.randn(examples, inputs, generator=torch.Generator().manual_seed(1))
    params = space.sample(1, torch.Generator().manual_seed(2))[0]
    assert network_effective_dimension(space, params, x, 1e-9) == expected


def test_the_network_jacobian_matches_finite_differences_and_is_capped_by_the_examples():
    space = MLPSpace([3, 4, 4, 1], activation="tanh")
    params = space.sample(1, torch.Generator().manual_seed(0))[0].double()
    x = torch.randn(6, 3, generator=torch.Generator().manual_seed(1)).double()

    def output(flat, example):
        named = {k: v[0] for k, v in space.unflatten(flat.unsqueeze(0)).items()}
        return space.forward_one(named, example.unsqueeze(0))[0, 0]

    jacobian = output_jacobian(output, params, x)
    step, eye = 1e-6, torch.eye(space.dim, dtype=torch.float64)
    outputs = lambda p: space.forward(p.unsqueeze(0), x)[0, :, 0]  # noqa: E731
    numeric = torch.stack([(outputs(params + step * e) - outputs(params - step * e)) / (2 * step) for e in eye], 1)
    assert torch.allclose(jacobian, numeric, atol=1e-7)
    assert network_effective_dimension(space, params, x, 1e-12) <= 6 < space.dim


# ----- the tuning rule --------------------------------------------------------


def _attempts(best: float, calls: list):
    """A fake run whose cost to the target is least at `best` (log-quadratic), honouring the budget cap."""

    def attempt(value, index, cap):
        calls.append((value, index, cap))
        cost = round(1000 * (1 + math.log10(value / best) ** 2))
        reached = cost if cap is None or cost <= cap else None
        return {"forward_equivalents_to_target": reached, "best_loss": 0.0 if reached else 1.0}

    return attempt


def test_a_grid_is_widened_until_the_best_value_is_interior():
    calls = []
    tuned = tune_value((0.01, 0.03, 0.1), _attempts(1.0, calls), extensions=2)
    # Costs 5000, 3319, 2000 on the grid; then 0.1^2 / 0.03 = 0.333 (1228) and 0.333^2 / 0.1 = 1.11 (1002).
    assert [t["value"] for t in tuned["tried"]] == [0.01, 0.03, 0.1, 0.333, 1.11]
    assert tuned["chosen"] == 1.11 and tuned["edge"] == "largest"  # out of widenings while still at the edge
    assert [c[1] for c in calls] == [0, 1, 2, 3, 4]
    assert [c[2] for c in calls] == [None, 5000, 3319, 2000, 1228]  # each capped at the cheapest so far
    more = tune_value((0.01, 0.03, 0.1), _attempts(1.0, []), extensions=3)
    assert more["tried"][-1]["value"] == 3.7 and more["tried"][-1]["forward_equivalents_to_target"] is None
    assert more["chosen"] == 1.11 and more["edge"] is None


def test_an_edge_is_reported_when_no_widening_is_allowed_and_known_outcomes_are_not_rerun():
    calls = []
    tuned = tune_value((0.3, 1.0, 3.0), _attempts(100.0, calls), extensions=0)
    assert tuned["chosen"] == 3.0 and tuned["edge"] == "largest"
    low = tune_value((0.3, 1.0, 3.0), _attempts(0.001, []), extensions=0)
    assert low["chosen"] == 0.3 and low["edge"] == "smallest"
    calls = []
    known = {1.0: {"forward_equivalents_to_target": 1000, "best_loss": 0.0}}
    interior = tune_value((0.3, 1.0, 3.0), _attempts(1.0, calls), extensions=2, known=known)
    assert interior["chosen"] == 1.0 and interior["edge"] is None
    assert [c[0] for c in calls] == [0.3, 3.0] and all(c[2] == 1000 for c in calls)


# ----- per-seed slopes and the claim --------------------------------------------


def _rows(costs: dict, sizes=(10, 100, 1_000), seeds=3) -> list[dict]:
    return [
        {"params": p, "optimizer": m, "seed": s, "forward_equivalents_to_target": cost(p, s)}
        for p in sizes
        for m, cost in costs.items()
        for s in range(seeds)
    ]


def test_seed_slopes_recover_a_known_slope_with_the_cheapest_method_on_each_side():
    rows = _rows(
        {
            "local_search": lambda p, s: 5 * p**2 * (s + 1),
            "evolution": lambda p, s: 50 * p**2,  # always dearer than local search: never the cheapest
            "sgd": lambda p, s: 2 * p * (s + 1),
            "adam": lambda p, s: None,  # never reached: the cheapest gradient method is sgd
        }
    )
    fit = seed_slopes(rows, ["local_search", "evolution"], ["sgd", "adam"], budget=1e12)
    assert fit["slopes"] == pytest.approx([1.0, 1.0, 1.0])
    assert 10 ** fit["intercepts"][0] == pytest.approx(2.5)
    assert fit["censored"] == [[], [], []] and fit["dropped"] == [[], [], []]
    interval = slope_interval(fit)
    assert interval.estimate == pytest.approx(1.0) and interval.n == 3


def test_a_perturbation_run_not_reached_counts_at_the_budget_and_a_gradient_one_drops_the_size():
    rows = _rows(
        {
            "local_search": lambda p, s: None if p == 1_000 else p**2,
            "sgd": lambda p, s: None if (p == 100 and s == 1) else p,
        }
    )
    budgets = {10: 1e3, 100: 1e5, 1_000: 1e5}  # at 1,000 weights the budget is below the true cost 1e6
    fit = seed_slopes(rows, ["local_search"], ["sgd"], budgets)
    assert fit["censored"] == [[1_000], [1_000], [1_000]]
    assert fit["dropped"] == [[], [100], []]
    assert fit["ratios"][0] == pytest.approx([10.0, 100.0, 100.0])
    expected = np.polyfit(np.log10([10, 100, 1_000]), np.log10([10.0, 100.0, 100.0]), 1)[0]
    assert fit["slopes"][0] == pytest.approx(expected) and fit["slopes"][0] < 1.0  # a lower bound on the true 1
    assert fit["not_lower_bound"] == []
    early = seed_slopes(_rows({"ls": lambda p, s: None if p == 10 else p, "sgd": lambda p, s: 1}), ["ls"], ["sgd"], 5)
    assert early["not_lower_bound"] == [0, 1, 2]


def test_the_ratio_against_the_effective_dimension_recovers_a_known_slope():
    # The ratio is 3 * dimension^1 by construction while the weights grow ten times faster.
    dims = {10: 4, 100: 8, 1_000: 16}
    rows = _rows({"local_search": lambda p, s: 30 * dims[p] * (s + 1), "sgd": lambda p, s: 10 * (s + 1)})
    dimensions = [{"params": p, "effective_dimension": d} for p, d in dims.items()]
    fit = ratio_vs_dimension(rows, dimensions, ["local_search"], ["sgd"])
    assert [p["median_ratio"] for p in fit["points"]] == pytest.approx([12.0, 24.0, 48.0])
    assert [p["effective_dimension"] for p in fit["points"]] == [4, 8, 16]
    assert fit["slope_against_effective_dimension"] == pytest.approx(1.0)
    none = ratio_vs_dimension(rows, [], ["local_search"], ["sgd"])
    assert none["slope_against_effective_dimension"] is None


def test_values_left_at_a_grid_edge_are_named_in_the_report():
    edge = {"axis": "growing", "params": 45, "optimizer": "adam", "setting": "learning rate", "value": 0.3}
    text = tuning_paragraph({"tuning": [{}] * 7, "grid_edges": [{**edge, "edge": "largest"}]})
    assert "1 of 7" in text and "adam learning rate 0.3 at 45 weights (growing task, the largest value" in text
    assert "inside their grids" in tuning_paragraph({"tuning": [{}] * 7, "grid_edges": []})


def _paired(slopes: list[float]) -> dict:
    fit = {"slopes": slopes}
    interval = slope_interval(fit)
    return {**fit, "interval": None if interval is None else interval.as_dict()}


@pytest.mark.parametrize(
    "slopes, verdict",
    [
        ([0.9, 1.1, 1.0, 0.95, 1.05], "supported"),
        ([-0.4, -0.5, -0.3, -0.45, -0.35], "contradicted"),
        ([-0.3, 0.4, -0.2, 0.3, 0.1], "inconclusive"),
        ([0.8], "inconclusive"),  # one seed: no interval
    ],
)
def test_the_claim_follows_the_interval_of_the_per_seed_slopes(slopes, verdict):
    config = Config()
    rows = growth_claims(config, {"growing": _paired(slopes), "fixed": _paired([0.1, 0.2])})
    assert len(rows) == 1 and set(rows[0]) == set(CLAIM_KEYS)
    row = rows[0]
    assert row["id"] == "perturbation_too_expensive_at_scale" and row["verdict"] == verdict
    assert row["estimate"] == pytest.approx(np.mean(slopes)) and row["seeds"] == len(slopes)
    assert "Threshold 0" in row["measure"] and row["baseline"].startswith("fixed")
    assert growth_claims(config, {"growing": _paired([]), "fixed": _paired([])}) == []


# ----- the growing task and the settings --------------------------------------------


def test_the_growing_task_has_examples_in_proportion_to_the_weights_and_a_seed_per_width():
    config = Config(growing_widths=(2, 4), examples_per_weight=3.0)
    for width in (2, 4):
        task = growing_task(config, width)
        params = student_space(config, width).dim
        assert len(task.targets) == growing_examples(config, width) == 3 * params
        assert task.inputs.shape == (3 * params, config.inputs)
        assert task.zero_loss == pytest.approx(1.0, rel=1e-5)
    alone = growing_task(Config(growing_widths=(4, 8), examples_per_weight=3.0), 4)  # other widths listed
    assert torch.equal(alone.targets, growing_task(config, 4).targets)
    assert growing_budget(config, 45) == round(config.growing_budget_factor * 45**2)


def test_evolution_sigma_and_steps_are_spread_over_the_weights():
    config = Config()
    settings = settings_for(config, "evolution", 400, 0.01, 0.3)
    assert settings["sigma"] == pytest.approx(0.3 / 20) and settings["lr"] == 0.01
    assert settings_for(config, "local_search", 400, 2.0)["step_size"] == pytest.approx(0.1)
    assert settings_for(config, "evolution", 100, 0.01)["sigma"] == pytest.approx(0.1 / 10)  # the middle sigma


def test_every_size_has_enough_seeds_and_the_growing_task_grows():
    full, tour, quick = (EXPERIMENT.make_config(size) for size in ("full", "tour", "quick"))
    assert full.seeds >= 5 and tour.seeds >= 3 and quick.seeds >= 2
    for config in (full, tour, quick):
        assert len(config.growing_widths) >= 3


@pytest.mark.parametrize(
    "settings, words",
    [
        ({"growing_widths": (4,)}, ["--growing_widths", "at least 2"]),
        ({"growing_widths": (4, 2)}, ["--growing_widths", "increase"]),
        ({"examples_per_weight": 0.0}, ["--examples_per_weight"]),
        ({"growing_teacher_scale": -1.0}, ["--growing_teacher_scale"]),
        ({"growing_budget_factor": 0.0}, ["--growing_budget_factor"]),
        ({"evolution_sigmas": (0.1,)}, ["--evolution_sigmas", "two or more"]),
        ({"sgd_lrs": (1.0, 0.1)}, ["--sgd_lrs", "increase"]),
        ({"tune_extensions": -1}, ["--tune_extensions"]),
        ({"dimension_fraction": 1.0}, ["--dimension_fraction"]),
    ],
)
def test_bad_new_settings_are_refused(settings, words):
    assert_config_refuses(Config, settings, words)


def test_a_kept_outcome_with_a_bad_effective_dimension_is_refused_naming_the_record(tmp_path):
    import json

    from searchlab.core.errors import SearchlabError
    from searchlab.experiments.base import RunContext
    from searchlab.experiments.perturbation_stages import run_stage

    context = RunContext(out=tmp_path, resume=True, progress=False)
    record = context.checkpoint_dir("p9/sgd/seed0") / "outcome.json"
    record.parent.mkdir(parents=True)
    good = {
        "forward_equivalents_to_target": 120,
        "best_loss": 0.01,
        "forward_equivalents": 300,
        "steps": 10,
        "seconds": 0.5,
        "stopped_because": "target_loss",
        "effective_dimension": 4,
        "curve": [[30, 1.0], [300, 0.01]],
    }
    record.write_text(json.dumps(good))
    assert run_stage(None, "sgd", {}, 300, 0.01, 0, "p9/sgd/seed0", context) == good  # read back, not rerun
    record.write_text(json.dumps({**good, "effective_dimension": "four"}))
    with pytest.raises(SearchlabError, match="effective_dimension") as caught:
        run_stage(None, "sgd", {}, 300, 0.01, 0, "p9/sgd/seed0", context)
    assert str(record) in str(caught.value) and "\n" not in str(caught.value)
