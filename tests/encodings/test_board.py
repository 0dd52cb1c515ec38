"""Board encodings: the essay's X = 1 / O = -1 / blank = 0 vector and one-hot planes, both round-tripping."""

import numpy as np
import pytest
import torch

from searchlab.core.errors import SearchlabError
from searchlab.encodings.board import BOARD_ENCODINGS, BoardPlanes, BoardVector
from searchlab.games import TicTacToe
from searchlab.games.strategies import reachable_states

GAME = TicTacToe()
STATES = sorted(reachable_states(GAME))


def test_board_vector_is_the_essays_encoding():
    state = GAME.state_from_string("XO. .X. ..O")
    vector = BoardVector().encode(state)
    assert vector.dtype == torch.float32 and vector.shape == (9,)
    assert vector.tolist() == [1, -1, 0, 0, 1, 0, 0, 0, -1]


def test_planes_are_x_o_blank():
    state = GAME.state_from_string("XO. .X. ..O")
    planes = BoardPlanes().encode(state)
    assert planes.shape == (3, 9)
    assert planes[0].tolist() == [1, 0, 0, 0, 1, 0, 0, 0, 0]  # X
    assert planes[1].tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 1]  # O
    assert planes[2].tolist() == [0, 0, 1, 1, 0, 1, 1, 1, 0]  # blank
    assert torch.equal(planes.sum(dim=0), torch.ones(9))


@pytest.mark.parametrize("name", sorted(BOARD_ENCODINGS))
def test_every_reachable_position_round_trips(name):
    encoding = BOARD_ENCODINGS[name]()
    batch = encoding.encode_many(STATES)
    assert batch.shape == (len(STATES), *encoding.shape)
    assert encoding.decode_many(batch) == STATES
    for state in STATES[::97]:
        assert encoding.decode(encoding.encode(state)) == state


def test_planes_decode_scores_by_argmax():
    state = GAME.state_from_string("X.. .O. ...")
    scores = BoardPlanes().encode(state) * 0.6 + 0.2  # not one-hot any more, same argmax
    assert BoardPlanes().decode(scores) == state


def test_bad_inputs_raise():
    with pytest.raises(SearchlabError, match="shape"):
        BoardVector().decode(torch.zeros(8))
    with pytest.raises(SearchlabError, match="1 \\(X\\), -1 \\(O\\) or 0"):
        BoardVector().decode(torch.full((9,), 0.5))
    with pytest.raises(SearchlabError, match="shape"):
        BoardPlanes().decode(torch.zeros(2, 9))


def test_mover_planes_round_trip_every_position_and_are_the_games_observation():
    from searchlab.encodings.board import MoverPlanes
    from searchlab.games.tables import PositionIndex
    from searchlab.games.tictactoe import TicTacToe

    game = TicTacToe()
    index = PositionIndex(game)
    states, movers = index.states[: index.decisions], index.player[: index.decisions]
    planes = MoverPlanes().encode_many(states, movers)  # (d, 3, 9)
    assert planes.shape == (index.decisions, 3, 9) and np.all(planes.sum(axis=1) == 1)  # one-hot per square
    assert all(MoverPlanes().decode(p, m) == s for p, m, s in zip(planes, movers, states))
    # X to move and O to move in mirrored positions look alike from the mover's side.
    assert np.array_equal(*MoverPlanes().encode_many([(1, -1, 0) + (0,) * 6, (-1, 1, 0) + (0,) * 6], [0, 1]))
    # The game's observation (two planes): checked square by square against the marks themselves.
    for state, mover in zip(states, movers):
        mine = 1 if mover == 0 else -1
        expected = [[float(mark == mine) for mark in state], [float(mark == -mine) for mark in state]]
        assert game.observation(state).reshape(2, 9).tolist() == expected


def test_mover_planes_refuse_what_no_board_encodes():
    from searchlab.encodings.board import MoverPlanes

    both = np.zeros((3, 9))
    both[0, 0] = both[1, 0] = 1.0
    with pytest.raises(SearchlabError, match="at most one player's mark"):
        MoverPlanes().decode(both, 0)
    with pytest.raises(SearchlabError, match="0/1"):
        MoverPlanes().decode(np.full((3, 9), 0.5), 0)
