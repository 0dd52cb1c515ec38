"""The hybrid experiment's numbers turned into figures, tables and prose (numbers in, words and pictures out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from searchlab.experiments.base import RunContext
    from searchlab.experiments.hybrid import Config

NAMES = {
    "random": "random mover",
    "network": "network alone",
    "uct": "search alone (UCT, random playouts)",
    "puct": "network + search (PUCT)",
}
SHORT = {"random": "random", "network": "network", "uct": "UCT", "puct": "PUCT"}
COLOURS = {"random": "#999999", "network": "#1b9e77", "uct": "#d95f02", "puct": "#7570b3"}
GAME_WORDS = {"tictactoe": "Tic-Tac-Toe", "connect4-small": "Connect Four on a 4x5 board"}
METRICS = (
    ("optimal_fraction", "share of positions where the move is optimal"),
    ("losses_vs_perfect", "share of games lost to the perfect player"),
)


def _rows(numbers: dict, method: str) -> list[dict]:
    return sorted((r for r in numbers["ablation"] if r["method"] == method), key=lambda r: r["simulations"])


def _ablation_figure(numbers: dict, context: RunContext) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, (key, label) in zip(axes, METRICS):
        for method in ("uct", "puct"):
            rows = _rows(numbers, method)
            ax.plot(
                [r["simulations"] for r in rows],
                [r[key] for r in rows],
                "o-",
                color=COLOURS[method],
                label=NAMES[method],
            )
        for method, style in (("network", "--"), ("random", ":")):
            ax.axhline(_rows(numbers, method)[0][key], color=COLOURS[method], linestyle=style, label=NAMES[method])
        ax.set_xscale("log", base=2)
        counts = [r["simulations"] for r in _rows(numbers, "uct")]
        ax.set_xticks(counts, [f"{n:,}" for n in counts])
        ax.minorticks_off()
        ax.set_xlabel("search simulations per move")
        ax.set_ylabel(label)
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
    axes[0].set_title(f"Optimal moves on {numbers['positions']} fixed positions", fontsize=10)
    axes[1].set_title(f"Losses in {numbers['ablation'][0]['games']} games against perfect play", fontsize=10)
    axes[0].legend(fontsize=8, loc="lower right")
    figure.suptitle(f"{GAME_WORDS[numbers['game']]}: what the network and the search each contribute", fontsize=11)
    figure.tight_layout()
    return context.figure(figure, "ablation.png")


def _training_figure(numbers: dict, context: RunContext) -> str:
    import matplotlib.pyplot as plt

    rows = numbers["training"]
    its = [r["iteration"] + 1 for r in rows]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    scores = [r["score"] for r in rows]
    left.plot(its, scores, "-", color="#7570b3", linewidth=1)
    for accepted, marker, label in ((True, "o", "accepted: becomes the current network"), (False, "x", "rejected")):
        picked = [(i, s) for i, s, r in zip(its, scores, rows) if r["accepted"] == accepted]
        if picked:
            left.plot(*zip(*picked), marker, color="#7570b3", linestyle="none", label=label)
    left.axhline(0.5, color="#999999", linestyle=":", linewidth=1)
    left.set_ylim(-0.03, 1.03)
    left.set_xlabel("iteration")
    left.set_ylabel("candidate's arena score (win 1, draw 1/2)")
    left.set_title("Arena: each new network against the current one", fontsize=10)
    left.legend(fontsize=7, loc="lower right")
    left.grid(alpha=0.3)
    right.plot(
        its, [r["policy_loss"] for r in rows], "o-", label="policy loss (cross-entropy with the search's visits)"
    )
    right.plot(its, [r["value_loss"] for r in rows], "s-", label="value loss (squared error against the game's result)")
    right.set_xlabel("iteration")
    right.set_ylabel("mean training loss")
    right.set_title("Self-play training", fontsize=10)
    right.legend(fontsize=7)
    right.grid(alpha=0.3)
    figure.tight_layout()
    return context.figure(figure, "training.png")


def _match(numbers: dict, puct_row: dict) -> str:
    """How many UCT simulations reach what PUCT does with `puct_row`'s simulations, in words."""
    reach = [r for r in _rows(numbers, "uct") if r["optimal_fraction"] >= puct_row["optimal_fraction"]]
    if not reach:
        return f"that UCT does not reach even with {_rows(numbers, 'uct')[-1]['simulations']:,} simulations"
    return f"that UCT needs {reach[0]['simulations']:,} simulations to match"


