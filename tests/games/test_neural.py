"""Neural Tic-Tac-Toe: the symmetry split, the legal-move mask, board decoding, training, saving."""

import functools
import math

import numpy as np
import pytest
import torch

from margins import check, margin
from searchlab.core.errors import SearchlabError
from searchlab.core.metric import MaskedCrossEntropy
from searchlab.core.seeding import spawn_seeds
from searchlab.games.neural import (
    NeuralStrategy,
    board_vectors,
    nearest_board_moves,
    symmetry_split,
    table_from_network,
    train_strategy,
    training_targets,
)
from searchlab.games.tables import PositionIndex
from searchlab.spaces.mlp import MLPSpace

SMALL = dict(hidden=(32,), steps=300, lr=0.01, batch_size=256)


@functools.cache
def positions() -> PositionIndex:
    return PositionIndex()


def random_move_fraction(ids: np.ndarray | None = None) -> float:
    """The expected optimal-move share of a uniformly random legal move over positions `ids` (all by default): exact,
    about 0.57."""
    index = positions()
    ids = np.arange(index.decisions) if ids is None else ids
    return float(np.mean(index.optimal[ids].sum(axis=1) / index.legal_count[ids]))


@functools.cache
def moves_strategy(seed: int, threads: int):
    """The moves network, 300 steps; cached per seed (and torch thread count) so that the tests share one run."""
    return train_strategy(positions(), output="moves", seed=seed, **SMALL)


@pytest.fixture(scope="module")
def index():
    return positions()


@pytest.fixture(scope="module")
def trained():
    return moves_strategy(MOVES_SEED, torch.get_num_threads())


# ----- data -------------------------------------------------------------------


def test_split_keeps_symmetry_classes_together_and_is_seeded(index):
    train, held = symmetry_split(index, 0.2, seed=3)
    assert np.array_equal(np.sort(np.concatenate([train, held])), np.arange(index.decisions))
    canonical = lambda ids: {index.game.canonical(index.states[i]) for i in ids}  # noqa: E731
    assert canonical(train).isdisjoint(canonical(held))
    # Every image of a held-out position is itself held out.
    held_set = set(held.tolist())
    for p in held[:200]:
        for image in index.game.symmetric_states(index.states[p]):
            assert index.ids[image] in held_set
    assert 0.1 < held.size / index.decisions < 0.3
    again_train, again_held = symmetry_split(index, 0.2, seed=3)
    assert np.array_equal(train, again_train) and np.array_equal(held, again_held)
    assert not np.array_equal(held, symmetry_split(index, 0.2, seed=4)[1])
    all_train, none_held = symmetry_split(index, 0.0, seed=3)
    assert all_train.size == index.decisions and none_held.size == 0


def test_targets_are_the_solvers_moves(index):
    inputs = board_vectors(index)
    assert inputs.shape == (index.decisions, 9) and inputs.dtype == torch.float32
    assert torch.equal(inputs[index.root], torch.zeros(9))
    moves = training_targets(index, "moves")
    assert moves.shape == (index.decisions, 18)
    assert torch.allclose(moves[:, :9].sum(dim=1), torch.ones(index.decisions))
    assert torch.equal(moves[:, :9] > 0, torch.from_numpy(index.optimal[: index.decisions]))
    assert torch.equal(moves[:, 9:] > 0, torch.from_numpy(index.legal[: index.decisions]))
    boards = training_targets(index, "board")
    # "X.. .O. ..." with X to move: the board after X's optimal moves, averaged.
    p = index.id_of((1, 0, 0, 0, -1, 0, 0, 0, 0))
    optimal = np.flatnonzero(index.optimal[p])
    expected = inputs[p].clone()
    expected[optimal] += 1.0 / optimal.size
    assert torch.allclose(boards[p], expected)


