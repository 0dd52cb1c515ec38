"""The Tic-Tac-Toe experiment's report prose and tables (numbers in, words out); `tictactoe_figures` draws."""

from __future__ import annotations

from typing import Any

import numpy as np

from searchlab.core.intervals import Interval, bootstrap_interval
from searchlab.experiments.base import RunContext
from searchlab.experiments.tictactoe import Config
from searchlab.experiments.tictactoe_figures import VARIANT_NAMES, duration, figures

NET_NAMES = {"moves": "moves (masked softmax)", "board": "next board (9 numbers)"}
VALUE_WORDS = {1.0: "a win for X", 0.0: "a draw", -1.0: "a win for O"}


def report(config: Config, numbers: dict, context: RunContext) -> dict[str, Any]:
    """The report section: summary, headline numbers, figures (drawn into the run folder) and tables."""
    drawn = figures(config, numbers, context)
    searches = {k: v for k, v in numbers["local_search"].items() if k in VARIANT_NAMES}
    summary = [_space_paragraph(numbers)]
    if numbers["exhaustive"]["rows"]:
        summary.append(_exhaustive_paragraph(numbers["exhaustive"]))
    if searches:
        summary.append(_search_paragraph(config, searches))
    if "moves" in numbers["neural"]:
        summary.append(_network_paragraph(config, numbers))
    tables = [*_count_tables(numbers)]
    if numbers["exhaustive"]["rows"]:
        tables.append(_exhaustive_table(numbers["exhaustive"]))
    if searches:
        tables.append(_search_table(config, searches))
    net_rows = [_net_row(name, metrics) for name, metrics in numbers["neural"].items() if name != "saved"]
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
    return {
        "summary": "\n".join(summary),
        "headline": _headline(numbers, searches),
        "figures": drawn,
        "tables": tables,
    }


# ----- prose --------------------------------------------------------------------


def _space_paragraph(numbers: dict) -> str:
    s = numbers["strategies"]
    return (
        f"Tic-Tac-Toe has {numbers['positions']:,} positions that legal play reaches "
        f"({numbers['positions_up_to_symmetry']:,} up to rotations and mirror images, "
        f"{numbers['terminal_positions']:,} of them finished) and {numbers['games']:,} different complete games; with "
        f"perfect play on both sides it is {VALUE_WORDS[numbers['value']]}. Those are small numbers. The space the "
        "essay proposes to search is not: written as lookup tables (a move for every position) X has "
        f"10^{s['X']['table_log10']:.0f} strategies and O 10^{s['O']['table_log10']:.0f}; counting only the moves a "
        "strategy can actually be asked for (the essay's opening move, counter-moves, and so on) still leaves "
        f"10^{s['X']['tree_log10']:.0f} for X and 10^{s['O']['tree_log10']:.0f} for O, of which "
        f"10^{s['X']['never_lose_log10']:.0f} and 10^{s['O']['never_lose_log10']:.0f} never lose."
    )


def _exhaustive_paragraph(exhaustive: dict) -> str:
    last = exhaustive["rows"][-1]
    nxt = exhaustive["next"]
    whole = exhaustive["whole_game"]
    stop = (
        f" The next step, k = {nxt['empty_squares']}, would need 10^{nxt['games_log10']:.1f} games, "
        f"{_predicted(nxt['predicted_seconds_log10'])}."
        if nxt
        else ""
    )
    return (
        "Exhaustive search, done for real: from positions of one perfect game with k empty squares, every X strategy "
        f"played every O strategy. Within a budget of {exhaustive['budget_seconds']:g} s the largest was k = "
        f"{last['empty_squares']}: {last['strategies_x']:,} x {last['strategies_o']:,} strategies, {last['games']:,} "
        f"games in {duration(last['seconds'])}. "
        + (
            "Each time, the strategy with the best worst case (maximin) guaranteed exactly the solver's minimax "
            "value: exhaustive search found optimal play."
            if exhaustive["all_optimal"]
            else "The best worst case did NOT match the solver's value at some k."
        )
        + _mean_rule_sentence(exhaustive["rows"])
        + f"{stop} At the measured {exhaustive['games_per_second']:.3g} games per second the whole game's round robin "
        f"(10^{whole['games_log10']:.0f} games) would take 10^{whole['seconds_log10']:.0f} seconds, "
        f"10^{whole['ages_of_universe_log10']:.0f} times the age of the universe."
    )


def _mean_rule_sentence(rows: list[dict]) -> str:
    """What the essay's rule (keep the strategy that scores best on average) picked, beside maximin."""
    failed = [row for row in rows if not row["mean_rule_optimal"]]
    if not failed:
        return (
            " The essay's own rule, keeping the strategy with the best mean score against every opponent, "
            "picked strategies that guarantee the value too, at every k tried."
        )
    worst = failed[0]
    side = "X" if worst["mean_rule_x_worst"] < worst["value"] else "O"
    return (
        f" The essay's own rule, keeping the strategy with the best mean score against every opponent, is not "
        f"the same thing: at k = {', '.join(str(row['empty_squares']) for row in failed)} its pick for {side} "
        "scores best on average (by beating the many weak strategies) but can be beaten by a good one, so it "
        "does not guarantee the value; the report's 'best' is the maximin pick."
    )


