"""The Tic-Tac-Toe experiment's figures, drawn from its numbers (and the network it saved)."""

from __future__ import annotations

import numpy as np

from searchlab.experiments.base import RunContext
from searchlab.experiments.tictactoe import Config
from searchlab.games import TicTacToe

VARIANT_NAMES = {
    "self_play": "local search, self-play",
    "vs_perfect": "local search, vs perfect player",
    "random_search": "random search",
    "league": "local search, self-play against a league",
}
VARIANT_COLOURS = {"self_play": "#d95f02", "vs_perfect": "#1b9e77", "random_search": "#7570b3", "league": "#e7298a"}


def figures(config: Config, numbers: dict, context: RunContext) -> list[dict]:
    """Draw every figure into the run folder; returns the report's figure entries (path and caption)."""
    return _entries(config, _draw(numbers, context))


def _draw(numbers: dict, context: RunContext) -> dict[str, str]:
    """Draw every figure into the run folder; returns name -> relative path."""
    paths = {
        "space": context.figure(_space_figure(numbers), "strategy_space.png"),
        "exhaustive": context.figure(_exhaustive_figure(numbers["exhaustive"]), "exhaustive.png"),
    }
    searches = {k: v for k, v in numbers["local_search"].items() if k in VARIANT_NAMES}
    if searches:
        paths["local_search"] = context.figure(
            _search_figure(searches, numbers["decision_positions"]), "local_search.png"
        )
    saved = numbers["neural"].get("saved")
    if saved:
        from searchlab.games.neural import NeuralStrategy
        from searchlab.games.tables import PositionIndex

        index = PositionIndex(TicTacToe())  # numbered as when the run trained the network (about a second)
        strategy = NeuralStrategy.load(context.out / saved["path"], index)
        paths["network"] = context.figure(_network_figure(index, strategy), "network_moves.png")
    return paths


def _entries(config: Config, paths: dict[str, str]) -> list[dict]:
    """The figures in the order the report shows them, each with its caption."""
    entries = [
        {
            "path": paths["space"],
            "caption": "The size of the search space, counted exactly and shown as log10. A lookup table names a move "
            "for every position where that player is to move; a game-tree strategy only for the positions its own "
            "earlier moves can lead to, but separately for every history that reaches them (the essay's "
            "description). The last pair counts the game-tree strategies that no opponent can beat.",
        },
        {
            "path": paths["exhaustive"],
            "caption": "Games needed for the full round robin from the positions of one perfect game, k empty squares "
            "before the end (exact counts; note the log scale). Green bars were played in this run, with their time "
            "on top; the dashed line is what the budget allows at the measured games per second. k = 9 is the whole "
            "game.",
        },
    ]
    if "local_search" in paths:
        entries.append(
            {
                "path": paths["local_search"],
                "caption": "Each search's current strategy, measured along the way (the searches never see these "
                "numbers, except that the vs-perfect search optimizes the left one). Left: expected losses per 1,000 "
                "games against the perfect player, half as X, half as O facing each of its nine openings, ties among "
                "optimal moves broken at random (an exact expectation, not a sample). Right: the fraction of all "
                "decision positions where the table's move keeps the minimax value."
                + (" Thin lines: single runs; thick: their mean." if config.seeds > 1 else ""),
            }
        )
    if "network" in paths:
        entries.append(
            {
                "path": paths["network"],
                "caption": "What the network trained on every position answers: the board goes in as nine numbers (X "
                "= 1, O = -1, blank = 0), nine scores come out, taken squares are masked and the rest turned into "
                "probabilities. It plays the most likely square.",
            }
        )
    return entries


# Positions that show what the network learned: the opening, the reply to the centre,
# a forced block, and the defence against a fork (O must take an edge, not a corner).
EXAMPLE_BOARDS = (
    ("...\n...\n...", "X to move: the opening"),
    ("...\n.X.\n...", "O answers the centre"),
    ("XX.\n.O.\n...", "O must block"),
    ("X..\n.O.\n..X", "O must avoid the fork"),
)