def test_masked_cross_entropy_ignores_illegal_logits():
    logits = torch.tensor([[[2.0, 0.5, -1.0, 3.0]]])  # (K=1, N=1, C=4)
    targets = torch.tensor([[0.5, 0.5, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0]])  # probs, then mask: square 3 illegal
    loss = MaskedCrossEntropy()(logits, targets)
    legal = torch.tensor([2.0, 0.5, -1.0]).log_softmax(0)
    assert torch.allclose(loss, -(0.5 * legal[0] + 0.5 * legal[1]).reshape(1))
    louder = logits.clone()
    louder[..., 3] = 100.0
    assert torch.allclose(MaskedCrossEntropy()(louder, targets), loss)


# ----- from outputs to moves --------------------------------------------------


def test_moves_network_only_plays_legal_moves_even_when_it_prefers_taken_squares(index):
    space = MLPSpace([9, 4, 9])
    named = space.unflatten(torch.zeros(1, space.dim))
    named["bias2"][0, 0] = 100.0  # square 0 wins every argmax unless it is masked
    named["bias2"][0, 4] = 50.0
    params = space.flatten({k: v[0] for k, v in named.items()})
    table = table_from_network(index, space, params, "moves")
    index.check_tables(table)
    free0 = index.legal[: index.decisions, 0]
    assert (table[free0] == 0).all()
    assert (table[~free0 & index.legal[: index.decisions, 4]] == 4).all()


def test_board_decoding_picks_the_nearest_legal_next_board():
    # X in the centre, O to move (mark -1). The drawn board puts O most strongly on
    # the taken centre square, then on square 2, then square 0.
    board = torch.tensor([[0.0, 0, 0, 0, 1, 0, 0, 0, 0]])
    drawn = torch.tensor([[-0.4, 0, -0.7, 0, -0.9, 0, 0, 0, 0.2]])
    legal = board == 0
    assert nearest_board_moves(board, drawn, legal, torch.tensor([-1.0])).tolist() == [2]
    # The same picture read for X (mark +1): square 8 is nearest for an X move.
    assert nearest_board_moves(board, drawn, legal, torch.tensor([1.0])).tolist() == [8]
    # Against brute force on random pictures.
    generator = torch.Generator().manual_seed(0)
    boards = torch.randint(-1, 2, (50, 9), generator=generator).float()
    boards[:, 0] = 0  # at least one legal move
    outputs = torch.randn(50, 9, generator=generator)
    marks = torch.where(torch.rand(50, generator=generator) < 0.5, 1.0, -1.0)
    moves = nearest_board_moves(boards, outputs, boards == 0, marks)
    for b, o, m, move in zip(boards, outputs, marks, moves.tolist()):
        distances = {a: float(((b + m * torch.eye(9)[a]) - o).square().sum()) for a in range(9) if b[a] == 0}
        assert distances[move] == min(distances.values())


# ----- training ---------------------------------------------------------------


MOVES_SEED = 0


# Over seeds 0-11, 1 and 2 threads: the share beat a random move's 0.58 by 0.412-0.416 (sd 0.001; the net
# finds the optimal move in 99% of positions), and the loss fell to 0.64-0.67 of its first points' mean (sd 0.009).
@margin(seed=MOVES_SEED, gain_over_random=(">", 0.39), loss_ratio=("<", 0.8))
def short_moves_training(seed: int) -> dict[str, float]:
    """300 steps of the moves network: its optimal-move share over random tables', and its last training loss over
    its first."""
    metrics = moves_strategy(seed, torch.get_num_threads()).metrics
    curve = metrics["learning_curve"]
    return {
        "gain_over_random": metrics["optimal_fraction"] - random_move_fraction(),
        "loss_ratio": curve[-1][1] / curve[0][1],
    }


def test_short_training_beats_random_tables(index, trained):
    check(short_moves_training)  # the same cached run as `trained`
    index.check_tables(trained.table)
    metrics = trained.metrics
    assert metrics["optimal_fraction"] == pytest.approx(index.optimal_fraction(trained.table)[0])
    assert metrics["optimal_fraction_heldout"] is None and metrics["steps"] == 300
    assert metrics["losses_vs_perfect"] == pytest.approx(1000 * index.losses_vs(trained.table)[0])
    assert metrics["can_be_beaten"] == bool(index.can_be_beaten(trained.table)[0])
    assert metrics["learning_curve"][-1][0] == 300


