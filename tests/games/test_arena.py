"""Games between two batch bots: the lockstep loop against one game at a time, and against the solver."""

from __future__ import annotations

import numpy as np

from searchlab.games.arena import play_games
from searchlab.games.connect4 import ConnectFour
from searchlab.games.minimax import solve
from searchlab.games.tictactoe import TicTacToe


def _random_bot(game):
    def move(states, rngs, plies):
        return [int(rng.choice(game.legal_actions(state))) for state, rng in zip(states, rngs)]

    return move


def _one_game_at_a_time(game, bots, first, seeds):
    """The reference: each game played alone, move by move, with generators seeded as in the batch."""
    results = []
    for g, starter in enumerate(first):
        rngs = [np.random.default_rng(seeds[i][g]) for i in range(2)]
        state, ply = game.initial_state(), 0
        while not game.is_terminal(state):
            i = starter if game.current_player(state) == 0 else 1 - starter
            state = game.apply(state, bots[i]([state], [rngs[i]], [ply])[0])
            ply += 1
        results.append(float(game.returns(state)) * (1 if starter == 0 else -1))
    return results


def test_lockstep_games_are_the_games_played_one_at_a_time():
    for game in (TicTacToe(), ConnectFour.small()):
        bots = (_random_bot(game), _random_bot(game))
        first = [0, 1, 1, 0, 1, 0, 0]
        seeds = [[100 + g for g in range(7)], [200 + g for g in range(7)]]
        rngs = tuple([np.random.default_rng(s) for s in row] for row in seeds)
        assert play_games(game, bots, first, rngs) == _one_game_at_a_time(game, bots, first, seeds)


def test_the_perfect_player_never_loses_and_results_are_from_bot_zeros_side():
    game = TicTacToe()
    solution = solve(game)

    def perfect(states, rngs, plies):
        return [int(rng.choice(solution.best_actions[state])) for state, rng in zip(states, rngs)]

    count = 40
    rngs = tuple([np.random.default_rng(1000 * i + g) for g in range(count)] for i in range(2))
    first = [g % 2 for g in range(count)]
    results = play_games(game, (perfect, _random_bot(game)), first, rngs)
    assert min(results) >= 0 and max(results) == 1  # never loses, and beats a random player sometimes
    flipped = play_games(game, (_random_bot(game), perfect), first, (rngs[1], rngs[0]))
    assert max(flipped) <= 0


def _one_game_from(game, bots, start, ply, starter, seeds):
    """The reference for a game from a start position: bot `starter` plays the side to move there."""
    rngs = [np.random.default_rng(seed) for seed in seeds]
    opener = game.current_player(start)
    state = start
    while not game.is_terminal(state):
        i = starter if game.current_player(state) == opener else 1 - starter
        state = game.apply(state, bots[i]([state], [rngs[i]], [ply])[0])
        ply += 1
    bot0_is_player0 = (opener == 0) == (starter == 0)
    return float(game.returns(state)) * (1 if bot0_is_player0 else -1)


def test_games_from_start_positions_give_the_side_to_move_to_the_first_bot():
    game = TicTacToe()
    after_one = game.apply(game.initial_state(), 4)  # O to move
    after_two = game.apply(after_one, 0)  # X to move
    starts = [(after_one, 1), (after_two, 2), (after_one, 1), (after_two, 2)]
    first = [0, 0, 1, 1]
    bots = (_random_bot(game), _random_bot(game))
    seeds = [[10 + g for g in range(4)], [20 + g for g in range(4)]]
    rngs = tuple([np.random.default_rng(s) for s in row] for row in seeds)
    expected = [
        _one_game_from(game, bots, state, ply, starter, (seeds[0][g], seeds[1][g]))
        for g, ((state, ply), starter) in enumerate(zip(starts, first))
    ]
    assert play_games(game, bots, first, rngs, starts=starts) == expected


def test_a_solver_never_loses_from_a_drawn_start_whichever_side_it_takes():
    game = TicTacToe()
    start = game.apply(game.apply(game.initial_state(), 4), 0)  # centre, then a corner: a draw, X to move
    solution = solve(game, start)
    assert solution.value == 0

    def solver(states, rngs, plies):
        return [solution.best_actions[state][0] for state in states]

    bots = (solver, _random_bot(game))
    rngs = tuple([np.random.default_rng(s) for s in range(i, i + 40)] for i in (0, 100))
    results = play_games(game, bots, [g % 2 for g in range(40)], rngs, starts=[(start, 2)] * 40)
    assert min(results) >= 0 and max(results) > 0
