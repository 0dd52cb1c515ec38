"""AlphaZero-style training: the network, self-play examples, one iteration that learns, exact resume, settings."""

import numpy as np
import pytest
import torch

from searchlab.core import checkpoint
from searchlab.core.device import cpu_threads
from searchlab.core.errors import SearchlabError
from searchlab.games import TicTacToe
from searchlab.games import alphazero
from searchlab.games.alphazero import AlphaZeroSettings, arena, new_net, self_play, train
from searchlab.games.policy_value import (
    PolicyValueNet,
    encode,
    load_net,
    net_evaluator,
    net_policy_action,
    save_net,
    search_with_net,
)

GAME = TicTacToe()
TINY = AlphaZeroSettings(iterations=2, selfplay_games=6, simulations=8, train_steps=15, batch_size=32,
                         arena_games=4, arena_simulations=4, channels=8, hidden=16)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks run fastest on one thread, and the machine is shared."""
    with cpu_threads(1):
        yield


def score_vs_random(policy, games, seed):
    """Mean score (win 1, draw 1/2) of `policy(state)` against a seeded uniformly random player, alternating sides."""
    rng = np.random.default_rng(seed)
    total = 0.0
    for i in range(games):
        state, me = GAME.initial_state(), i % 2
        while not GAME.is_terminal(state):
            actions = GAME.legal_actions(state)
            state = GAME.apply(state, policy(state) if GAME.current_player(state) == me else actions[rng.integers(len(actions))])
        total += (GAME.returns(state) * (1 if me == 0 else -1) + 1) / 2
    return total / games


# ----- the network ---------------------------------------------------------------


@pytest.mark.parametrize("shape, actions", [((2, 3, 3), 9), ((2, 4, 5), 5), ((2, 6, 7), 7)])
def test_network_fits_every_board_size_and_masks_illegal_actions(shape, actions):
    torch.manual_seed(0)
    net = PolicyValueNet(shape, actions, channels=4, layers=2, hidden=8)
    observations = torch.rand(5, *shape)
    legal = torch.rand(5, actions) > 0.3
    legal[:, 0] = True
    logits, values = net(observations, legal)
    assert logits.shape == (5, actions) and values.shape == (5,)
    assert torch.all(values.abs() <= 1)
    probabilities = torch.softmax(logits, dim=-1)
    assert torch.all(probabilities[~legal] == 0)
    assert torch.allclose(probabilities.sum(dim=-1), torch.ones(5))


def test_evaluator_and_entry_points_agree(tmp_path):
    net = new_net(GAME, TINY, seed=3)
    states = [GAME.initial_state(), GAME.state_from_string("XX. OO. ..."), GAME.state_from_string("X.. .O. ..X")]
    priors, values = net_evaluator(net, GAME)(states)
    assert priors.shape == (3, 9) and values.shape == (3,)
    _, legal = encode(GAME, states)
    assert np.all(priors[~legal.numpy()] == 0) and np.allclose(priors.sum(axis=1), 1)
    for state, row in zip(states, priors):
        assert net_policy_action(net, GAME, state) == int(np.argmax(row))
    result = search_with_net(net, GAME, states[1], 50)
    assert result.visits.sum() == 50 and result.action == 2  # the exact terminal value finds the win
    save_net(net, tmp_path / "net.safetensors")
    loaded = load_net(tmp_path / "net.safetensors")
    assert np.array_equal(net_evaluator(loaded, GAME)(states)[0], priors)
    with pytest.raises(SearchlabError, match="no network"):
        load_net(tmp_path / "missing.safetensors")


def test_new_net_is_seeded_and_leaves_the_global_rng_alone():
    before = torch.random.get_rng_state()
    a, b, c = new_net(GAME, TINY, 1), new_net(GAME, TINY, 1), new_net(GAME, TINY, 2)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters()))


# ----- self-play and arena -----------------------------------------------------------


def test_self_play_examples_are_consistent():
    net = new_net(GAME, TINY, 0)
    data = self_play(GAME, net, TINY, seed=5)
    n = data["values"].shape[0]
    assert n % 8 == 0  # every position with its 8 symmetric images
    assert data["observations"].shape == (n, 2, 3, 3) and data["policies"].shape == (n, 9)
    assert set(data["values"].tolist()) <= {-1.0, 0.0, 1.0}
    assert torch.allclose(data["policies"].sum(dim=1), torch.ones(n))
    assert torch.all(data["policies"][~data["legal"]] == 0)
    empty = data["observations"].sum(dim=1).reshape(n, 9) == 0  # squares that nobody holds
    assert torch.equal(empty, data["legal"])  # the moved policy lands on the image's empty squares
    again = self_play(GAME, net, TINY, seed=5)
    assert all(torch.equal(data[k], again[k]) for k in data)


def test_arena_counts_every_game():
    net = new_net(GAME, TINY, 0)
    wins, draws, losses = arena(GAME, net, net, TINY, seed=0)
    assert wins + draws + losses == TINY.arena_games


# ----- training ------------------------------------------------------------------------


def test_one_iteration_improves_on_random_play(tmp_path):
    settings = AlphaZeroSettings(iterations=1, selfplay_games=32, simulations=50, train_steps=300, lr=3e-3, arena_games=0)
    net, records = train(GAME, settings, tmp_path, seed=0, progress=False)
    assert len(records) == 1 and records[0]["accepted"]
    greedy = score_vs_random(lambda s: net_policy_action(net, GAME, s), 600, seed=1)
    rng = np.random.default_rng(2)
    random_player = score_vs_random(lambda s: GAME.legal_actions(s)[rng.integers(len(GAME.legal_actions(s)))], 600, seed=1)
    assert greedy > random_player + 0.1, (greedy, random_player)
    assert (tmp_path / "network.safetensors").is_file() and (tmp_path / "metrics.jsonl").is_file()


def without_seconds(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


def test_resume_after_an_interruption_is_exact(tmp_path, monkeypatch):
    whole_net, whole = train(GAME, TINY, tmp_path / "whole", seed=4, progress=False)

    real_arena, calls = alphazero.arena, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # stopped in the middle of iteration 1
        return real_arena(*args, **kwargs)

    monkeypatch.setattr(alphazero, "arena", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(GAME, TINY, tmp_path / "cut", seed=4, progress=False)
    assert len(checkpoint.load(tmp_path / "cut" / "checkpoints")["records"]) == 1
    monkeypatch.setattr(alphazero, "arena", real_arena)
    resumed_net, resumed = train(GAME, TINY, tmp_path / "cut", seed=4, resume=True, progress=False)

    assert without_seconds(resumed) == without_seconds(whole)
    for (name, p), q in zip(whole_net.state_dict().items(), resumed_net.state_dict().values()):
        assert torch.equal(p, q), name
    # A finished run resumes to itself, and one iteration then another equals two in a row.
    _, again = train(GAME, TINY, tmp_path / "cut", seed=4, resume=True, progress=False)
    assert without_seconds(again) == without_seconds(whole)
    train(GAME, dataclass_replace(TINY, iterations=1), tmp_path / "short", seed=4, progress=False)
    _, extended = train(GAME, TINY, tmp_path / "short", seed=4, resume=True, progress=False)
    assert without_seconds(extended) == without_seconds(whole)


def test_runs_are_never_overwritten_or_mixed(tmp_path):
    one = dataclass_replace(TINY, iterations=1)
    train(GAME, one, tmp_path, seed=0, progress=False)
    with pytest.raises(SearchlabError, match="already holds a run"):
        train(GAME, one, tmp_path, seed=0, progress=False)
    with pytest.raises(SearchlabError, match="another run"):
        train(GAME, one, tmp_path, seed=1, resume=True, progress=False)
    with pytest.raises(SearchlabError, match="another run"):
        train(GAME, dataclass_replace(one, lr=0.1), tmp_path, seed=0, resume=True, progress=False)
    with pytest.raises(SearchlabError, match="no checkpoint"):
        train(GAME, one, tmp_path / "empty", seed=0, resume=True, progress=False)


def dataclass_replace(settings, **changes):
    import dataclasses

    return dataclasses.replace(settings, **changes)


@pytest.mark.parametrize("bad", [
    dict(iterations=0), dict(selfplay_games=-1), dict(simulations=1.5), dict(c_puct=0), dict(dirichlet_epsilon=2.0),
    dict(lr=0.0), dict(lr=float("nan")), dict(accept_score=1.5), dict(arena_games=-1), dict(batch_size=True),
    dict(augment="yes"), dict(channels=0),
])  # fmt: skip
def test_bad_settings_are_one_line_errors(bad):
    with pytest.raises(SearchlabError) as err:
        AlphaZeroSettings(**bad)
    message = str(err.value)
    assert "\n" not in message and next(iter(bad)) in message
