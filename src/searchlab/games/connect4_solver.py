"""An exact Connect Four solver: negamax with alpha-beta, a transposition table and bitboard tricks.

Scores are from the point of view of the player to move, on a board of `cells` cells:
    score > 0  the mover wins; a win with the k-th stone of the game scores (cells + 2 - k) // 2,
               i.e. one more than the stones the winner still holds, so sooner wins score higher;
    score = 0  a draw under perfect play;
    score < 0  the mover loses; minus the opponent's winning score.
`value` is just the sign: +1 win, 0 draw, -1 loss.

What makes it fast enough in Python (about 10^5 nodes a second):
    * a move that wins at once is played (the search below a node assumes none exists);
    * if the opponent threatens to win at once, only the blocking move is tried (two threats: lost);
    * a move directly below an opponent's winning cell is never tried (it hands over the win);
    * the score is bounded by how many stones are left, which narrows the window;
    * moves that create the most winning cells are tried first, ties broken centre-first;
    * a transposition table keeps lower and upper bounds per position, shared across calls;
    * `value` searches the window (-1, 1) only; `score` narrows in with null-window searches.

Measured on the 2-core development machine (Python 3.11, rows x cols; `value` of the empty
board with a fresh solver, `score` in brackets), all agreeing with Tromp's published table:
    4x4 0.06 s, 4x5 0.4 s (0.4 s), 5x4 0.2 s, 6x4 2.6 s, 4x6 3.5 s (second player wins),
    5x5 4.8 s (6 s), 6x5 27 s (56 s), 5x6 57 s (102 s).
`action_values` of 300 random positions of one board with one shared solver: 4x5 3.9 s,
5x5 41 s, 4x6 65 s; hence `connect4.SMALL` = 4 rows x 5 columns. On 6x7, positions of
random play with 20 stones took 0.6 s at worst, and quiet positions (see the tests) with
24-30 stones under 0.2 s each. The empty 6x7 board is not attempted: that the first player
wins it (Allis 1988, Allen 1988) is far beyond a Python search, and no test claims it.
"""

from __future__ import annotations

from searchlab.core.errors import SearchlabError
from searchlab.games.connect4 import ConnectFour, State

MAX_TABLE_ENTRIES = 20_000_000  # cleared past this: an entry (int key, tuple of bounds) is over 100 bytes


