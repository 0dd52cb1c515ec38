"""The Tic-Tac-Toe experiment's figures and report prose (numbers in, words and pictures out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from searchlab.experiments.base import RunContext
    from searchlab.experiments.tictactoe import Config

VARIANT_NAMES = {
    "self_play": "local search, self-play",
    "vs_perfect": "local search, vs perfect player",
    "random_search": "random search",
}
VARIANT_COLOURS = {"self_play": "#d95f02", "vs_perfect": "#1b9e77", "random_search": "#7570b3"}
NET_NAMES = {"moves": "moves (masked softmax)", "board": "next board (9 numbers)"}


def figures(config: Config, index, numbers: dict, context: RunContext) -> dict[str, str]:
    """Draw every figure into the run folder; returns name -> relative path."""
    paths = {
        "space": context.figure(_space_figure(numbers), "strategy_space.png"),
        "exhaustive": context.figure(_exhaustive_figure(numbers["exhaustive"]), "exhaustive.png"),
    }
    searches = {k: v for k, v in numbers["local_search"].items() if k in VARIANT_NAMES}
    if searches:
        paths["local_search"] = context.figure(_search_figure(searches, index.decisions), "local_search.png")
    saved = numbers["neural"].get("saved")
    if saved:
        from searchlab.games.neural import NeuralStrategy

        strategy = NeuralStrategy.load(context.out / saved["path"], index)
        paths["network"] = context.figure(_network_figure(index, strategy), "network_moves.png")
    return paths


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
            f"{games:,} game{'s' if games != 1 else ''}\n{_duration(played[k]['seconds'])}"
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


# ----- prose and tables -------------------------------------------------------


def report(config: Config, numbers: dict, paths: dict[str, str]) -> dict[str, Any]:
    """The report section: summary, headline numbers, figures and tables."""
    exhaustive = numbers["exhaustive"]
    searches = {k: v for k, v in numbers["local_search"].items() if k in VARIANT_NAMES}
    nets = numbers["neural"]
    s = numbers["strategies"]
    value = {1.0: "a win for X", 0.0: "a draw", -1.0: "a win for O"}[numbers["value"]]

    summary = [
        f"Tic-Tac-Toe has {numbers['positions']:,} positions that legal play reaches ({numbers['positions_up_to_symmetry']:,} up to "
        f"rotations and mirror images, {numbers['terminal_positions']:,} of them finished) and {numbers['games']:,} different complete "
        f"games; with perfect play on both sides it is {value}. Those are small numbers. The space the essay proposes to search is not: "
        f"written as lookup tables (a move for every position) X has 10^{s['X']['table_log10']:.0f} strategies and O 10^{s['O']['table_log10']:.0f}; "
        f"counting only the moves a strategy can actually be asked for (the essay's opening move, counter-moves, and so on) still "
        f"leaves 10^{s['X']['tree_log10']:.0f} for X and 10^{s['O']['tree_log10']:.0f} for O, of which 10^{s['X']['never_lose_log10']:.0f} "
        f"and 10^{s['O']['never_lose_log10']:.0f} never lose.",
    ]
    rows = exhaustive["rows"]
    if rows:
        last = rows[-1]
        nxt = exhaustive["next"]
        whole = exhaustive["whole_game"]
        stop = (
            f" The next step, k = {nxt['empty_squares']}, would need 10^{nxt['games_log10']:.1f} games, "
            f"{_predicted(nxt['predicted_seconds_log10'])}."
            if nxt
            else ""
        )
        summary.append(
            f"Exhaustive search, done for real: from positions of one perfect game with k empty squares, every X strategy played every "
            f"O strategy. Within a budget of {exhaustive['budget_seconds']:g} s the largest was k = {last['empty_squares']}: "
            f"{last['strategies_x']:,} x {last['strategies_o']:,} strategies, {last['games']:,} games in {_duration(last['seconds'])}. "
            + (
                "Each time, the strategy with the best worst case guaranteed exactly the solver's minimax value: exhaustive search "
                "found optimal play."
                if exhaustive["all_optimal"]
                else "The best worst case did NOT match the solver's value at some k."
            )
            + f"{stop} At the measured {exhaustive['games_per_second']:.3g} games per second the whole game's round robin "
            f"(10^{whole['games_log10']:.0f} games) would take 10^{whole['seconds_log10']:.0f} seconds, "
            f"10^{whole['ages_of_universe_log10']:.0f} times the age of the universe."
        )
    if searches:
        finals = "; ".join(
            f"{VARIANT_NAMES[v]}: {_mean_of(d['runs'], 'final_losses_vs_perfect'):.0f}" for v, d in searches.items()
        )
        found = {
            v: [r["never_loses_after"] for r in d["runs"] if r["never_loses_after"] is not None]
            for v, d in searches.items()
        }
        if any(found.values()):
            verdict = " ".join(
                f"{VARIANT_NAMES[v]} found a strategy that never loses to perfect play in {len(f)} of "
                f"{len(searches[v]['runs'])} runs, after {min(f):,} evaluations at best."
                for v, f in found.items()
                if f
            )
        else:
            verdict = "None of them found a strategy that never loses to perfect play."
        summary.append(
            f"Local search as the essay sketches it starts from a random table and changes {config.changes} moves at a time; every run "
            f"scored {config.evaluations:,} candidate strategies. Losses per 1,000 games against perfect play at the end: {finals}. "
            f"{verdict} {_search_reading(searches)}"
        )
    if "moves" in nets:
        moves = nets["moves"]
        held = nets.get("moves_heldout")
        tail = (
            f" Trained with {config.net_holdout:.0%} of the symmetry classes held out, it picks an optimal move in "
            f"{held['optimal_fraction_heldout']:.1%} of positions it never saw and loses {held['losses_vs_perfect']:.0f} games per 1,000 "
            "to perfect play."
            if held
            else ""
        )
        board = nets.get("board")
        board_text = (
            f" Drawing the next board instead (nine numbers, decoded to the nearest legal board) gives "
            f"{board['optimal_fraction']:.2%} optimal moves and {board['losses_vs_perfect']:.0f} losses per 1,000."
            if board
            else ""
        )
        summary.append(
            f"A network that reads the board as nine numbers and imitates the solver by gradient descent ({moves['params']:,} weights, "
            f"{moves['steps']:,} Adam steps, {moves['seconds']:.1f} s) plays an optimal move in {moves['optimal_fraction']:.2%} of the "
            f"{numbers['decision_positions']:,} positions and loses {moves['losses_vs_perfect']:.0f} games per 1,000 to perfect play"
            f"{'; nothing can beat it' if not moves['can_be_beaten'] else ''}.{tail}{board_text}"
        )

    headline = [
        {
            "label": "positions (up to symmetry)",
            "value": f"{numbers['positions']:,} ({numbers['positions_up_to_symmetry']:,})",
        },
        {"label": "complete games", "value": f"{numbers['games']:,}"},
        {
            "label": "game-tree strategies X / O",
            "value": f"10^{s['X']['tree_log10']:.1f} / 10^{s['O']['tree_log10']:.1f}",
        },
    ]
    if rows:
        headline.append(
            {"label": "largest round robin", "value": f"k = {rows[-1]['empty_squares']}, {rows[-1]['games']:,} games"}
        )
    if "vs_perfect" in searches:
        data = searches["vs_perfect"]
        headline.append(
            {"label": "local search vs perfect: losses / 1,000", "value": f"{data['losses_vs_perfect'][-1]:.0f}"}
        )
    if "moves" in nets:
        headline.append({"label": "network: optimal moves", "value": f"{nets['moves']['optimal_fraction']:.2%}"})

    figures = [
        {
            "path": paths["space"],
            "caption": "The size of the search space, counted exactly and shown as log10. A lookup table names a move for "
            "every position where that player is to move; a game-tree strategy only for the positions its own earlier moves can lead to, "
            "but separately for every history that reaches them (the essay's description). The last pair counts the game-tree strategies "
            "that no opponent can beat.",
        },
        {
            "path": paths["exhaustive"],
            "caption": "Games needed for the full round robin from the positions of one perfect game, k empty squares "
            "before the end (exact counts; note the log scale). Green bars were played in this run, with their time on top; the dashed line "
            "is what the budget allows at the measured games per second. k = 9 is the whole game.",
        },
    ]
    if "local_search" in paths:
        figures.append(
            {
                "path": paths["local_search"],
                "caption": "Each search's current strategy, measured along the way (the searches "
                "never see these numbers, except that the vs-perfect search optimizes the left one). Left: expected losses per "
                "1,000 games against the perfect player, half as X, half as O facing each of its nine openings, ties among optimal "
                "moves broken at random (an exact expectation, not a sample). Right: the fraction of all decision positions where "
                "the table's move keeps the minimax value."
                + (" Thin lines: single runs; thick: their mean." if config.seeds > 1 else ""),
            }
        )

    tables = [
        {
            "title": "The game, counted",
            "columns": ["quantity", "value"],
            "rows": [
                ["reachable positions", f"{numbers['positions']:,}"],
                ["positions up to symmetry", f"{numbers['positions_up_to_symmetry']:,}"],
                ["finished positions", f"{numbers['terminal_positions']:,}"],
                ["complete games", f"{numbers['games']:,}"],
                ["value of the empty board", value],
            ],
        },
        {
            "title": "Strategies per player (log10 of exact counts)",
            "columns": ["player", "lookup tables", "game-tree strategies", "never lose"],
            "rows": [
                [
                    mark,
                    f"{s[mark]['table_log10']:.2f}",
                    f"{s[mark]['tree_log10']:.2f}",
                    f"{s[mark]['never_lose_log10']:.2f}",
                ]
                for mark in ("X", "O")
            ],
        },
    ]
    if rows:
        nxt, whole = exhaustive["next"], exhaustive["whole_game"]
        tables.append(
            {
                "title": "Exhaustive round robins from mid-game (k empty squares)",
                "columns": ["k", "position", "strategies X / O", "games", "time", "guarantee X / O", "minimax value"],
                "rows": [
                    [
                        r["empty_squares"],
                        r["position"].replace(" ", "/"),
                        f"{r['strategies_x']:,} / {r['strategies_o']:,}",
                        f"{r['games']:,}",
                        _duration(r["seconds"]),
                        f"{r['x_guarantee']:+d} / {r['o_guarantee']:+d}",
                        f"{r['value']:+g}" + ("" if r["optimal"] else " (NOT matched)"),
                    ]
                    for r in rows
                ]
                + (
                    [
                        [
                            nxt["empty_squares"],
                            "not run",
                            "",
                            f"10^{nxt['games_log10']:.1f}",
                            _predicted(nxt["predicted_seconds_log10"]),
                            "",
                            "",
                        ]
                    ]
                    if nxt
                    else []
                )
                + [
                    [
                        9,
                        "empty board, not run",
                        "",
                        f"10^{whole['games_log10']:.1f}",
                        _predicted(whole["seconds_log10"]),
                        "",
                        "",
                    ]
                ],
            }
        )
    if searches:
        runs = f"mean of {config.seeds} runs" if config.seeds > 1 else "one run"
        tables.append(
            {
                "title": f"The searches after {config.evaluations:,} evaluations ({runs}); losses per 1,000 games",
                "columns": [
                    "search",
                    "changes kept",
                    "vs perfect player",
                    "vs perfect, from every 2-move opening",
                    "vs random player",
                    "optimal moves",
                    "improving 1-move changes left",
                ],
                "rows": [_search_row(variant, data) for variant, data in searches.items()],
            }
        )
    net_rows = [_net_row(name, metrics) for name, metrics in nets.items() if name != "saved"]
    if net_rows:
        tables.append(
            {
                "title": "Networks imitating the solver: the board vector in, a move out; losses per 1,000 games",
                "columns": [
                    "output",
                    "trained on",
                    "optimal moves: all (unseen)",
                    "vs perfect player",
                    "vs random player",
                    "can be beaten",
                ],
                "rows": net_rows,
            }
        )
    if "network" in paths:
        figures.append(
            {
                "path": paths["network"],
                "caption": "What the network trained on every position answers: the board goes in as nine "
                "numbers (X = 1, O = -1, blank = 0), nine scores come out, taken squares are masked and the rest turned into "
                "probabilities. It plays the most likely square.",
            }
        )
    return {"summary": "\n".join(summary), "headline": headline, "figures": figures, "tables": tables}


def _search_reading(searches: dict) -> str:
    """One or two sentences on what the curves show, from the numbers."""
    notes = []
    if "self_play" in searches:
        curve = searches["self_play"]["losses_vs_perfect"]
        low = int(np.argmin(curve))
        later = max(curve[low:])
        if later <= curve[low]:
            turn = ""
        elif later == curve[-1]:
            turn = f" and back up to {later:.0f} by the end"
        else:
            turn = f", back up to {later:.0f}, and ended at {curve[-1]:.0f}"
        notes.append(
            f"Beating a copy of itself is a moving target: along the way the self-play strategy's losses to perfect play went "
            f"from {curve[0]:.0f} down to {curve[low]:.0f}{turn}."
        )
    if "vs_perfect" in searches:
        runs = searches["vs_perfect"]["runs"]
        stuck = sum(1 for r in runs if r["improving_one_move_changes"] == 0 and r["final_losses_vs_perfect"] > 0)
        if stuck:
            notes.append(
                f"{stuck} of {len(runs)} vs-perfect run(s) ended in a local optimum: none of its "
                f"{runs[0]['one_move_changes']:,} one-move changes loses less, though it still loses."
            )
    return " ".join(notes)


def _mean_of(runs: list[dict], key: str) -> float:
    return sum(run[key] for run in runs) / len(runs)


def _duration(seconds: float) -> str:
    if seconds < 0.001:
        return "under 1 ms"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _predicted(log10_seconds: float) -> str:
    """A predicted time, readable whether it is a minute or 10^500 years."""
    if log10_seconds < 5:
        return f"about {_duration(10**log10_seconds)}"
    return f"about 10^{log10_seconds - 7.499:.1f} years"  # log10 of a year in seconds is 7.499


def _search_row(variant: str, data: dict) -> list:
    runs = data["runs"]
    return [
        VARIANT_NAMES[variant],
        f"{_mean_of(runs, 'accepted'):.0f}",
        f"{_mean_of(runs, 'final_losses_vs_perfect'):.1f}",
        f"{_mean_of(runs, 'final_losses_vs_perfect_two_move_openings'):.1f}",
        f"{_mean_of(runs, 'final_losses_vs_random'):.1f}",
        f"{_mean_of(runs, 'final_optimal_fraction'):.1%}",
        f"{_mean_of(runs, 'improving_one_move_changes'):.0f} of {runs[0]['one_move_changes']:,}",
    ]


def _net_row(name: str, m: dict) -> list:
    output = name.replace("_heldout", "")
    held = m.get("optimal_fraction_heldout")
    trained = f"{m['train_positions']:,} of {m['train_positions'] + m['heldout_positions']:,} positions"
    optimal = f"{m['optimal_fraction']:.2%}" + (f" ({held:.1%})" if held is not None else "")
    return [
        NET_NAMES[output],
        trained,
        optimal,
        f"{m['losses_vs_perfect']:.1f}",
        f"{m['losses_vs_random']:.1f}",
        "yes" if m["can_be_beaten"] else "no",
    ]
