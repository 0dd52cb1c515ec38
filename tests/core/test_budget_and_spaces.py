"""Budgets refuse nonsense; grids enumerate exactly; perturbations are small."""

from __future__ import annotations

import itertools

import pytest
import torch

from searchlab.core import Budget, SearchlabError
from searchlab.spaces import GridSpace, LinearSpace, MLPSpace


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"steps": 0}, {"steps": -3}, {"forward_equivalents": 0}, {"seconds": -1.0}, {"seconds": float("nan")}],
)
def test_bad_budgets_are_refused(kwargs):
    with pytest.raises(SearchlabError):
        Budget(**kwargs)


def test_grid_enumerates_every_candidate_once_in_order():
    levels = [-1.0, 0.0, 1.0]
    space = GridSpace(MLPSpace([2, 1, 1], bias=False), levels)  # 3 weights
    assert space.size == 27 and isinstance(space.size, int)
    every = torch.cat(list(space.enumerate(batch_size=5)))
    expected = torch.tensor(list(itertools.product(levels, repeat=3)))
    assert torch.equal(every, expected)


def test_grid_size_is_exact_for_huge_spaces():
    space = GridSpace(MLPSpace([10, 50, 10]), [-1.0, 0.0, 1.0])
    assert space.size == 3**space.dim


def test_grid_perturb_moves_exactly_one_parameter_to_another_level():
    space = GridSpace(LinearSpace(3, 2), [-1.0, 0.0, 1.0, 2.0])
    g = torch.Generator().manual_seed(0)
    parents = space.sample(100, g)
    children = space.perturb(parents, 1.0, g)
    assert ((children != parents).sum(dim=1) == 1).all()
    assert torch.isin(children, space.levels).all()


def test_sample_respects_init_scale_and_perturb_scale():
    space = MLPSpace([16, 4, 1])
    g = torch.Generator().manual_seed(0)
    population = space.sample(500, g)
    assert population[:, : 16 * 4].abs().max() <= 16**-0.5
    tweaked = space.perturb(population, 1e-3, g)
    assert (tweaked - population).std() == pytest.approx(1e-3, rel=0.05)


def test_glorot_init_matches_scikit_learn_bounds():
    space = MLPSpace([64, 100, 10], init="glorot")
    scales = space.unflatten(space.init_scales().unsqueeze(0))
    assert float(scales["weight1"].max()) == pytest.approx((6 / 164) ** 0.5)
    assert float(scales["bias2"].max()) == pytest.approx((6 / 110) ** 0.5)
    with pytest.raises(SearchlabError, match="glorot"):
        MLPSpace([2, 2], init="he")


def test_the_cores_names_load_on_first_use_and_are_the_defining_modules_own():
    import importlib

    core = importlib.import_module("searchlab.core")
    assert sorted(core.__all__) == sorted(core._HOMES)
    for name in core.__all__:
        home = importlib.import_module(f"searchlab.core.{core._HOMES[name]}")
        assert getattr(core, name) is getattr(home, name), name
    assert callable(core.run) and core.run.__module__ == "searchlab.core.loop"  # the driver, never a module
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = core.nothing


def test_importing_the_errors_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, searchlab.core.errors; print('torch' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "False"
