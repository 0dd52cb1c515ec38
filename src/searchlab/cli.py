"""The command line: `searchlab list | run | tour | sweep | play | sample | report`; it parses and dispatches.

The runner (`searchlab.runner`) does the work. Every bad input ends the same way: one line `error: ...`
on stderr, exit code 2, no traceback, and nothing already on disk overwritten.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from searchlab.core.errors import SearchlabError
from searchlab.core.version import __version__
from searchlab.runner.config import settings_text
from searchlab.runner.describe import SWEEP_DESCRIPTION, SWEEP_EPILOG

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, but usage mistakes end in one `error:` line and exit 2."""

    def error(self, message: str) -> NoReturn:
        raise SearchlabError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="searchlab",
        allow_abbrev=False,
        description=(
            "Machine learning as search over programs. Each experiment picks a search space, "
            "data, a metric and an optimizer, runs the search, and measures what it found."
        ),
        epilog="Examples:\n  searchlab list\n  searchlab run regression --optimizers least_squares,gradient\n"
        "  searchlab run digits --epochs 20 --out runs/digits-short\n  searchlab tour --quick",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"searchlab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # No abbreviations: `--n 50` is the experiment's setting n, not short for --no-progress.

    commands.add_parser("list", allow_abbrev=False, help="list the experiments (in essay order) and the optimizers")
    _add_run(commands)
    _add_tour(commands)
    _add_play(commands)
    _add_sample(commands)
    _add_sweep(commands)
    _add_report(commands)
    return parser


def _add_run(commands) -> None:
    run = commands.add_parser(
        "run",
        allow_abbrev=False,
        help="run one experiment into a run folder",
        description=(
            "Run one experiment at its full size (or --quick / --size tour) and write a run folder: "
            "config.json, metrics.jsonl, result.json, figures/ and checkpoints/. Any config setting "
            "can be given as --KEY VALUE; `searchlab list` shows them."
        ),
    )
    run.add_argument("name", help="experiment name (see `searchlab list`)")
    _add_common(run)
    run.add_argument("--out", type=Path, help="run folder (default: runs/NAME, or runs/NAME-2 ... if taken)")
    run.add_argument("--resume", action="store_true", help="continue the interrupted run in --out (default runs/NAME)")
    size = run.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_const", const="quick", dest="size", help="CI-sized budget (seconds)")
    size.add_argument("--size", choices=("full", "tour", "quick"), default="full", help="budget size (default: full)")


def _add_tour(commands) -> None:
    tour = commands.add_parser(
        "tour",
        allow_abbrev=False,
        help="run every experiment in essay order and write an HTML report",
        description="Run every experiment in essay order at the tour budget and write DIR/index.html.",
    )
    _add_common(tour)
    tour.add_argument(
        "--out",
        type=Path,
        help="tour folder (default: runs/tour, or runs/tour-2 ... if taken; with --resume runs/tour)",
    )
    tour.add_argument(
        "--resume",
        action="store_true",
        help="continue the tour in --out: keep finished experiments and continue interrupted ones",
    )
    tour_size = tour.add_mutually_exclusive_group()
    tour_size.add_argument(
        "--quick", action="store_const", const="quick", dest="size", default="tour", help="CI-sized, under 5 minutes"
    )
    tour_size.add_argument(
        "--full", action="store_const", const="full", dest="size", help="every experiment at full size"
    )
    tour.add_argument("--only", help="comma-separated experiment names to include (default: all)")


def _add_play(commands) -> None:
    play = commands.add_parser(
        "play",
        allow_abbrev=False,
        help="play Tic-Tac-Toe or Connect Four in the terminal against a computer player",
        description="Play one game: in Tic-Tac-Toe type a square number (1-9, row by row), in Connect Four a column "
        "number (1-7, left to right) on your turn.",
    )
    play.add_argument(
        "game",
        choices=("tictactoe", "connect4", "connect4-small"),
        help="the game: tictactoe, connect4 (6 rows x 7 columns) or connect4-small (4 x 5)",
    )
    play.add_argument(
        "--against",
        choices=("solver", "random", "local", "net", "mcts", "az"),
        default=None,
        help="tictactoe: the perfect minimax player (default), random moves, the strategy local search found, "
        "or the network trained to imitate the solver; connect4: mcts, tree search with random playouts "
        "(default), or az, an AlphaZero network guiding the search",
    )
    play.add_argument(
        "--run",
        type=Path,
        default=None,
        help="tictactoe: a `searchlab run tictactoe` folder to take the local/net player from "
        "(default: runs/tictactoe or runs/tour/tictactoe); connect4: a `searchlab run hybrid` folder "
        "whose network fits the board (default: runs/hybrid or runs/tour/hybrid); with none, a small "
        "player is made on the spot",
    )
    play.add_argument(
        "--simulations",
        type=_positive,
        default=None,
        help="connect4 only: search simulations per computer move (default: 2000 for mcts, 200 for az)",
    )
    play.add_argument(
        "--as", dest="side", choices=("X", "O"), default="X", help="your side; X moves first (default: X)"
    )
    play.add_argument("--seed", type=_seed, default=0, help="seeds the opponent's choices among equal moves")


