"""Connect Four on bitboards: the Game/State verbs of `tictactoe`, fast enough for MCTS rollouts.

A board of `rows` x `cols` cells is stored in one Python int per player. Column c owns
the bits c*(rows+1) .. c*(rows+1)+rows-1, bottom cell first, and one more bit above them
that stays empty (the sentinel). The empty sentinel row is what lets a whole-board shift
find four in a row without wrapping from the top of one column into the next.

A state is the tuple `(mover, mask, status)`:
    mover:  the stones of the player to move;
    mask:   every stone on the board (so the opponent's are `mask ^ mover`);
    status: 0 while the game goes on, 1 once the last move made four in a row, 2 for a
            full board without four in a row.
`status` is derived from the other two and stored only so that `is_terminal` costs one
tuple index: rollouts ask it after every move. Player 0 ('X') moves first, so the player
to move is the parity of the number of stones. Actions are columns 0..cols-1, left to
right, as in OpenSpiel's `connect_four`.
"""

from __future__ import annotations

import operator
import random
from dataclasses import dataclass

import numpy as np

from searchlab.core import checks
from searchlab.core.errors import SearchlabError

State = tuple[int, int, int]

PLAYING, WON, DRAWN = 0, 1, 2  # values of a state's status field
MIN_SIZE, MAX_SIZE = 4, 9  # four in a row fits every direction; a column is one digit in move strings
SMALL = (4, 5)  # (rows, cols) of "connect4-small": the solver settles its empty board in under a second
SYMBOLS = ("X", "O")  # player 0, player 1; '.' is an empty cell


