"""The lookup-table space: its size and enumeration against brute force, its draws and its tweaks."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pytest
import torch

from searchlab.core.errors import SearchlabError
from searchlab.games.tables import PositionIndex
from searchlab.spaces import TableSpace

# Four positions with 2, 1, 3 and 2 legal moves among 4 squares: 12 tables.
SMALL = np.array(
    [
        [True, False, True, False],
        [False, False, False, True],
        [True, True, False, True],
        [False, True, True, False],
    ]
)


@functools.cache
def positions() -> PositionIndex:
    return PositionIndex()


def brute_force(legal: np.ndarray) -> list[tuple[int, ...]]:
    """Every table, by itertools: first position slowest, moves in square order."""
    return list(itertools.product(*[np.flatnonzero(row).tolist() for row in legal]))


def test_size_and_enumeration_match_brute_force():
    space = TableSpace(SMALL)
    every = brute_force(SMALL)
    assert space.size == len(every) == 12 and space.dim == 4
    assert [tuple(row) for row in space.candidates(0, space.size).tolist()] == every
    assert [tuple(row) for row in space.candidates(5, 9).tolist()] == every[5:9]
    batches = torch.cat(list(space.enumerate(batch_size=5)))
    assert batches.dtype == torch.int8 and [tuple(row) for row in batches.tolist()] == every


def test_the_tic_tac_toe_space_is_counted_and_indexed_exactly():
    index = positions()
    space = TableSpace(index.legal[: index.decisions])
    counts = index.legal_count[: index.decisions].tolist()
    assert space.size == math.prod(counts)  # far beyond 2**63
    assert space.log10_size() == pytest.approx(math.log10(space.size))
    last = space.candidates(space.size - 2, space.size)
    index.check_tables(last.numpy())
    highest = index.nth_legal(np.arange(index.decisions), index.legal_count[: index.decisions] - 1)
    assert (last[1].numpy() == highest).all()  # the last table plays every position's last legal move
    assert (last[0] != last[1]).sum() == 1  # neighbours in enumeration order differ in the last digits only
    with pytest.raises(SearchlabError, match="outside"):
        space.candidates(space.size, space.size + 1)


def test_samples_are_legal_and_uniform():
    space = TableSpace(SMALL)
    tables = space.sample(6000, torch.Generator().manual_seed(0))
    assert tables.shape == (6000, 4) and tables.dtype == torch.int8
    for p, row in enumerate(SMALL):
        seen = np.bincount(tables[:, p].numpy(), minlength=4)
        assert set(np.flatnonzero(seen)) == set(np.flatnonzero(row))
        share = seen[row] / 6000
        assert np.abs(share - 1 / row.sum()).max() < 0.03  # about 10 standard errors on 6,000 draws


@pytest.mark.parametrize("step_size", [1, 3, 7])
def test_perturb_changes_exactly_step_size_moves_to_other_legal_moves(step_size):
    index = positions()
    space = TableSpace(index.legal[: index.decisions])
    generator = torch.Generator().manual_seed(step_size)
    parent = space.sample(1, generator)[0]
    children = space.perturb(parent.unsqueeze(0).expand(300, -1), step_size, generator)
    index.check_tables(children.numpy())
    changed = children != parent.unsqueeze(0)
    assert (changed.sum(dim=1) == step_size).all()
    assert (torch.from_numpy(index.legal_count[: index.decisions])[changed.any(dim=0)] >= 2).all()
    again = space.perturb(parent.unsqueeze(0).expand(300, -1), step_size, torch.Generator().manual_seed(step_size))
    assert not torch.equal(again, children)  # a different generator state, different tweaks


def test_perturb_reaches_every_other_legal_move():
    space = TableSpace(SMALL)
    parent = torch.tensor([0, 3, 0, 1], dtype=torch.int8)
    children = space.perturb(parent.unsqueeze(0).expand(2000, -1), 1, torch.Generator().manual_seed(1))
    assert (children[:, 1] == 3).all()  # one legal move: never changed
    assert set(children[:, 2].tolist()) == {0, 1, 3} and set(children[:, 0].tolist()) == {0, 2}


def test_forward_reads_the_moves():
    space = TableSpace(SMALL)
    tables = space.candidates(0, 3)
    out = space.forward(tables, torch.tensor([2, 0]))
    assert out.shape == (3, 2, 1) and torch.equal(out[:, :, 0], tables[:, [2, 0]])


def test_a_position_without_legal_moves_is_refused():
    with pytest.raises(SearchlabError, match="at least one legal move"):
        TableSpace(np.array([[True, False], [False, False]]))