def _network_figure(index, strategy):
    import matplotlib.pyplot as plt
    import torch

    from searchlab.encodings.board import BoardVector

    game = index.game
    states = [game.state_from_string(text) for text, _ in EXAMPLE_BOARDS]
    with torch.no_grad():
        logits = strategy.space.forward(strategy.parameters.reshape(1, -1), BoardVector().encode_many(states))[0]
    fig, axes = plt.subplots(1, len(states), figsize=(2.6 * len(states), 3.0))
    for ax, state, (_, title), row in zip(axes, states, EXAMPLE_BOARDS, logits):
        i = index.id_of(state)
        legal = torch.from_numpy(index.legal[i])
        probabilities = row.masked_fill(~legal, -float("inf")).softmax(dim=0).numpy()
        grid = np.where(index.legal[i], probabilities, np.nan).reshape(3, 3)
        ax.imshow(grid, cmap="Blues", vmin=0, vmax=1)
        for square in range(9):
            r, c = divmod(square, 3)
            if state[square]:
                ax.text(
                    c, r, "X" if state[square] == 1 else "O", ha="center", va="center", fontsize=20, fontweight="bold"
                )
            else:
                p = probabilities[square]
                ax.text(c, r, f"{p:.0%}", ha="center", va="center", fontsize=9, color="white" if p > 0.5 else "black")
                if index.optimal[i, square]:
                    ax.add_patch(
                        plt.Rectangle((c - 0.46, r - 0.46), 0.92, 0.92, fill=False, edgecolor="#1b9e77", linewidth=2)
                    )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    fig.suptitle(
        "The network's move probabilities (blue), legal moves only; green boxes: the solver's optimal moves",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def _space_figure(numbers: dict):
    import matplotlib.pyplot as plt

    strategies = numbers["strategies"]
    kinds = [
        ("table_log10", "lookup tables"),
        ("tree_log10", "game-tree strategies"),
        ("never_lose_log10", "...that never lose"),
    ]
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    height = 0.38
    for row, (mark, colour) in enumerate((("X", "#1f77b4"), ("O", "#d62728"))):
        values = [strategies[mark][key] for key, _ in kinds]
        ys = [i + (row - 0.5) * height for i in range(len(kinds))]
        ax.barh(
            ys,
            values,
            height=height,
            color=colour,
            label=f"{mark} ({'moves first' if mark == 'X' else 'moves second'})",
        )
        for y, value in zip(ys, values):
            ax.text(value, y, f" 10^{value:.1f}", va="center", fontsize=8)
    ax.set_yticks(range(len(kinds)), [label for _, label in kinds])
    ax.invert_yaxis()
    ax.set_xlabel("number of strategies, log10")
    ax.set_xlim(0, max(strategies["X"]["table_log10"], strategies["O"]["table_log10"]) * 1.15)
    ax.set_title("How many Tic-Tac-Toe strategies there are (exact counts)")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def _exhaustive_figure(exhaustive: dict):
    import math

    import matplotlib.pyplot as plt

    sizes = exhaustive["game_sizes"]
    played = {row["empty_squares"]: row for row in exhaustive["rows"]}
    ks = [s["empty_squares"] for s in sizes]
    # The number of digits of the game count, on a log axis: from 1 digit to 568.
    digits = [math.floor(s["games_log10"]) + 1 for s in sizes]
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    ax.bar(ks, digits, color=["#1b9e77" if k in played else "#bbbbbb" for k in ks])
    for k, size, n in zip(ks, sizes, digits):
        games = played[k]["games"] if k in played else 0
        label = (
            f"{games:,} game{'s' if games != 1 else ''}\n{duration(played[k]['seconds'])}"
            if k in played
            else f"10^{size['games_log10']:.0f}"
        )
        ax.text(k, n * 1.08, label, ha="center", va="bottom", fontsize=7)
    budget = max(exhaustive["games_per_second"] * exhaustive["budget_seconds"], 1.0)
    ax.axhline(math.floor(math.log10(budget)) + 1, color="#444444", linestyle="--", linewidth=1)
    ax.text(
        0.6,
        (math.floor(math.log10(budget)) + 1) * 1.08,
        f"what {exhaustive['budget_seconds']:g} s allows at the measured rate",
        va="bottom",
        fontsize=8,
    )
    ax.set_yscale("log")
    ax.set_ylim(0.8, max(digits) * 4)
    ax.set_xticks(ks)
    ax.set_xlabel("empty squares k at the start of the round robin (9 = the whole game)")
    ax.set_ylabel("digits in the number of games")
    ax.set_title("Exhaustive search: every strategy against every other (green: played here)")
    return fig


def _search_figure(searches: dict, decisions: int):
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    for variant, data in searches.items():
        colour = VARIANT_COLOURS[variant]
        xs = data["evaluations"]
        for run in data["per_run_losses_vs_perfect"] if len(data["per_run_losses_vs_perfect"]) > 1 else []:
            left.plot(xs, run, color=colour, alpha=0.3, linewidth=0.8)
        left.plot(xs, data["losses_vs_perfect"], color=colour, linewidth=2, label=VARIANT_NAMES[variant])
        right.plot(xs, data["optimal_fraction"], color=colour, linewidth=2, label=VARIANT_NAMES[variant])
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("evaluations (candidate strategies scored)")
        ax.grid(alpha=0.3)
    left.set_ylabel("losses per 1,000 games vs the perfect player")
    left.set_ylim(bottom=0)
    left.legend(fontsize=8)
    right.set_ylabel(f"fraction of the {decisions:,} positions\nwhere its move is optimal")
    left.set_title("How often the current strategy loses to perfect play")
    right.set_title("How much of the table is perfect play")
    fig.tight_layout()
    return fig


def duration(seconds: float) -> str:
    """A measured time in words: under 1 ms, milliseconds or seconds."""
    if seconds < 0.001:
        return "under 1 ms"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"
