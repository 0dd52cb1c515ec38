"""The tree under PUCT (`searchlab.games.mcts.puct_search_many`): nodes, leaf selection and backup.

Many trees are searched in lockstep: `select_leaves` walks each tree to new leaves (holding a virtual
loss on every edge it takes), `evaluate_leaves` asks the evaluator about all of them in one call,
expands them and backs the values up. Values are kept from player 0's view in `totals` per edge and
turned to the mover's view at selection.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

TreePath = list[tuple["PUCTNode", int]]


class PUCTNode:
    """A position in a PUCT tree; unexpanded until the evaluator has seen it (priors is None)."""

    __slots__ = ("actions", "children", "count", "player", "priors", "state", "terminal_value", "totals", "visits")

    def __init__(self, game: Any, state: Any) -> None:
        self.state = state
        self.actions = game.legal_actions(state)
        self.player = game.current_player(state) if self.actions else 0
        self.terminal_value = None if self.actions else float(game.returns(state))
        self.priors: list[float] | None = None
        self.children: list[PUCTNode | None] = [None] * len(self.actions)
        self.visits = [0] * len(self.actions)
        self.totals = [0.0] * len(self.actions)
        self.count = 0

    def expand(self, row: list[float]) -> None:
        """Take the priors of the legal actions from a full (num_actions,) row, renormalised."""
        priors = [max(0.0, float(row[a])) for a in self.actions]
        total = sum(priors)
        self.priors = [p / total for p in priors] if total > 0 else [1.0 / len(priors)] * len(priors)


def select_leaves(
    game: Any, roots: list[PUCTNode], per_tree: int, c_puct: float, virtual_loss: float
) -> dict[int, tuple[PUCTNode, list[TreePath]]]:
    """Walk `per_tree` paths down every tree; back up terminal leaves at once, return the unexpanded ones.

    The result maps id(leaf) to (leaf, the paths that reached it this step): a leaf two paths reach is
    evaluated once and backed up for both.
    """
    sqrt, vl = math.sqrt, virtual_loss
    pending: dict[int, tuple[PUCTNode, list[TreePath]]] = {}
    for root in roots:
        for _ in range(per_tree):
            node, path = root, []
            while True:
                count, visits, totals, priors_ = node.count, node.visits, node.totals, node.priors
                scale = c_puct * (sqrt(count) if count else 1.0)  # at N = 0 the largest prior goes first
                best, i = -math.inf, 0
                for j in range(len(visits)):
                    n = visits[j]
                    score = (totals[j] / n if n else 0.0) + scale * priors_[j] / (1 + n)
                    if score > best:
                        best, i = score, j
                node.count = count + 1  # counted now: virtual visit until backed up
                visits[i] += 1
                totals[i] -= vl
                path.append((node, i))
                child = node.children[i]
                if child is None:
                    child = node.children[i] = PUCTNode(game, game.apply(node.state, node.actions[i]))
                if child.terminal_value is not None:
                    backup(path, child.terminal_value, vl)
                    break
                if child.priors is None:  # unexpanded: wait for the evaluator
                    entry = pending.get(id(child))
                    if entry is None:
                        pending[id(child)] = (child, [path])
                    else:
                        entry[1].append(path)
                    break
                node = child
    return pending


def evaluate_leaves(pending: dict[int, tuple[PUCTNode, list[TreePath]]], evaluator: Any, virtual_loss: float) -> None:
    """Evaluate every pending leaf in one evaluator call, expand it and back its value up its paths."""
    leaves = list(pending.values())
    priors, values = evaluator([leaf.state for leaf, _ in leaves])
    priors = np.asarray(priors, dtype=np.float64).tolist()
    values = np.asarray(values, dtype=np.float64).reshape(-1).tolist()
    for (leaf, paths), row, value in zip(leaves, priors, values):
        leaf.expand(row)
        value0 = value if leaf.player == 0 else -value  # to player 0's view
        for path in paths:
            backup(path, value0, virtual_loss)


def backup(path: TreePath, value0: float, virtual_loss: float) -> None:
    """Add a return (player 0's view) along a path whose visits were counted at selection."""
    for node, i in path:
        node.totals[i] += virtual_loss + (value0 if node.player == 0 else -value0)