def _findings(numbers: dict) -> list[str]:
    """The two questions of the ablation, answered from the numbers."""
    net = _rows(numbers, "network")[0]
    rand = _rows(numbers, "random")[0]
    uct, puct = _rows(numbers, "uct"), _rows(numbers, "puct")
    best = max(puct, key=lambda r: r["optimal_fraction"])
    gain = puct[-1]["optimal_fraction"] - net["optimal_fraction"]
    search_adds = (
        f"Does search add to the network? The network alone picks an optimal move in {net['optimal_fraction']:.1%} of "
        f"the positions (a random mover {rand['optimal_fraction']:.1%}); guided search with "
        f"{puct[-1]['simulations']:,} simulations picks one in {puct[-1]['optimal_fraction']:.1%}, "
        + (
            f"{gain * 100:+.1f} points: the search improves on the network's best guesses, as AlphaGo's does."
            if gain > 0.005
            else f"{gain * 100:+.1f} points: on this game the network's first guess is already as good as search makes "
            "it."
        )
        + f" Against the perfect player the network alone loses {net['losses_vs_perfect']:.0%} of its games, with "
        f"search {puct[-1]['losses_vs_perfect']:.0%}."
    )
    ahead = [(u, p) for u, p in zip(uct, puct) if p["optimal_fraction"] > u["optimal_fraction"]]
    small = puct[min(2, len(puct) - 1)]
    best_words = (
        ""
        if best is small or _match(numbers, best) == _match(numbers, small)
        else f"; its best, {best['optimal_fraction']:.1%} at {best['simulations']:,}, is a level "
        f"{_match(numbers, best)}"
    )
    net_adds = (
        f"Does the network add to search at equal simulations? PUCT beats UCT on optimal moves at {len(ahead)} of "
        f"{len(uct)} simulation counts. With {small['simulations']:,} simulations PUCT reaches "
        f"{small['optimal_fraction']:.1%}, a level {_match(numbers, small)}{best_words}. Search alone at "
        f"{uct[-1]['simulations']:,} simulations reaches {uct[-1]['optimal_fraction']:.1%} and loses "
        f"{uct[-1]['losses_vs_perfect']:.0%} of its games."
    )
    return [search_adds, net_adds]


def _tables(numbers: dict) -> list[dict]:
    ablation = [
        [
            NAMES[r["method"]],
            "-" if r["method"] in ("random", "network") else f"{r['simulations']:,}",
            f"{r['optimal_fraction']:.3f}",
            f"{r['losses_vs_perfect']:.3f}",
            f"{r['seconds']:.1f}",
        ]
        for r in numbers["ablation"]
    ]
    training = [
        [
            r["iteration"] + 1,
            r["wins"],
            r["draws"],
            r["losses"],
            f"{r['score']:.2f}",
            "yes" if r["accepted"] else "no",
            f"{r['policy_loss']:.3f}",
            f"{r['value_loss']:.3f}",
            f"{r['seconds']:.1f}",
        ]
        for r in numbers["training"]
    ]
    return [
        {
            "title": f"Each mover scored against the exact solver ({numbers['positions']} positions; "
            f"{numbers['ablation'][0]['games']} games against the perfect player)",
            "columns": ["mover", "simulations", "optimal fraction", "losses vs perfect (share)", "seconds"],
            "rows": ablation,
        },
        {
            "title": "AlphaZero training: the arena of each iteration and the mean losses",
            "columns": [
                "iteration",
                "wins",
                "draws",
                "losses",
                "score",
                "accepted",
                "policy loss",
                "value loss",
                "seconds",
            ],
            "rows": training,
        },
    ]


