"""Board games as search spaces: rules (Game/State split), an exact solver, and strategy counts.

Search algorithms are functions over the game's verbs (`initial_state`, `current_player`,
`legal_actions`, `apply`, `is_terminal`, `returns`), so they work for any game in GAMES.
"""

from searchlab.games.tictactoe import TicTacToe

GAMES = {TicTacToe.name: TicTacToe}

__all__ = ["GAMES", "TicTacToe"]
