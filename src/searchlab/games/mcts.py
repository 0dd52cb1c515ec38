"""Monte-Carlo tree search over the Game API: UCT with random rollouts, and PUCT guided by an evaluator.

Both searches know only the game's verbs (`legal_actions`, `apply`, `is_terminal`,
`returns`, `current_player`, `num_actions`), so they work for every game in GAMES.

* UCT (Kocsis & Szepesvari): a child's score is its mean return plus
  ``c * sqrt(ln N_parent / N_child)``; untried children come first (in random order),
  and a new leaf is scored by one random playout to the end of the game.
* PUCT (AlphaZero): a child's score is ``Q + c_puct * P * sqrt(N_parent) / (1 + N_child)``
  with P the evaluator's prior; a new leaf is scored by the evaluator's value.
  `puct_search_many` searches K positions at once and sends every step's leaves to the
  evaluator in ONE call, which is what makes a network evaluator cheap.

Conventions shared by both: `returns` are from player 0's side, each edge stores the
total return from the view of the player who moves at its parent (the sign flips by
`current_player`, not by assuming turns alternate), terminal nodes use the exact
return, and the visit counts of the root's children sum to the number of simulations.

The trees are plain Python lists on `__slots__` nodes (no numpy per node): selection
runs once per simulation per level, and a numpy call costs more than the whole
arithmetic of a small node.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from searchlab.core import checks
from searchlab.core.errors import SearchlabError
from searchlab.games.puct_tree import PUCTNode, evaluate_leaves, select_leaves

UCT_C = 2.0  # OpenSpiel's default for its MCTS examples; returns lie in [-1, 1]

# evaluator(states) -> (priors (N, num_actions), values (N,) from the mover's view)
Evaluator = Callable[[list[Any]], tuple[np.ndarray, np.ndarray]]
Rng = np.random.Generator | int


@dataclass(frozen=True)
class SearchResult:
    """What one search says about its root.

    Attributes:
        action: the chosen action (most visited at temperature 0; lowest action on ties).
        visits: (num_actions,) int64 visit counts of the root's children; they sum to the simulations.
        q: (num_actions,) float64 mean return of each child from the root mover's view (nan if unvisited).
        value: mean return of all simulations from the root mover's view.
    """

    action: int
    visits: np.ndarray
    q: np.ndarray
    value: float

    def policy(self) -> np.ndarray:
        """(num_actions,) float64 visit distribution (the AlphaZero policy target)."""
        return self.visits / max(1, int(self.visits.sum()))


@dataclass(frozen=True)
class PUCTSettings:
    """Settings of a PUCT search.

    Attributes:
        simulations: leaf evaluations per search (>= 1); the root's own evaluation is extra.
        c_puct: exploration weight (> 0).
        dirichlet_alpha: concentration of the root noise (> 0).
        dirichlet_epsilon: share of noise mixed into the root priors, 0 (off, for play) .. 1; self-play uses ~0.25.
        temperature: move choice, 0 = most visited, else sample visits ** (1 / temperature).
        leaves_per_step: leaves one tree adds per batched step (>= 1); above 1, virtual loss
            spreads them over different paths.
        virtual_loss: return subtracted on a pending path (>= 0), from the view of each mover on it.
    """

    simulations: int = 100
    c_puct: float = 1.5
    dirichlet_alpha: float = 0.3
    dirichlet_epsilon: float = 0.0
    temperature: float = 0.0
    leaves_per_step: int = 1
    virtual_loss: float = 1.0

    def __post_init__(self) -> None:
        checks.whole("simulations", self.simulations, 1)
        checks.whole("leaves_per_step", self.leaves_per_step, 1)
        checks.number("c_puct", self.c_puct, low=0.0, open_low=True)
        checks.number("dirichlet_alpha", self.dirichlet_alpha, low=0.0, open_low=True)
        checks.number("dirichlet_epsilon", self.dirichlet_epsilon, low=0.0, high=1.0)
        checks.number("temperature", self.temperature, low=0.0)
        checks.number("virtual_loss", self.virtual_loss, low=0.0)


# ----- shared helpers ----------------------------------------------------------


def as_generator(rng: Rng) -> np.random.Generator:
    """A numpy Generator from a Generator (used as is) or a seed int >= 0."""
    if isinstance(rng, np.random.Generator):
        return rng
    if not checks.is_whole(rng) or rng < 0:
        raise SearchlabError(f"rng must be a numpy Generator or a seed (whole number >= 0), got {rng!r}")
    return np.random.default_rng(int(rng))


def select_action(visits: np.ndarray, temperature: float, rng: Rng) -> int:
    """Move choice from root visit counts.

    Args:
        visits: (num_actions,) visit counts, zero on illegal actions; at least one positive.
        temperature: 0 picks the most visited (lowest action on ties); > 0 samples in
            proportion to ``visits ** (1 / temperature)`` with `rng`.
        rng: Generator or seed; untouched at temperature 0.
    """
    visits = np.asarray(visits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(visits))
    # Power in log space: visits ** (1/T) overflows for small T.
    logs = np.where(visits > 0, np.log(np.maximum(visits, 1e-300)) / temperature, -np.inf)
    weights = np.exp(logs - logs.max())
    return int(as_generator(rng).choice(len(visits), p=weights / weights.sum()))


def uniform_evaluator(game: Any) -> Evaluator:
    """The evaluator that knows nothing: equal priors, value 0 (PUCT then behaves like plain MCTS without rollouts)."""
    num_actions = game.num_actions

    def evaluate(states: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        n = len(states)
        return np.full((n, num_actions), 1.0 / num_actions), np.zeros(n)

    return evaluate


def _result(game: Any, actions: list[int], visits: list[int], totals: list[float], action: int) -> SearchResult:
    counts = np.zeros(game.num_actions, dtype=np.int64)
    q = np.full(game.num_actions, np.nan)
    for a, n, w in zip(actions, visits, totals):
        counts[a] = n
        if n:
            q[a] = w / n
    total = int(counts.sum())
    return SearchResult(action=int(action), visits=counts, q=q, value=float(sum(totals) / total) if total else 0.0)


def _most_visited(actions: list[int], visits: list[int]) -> int:
    """The most visited action, the lowest one on ties (actions may be in any order)."""
    return min(zip(actions, visits), key=lambda pair: (-pair[1], pair[0]))[0]


# ----- UCT with random rollouts --------------------------------------------------


class _UCTNode:
    """A position in the UCT tree; the statistics of its children live here, in lists."""

    __slots__ = ("actions", "children", "count", "player", "state", "terminal_value", "totals", "visits")

    def __init__(self, state: Any, player: int, actions: list[int], terminal_value: float | None) -> None:
        self.state = state
        self.player = player
        self.terminal_value = terminal_value  # player 0's return if the game is over, else None
        self.actions = actions  # untried actions are kept at the end, from index `count` on
        self.children: list[_UCTNode | None] = [None] * len(actions)
        self.visits = [0] * len(actions)
        self.totals = [0.0] * len(actions)  # sum of returns from `player`'s view
        self.count = 0  # simulations through this node = sum(visits)


def _uct_node(game: Any, state: Any) -> _UCTNode:
    actions = game.legal_actions(state)
    if actions:
        return _UCTNode(state, game.current_player(state), list(actions), None)
    return _UCTNode(state, 0, [], float(game.returns(state)))


def _new_leaf(game: Any, state: Any, action: int, generator: np.random.Generator, rand) -> tuple[_UCTNode, float]:
    """The node after `action` and its value from player 0's view: exact when terminal, else one random playout.

    Playouts use the game's own `random_rollout(state, numpy_generator)` when it has one, else `rand`.
    """
    legal_actions, apply, returns = game.legal_actions, game.apply, game.returns
    child_state = apply(state, action)
    child_actions = legal_actions(child_state)
    if not child_actions:
        value = float(returns(child_state))
        return _UCTNode(child_state, 0, [], value), value
    # A copy: the search reorders it, and a game may hand out a cached list.
    child = _UCTNode(child_state, game.current_player(child_state), list(child_actions), None)
    game_rollout = getattr(game, "random_rollout", None)
    if game_rollout is not None:
        return child, float(game_rollout(child_state, generator))
    s, acts = child_state, child_actions
    while acts:
        s = apply(s, acts[int(rand() * len(acts))])
        acts = legal_actions(s)
    return child, returns(s)


def uct_search(game: Any, state: Any, simulations: int, rng: Rng = 0, *, c: float = UCT_C) -> SearchResult:
    """UCT from `state` with one random playout per new leaf.

    Each simulation descends by UCT score, adds one new node (an untried action, chosen
    at random among the untried ones), plays it out at random, and backs up the return.
    Playouts use the game's own `random_rollout(state, numpy_generator) -> float` (from
    player 0's view) when it has one, else a generic loop over `legal_actions`/`apply`.

    Args:
        game: the rules.
        state: a non-terminal position.
        simulations: playouts (>= 1); the returned visits sum to this.
        rng: Generator or seed; the same seed gives the same search.
        c: exploration constant (>= 0).

    Returns:
        The `SearchResult`; the action is the most visited child.

    Raises:
        SearchlabError: a terminal `state`, or a bad setting.
    """
    checks.whole("simulations", simulations, 1)
    checks.number("c", c, low=0.0)
    generator = as_generator(rng)
    root = _uct_node(game, state)
    if not root.actions:
        raise SearchlabError("the game is over in this position; there is nothing to search")
    # Python's generator for the hot loop (a numpy call per move would dominate); seeded from `rng`.
    rand = random.Random(int(generator.integers(2**63))).random
    sqrt, log, c2 = math.sqrt, math.log, float(c) * float(c)

    for _ in range(simulations):
        node = root
        path = []
        while True:
            k = node.count
            size = len(node.actions)
            if k < size:
                # Untried actions fill indexes k.. ; move a random one to k (cheaper than a shuffle).
                j = k + int(rand() * (size - k))
                acts = node.actions
                acts[k], acts[j] = acts[j], acts[k]
                i = k
            else:
                # c * sqrt(ln N / n) == sqrt(c^2 ln N / n): one sqrt per child.
                scale = c2 * log(k)
                visits, totals = node.visits, node.totals
                best, i = -math.inf, 0
                for j in range(size):
                    n = visits[j]
                    score = totals[j] / n + sqrt(scale / n)
                    if score > best:
                        best, i = score, j
            path.append((node, i))
            child = node.children[i]
            if child is None:  # a new leaf: add it and play it out
                child, value = _new_leaf(game, node.state, node.actions[i], generator, rand)
                node.children[i] = child
                break
            if child.terminal_value is not None:  # exact, no playout
                value = child.terminal_value
                break
            node = child
        for node, i in path:
            node.count += 1
            node.visits[i] += 1
            node.totals[i] += value if node.player == 0 else -value

    return _result(game, root.actions, root.visits, root.totals, _most_visited(root.actions, root.visits))


# ----- PUCT guided by an evaluator ---------------------------------------------------


def puct_search(
    game: Any, state: Any, evaluator: Evaluator, settings: PUCTSettings | None = None, rng: Rng = 0
) -> SearchResult:
    """One PUCT search; the same as `puct_search_many` with a single position."""
    return puct_search_many(game, [state], evaluator, settings, [rng])[0]


def puct_search_many(
    game: Any,
    states: Sequence[Any],
    evaluator: Evaluator,
    settings: PUCTSettings | None = None,
    rngs: Sequence[Rng] | None = None,
) -> list[SearchResult]:
    """PUCT from K positions at once, every step's leaves evaluated in one evaluator call.

    A step selects `leaves_per_step` leaves in every tree (each path holds a virtual loss
    until its leaf is evaluated, so the next selection looks elsewhere), evaluates all
    new leaves of all trees together, expands them and backs up. Terminal leaves are
    backed up at once with their exact return; a leaf that two paths reach in one step
    is evaluated once and backed up for both. With `leaves_per_step = 1` a tree does
    not depend on the others, so searching K positions together gives what K single
    searches with the same rngs give (as long as the evaluator answers a state the same
    whatever else is in its batch; a float32 network can differ in the last bits).

    Args:
        game: the rules.
        states: K non-terminal positions.
        evaluator: states -> (priors (N, num_actions), values (N,) from each state's mover's view);
            priors are read on legal actions only and renormalised.
        settings: the `PUCTSettings` (None: the defaults).
        rngs: one Generator or seed per position (root noise, temperature); None: seeds 0..K-1.

    Returns:
        K `SearchResult`s, in the order of `states`.

    Raises:
        SearchlabError: a terminal position, or rngs of the wrong length.
    """
    settings = PUCTSettings() if settings is None else settings
    states = list(states)
    rngs = list(range(len(states))) if rngs is None else list(rngs)
    if len(rngs) != len(states):
        raise SearchlabError(f"puct_search_many needs one rng per position: {len(states)} positions, {len(rngs)} rngs")
    generators = [as_generator(r) for r in rngs]
    roots = [PUCTNode(game, s) for s in states]
    if any(not root.actions for root in roots):
        raise SearchlabError("the game is over in one of the positions; there is nothing to search")
    if not roots:
        return []

    priors, _ = evaluator([root.state for root in roots])
    for root, row, generator in zip(roots, np.asarray(priors, dtype=np.float64).tolist(), generators):
        root.expand(row)
        if settings.dirichlet_epsilon > 0:  # AlphaZero's exploration noise, at the root only
            eps = settings.dirichlet_epsilon
            noise = generator.dirichlet([settings.dirichlet_alpha] * len(root.actions)).tolist()
            root.priors = [(1 - eps) * p + eps * n for p, n in zip(root.priors, noise)]

    c_puct, vl = float(settings.c_puct), float(settings.virtual_loss) if settings.leaves_per_step > 1 else 0.0
    done = 0
    while done < settings.simulations:
        per_tree = min(settings.leaves_per_step, settings.simulations - done)
        done += per_tree
        pending = select_leaves(game, roots, per_tree, c_puct, vl)
        if pending:
            evaluate_leaves(pending, evaluator, vl)

    results = []
    for root, generator in zip(roots, generators):
        result = _result(game, root.actions, root.visits, root.totals, 0)
        action = select_action(result.visits, settings.temperature, generator)
        results.append(SearchResult(action=action, visits=result.visits, q=result.q, value=result.value))
    return results
