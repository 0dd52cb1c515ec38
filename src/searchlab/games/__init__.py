"""Board games as search spaces: rules (Game/State split), an exact solver, and strategy counts.

Search algorithms are functions over the game's verbs (`initial_state`, `current_player`,
`legal_actions`, `apply`, `is_terminal`, `returns`), so they work for any game in GAMES.
"""

from searchlab.games.connect4 import ConnectFour
from searchlab.games.tictactoe import TicTacToe

# name -> a callable that makes the game with no arguments (a class or a factory).
GAMES = {
    TicTacToe.name: TicTacToe,
    "connect4": ConnectFour,  # 6 rows x 7 columns
    "connect4-small": ConnectFour.small,  # connect4.SMALL, solved exactly in about a second
}

__all__ = ["GAMES", "ConnectFour", "TicTacToe"]
