"""Games between two bots, many at once: the one evaluation loop of AlphaZero's arena and the hybrid experiment.

A *batch bot* chooses moves for many games in one call, `bot(states, rngs, plies) -> actions`: the positions
where it is to move, each game's random generator for this bot, and how many moves each game has seen (so
that a bot can sample its first moves and play its best after). One call per bot per round lets a bot that
searches with a network evaluate every game's leaves together. Each game has its own generators, so what
happens in one game never depends on which other games share a batch with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

BatchBot = Callable[[list[Any], list[np.random.Generator], list[int]], list[int]]
"""The one bot interface of searchlab's games (OpenSpiel's `Bot.step`, batched): (states, one random
generator per state, plies played) -> one action per state. The arena, AlphaZero, the hybrid experiment
and the terminal (`games.terminal.Bot`, a name and a generator around one) all take this."""


def one_by_one(choose: Callable[[Any, Any], int]) -> BatchBot:
    """A bot written for one state at a time, `choose(state, rng) -> action`, as a `BatchBot`."""
    return lambda states, rngs, plies: [int(choose(state, rng)) for state, rng in zip(states, rngs)]


def play_games(
    game: Any,
    bots: tuple[BatchBot, BatchBot],
    first: Sequence[int],
    rngs: tuple[Sequence[np.random.Generator], Sequence[np.random.Generator]],
    starts: Sequence[tuple[Any, int]] | None = None,
) -> list[float]:
    """Play len(first) games in lockstep; each game's result (+1 win, 0 draw, -1 loss) from bots[0]'s side.

    Args:
        game: the rules (`initial_state`, `current_player`, `apply`, `is_terminal`, `returns`).
        bots: the two batch bots.
        first: for each game, which bot plays the side to move in its start (player 0 from the empty board).
        rngs: for each bot, one generator per game (the same object for both bots shares one stream).
        starts: for each game, the position it starts from and the plies that led there (an opening, so
            that two players who always choose the same move still play different games); None: the
            empty board for every game.

    Each round, bot 0 moves in every unfinished game where it is to move (one call), then bot 1 does.
    """
    count = len(first)
    starts = [(game.initial_state(), 0)] * count if starts is None else list(starts)
    if len(starts) != count:
        raise ValueError(f"{len(starts)} start positions for {count} games")
    states = [state for state, _ in starts]
    plies = [ply for _, ply in starts]
    # Bot first[g] plays the side to move at the start of game g; the other bot plays the other side.
    opener = [game.current_player(state) if not game.is_terminal(state) else 0 for state in states]
    active = [g for g in range(count) if not game.is_terminal(states[g])]
    while active:
        for i, bot in enumerate(bots):
            group = [
                g
                for g in active
                if not game.is_terminal(states[g])
                and game.current_player(states[g]) == (opener[g] if first[g] == i else 1 - opener[g])
            ]
            if not group:
                continue
            actions = bot([states[g] for g in group], [rngs[i][g] for g in group], [plies[g] for g in group])
            for g, action in zip(group, actions):
                states[g] = game.apply(states[g], action)
                plies[g] += 1
        active = [g for g in active if not game.is_terminal(states[g])]
    # game.returns is player 0's result; bot 0 is player 0 where it opened from a player-0 start, or followed one.
    return [float(game.returns(states[g])) * (1 if (opener[g] == 0) == (first[g] == 0) else -1) for g in range(count)]