def _add_sample(commands) -> None:
    sample = commands.add_parser(
        "sample",
        allow_abbrev=False,
        help="let a trained language model write, one character (or subword) at a time",
        description="Stream text from the model of a `searchlab run charlm` run, printed as each piece is drawn.",
    )
    sample.add_argument("--run", type=Path, required=True, help="a charlm run folder (or its checkpoints/model folder)")
    sample.add_argument("--prompt", default="The ", help="text to continue (default: 'The ')")
    sample.add_argument("--chars", type=_seed, default=500, help="characters to write (default: 500)")
    sample.add_argument(
        "--temperature",
        type=_temperature,
        default=0.8,
        help="0 picks the likeliest piece; higher is more random (default: 0.8)",
    )
    sample.add_argument("--seed", type=_seed, default=0, help="seeds the draws (default: 0)")


def _add_sweep(commands) -> None:
    sweep = commands.add_parser(
        "sweep",
        allow_abbrev=False,
        help="run an experiment over a grid of settings and seeds, trials in parallel",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=SWEEP_DESCRIPTION,
        epilog=SWEEP_EPILOG,
    )
    sweep.add_argument("name", help="experiment name (see `searchlab list`)")
    sweep.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=VALUES",
        help="a setting and its values, e.g. lr=0.01,0.1 or budget=log:1000:100000:5 (repeat per key)",
    )
    sweep.add_argument(
        "--seeds", type=_seeds, default=(0,), help="comma-separated seeds, each trial runs once per seed (default: 0)"
    )
    sweep_size = sweep.add_mutually_exclusive_group()
    sweep_size.add_argument(
        "--quick", action="store_const", const="quick", dest="size", help="CI-sized budget per trial"
    )
    sweep_size.add_argument(
        "--size", choices=("full", "tour", "quick"), default="full", help="budget size per trial (default: full)"
    )
    sweep.add_argument("--workers", type=_positive, default=None, help="trials at once (default: the usable CPU cores)")
    sweep.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="local processes (default) or a Ray cluster (needs pip install 'searchlab[ray]')",
    )
    sweep.add_argument("--address", default=None, help="an existing Ray cluster's address (default: start a local Ray)")
    sweep.add_argument(
        "--device", choices=("cpu", "cuda", "auto"), default=None, help="where each trial's tensors live (default: cpu)"
    )
    sweep.add_argument(
        "--out", type=Path, help="sweep folder (default: runs/sweep-NAME, or runs/sweep-NAME-2 ... if taken)"
    )
    sweep.add_argument(
        "--resume",
        action="store_true",
        help="run the missing trials of the sweep in --out (same NAME, grid, seeds and settings)",
    )
    sweep.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _add_report(commands) -> None:
    report = commands.add_parser(
        "report", allow_abbrev=False, help="(re)write the HTML report from existing run folders"
    )
    report.add_argument("runs", nargs="+", type=Path, help="run folders, in the order to show them")
    report.add_argument(
        "--out",
        type=Path,
        default=Path("runs/report.html"),
        help="HTML file to write (default: runs/report.html); an existing file is replaced only if searchlab wrote it",
    )


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=_seed, default=None, help="random seed, a whole number >= 0 (default: 0)")
    parser.add_argument(
        "--device", choices=("cpu", "cuda", "auto"), default=None, help="where tensors live (default: cpu)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _whole_number(minimum: int):
    """An argparse type: a whole number >= `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expects a whole number >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expects a whole number >= {minimum}, got {value}")
        return value

    return parse


_seed = _whole_number(0)
_positive = _whole_number(1)


def _seeds(text: str) -> tuple[int, ...]:
    seeds = tuple(_seed(item.strip()) for item in text.split(",") if item.strip())
    if not seeds:
        raise argparse.ArgumentTypeError("expects comma-separated whole numbers >= 0, e.g. 0,1,2")
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"lists a seed twice in {text!r}; list each seed once")
    return seeds


def _temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a number >= 0, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expects a number >= 0, got {value}")
    return value


def _common_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """--seed and --device, where given: settings of every experiment."""
    return {key: getattr(args, key) for key in ("seed", "device") if getattr(args, key) is not None}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if len(argv) >= 2 and argv[0] == "run" and not argv[1].startswith("-") and {"-h", "--help"} & set(argv[2:]):
            from searchlab.runner.describe import experiment_help

            print(experiment_help(argv[1]))
            return 0
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if args.command is None:
            if extra:
                raise SearchlabError(f"unrecognised arguments: {' '.join(extra)} (see `searchlab --help`)")
            parser.print_help()
            return 0
        if args.command not in ("run", "sweep") and extra:
            raise SearchlabError(f"unrecognised arguments: {' '.join(extra)} (see `searchlab {args.command} --help`)")
        return _dispatch(args, extra)
    except SearchlabError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("\ninterrupted; continue where it stopped with the same command and --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`searchlab list | head`): stop quietly, as other tools do.
        sys.stdout = None
        return 0


def _dispatch(args: argparse.Namespace, extra: list[str]) -> int:
    if args.command == "list":
        from searchlab.runner.describe import listing

        print(listing())
        return 0
    if args.command == "play":
        from searchlab.games.play_connect4 import play_game

        play_game(
            args.game,
            args.against,
            args.side,
            args.seed,
            sys.stdin,
            sys.stdout,
            run=args.run,
            simulations=args.simulations,
        )
        return 0
    commands = {"run": cmd_run, "tour": cmd_tour, "sweep": cmd_sweep, "sample": cmd_sample, "report": cmd_report}
    return commands[args.command](args, extra)


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    from searchlab.experiments import get_experiment
    from searchlab.runner.config import parse_overrides
    from searchlab.runner.runs import execute_plan, plan_run

    experiment = get_experiment(args.name)
    overrides = {**parse_overrides(experiment.config, settings_text(extra)), **_common_overrides(args)}
    plan = plan_run(experiment, overrides, size=args.size or "full", out=args.out, resume=args.resume)
    started = time.perf_counter()
    result = execute_plan(plan, progress=not args.no_progress)
    print(f"{experiment.name}: done in {time.perf_counter() - started:.1f} s")
    for item in result.get("report", {}).get("headline", []):
        print(f"  {item['label']}: {item['value']}")
    print(f"wrote {plan.out}/ (config.json, metrics.jsonl, result.json, figures/)")
    return 0


def cmd_tour(args: argparse.Namespace, extra: list[str]) -> int:
    from searchlab.runner.tour import run_tour, tour_folder, tour_names

    names = tour_names(args.only)
    overrides = _common_overrides(args)
    out = tour_folder(args.out, resume=args.resume, size=args.size, overrides=overrides)
    run_tour(names, size=args.size, overrides=overrides, out=out, resume=args.resume, progress=not args.no_progress)
    return 0


def cmd_sweep(args: argparse.Namespace, extra: list[str]) -> int:
    """Check the whole sweep (every grid point's config) first, then run the missing trials."""
    from searchlab.experiments import get_experiment
    from searchlab.runner.config import parse_overrides
    from searchlab.runner.sweep import plan_sweep, run_planned_sweep

    experiment = get_experiment(args.name)
    fixed = parse_overrides(experiment.config, settings_text(extra))
    plan = plan_sweep(
        experiment,
        fixed,
        args.grid,
        seeds=list(args.seeds),
        size=args.size or "full",
        device=args.device,
        out=args.out,
        resume=args.resume,
    )
    rows = run_planned_sweep(
        plan, backend=args.backend, workers=args.workers, address=args.address, progress=not args.no_progress
    )
    return 1 if rows and all(row["status"] != "done" for row in rows) else 0  # every trial failed


def cmd_sample(args: argparse.Namespace, extra: list[str]) -> int:
    from searchlab.runner.sample import write_sample

    write_sample(args.run, args.prompt, args.chars, args.temperature, args.seed, sys.stdout)
    return 0


def cmd_report(args: argparse.Namespace, extra: list[str]) -> int:
    from searchlab.runner.tour import report_runs

    print(f"wrote {report_runs(args.out, args.runs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
