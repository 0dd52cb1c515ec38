"""Tic-Tac-Toe as a PettingZoo-style AEC environment (observation with action mask).

`TicTacToeEnv` wraps `TicTacToe` for users of the PettingZoo / Gymnasium ecosystem:
agents "player_1" (X, moves first) and "player_2" (O) take turns; `observe(agent)`
returns ``{"observation": (3, 3, 2) int8, "action_mask": (9,) int8}`` where channel 0
holds the observing agent's marks and channel 1 the opponent's (as in PettingZoo's
`tictactoe_v3`), indexed ``[row, col, channel]``. The action mask is all zeros for
the agent that is not to move and once the game is over.

Actions are searchlab's squares, 0..8 row-major (0 top left, 2 top right), the same
numbers as `TicTacToe.legal_actions`. Note that PettingZoo's own tictactoe numbers
squares column-major (0, 1, 2 down the left column), so the two environments use
transposed action numbers.

Rewards: +1 for the winner and -1 for the loser on the move that ends the game, 0
for a draw and on every other move. After the game ends each agent is stepped once
more with ``None`` (PettingZoo's "dead step") and removed from `agents`.

When pettingzoo is importable the class is a real `pettingzoo.AECEnv` subclass, so
`pettingzoo.test.api_test` accepts it; otherwise it is a plain class with the same
methods. gymnasium is only needed for `observation_space` / `action_space`.
Unlike PettingZoo's tictactoe, an illegal action raises `SearchlabError` rather than
ending the game with a penalty.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.games.tictactoe import MARKS, NUM_SQUARES, State, TicTacToe

try:  # a real AECEnv when pettingzoo is there; a plain object otherwise
    from pettingzoo import AECEnv as _Base

    HAVE_PETTINGZOO = True
except ImportError:  # pragma: no cover - depends on the environment
    _Base = object
    HAVE_PETTINGZOO = False

AGENTS = ("player_1", "player_2")  # player_1 is X (player 0), player_2 is O (player 1)


def _gymnasium_spaces():
    try:
        from gymnasium import spaces
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SearchlabError(
            "observation_space/action_space need gymnasium; install it with `pip install gymnasium`"
        ) from exc
    return spaces


class TicTacToeEnv(_Base):
    """AEC (agent-environment-cycle) adapter over `TicTacToe`: one agent acts per `step`."""

    metadata: ClassVar[dict] = {"render_modes": ["ansi"], "name": "searchlab_tictactoe_v0", "is_parallelizable": False}

    def __init__(self, render_mode: str | None = None):
        if render_mode not in (None, "ansi"):
            raise SearchlabError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.render_mode = render_mode
        self.game = TicTacToe()
        self.possible_agents = list(AGENTS)
        self._observation_spaces: dict[str, Any] = {}
        self._action_spaces: dict[str, Any] = {}
        self.reset()

    # ---- spaces -----------------------------------------------------------------

    def observation_space(self, agent: str):
        """gymnasium Dict space: "observation" Box(0, 1, (3, 3, 2), int8), "action_mask" Box(0, 1, (9,), int8)."""
        self._check_agent(agent)
        if agent not in self._observation_spaces:
            spaces = _gymnasium_spaces()
            self._observation_spaces[agent] = spaces.Dict(
                {
                    "observation": spaces.Box(low=0, high=1, shape=(3, 3, 2), dtype=np.int8),
                    "action_mask": spaces.Box(low=0, high=1, shape=(NUM_SQUARES,), dtype=np.int8),
                }
            )
        return self._observation_spaces[agent]

    def action_space(self, agent: str):
        """gymnasium Discrete(9): the square to mark, row-major."""
        self._check_agent(agent)
        if agent not in self._action_spaces:
            self._action_spaces[agent] = _gymnasium_spaces().Discrete(NUM_SQUARES)
        return self._action_spaces[agent]

    # ---- the cycle --------------------------------------------------------------

    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        """Empty board, player_1 (X) to move. `seed` seeds the action spaces already built (the game is not random)."""
        self._state: State = self.game.initial_state()
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos: dict[str, dict] = {agent: {} for agent in self.agents}
        self.agent_selection = self.agents[0]
        self._skip_agent_selection = None
        if seed is not None:
            for offset, space in enumerate(self._action_spaces.values()):
                space.seed(seed + offset)

    def step(self, action) -> None:
        """The selected agent marks square `action`; a finished agent must step with None.

        Raises:
            SearchlabError: the action is not legal (the message lists the legal ones), or an
                agent that is done was given an action other than None.
        """
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        legal = self.game.legal_actions(self._state)
        if (
            action is None
            or isinstance(action, bool)
            or not hasattr(action, "__index__")
            or operator.index(action) not in legal
        ):
            raise SearchlabError(f"{agent} cannot play {action!r}; legal actions are {legal}")
        self._cumulative_rewards[agent] = 0
        self._clear_rewards()
        self._state = self.game.apply(self._state, operator.index(action))
        if self.game.is_terminal(self._state):
            x_return = self.game.returns(self._state)
            self.rewards = {AGENTS[0]: int(x_return), AGENTS[1]: -int(x_return)}
            self.terminations = dict.fromkeys(self.agents, True)
        self._accumulate_rewards()
        self.agent_selection = AGENTS[self.game.current_player(self._state)]

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        """{"observation": (3, 3, 2) int8 [row, col, (mine, opponent's)], "action_mask": (9,) int8}."""
        self._check_agent(agent)
        player = AGENTS.index(agent)
        board = np.asarray(self._state, dtype=np.int8).reshape(3, 3)
        observation = np.empty((3, 3, 2), dtype=np.int8)
        observation[:, :, 0] = board == MARKS[player]
        observation[:, :, 1] = board == MARKS[1 - player]
        return {"observation": observation, "action_mask": self._mask(agent)}

    def _mask(self, agent: str) -> np.ndarray:
        mask = np.zeros(NUM_SQUARES, dtype=np.int8)
        if agent == self.agent_selection:
            mask[self.game.legal_actions(self._state)] = 1
        return mask

    def last(self, observe: bool = True):
        """(observation or None, cumulative reward, terminated, truncated, info) of the selected agent."""
        agent = self.agent_selection
        return (
            self.observe(agent) if observe else None,
            self._cumulative_rewards[agent],
            self.terminations[agent],
            self.truncations[agent],
            self.infos[agent],
        )

    def agent_iter(self, max_iter: int = 2**63) -> Iterator[str]:
        """The selected agent, until every agent is done and removed (or `max_iter` turns); step each one."""
        for _ in range(max_iter):
            if not self.agents:
                return
            yield self.agent_selection

    @property
    def num_agents(self) -> int:
        return len(self.agents)

    @property
    def max_num_agents(self) -> int:
        return len(self.possible_agents)

    @property
    def unwrapped(self) -> TicTacToeEnv:
        return self

    # ---- state and drawing ------------------------------------------------------

    @property
    def board(self) -> State:
        """The searchlab state (9-tuple, X = 1, O = -1, blank = 0)."""
        return self._state

    def state(self) -> np.ndarray:
        """The whole board as a (9,) int8 array, X = 1, O = -1, blank = 0."""
        return np.asarray(self._state, dtype=np.int8)

    def render(self) -> str:
        """The board as three lines such as 'X.O', '.' for blank."""
        return self.game.render(self._state)

    def close(self) -> None:
        """Nothing to release."""

    def __str__(self) -> str:
        return self.metadata["name"]

    # ---- bookkeeping (the same as pettingzoo.AECEnv's, so it works without it) ---

    def _check_agent(self, agent: str) -> None:
        if agent not in AGENTS:
            raise SearchlabError(f"unknown agent {agent!r}; agents are {list(AGENTS)}")

    def _clear_rewards(self) -> None:
        for agent in self.rewards:
            self.rewards[agent] = 0

    def _accumulate_rewards(self) -> None:
        for agent, reward in self.rewards.items():
            self._cumulative_rewards[agent] += reward

    def _was_dead_step(self, action) -> None:
        """Remove the finished selected agent and select the next finished one (or the skipped live one)."""
        agent = self.agent_selection
        if action is not None:
            raise SearchlabError(f"{agent} is done (the game is over); step it with None, got {action!r}")
        for table in (self.terminations, self.truncations, self.rewards, self._cumulative_rewards, self.infos):
            del table[agent]
        self.agents.remove(agent)
        dead = [a for a in self.agents if self.terminations[a] or self.truncations[a]]
        if dead:
            if self._skip_agent_selection is None:
                self._skip_agent_selection = self.agent_selection
            self.agent_selection = dead[0]
        else:
            if self._skip_agent_selection is not None:
                self.agent_selection = self._skip_agent_selection
            self._skip_agent_selection = None
        self._clear_rewards()


__all__ = ["AGENTS", "HAVE_PETTINGZOO", "TicTacToeEnv"]