@dataclass(frozen=True)
class ConnectFour:
    """The rules of Connect Four on a `rows` x `cols` board; every method takes a state and never changes it.

    Args:
        rows: board height, 4..9 (6 by default).
        cols: board width, 4..9 (7 by default); also the number of actions.

    Raises:
        SearchlabError: a size outside 4..9 (four in a row must fit every direction, and
            `moves_from_string` writes a column as one digit).

    The name is "connect4" for 6x7, "connect4-small" for `SMALL` (4 rows x 5 columns) and
    "connect4-{rows}x{cols}" otherwise, rows first like `observation_shape`.
    """

    rows: int = 6
    cols: int = 7

    num_players = 2
    num_symmetries = 2  # identity and the left-right mirror

    def __post_init__(self):
        for label, size in (("rows", self.rows), ("cols", self.cols)):
            if not checks.is_whole(size) or not MIN_SIZE <= size <= MAX_SIZE:
                raise SearchlabError(f"{label} must be an integer from {MIN_SIZE} to {MAX_SIZE}, got {size!r}")
        height = self.rows + 1
        bottom = tuple(1 << (c * height) for c in range(self.cols))
        top = tuple(b << (self.rows - 1) for b in bottom)
        top_row = sum(top)
        legal = {}
        for subset in range(1 << self.cols):  # every pattern of full columns
            full_bits = sum(top[c] for c in range(self.cols) if subset >> c & 1)
            legal[full_bits] = tuple(c for c in range(self.cols) if not subset >> c & 1)
        cells = np.array([[c * height + (self.rows - 1 - r) for c in range(self.cols)] for r in range(self.rows)])
        # Precomputed masks, derived from the settings once; plain attributes rather than
        # dataclass fields, so that `dataclasses.asdict` (a saved config) holds rows and cols only.
        set_ = object.__setattr__  # the dataclass is frozen
        set_(self, "_bottom", bottom)  # the lowest cell of each column
        set_(self, "_top", top)  # the highest cell of each column
        set_(self, "_top_row", top_row)
        set_(self, "_full", sum(b * ((1 << self.rows) - 1) for b in bottom))  # every cell of the board
        set_(self, "_legal", legal)  # mask & top row -> the open columns
        set_(self, "_cell_bits", cells)  # (rows, cols): bit index of each cell, row 0 on top

    @classmethod
    def small(cls) -> ConnectFour:
        """The board of `SMALL` ("connect4-small"), which the exact solver settles in seconds."""
        return cls(*SMALL)

    @property
    def name(self) -> str:
        if (self.rows, self.cols) == (6, 7):
            return "connect4"
        if (self.rows, self.cols) == SMALL:
            return "connect4-small"
        return f"connect4-{self.rows}x{self.cols}"

    @property
    def num_actions(self) -> int:
        return self.cols

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (2, self.rows, self.cols)

    # ---- bitboard layout (for solvers) ----------------------------------------------

    @property
    def bottom_mask(self) -> int:
        """The bottom cell of every column: `mask + bottom_mask` carries into each column's lowest empty cell."""
        return sum(self._bottom)

    @property
    def board_mask(self) -> int:
        """Every cell of the board (sentinel bits excluded)."""
        return self._full

    def has_four(self, bits: int) -> bool:
        """True if the stones `bits` hold four in a row (vertical, horizontal or either diagonal)."""
        # A line of four is two overlapping pairs: pairs = cells whose next cell along the
        # line is also a stone; four in a row is a pair whose cell two steps on is a pair too.
        right = self.rows + 1  # vertical steps are 1; the sentinel bit breaks lines across columns
        pairs = bits & (bits >> 1)
        if pairs & (pairs >> 2):
            return True
        pairs = bits & (bits >> right)
        if pairs & (pairs >> 2 * right):
            return True
        pairs = bits & (bits >> (right - 1))  # down-right
        if pairs & (pairs >> 2 * (right - 1)):
            return True
        pairs = bits & (bits >> (right + 1))  # up-right
        return bool(pairs & (pairs >> 2 * (right + 1)))

    # ---- the game verbs -------------------------------------------------------------

    def initial_state(self) -> State:
        """The empty board, player 0 to move."""
        return (0, 0, PLAYING)

    def current_player(self, state: State) -> int:
        """0 or 1: the player to move (on a finished board, the one who would move next)."""
        return state[1].bit_count() & 1

    def is_terminal(self, state: State) -> bool:
        """True once a player has four in a row or the board is full."""
        return state[2] != PLAYING

    def winner(self, state: State) -> int | None:
        """The player (0 or 1) who made four in a row, or None (game going on, or drawn)."""
        if state[2] != WON:
            return None
        return 1 - (state[1].bit_count() & 1)  # the player who made the last move

    def returns(self, state: State) -> float:
        """+1.0 if player 0 has won, -1.0 if player 1 has won, 0.0 otherwise (a draw, or a game going on)."""
        if state[2] != WON:
            return 0.0
        return 1.0 if state[1].bit_count() & 1 else -1.0  # odd stone count: player 0 moved last

    def legal_actions(self, state: State) -> list[int]:
        """The columns that are not full, in increasing order; none once the game is over."""
        if state[2] != PLAYING:
            return []
        return list(self._legal[state[1] & self._top_row])

    def apply(self, state: State, action: int) -> State:
        """The state after the player to move drops a stone in column `action` (a new tuple).

        Raises:
            SearchlabError: the game is over, `action` is not a column 0..cols-1, or the column is full.
        """
        mover, mask, status = state
        if status != PLAYING or type(action) is not int or not 0 <= action < self.cols:
            action = self._check_action(state, action)  # slow path: errors, numpy/torch integers
        if mask & self._top[action]:
            raise SearchlabError(f"column {action} is full; legal actions are {self.legal_actions(state)}")
        new_mask = mask | (mask + self._bottom[action])  # the carry lands on the column's lowest empty cell
        if self.has_four(mover | (new_mask ^ mask)):
            status = WON
        elif new_mask == self._full:
            status = DRAWN
        return (mover ^ mask, new_mask, status)  # the opponent's stones are the next mover's

    def _check_action(self, state: State, action) -> int:
        if state[2] != PLAYING:
            outcomes = {1.0: "X (player 0) has won", -1.0: "O (player 1) has won", 0.0: "it is a draw"}
            outcome = outcomes[self.returns(state)]
            raise SearchlabError(f"the game is over ({outcome}); no action is legal")
        if isinstance(action, bool) or not hasattr(action, "__index__") or not 0 <= operator.index(action) < self.cols:
            raise SearchlabError(f"action {action!r} is not a column; legal actions are {self.legal_actions(state)}")
        return operator.index(action)

    def random_rollout(self, state: State, rng: random.Random | np.random.Generator) -> float:
        """Play uniformly random moves from `state` to the end of the game, on ints only.

        The same game as repeated `apply(state, rng.choice(legal_actions(state)))`, several
        times faster because it builds no tuples; MCTS uses it for its rollouts.

        Args:
            state: any state (a finished one returns its result at once).
            rng: a `random.Random` (fastest); a numpy Generator seeds one from itself.

        Returns:
            The final `returns`: +1.0 if player 0 wins, -1.0 if player 1 wins, 0.0 for a draw.
        """
        if state[2] != PLAYING:
            return self.returns(state)
        if isinstance(rng, np.random.Generator):
            rng = random.Random(int(rng.integers(2**63)))
        mover, mask, _ = state
        draw_float, legal, top_row, bottom, full = rng.random, self._legal, self._top_row, self._bottom, self._full
        up, right = 1, self.rows + 1  # bit steps to the next cell of a line
        down_right, up_right = right - 1, right + 1
        up2, right2, down_right2, up_right2 = 2 * up, 2 * right, 2 * down_right, 2 * up_right
        player = mask.bit_count() & 1
        while True:  # `has_four` inlined: the call costs about 10% of a rollout
            columns = legal[mask & top_row]
            new_mask = mask | (mask + bottom[columns[int(draw_float() * len(columns))]])
            stones = mover | (new_mask ^ mask)
            pairs = stones & (stones >> up)
            if pairs & (pairs >> up2):
                return -1.0 if player else 1.0
            pairs = stones & (stones >> right)
            if pairs & (pairs >> right2):
                return -1.0 if player else 1.0
            pairs = stones & (stones >> down_right)
            if pairs & (pairs >> down_right2):
                return -1.0 if player else 1.0
            pairs = stones & (stones >> up_right)
            if pairs & (pairs >> up_right2):
                return -1.0 if player else 1.0
            if new_mask == full:
                return 0.0
            mover, mask, player = mover ^ mask, new_mask, player ^ 1

    # ---- network input and symmetries ----------------------------------------------

    def player_bits(self, state: State) -> tuple[int, int]:
        """The stones of player 0 and of player 1, as bitboards."""
        mover, mask, _ = state
        return (mover, mask ^ mover) if mask.bit_count() & 1 == 0 else (mask ^ mover, mover)

    def observation(self, state: State) -> np.ndarray:
        """Planes of 0/1, float32, shape (2, rows, cols): the mover's stones, then the opponent's; row 0 is the top."""
        mover, mask, _ = state
        out = np.empty((2, self.rows, self.cols), dtype=np.float32)
        for plane, bits in enumerate((mover, mask ^ mover)):
            # 9x10 bits at most fit 16 bytes; unpack them all, then pick each cell's bit.
            flat = np.unpackbits(np.frombuffer(bits.to_bytes(16, "little"), dtype=np.uint8), bitorder="little")
            out[plane] = flat[self._cell_bits]  # (rows, cols)
        return out

    def transform_action(self, action: int, symmetry: int) -> int:
        """Where column `action` goes under symmetry 0 (identity) or 1 (left-right mirror)."""
        self._check_symmetry(symmetry)
        return self.cols - 1 - action if symmetry else action

    def transform_state(self, state: State, symmetry: int) -> State:
        """The board under symmetry 0 (identity) or 1 (left-right mirror); the player to move and status stay."""
        self._check_symmetry(symmetry)
        if not symmetry:
            return state
        mover, mask, status = state
        return (self._mirror(mover), self._mirror(mask), status)

    def _mirror(self, bits: int) -> int:
        height, column = self.rows + 1, (1 << (self.rows + 1)) - 1
        return sum(((bits >> (c * height)) & column) << ((self.cols - 1 - c) * height) for c in range(self.cols))

    def _check_symmetry(self, symmetry: int) -> None:
        if symmetry not in (0, 1):
            raise SearchlabError(f"symmetry must be 0 (identity) or 1 (mirror), got {symmetry!r}")

    # ---- text -----------------------------------------------------------------------

    def render(self, state: State) -> str:
        """`rows` lines of `cols` symbols, top row first: 'X' player 0, 'O' player 1, '.' empty."""
        first, second = self.player_bits(state)
        lines = []
        for bit_row in self._cell_bits.tolist():
            lines.append("".join("X" if first >> b & 1 else "O" if second >> b & 1 else "." for b in bit_row))
        return "\n".join(lines)

    def state_from_string(self, text: str) -> State:
        """Inverse of `render`: rows*cols symbols from 'XO.' (whitespace ignored), top row first.

        Raises:
            SearchlabError: wrong count or symbol, a stone above an empty cell, stone counts that
                play cannot reach (X has as many stones as O or one more), or fours that no single
                last move could have made.
        """
        symbols = [c for c in text.upper() if not c.isspace()]
        size = self.rows * self.cols
        if len(symbols) != size or any(c not in "XO." for c in symbols):
            raise SearchlabError(f"a {self.rows}x{self.cols} board is {size} symbols from X, O and '.', got {text!r}")
        bits = [0, 0]
        for index, symbol in enumerate(symbols):
            if symbol != ".":
                bits[SYMBOLS.index(symbol)] |= 1 << int(self._cell_bits.flat[index])
        mask = bits[0] | bits[1]
        for c in range(self.cols):
            column = (mask >> (c * (self.rows + 1))) & ((1 << self.rows) - 1)
            if column & (column + 1):  # a filled column is 0b0..01..1
                raise SearchlabError(f"column {c} has a stone above an empty cell; stones fall to the bottom")
        x_count, o_count = bits[0].bit_count(), bits[1].bit_count()
        if x_count - o_count not in (0, 1):
            raise SearchlabError(
                f"X moves first, so X has as many stones as O or one more; got X {x_count}, O {o_count}"
            )
        to_move = x_count - o_count  # 0: X to move, 1: O to move
        last = 1 - to_move  # the player who made the last move
        if self.has_four(bits[to_move]):
            raise SearchlabError(f"{SYMBOLS[to_move]} has four in a row but {SYMBOLS[last]} moved after it")
        if self.has_four(bits[last]) and not any(
            (bits[last] >> b & 1) and not self.has_four(bits[last] ^ (1 << b)) for b in self._column_tops(mask)
        ):
            raise SearchlabError(f"{SYMBOLS[last]}'s fours cannot all come from its last move")
        status = WON if self.has_four(bits[last]) else DRAWN if mask == self._full else PLAYING
        return (bits[to_move], mask, status)

    def _column_tops(self, mask: int) -> list[int]:
        """Bit index of the highest stone of every non-empty column."""
        height = self.rows + 1
        tops = []
        for c in range(self.cols):
            column = (mask >> (c * height)) & ((1 << self.rows) - 1)
            if column:
                tops.append(c * height + column.bit_length() - 1)
        return tops

    def moves_from_string(self, moves: str) -> State:
        """The state after playing `moves`, 1-based column digits from the left: "4453" is columns 3, 3, 4, 2.

        Raises:
            SearchlabError: a symbol that is not a column digit, a full column, or a move after the game ended.
        """
        if not isinstance(moves, str):
            raise SearchlabError(f"moves are a string of column digits such as '4453', got {moves!r}")
        state = self.initial_state()
        for number, digit in enumerate(moves.strip(), start=1):
            if not ("1" <= digit <= str(self.cols)):
                raise SearchlabError(f"move {number} of {moves!r} is {digit!r}; moves are column digits 1..{self.cols}")
            try:
                state = self.apply(state, int(digit) - 1)
            except SearchlabError as error:
                raise SearchlabError(f"move {number} of {moves!r} ({digit}) is illegal: {error}") from None
        return state

    def __str__(self) -> str:
        return f"Connect Four ({self.rows} rows x {self.cols} columns, X moves first)"
