"""Strategy-space counts against brute force: enumerate every strategy on small positions and play them all."""

import itertools
import math

import pytest

from searchlab.games import TicTacToe
from searchlab.games.strategies import (
    count_lookup_strategies,
    count_never_losing_strategies,
    count_tree_strategies,
    log10,
    strategy_space,
)

GAME = TicTacToe()

# Mid-game positions small enough to enumerate every strategy (3 or 4 blank squares).
SMALL_POSITIONS = [
    "XOX .O. ..X",  # O to move; both sides threaten a line
    "XO. .O. X.X",  # O to move; X has two threats
    "OX. .X. O.X",  # O to move
    "XXO .O. ..X",  # O to move; O threatens square 6
    "OX. .X. .OX",  # O to move; no immediate threats
    "X.. .OX .XO",  # O to move; no immediate threats
    "XOX XOO ...",  # X to move; X wins at once on square 6
    "OX. XOO X..",  # X to move; O threatens square 8
    "XOX OXO ...",  # X to move
]


def histories(state, history=()):
    """Every (history, state) below `state`, by walking the rules."""
    yield history, state
    for action in GAME.legal_actions(state):
        yield from histories(GAME.apply(state, action), history + (action,))


def play(root, strategies):
    """Play two history -> action strategies (indexed by player) from `root`; the final return from X's side."""
    state, history = root, ()
    while not GAME.is_terminal(state):
        action = strategies[GAME.current_player(state)][history]
        state, history = GAME.apply(state, action), history + (action,)
    return GAME.returns(state)


def reduce_to_reachable(root, player, full):
    """The part of a complete history -> action map that `player`'s own play can reach, as a frozenset."""
    kept = {}
    frontier = [((), root)]
    while frontier:
        history, state = frontier.pop()
        if GAME.is_terminal(state):
            continue
        if GAME.current_player(state) == player:
            action = full[history]
            kept[history] = action
            frontier.append((history + (action,), GAME.apply(state, action)))
        else:
            frontier.extend((history + (a,), GAME.apply(state, a)) for a in GAME.legal_actions(state))
    return frozenset(kept.items())


def enumerate_tree_strategies(root, player):
    """All game-tree strategies of `player`: every complete map from its decision histories, reduced, deduplicated."""
    decisions = [
        (history, GAME.legal_actions(state))
        for history, state in histories(root)
        if not GAME.is_terminal(state) and GAME.current_player(state) == player
    ]
    keys = [history for history, _ in decisions]
    found = set()
    for choice in itertools.product(*(actions for _, actions in decisions)):
        found.add(reduce_to_reachable(root, player, dict(zip(keys, choice))))
    return [dict(s) for s in found]


@pytest.mark.parametrize("text", SMALL_POSITIONS)
@pytest.mark.parametrize("player", [0, 1])
def test_tree_counts_match_brute_force(text, player):
    root = GAME.state_from_string(text)
    assert 3 <= root.count(0) <= 4 and not GAME.is_terminal(root)
    mine = enumerate_tree_strategies(root, player)
    theirs = enumerate_tree_strategies(root, 1 - player)
    assert count_tree_strategies(GAME, player, root) == len(mine)

    sign = 1 if player == 0 else -1
    never_losing = 0
    for strategy in mine:
        results = [sign * play(root, {player: strategy, 1 - player: opponent}) for opponent in theirs]
        never_losing += min(results) >= 0
    assert count_never_losing_strategies(GAME, player, root) == never_losing


@pytest.mark.parametrize("text", SMALL_POSITIONS)
@pytest.mark.parametrize("player", [0, 1])
def test_lookup_counts_match_brute_force(text, player):
    root = GAME.state_from_string(text)
    decision_positions = {
        state for _, state in histories(root) if not GAME.is_terminal(state) and GAME.current_player(state) == player
    }
    tables = list(itertools.product(*(GAME.legal_actions(s) for s in decision_positions)))
    assert count_lookup_strategies(GAME, player, root) == len(tables)
    # A lookup table, played out, is one of the game-tree strategies.
    tree_strategies = {frozenset(s.items()) for s in enumerate_tree_strategies(root, player)}
    keys = list(decision_positions)
    for table in tables:
        by_position = dict(zip(keys, table))
        by_history = {h: by_position[s] for h, s in histories(root) if s in by_position}
        assert reduce_to_reachable(root, player, by_history) in tree_strategies


def test_hand_counted_two_blank_positions():
    root = GAME.state_from_string("XOX OXX O..")  # O to move, blanks 7 and 8
    assert root.count(0) == 2 and GAME.current_player(root) == 1
    assert count_tree_strategies(GAME, 1, root) == 2  # O picks a square
    assert count_tree_strategies(GAME, 0, root) == 1  # X's last move is forced after either
    assert count_lookup_strategies(GAME, 1, root) == 2
    assert count_lookup_strategies(GAME, 0, root) == 1  # two positions, one legal move each
    assert count_never_losing_strategies(GAME, 1, root) == 1  # O must block square 8
    assert count_never_losing_strategies(GAME, 0, root) == 1


def test_whole_game_counts_are_consistent():
    for player in (0, 1):
        space = strategy_space(GAME, player)
        assert 0 < space.never_losing < space.game_tree
        assert space.log10_game_tree == pytest.approx(math.log10(space.game_tree))
        assert space.log10_lookup_table == pytest.approx(log10(space.lookup_table))
        # A lookup table has a move for each of X's (or O's) decision positions: 9 choices at the start for X.
        assert space.lookup_table % (9 if player == 0 else 8) == 0
    # X's first move alone gives 9 choices, and every opening leaves O 8 replies to answer.
    assert count_tree_strategies(GAME, 0) == sum(
        count_tree_strategies(GAME, 0, GAME.apply(GAME.initial_state(), a)) for a in range(9)
    )
    assert log10(0) == float("-inf")