def report(config: Config, numbers: dict, context: RunContext) -> dict[str, Any]:
    """The report section: headline, prose, figures and tables."""
    net, rand = _rows(numbers, "network")[0], _rows(numbers, "random")[0]
    uct, puct = _rows(numbers, "uct")[-1], _rows(numbers, "puct")[-1]
    accepted = sum(r["accepted"] for r in numbers["training"])
    game = GAME_WORDS[numbers["game"]]
    summary = [
        "The essay expects deep learning to be combined with hard-coded algorithms: AlphaGo's network proposes "
        "best-guess moves and a hand-written tree search improves on them. Here the same recipe is built at toy "
        f"scale on {game}: a network trained by self-play for {len(numbers['training'])} iterations ({accepted} "
        "accepted by the arena), then taken apart. The network alone, the search alone (UCT with random playouts, no "
        "network) and the two together (PUCT, the search guided by the network's move priors and position values) "
        f"choose moves on {numbers['positions']} fixed positions reached by random play, and play "
        f"{numbers['ablation'][0]['games']} games each against a perfect player; an exact solver says which moves are "
        "optimal.",
        *_findings(numbers),
        "Losses against the perfect player are a share of the games (the perfect player never loses, so a mover that "
        "plays perfectly draws every game); optimal fraction is the share of positions where the chosen move keeps "
        f"the position's exact value. Both are measured, not exact: over {numbers['positions']} positions a share has "
        f"a standard error of at most {0.5 / numbers['positions'] ** 0.5:.1%}, over {numbers['ablation'][0]['games']} "
        f"games at most {0.5 / numbers['ablation'][0]['games'] ** 0.5:.0%}, so smaller differences are noise.",
    ]
    figures = [
        {
            "path": _ablation_figure(numbers, context),
            "caption": "Each mover against the exact solver, as the search budget grows (log scale). Dashed: the "
            "network's top move with no search; dotted: a random mover. Left: share of positions where the move is "
            "optimal; right: share of games lost to the perfect player.",
        },
        {
            "path": _training_figure(numbers, context),
            "caption": "AlphaZero-style training: each iteration's new network plays the current one and replaces it "
            "if it scores well enough; the losses are the network's error against the search's move visits and the "
            "games' results.",
        },
    ]
    headline = [
        {
            "label": "optimal moves: random / network / UCT / PUCT",
            "value": f"{rand['optimal_fraction']:.3f} / {net['optimal_fraction']:.3f} / {uct['optimal_fraction']:.3f} "
            f"/ {puct['optimal_fraction']:.3f} (searches at {puct['simulations']:,} simulations)",
        },
        {
            "label": "losses vs perfect: network / UCT / PUCT",
            "value": f"{net['losses_vs_perfect']:.3f} / {uct['losses_vs_perfect']:.3f} / "
            f"{puct['losses_vs_perfect']:.3f}",
        },
        {"label": "network iterations accepted", "value": f"{accepted} of {len(numbers['training'])}"},
    ]
    elo = numbers.get("elo")
    if elo:
        summary.append(_elo_words(elo))
    tables = _tables(numbers) + ([_elo_table(elo)] if elo else [])
    return {"summary": "\n".join(summary), "headline": headline, "figures": figures, "tables": tables}


def _player(name: str) -> str:
    """A rated player's name in words: "puct-16" -> "network + search (PUCT), 16 simulations"."""
    method, _, simulations = name.partition("-")
    words = {**NAMES, "perfect": "perfect player (the solver)"}.get(method, method)
    return f"{words}, {int(simulations):,} simulations" if simulations else words


def _elo_words(elo: dict) -> str:
    ratings = {row["player"]: row for row in elo["ratings"]}
    ordered = sorted(elo["ratings"], key=lambda row: -row["elo"])
    ranking = "; ".join(
        f"{_player(r['player'])} {r['elo']:.0f} [{r['ci_low']:.0f}, {r['ci_high']:.0f}]" for r in ordered
    )
    perfect = ratings.get("perfect")
    ceiling = (
        f" The perfect player is the ceiling: from a given opening nobody can do better than it, so every player "
        f"whose interval overlaps its {perfect['elo']:.0f} plays as well as can be measured with these games."
        if perfect
        else ""
    )
    return (
        f"On one rating scale: every pair of players met in {elo['games_per_pair']} games from seeded two-move "
        "openings (each opening with both sides), and a Bradley-Terry fit turned the results into Elo ratings, the "
        f"random mover anchored at 0, with 95% bootstrap intervals over the games: {ranking}.{ceiling}"
    )


def _elo_table(elo: dict) -> dict:
    rows = [
        [_player(r["player"]), f"{r['elo']:.0f}", f"[{r['ci_low']:.0f}, {r['ci_high']:.0f}]"]
        for r in sorted(elo["ratings"], key=lambda row: -row["elo"])
    ]
    return {
        "title": f"Elo ratings (random mover = 0; {elo['games_per_pair']} games a pair; 95% bootstrap intervals)",
        "columns": ["player", "Elo", "95% interval"],
        "rows": rows,
    }