def _search_paragraph(config: Config, searches: dict) -> str:
    finals = "; ".join(f"{VARIANT_NAMES[v]}: {_final_losses(d).text(3)}" for v, d in searches.items())
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
    return (
        f"Local search as the essay sketches it starts from a random table and changes {config.changes} moves at a "
        f"time; every run scored {config.evaluations:,} candidate strategies. Losses per 1,000 games against perfect "
        f"play at the end, median over {len(next(iter(searches.values()))['runs'])} runs [95% bootstrap interval]: "
        f"{finals}. {verdict} {_search_reading(searches)}"
    )


def _network_paragraph(config: Config, numbers: dict) -> str:
    nets = numbers["neural"]
    moves = nets["moves"]
    held = nets.get("moves_heldout")
    tail = (
        f" Trained with {config.net_holdout:.0%} of the symmetry classes held out, it picks an optimal move in "
        f"{held['optimal_fraction_heldout']:.1%} of positions it never saw and loses {held['losses_vs_perfect']:.0f} "
        "games per 1,000 to perfect play."
        if held
        else ""
    )
    board = nets.get("board")
    board_text = (
        " Drawing the next board instead (nine numbers, decoded to the nearest legal board) gives "
        f"{board['optimal_fraction']:.2%} optimal moves and {board['losses_vs_perfect']:.0f} losses per 1,000."
        if board
        else ""
    )
    return (
        "A network that reads the board as nine numbers and imitates the solver by gradient descent "
        f"({moves['params']:,} weights, {moves['steps']:,} Adam steps, {moves['seconds']:.1f} s) plays an optimal "
        f"move in {moves['optimal_fraction']:.2%} of the {numbers['decision_positions']:,} positions and loses "
        f"{moves['losses_vs_perfect']:.0f} games per 1,000 to perfect "
        f"play{'; nothing can beat it' if not moves['can_be_beaten'] else ''}.{tail}{board_text}"
    )


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
            "Beating a copy of itself is a moving target: along the way the self-play strategy's losses to perfect "
            f"play went from {curve[0]:.0f} down to {curve[low]:.0f}{turn}."
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


def _headline(numbers: dict, searches: dict) -> list[dict]:
    s = numbers["strategies"]
    rows = numbers["exhaustive"]["rows"]
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
    for variant, label in (("self_play", "self-play"), ("vs_perfect", "perfect player in the loop")):
        if variant in searches:
            headline.append(
                {
                    "label": f"local search, {label}: losses to perfect play / 1,000 (median [95% CI])",
                    "value": _final_losses(searches[variant]).text(3),
                }
            )
    if "moves" in numbers["neural"]:
        headline.append(
            {"label": "network: optimal moves", "value": f"{numbers['neural']['moves']['optimal_fraction']:.2%}"}
        )
    return headline


# ----- tables -------------------------------------------------------------------


def _count_tables(numbers: dict) -> list[dict]:
    s = numbers["strategies"]
    return [
        {
            "title": "The game, counted",
            "columns": ["quantity", "value"],
            "rows": [
                ["reachable positions", f"{numbers['positions']:,}"],
                ["positions up to symmetry", f"{numbers['positions_up_to_symmetry']:,}"],
                ["finished positions", f"{numbers['terminal_positions']:,}"],
                ["complete games", f"{numbers['games']:,}"],
                ["value of the empty board", VALUE_WORDS[numbers["value"]]],
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


def _exhaustive_table(exhaustive: dict) -> dict:
    nxt, whole = exhaustive["next"], exhaustive["whole_game"]
    played = [
        [
            r["empty_squares"],
            r["position"].replace(" ", "/"),
            f"{r['strategies_x']:,} / {r['strategies_o']:,}",
            f"{r['games']:,}",
            duration(r["seconds"]),
            f"{r['x_guarantee']:+d} / {r['o_guarantee']:+d}",
            f"{r['value']:+g}" + ("" if r["optimal"] else " (NOT matched)"),
        ]
        for r in exhaustive["rows"]
    ]
    following = (
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
    whole_row = [
        9,
        "empty board, not run",
        "",
        f"10^{whole['games_log10']:.1f}",
        _predicted(whole["seconds_log10"]),
        "",
        "",
    ]
    return {
        "title": "Exhaustive round robins from mid-game (k empty squares)",
        "columns": ["k", "position", "strategies X / O", "games", "time", "guarantee X / O", "minimax value"],
        "rows": played + following + [whole_row],
    }


def _search_table(config: Config, searches: dict) -> dict:
    runs = f"mean of {config.seeds} runs" if config.seeds > 1 else "one run"
    return {
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


def _final_losses(search: dict) -> Interval:
    """A search's losses per 1,000 games to perfect play at the end of its runs: median and bootstrap interval."""
    return bootstrap_interval([run["final_losses_vs_perfect"] for run in search["runs"]], np.median)


def _mean_of(runs: list[dict], key: str) -> float:
    return sum(run[key] for run in runs) / len(runs)


def _predicted(log10_seconds: float) -> str:
    """A predicted time, readable whether it is a minute or 10^500 years."""
    if log10_seconds < 5:
        return f"about {duration(10**log10_seconds)}"
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
