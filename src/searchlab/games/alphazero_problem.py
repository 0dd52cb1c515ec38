"""AlphaZero's self-play as a search problem: a network's parameters, the games it plays and the contests it wins.

`SelfPlayProblem` is what `optimizers.ExpertIteration` searches (see there for one iteration's steps). Its
space is a `ModuleSpace` over a `PolicyValueNet`; it owns the game, the settings, the replay window and one
record per iteration, and spends compute only when asked:

- `imitation_problem(candidate)`: self-play with the candidate (`self_play`), its examples join the
  replay window, and the window with the policy-plus-value loss becomes the `DataLossProblem` that a copy
  of the candidate learns;
- `contest(challenger, incumbent, training)`: the arena (`arena`), then the iteration's record.

Counting (see `searchlab.core.problem`): a network's evaluation of one position at a search leaf is one
forward-equivalent, in self-play and in the arena; training adds what its own run counted (3 per example).
`examples_seen` counts training examples only. The replay window and the records are the problem's
`state()`, so the run's checkpoints hold them and a resumed run continues exactly. All randomness of
iteration i (self-play and arena) comes from seeds derived from (seed, i).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from searchlab.core import interrupts
from searchlab.core.metric import Metric
from searchlab.core.problem import DataLossProblem, Problem
from searchlab.core.seeding import spawn_seeds
from searchlab.games.alphazero_history import Spent, check_history, replay_tensors, without_iterations
from searchlab.games.arena import BatchBot, play_games
from searchlab.games.mcts import puct_search_many, select_action
from searchlab.games.policy_value import PolicyValueNet, net_evaluator, policy_value_loss
from searchlab.spaces.module import ModuleSpace


def self_play(
    game: Any, net: PolicyValueNet, settings: Any, seed: int, spent: Spent | None = None
) -> dict[str, torch.Tensor]:
    """Play `selfplay_games` games of the network against itself, searched in one batch.

    `spent`, when given, counts the network's evaluations (a forward-equivalent per position).

    Returns:
        Examples as CPU tensors: "observations" (N, C, H, W) float32, "policies" (N, A) float32
        (visit distributions), "legal" (N, A) bool, "values" (N,) float32 (the final return
        from the mover's view); N counts every symmetric image when `augment` is on.
    """
    evaluator = (spent or Spent()).counting(net_evaluator(net, game))
    search = settings.selfplay_search()
    games = settings.selfplay_games
    generators = [np.random.default_rng(s) for s in spawn_seeds(seed, games)]
    states = [game.initial_state()] * games
    histories: list[list[tuple[Any, np.ndarray, int]]] = [[] for _ in range(games)]
    active, ply = list(range(games)), 0
    while active:
        results = puct_search_many(
            game, [states[g] for g in active], evaluator, search, [generators[g] for g in active]
        )
        temperature = 1.0 if ply < settings.temperature_moves else 0.0
        for g, result in zip(active, results):
            histories[g].append((states[g], result.policy(), game.current_player(states[g])))
            states[g] = game.apply(states[g], select_action(result.visits, temperature, generators[g]))
        active = [g for g in active if not game.is_terminal(states[g])]
        ply += 1
    examples = []
    for g in range(games):
        final = float(game.returns(states[g]))  # player 0's view
        for state, policy, player in histories[g]:
            examples.append((state, policy, final if player == 0 else -final))
    return replay_tensors(game, examples, settings.augment)


def arena(
    game: Any,
    candidate: PolicyValueNet,
    current: PolicyValueNet,
    settings: Any,
    seed: int,
    spent: Spent | None = None,
) -> tuple[int, int, int]:
    """Candidate against current over `arena_games` games (the candidate starts the even-numbered ones).

    Both sides search with PUCT (`arena_simulations`, no noise), all the games where a side is to
    move in one batch (`games.arena.play_games`); each game's first `arena_temperature_moves` plies
    are sampled from the visit counts, the rest are the most visited move. `spent`, when given, counts
    both networks' evaluations (a forward-equivalent per position).

    Returns:
        The candidate's (wins, draws, losses).
    """
    count = settings.arena_games
    search = settings.arena_search()
    counter = spent or Spent()

    def searcher(net: PolicyValueNet) -> BatchBot:
        evaluator = counter.counting(net_evaluator(net, game))

        def move(states: list[Any], rngs: list[np.random.Generator], plies: list[int]) -> list[int]:
            results = puct_search_many(game, states, evaluator, search, rngs)
            return [
                select_action(r.visits, 1.0 if ply < settings.arena_temperature_moves else 0.0, rng)
                for r, ply, rng in zip(results, plies, rngs)
            ]

        return move

    generators = [np.random.default_rng(s) for s in spawn_seeds(seed, max(count, 1))][:count]
    # The candidate starts the even-numbered games; both sides of a game draw from its one generator.
    outcomes = play_games(
        game, (searcher(candidate), searcher(current)), [g % 2 for g in range(count)], (generators,) * 2
    )
    return sum(o > 0 for o in outcomes), sum(o == 0 for o in outcomes), sum(o < 0 for o in outcomes)


def iteration_seeds(seed: int, iteration: int) -> tuple[int, int]:
    """The (self-play, arena) seeds of `iteration`, which depend on (seed, iteration) only."""
    seeds = spawn_seeds(spawn_seeds(seed, iteration + 2)[iteration + 1], 3)
    return seeds[0], seeds[2]  # the middle one seeded the training before it ran through ExpertIteration


def sign_test(wins: int, losses: int) -> float:
    """One-sided p-value that a player who wins as often as it loses wins `wins` of its decisive games or more."""
    from scipy.stats import binomtest

    decisive = int(wins) + int(losses)
    return 1.0 if decisive == 0 else float(binomtest(int(wins), decisive, 0.5, alternative="greater").pvalue)


class SelfPlayProblem(Problem):
    """A policy-value network's parameters, scored by the games it plays (see the module docstring).

    Args:
        game: the rules (see `alphazero.train`).
        settings: the `AlphaZeroSettings`.
        net: the starting network; its parameters are the space's starting point, its device the run's.
        seed: iteration i's self-play and arena draw from seeds derived from (seed, i).
        identity: the run's format, game, settings and seed, kept in `state()` and checked by `load_state`.

    Attributes:
        records: one dict per finished iteration (keys as `alphazero.train` returns them).
        replay: the replay window, one chunk of CPU example tensors per iteration (at most `replay_iterations`).
    """

    def __init__(self, game: Any, settings: Any, net: PolicyValueNet, seed: int, identity: dict[str, Any]) -> None:
        super().__init__(ModuleSpace(net), _PolicyValueLoss())
        self.game, self.settings, self.seed, self.identity = game, settings, int(seed), identity
        self.records: list[dict[str, Any]] = []
        self.replay: list[dict[str, torch.Tensor]] = []
        self._started = (0.0, 0, 0)  # clock, forward-equivalents and examples seen when the iteration began
        self._finished_here = 0  # iterations this process finished (for the "iteration" interruption point)

    @property
    def n_examples(self) -> int:
        return int(sum(chunk["values"].shape[0] for chunk in self.replay))

    @property
    def device(self) -> torch.device:
        return self.space.initial.device

    def network(self, candidate: torch.Tensor) -> PolicyValueNet:
        """The network holding `candidate`'s parameters, in eval mode."""
        return self.space.module(candidate).eval()

    def imitation_problem(self, candidate: torch.Tensor) -> DataLossProblem:
        """Self-play with `candidate`, add its examples to the replay window, and return what to learn from it.

        Returns:
            A `DataLossProblem` whose space starts at `candidate` and whose data is the replay window (on the
            run's device), with the policy-plus-value loss.
        """
        if self._finished_here:
            # The previous iteration is finished and checkpointed (the loop saves after every step).
            interrupts.reached("iteration", len(self.records))
        self._started = (time.perf_counter(), self.forward_equivalents, self.examples_seen)
        selfplay_seed, _ = iteration_seeds(self.seed, len(self.records))
        spent = Spent()
        chunk = self_play(self.game, self.network(candidate), self.settings, selfplay_seed, spent)
        self.forward_equivalents += spent.forward_equivalents
        self.replay = (self.replay + [chunk])[-self.settings.replay_iterations :]
        space = ModuleSpace(self.space.module(candidate).train())
        return DataLossProblem(space, self._window(), policy_value_loss, name="policy_value_loss")

    def add_spent(self, forward_equivalents: int, examples_seen: int) -> None:
        """Count what training the challenger cost (its own run counted it)."""
        self.forward_equivalents += int(forward_equivalents)
        self.examples_seen += int(examples_seen)

    def contest(self, challenger: torch.Tensor, incumbent: torch.Tensor, training: dict[str, float]) -> bool:
        """The arena, challenger against incumbent, and the iteration's record; True when the challenger is kept.

        Args:
            challenger: the trained copy's parameters.
            incumbent: the current network's parameters.
            training: the challenger's mean training loss parts, "policy" and "value".
        """
        settings, iteration = self.settings, len(self.records)
        if settings.arena_games:
            spent = Spent()
            _, arena_seed = iteration_seeds(self.seed, iteration)
            wins, draws, losses = arena(
                self.game, self.network(challenger), self.network(incumbent), settings, arena_seed, spent
            )
            self.forward_equivalents += spent.forward_equivalents
            score = (wins + 0.5 * draws) / settings.arena_games
        else:
            wins = draws = losses = 0
            score = 1.0
        accepted = score >= settings.accept_score and (
            settings.accept_alpha is None or sign_test(wins, losses) < settings.accept_alpha
        )
        started, spent_before, seen_before = self._started
        self.records.append(
            {
                "iteration": iteration,
                "examples": int(self.replay[-1]["values"].shape[0]),
                "replay_examples": self.n_examples,
                "policy_loss": training["policy"],
                "value_loss": training["value"],
                "arena_wins": int(wins),
                "arena_draws": int(draws),
                "arena_losses": int(losses),
                "arena_score": score,
                "accepted": bool(accepted),
                "forward_equivalents": self.forward_equivalents - spent_before,
                "examples_seen": self.examples_seen - seen_before,
                "seconds": round(time.perf_counter() - started, 3),
            }
        )
        self._finished_here += 1
        return bool(accepted)

    def finished_here(self) -> int:
        """How many iterations this process finished (not counting those a checkpoint brought back)."""
        return self._finished_here

    def _window(self) -> dict[str, torch.Tensor]:
        return {key: torch.cat([chunk[key] for chunk in self.replay]).to(self.device) for key in self.replay[0]}

    def _losses(self, population: torch.Tensor | dict[str, torch.Tensor], batch: torch.Tensor | None) -> torch.Tensor:
        """Each candidate's policy-plus-value loss on the replay window (+inf before there is one)."""
        count = 1 if isinstance(population, dict) else int(population.shape[0])
        if not self.replay:
            return torch.full((count,), torch.inf)
        rows = self._window()
        if batch is not None:
            rows = {key: value.index_select(0, batch) for key, value in rows.items()}
        if isinstance(population, dict):
            named = [population]
        else:
            views = self.space.unflatten(population.to(self.device))
            named = [{key: view[k] for key, view in views.items()} for k in range(count)]
        return torch.stack(
            [policy_value_loss(lambda *inputs, n=n: self.space.forward_one(n, inputs), rows)[0] for n in named]
        )

    def state(self) -> dict[str, Any]:
        return {"identity": self.identity, "records": self.records, "replay": self.replay}

    def load_state(self, state: dict[str, Any]) -> None:
        """Take back the records and replay window, checked to be this run's (ValueError, inside the restore)."""
        if without_iterations(state["identity"]) != without_iterations(self.identity):
            raise ValueError("it is of another run (game, settings or seed differ)")
        self.records, self.replay = check_history(self.game, state["records"], state["replay"])


class _PolicyValueLoss(Metric):
    """The name of the problem's loss (the problem computes it itself, from both heads)."""

    name = "policy_value_loss"

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("SelfPlayProblem computes its loss from both heads itself")
