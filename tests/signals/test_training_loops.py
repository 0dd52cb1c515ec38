"""Every signal trains through the one loop: policy gradients, imitation, the reward ensemble; counted, resumable."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from searchlab.core import Budget, run
from searchlab.core.seeding import numpy_generator, spawn_seeds
from searchlab.optimizers import make_optimizer
from searchlab.signals import ArithmeticPeople, TicTacToePeople
from searchlab.signals import arithmetic_model as M
from searchlab.signals.arithmetic import encode_answers, encode_problems
from searchlab.signals.arithmetic_settings import PathSettings
from searchlab.signals.arithmetic_signals import ArithmeticSignals
from searchlab.signals.reinforce import PolicyGradient, reinforce
from searchlab.signals.reward_model import Members, RewardEnsemble
from searchlab.signals.tictactoe_paths import SignalSettings, behaviour_cloning, dagger
from searchlab.signals.tictactoe_policy import TicTacToePolicy
from searchlab.signals.tictactoe_signals import TicTacToeSignals
from searchlab.signals.training import bound

PEOPLE = TicTacToePeople(p=0.7, q=0.9, seed=0)
QUICK = SignalSettings.small(rl_steps=6, rl_games=12, record_every=3)


@pytest.mark.parametrize("signal", ["approval", "outcome"])
def test_policy_steps_are_counted_per_move_and_approval_buys_one_label_per_action(signal):
    task = TicTacToeSignals(PEOPLE, QUICK)
    model = task.new_model(0)
    spending = task.approval_signal(model) if signal == "approval" else task.outcome_signal()
    moves = []
    recorded = task.moves
    task.moves = lambda batch: moves.append(recorded(batch)) or moves[-1]  # watch what each step counts
    curve, result = reinforce(task, model, spending.reward, 3, QUICK.rl_steps, buys_labels=spending.buys_labels)
    assert len(moves) == result.steps == QUICK.rl_steps and all(m > 0 for m in moves)
    assert result.forward_equivalents == 3 * sum(moves)  # one per move sampled, two more for its backward pass
    assert result.examples_seen == sum(moves)  # on Tic-Tac-Toe every learner move is rewarded
    assert result.labels == (sum(moves) if signal == "approval" else 0)
    assert [p["step"] for p in curve] == [3, 6] and curve[-1]["forward_equivalents"] == result.forward_equivalents
    # Trained in place: the caller's network holds the loop's answer.
    assert torch.equal(torch.nn.utils.parameters_to_vector(model.parameters()), result.candidate)
    queries = spending.queries(result)
    assert queries == ({"rater labels": sum(moves)} if signal == "approval" else {"games": 12 * QUICK.rl_steps})


def test_an_arithmetic_move_is_an_answer_character_the_model_chose():
    settings = PathSettings.small(rl_problems=8)
    task = ArithmeticSignals(ArithmeticPeople(), settings)
    model = task.new_model(0)
    batch = task.policy_batch(model, np.random.default_rng(0))
    problem_ids = torch.as_tensor(encode_problems(batch.problems))
    answer_ids = torch.as_tensor(encode_answers(batch.answers, M.VOCAB))
    _, chosen = M.token_log_probs(model, problem_ids, answer_ids)  # the positions whose log-probability counts
    assert task.moves(batch) == int(chosen.sum()) > len(batch.answers)


def test_policy_steps_resume_exactly_with_the_problems_own_generator(tmp_path):
    task = TicTacToeSignals(PEOPLE, QUICK)

    def search(steps: int, resume: bool):
        model = task.new_model(1)
        problem = PolicyGradient(task, model, task.outcome_signal().reward, 4)  # game results: no rater's stream
        optimizer = make_optimizer("gradient", algorithm="adam", lr=QUICK.rl_lr)
        return run(problem, optimizer, Budget(steps=steps), 4, checkpoint_dir=tmp_path, resume=resume)

    whole = search(6, False)
    search(3, False)
    resumed = search(6, True)
    assert torch.equal(resumed.candidate, whole.candidate)
    assert resumed.forward_equivalents == whole.forward_equivalents and resumed.trace["loss"] == whole.trace["loss"]


def test_binding_a_candidate_leaves_the_network_as_it_was():
    model = TicTacToePolicy((8,), seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    named = {name: torch.nn.Parameter(torch.zeros_like(p)) for name, p in model.named_parameters()}
    with bound(model, named) as bound_model:
        table = bound_model.probabilities()  # zero weights: uniform over the legal moves
        (bound_model()[0].exp().sum()).backward()
    legal = model.task.legal
    assert np.allclose(table[legal], (1.0 / legal.sum(axis=1, keepdims=True)).repeat(9, axis=1)[legal])
    assert all(t.grad is not None for t in named.values())
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before))
    assert all(p.grad is None for p in model.parameters())


def test_imitation_bills_the_demonstrations_it_trains_on():
    result = behaviour_cloning(PEOPLE, SignalSettings.small(imitation_steps=5, demonstration_games=20), seed=0)
    assert result.queries["demonstrations"] > 0  # the moves shown, billed by the fit as labels


def test_dagger_bills_every_overseer_move_and_its_curve_starts_untrained():
    settings = SignalSettings.small(imitation_steps=20, demonstration_games=20, dagger_games=10, dagger_rounds=2)
    result = dagger(PEOPLE, settings, seed=0)
    # round_steps = 20 // (2 * 2) = 5; the first clone takes 20 - 2 * 5 = 10 steps.
    assert [point["step"] for point in result.curve] == [0, 10, 15, 20]
    assert (
        result.curve[0]["score"] == result.start["score"]
        and result.curve[1]["score"] == result.extra["first_clone"]["score"]
    )
    # Tic-Tac-Toe keeps every move the overseer showed, so the data is the labels bought.
    assert result.queries["demonstrations"] == result.curve[-1]["labels"] == result.curve[-1]["data"]
    assert result.curve[2]["labels"] > result.curve[1]["labels"] and result.extra["gradient_steps"] == 20
    again = dagger(PEOPLE, settings, seed=0)
    # Seeded: the same data and corrections; scores to rounding (two forward passes of equal weights can differ
    # in the last float32 digits on a loaded machine, see test_tictactoe_paths).
    assert [{**p, "score": 0} for p in again.curve] == [{**p, "score": 0} for p in result.curve]
    assert [p["score"] for p in again.curve] == pytest.approx([p["score"] for p in result.curve], abs=1e-4)
    counts = ("corrections", "corrections_wrong", "right_answers_overruled", "wrong_answers_missed", "gradient_steps")
    assert [again.extra[k] for k in counts] == [result.extra[k] for k in counts]


def test_ensemble_members_train_independently():
    """Each member's training sees only its own labels: changing the labels no member 0 resample holds leaves
    member 0 exactly as it was."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    labels = x[:, 0] > 0
    ensemble = RewardEnsemble(members=3, hidden=8, steps=20, batch_size=16)
    first = ensemble.fit(x, labels, seed=2).member_probabilities(x)
    # Member 0's resample: its seed is the first child of the fit's seed (see RewardEnsemble.fit).
    member_rows = numpy_generator(spawn_seeds(2, 4)[0]).integers(0, 60, size=60)
    unused = np.setdiff1d(np.arange(60), member_rows)
    assert unused.size > 0
    flipped = labels.copy()
    flipped[unused] = ~flipped[unused]
    second = RewardEnsemble(**ensemble.settings()).fit(x, flipped, seed=2).member_probabilities(x)
    assert np.array_equal(first[0], second[0]) and not np.array_equal(first[1:], second[1:])


def test_members_are_one_network_with_one_logit_row_per_member():
    weights = [(torch.randn(2, 3, 4), torch.randn(2, 1, 4)), (torch.randn(2, 4, 1), torch.randn(2, 1, 1))]
    logits, squared = Members(weights)(torch.randn(2, 5, 3))
    assert logits.shape == (2, 5) and float(squared.detach()) == pytest.approx(
        sum(float(w.square().sum()) for w, _ in weights)
    )