class Solver:
    """Exact values, scores and optimal moves of Connect Four positions.

    Args:
        game: the board size to solve; states must come from this game.

    Attributes:
        nodes: positions searched so far (all calls together), for reporting effort.
        table: the transposition table, position key -> (lower bound, upper bound) of its score.
    """

    def __init__(self, game: ConnectFour):
        self.game = game
        self.nodes = 0
        self.table: dict[int, tuple[int, int]] = {}
        rows, cols = game.rows, game.cols
        self._cells = rows * cols
        self._height = rows + 1
        self._bottom_row = game.bottom_mask
        self._board = game.board_mask
        centre_first = sorted(range(cols), key=lambda c: (abs(2 * c - (cols - 1)), c))
        column_bits = (1 << rows) - 1
        # (column, all cells of that column), centre first: the base move order.
        self._columns = [(c, column_bits << (c * self._height)) for c in centre_first]

    # ---- public API -----------------------------------------------------------------

    def score(self, state: State) -> int:
        """The exact score of `state` for the player to move (see the module docstring); 0 for a draw."""
        mover, mask, status = state
        moves = mask.bit_count()
        if status != 0:
            return -((self._cells + 2 - moves) // 2) if status == 1 else 0  # the previous mover won
        if self._winning_cells(mover, mask) & self._possible(mask):
            return (self._cells + 1 - moves) // 2
        low, high = -((self._cells - moves) // 2), (self._cells + 1 - moves) // 2
        while low < high:  # narrow in with null windows, trying near 0 first: most positions are close
            guess = low + (high - low) // 2
            if guess <= 0 and low // 2 < guess:
                guess = low // 2
            elif guess >= 0 and high // 2 > guess:
                guess = high // 2
            result = self._negamax(mover, mask, moves, guess, guess + 1)
            if result <= guess:
                high = result
            else:
                low = result
        return low

    def value(self, state: State) -> int:
        """+1 if the player to move wins under perfect play, 0 for a draw, -1 for a loss."""
        mover, mask, status = state
        if status != 0:
            return -1 if status == 1 else 0
        if self._winning_cells(mover, mask) & self._possible(mask):
            return 1
        result = self._negamax(mover, mask, mask.bit_count(), -1, 1)  # a search of the sign only
        return (result > 0) - (result < 0)

    def action_values(self, state: State) -> dict[int, int]:
        """Each legal column -> the value (+1, 0, -1) of playing it, for the player to move now.

        Raises:
            SearchlabError: the game is over.
        """
        return {action: -self.value(self.game.apply(state, action)) for action in self._legal(state)}

    def action_scores(self, state: State) -> dict[int, int]:
        """Each legal column -> the exact score of playing it, for the player to move now.

        Raises:
            SearchlabError: the game is over.
        """
        return {action: -self.score(self.game.apply(state, action)) for action in self._legal(state)}

    def optimal_actions(self, state: State) -> list[int]:
        """The columns that keep the best value (all winning moves, not only the fastest), ascending.

        Raises:
            SearchlabError: the game is over.
        """
        values = self.action_values(state)
        best = max(values.values())
        return [action for action, value in values.items() if value == best]

    def _legal(self, state: State) -> list[int]:
        actions = self.game.legal_actions(state)
        if not actions:
            raise SearchlabError("the game is over, so there is no move to evaluate; pass a position still in play")
        return actions

    # ---- bitboards ------------------------------------------------------------------

    def _possible(self, mask: int) -> int:
        """The lowest empty cell of every column that is not full."""
        return (mask + self._bottom_row) & self._board

    def _winning_cells(self, stones: int, mask: int) -> int:
        """Empty cells (playable now or not) that would give `stones` four in a row."""
        height = self._height
        # vertical: three stones right below the cell
        found = (stones << 1) & (stones << 2) & (stones << 3)
        for step in (height, height - 1, height + 1):  # horizontal, and the two diagonals
            # the cell has two own stones on one side, and a third on either side of the cell
            pair = (stones << step) & (stones << 2 * step)  # stones 1 and 2 steps before the cell
            found |= pair & (stones << 3 * step)
            found |= pair & (stones >> step)
            pair = (stones >> step) & (stones >> 2 * step)  # stones 1 and 2 steps after the cell
            found |= pair & (stones << step)
            found |= pair & (stones >> 3 * step)
        return found & (self._board ^ mask)

    # ---- search ---------------------------------------------------------------------

    def _negamax(self, mover: int, mask: int, moves: int, alpha: int, beta: int) -> int:
        """Fail-soft alpha-beta score of a position in which the mover cannot win at once.

        A result <= alpha is an upper bound of the score, >= beta a lower bound, otherwise exact.
        """
        self.nodes += 1
        cells = self._cells
        possible = (mask + self._bottom_row) & self._board
        opponent_wins = self._winning_cells(mask ^ mover, mask)
        forced = possible & opponent_wins
        if forced:
            if forced & (forced - 1):  # two threats: one cannot block both
                return -((cells - moves) // 2)
            possible = forced
        candidates = possible & ~(opponent_wins >> 1)  # never play right below an opponent's winning cell
        if not candidates:
            return -((cells - moves) // 2)  # every move lets the opponent win next
        if moves >= cells - 2:
            return 0  # nobody can make four any more: the mover cannot, and was not left a losing move

        low = -((cells - 2 - moves) // 2)  # the opponent cannot win on its next move
        high = (cells - 1 - moves) // 2  # the mover cannot win on this move
        key = mover + mask  # unique per position (see connect4's layout)
        bounds = self.table.get(key)
        if bounds is not None:
            low, high = max(low, bounds[0]), min(high, bounds[1])
        if alpha < low:
            alpha = low
            if alpha >= beta:
                return alpha
        if beta > high:
            beta = high
            if alpha >= beta:
                return beta

        ordered = []
        for rank, (_, column) in enumerate(self._columns):
            move = candidates & column
            if move:
                threats = self._winning_cells(mover | move, mask).bit_count()
                ordered.append((-threats, rank, move))
        ordered.sort()

        first_alpha, best = alpha, -cells
        for _, _, move in ordered:
            result = -self._negamax(mask ^ mover, mask | move, moves + 1, -beta, -alpha)
            if result > best:
                best = result
                if result > alpha:
                    alpha = result
                    if alpha >= beta:
                        break
        old_low, old_high = bounds if bounds is not None else (-cells, cells)
        if best <= first_alpha:
            self._store(key, old_low, min(old_high, best))
        elif best >= beta:
            self._store(key, max(old_low, best), old_high)
        else:
            self._store(key, best, best)
        return best

    def _store(self, key: int, low: int, high: int) -> None:
        if len(self.table) >= MAX_TABLE_ENTRIES:
            self.table.clear()
        self.table[key] = (low, high)