# Over seeds 0-11, 1 and 2 threads: the share beat a random move's 0.58 by 0.101-0.13 (mean 0.114 +- 0.012).
# (The held-out share beat it by only 0.05-0.13 at 300 steps, under 3 sd from 0: it is not bounded here.)
@margin(seed=1, gain_over_random=(">", 0.06))
def board_training(seed: int) -> dict[str, float]:
    """300 steps of the board network with a fifth of the symmetry classes held out: its optimal-move share over a
    random move's."""
    index = positions()
    strategy = train_strategy(index, output="board", holdout_fraction=0.2, seed=seed, **SMALL)
    index.check_tables(strategy.table)
    metrics = strategy.metrics
    _, heldout = symmetry_split(index, 0.2, spawn_seeds(seed, 2)[0])  # the split train_strategy made
    assert metrics["heldout_positions"] == heldout.size and metrics["optimal_fraction_heldout"] is not None
    assert metrics["train_positions"] + metrics["heldout_positions"] == index.decisions
    return {"gain_over_random": metrics["optimal_fraction"] - random_move_fraction()}


def test_board_output_trains_to_legal_better_than_random_play():
    check(board_training)


def test_same_seed_same_table_and_resume_is_exact(index, trained, tmp_path):
    again = train_strategy(index, output="moves", seed=0, **SMALL)
    assert np.array_equal(again.table, trained.table)
    assert torch.equal(again.parameters, trained.parameters)
    other = train_strategy(index, output="moves", seed=1, **SMALL)
    assert not torch.equal(other.parameters, trained.parameters)
    # Stopped half way and resumed, the run ends where the uninterrupted one did.
    train_strategy(index, output="moves", seed=0, checkpoint_dir=tmp_path, **{**SMALL, "steps": 150})
    resumed = train_strategy(index, output="moves", seed=0, checkpoint_dir=tmp_path, resume=True, **SMALL)
    assert torch.equal(resumed.parameters, trained.parameters)


def test_save_and_load_round_trip(index, trained, tmp_path):
    trained.save(tmp_path / "net")
    loaded = NeuralStrategy.load(tmp_path / "net", index)
    assert loaded.output == "moves" and loaded.space.widths == [9, 32, 9]
    assert torch.equal(loaded.parameters, trained.parameters)
    assert np.array_equal(loaded.table, trained.table)
    assert loaded.metrics["optimal_fraction"] == trained.metrics["optimal_fraction"]
    rebuilt = NeuralStrategy.from_parameters(index, trained.space, trained.parameters, "moves")
    assert np.array_equal(rebuilt.table, trained.table)
    with pytest.raises(SearchlabError, match="no trained network"):
        NeuralStrategy.load(tmp_path / "missing", index)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "network.safetensors").write_bytes(b"not a network")
    with pytest.raises(SearchlabError, match="not a readable"):
        NeuralStrategy.load(tmp_path / "bad", index)
    with pytest.raises(SearchlabError, match="parameters"):
        NeuralStrategy.from_parameters(index, MLPSpace([9, 8, 9]), trained.parameters, "moves")


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"output": "picture"}, "unknown output"),
        ({"holdout_fraction": 1.0}, "holdout_fraction"),
        ({"holdout_fraction": -0.1}, "holdout_fraction"),
        ({"holdout_fraction": math.nan}, "holdout_fraction"),
        ({"steps": 0}, "steps"),
        ({"hidden": ()}, "hidden"),
        ({"hidden": (0,)}, "hidden"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr": -1.0}, "lr"),
        ({"seed": -1}, "seed"),
        ({"device": "tpu"}, "device"),
    ],
)
def test_bad_arguments_raise_a_clear_error(index, bad, message):
    with pytest.raises(SearchlabError, match=message):
        train_strategy(index, **{**SMALL, "steps": 1, **bad})
