"""The command line: `searchlab list | run NAME | tour | report`.

Every bad input ends the same way: one line `error: ...` on stderr, exit code 2,
no traceback, and nothing already on disk overwritten.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from searchlab import __version__
from searchlab.core.errors import SearchlabError
from searchlab.core.files import check_out_folder, make_out_folder, read_json, write_json

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
TOUR_FILE = "tour.json"  # marks a tour folder and records its size and settings, for --resume


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

    sweep = commands.add_parser(
        "sweep",
        allow_abbrev=False,
        help="run an experiment over a grid of settings and seeds, trials in parallel",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Run experiment NAME once per grid point and seed (a trial), several trials at a time, and\n"
            "write each finished trial to DIR/trials/ as it ends; DIR/table.csv has one row per trial.\n"
            "Stopped in any way (Ctrl-C, kill -9), the same command with --resume runs only the\n"
            "missing trials. Settings that stay fixed are given as --KEY VALUE, as for `searchlab run`.\n\n"
            "Grid syntax (--grid KEY=VALUES, once per key; values typed like the setting):\n"
            "  lr=0.01,0.03,0.1      a list of values\n"
            "  budget=log:1000:100000:5   5 log-spaced values from LOW to HIGH (whole-number\n"
            "                        settings are rounded and repeats dropped)\n"
            "  noise=lin:0:40:3      3 evenly spaced values from LOW to HIGH: 0, 20, 40\n"
            "  widths=1,4;16,64      a setting that is itself a list: `;` separates the values"
        ),
        epilog=(
            "Example:\n"
            "  searchlab sweep regression --quick --grid lr=0.01,0.1 --grid n=log:20:200:3 --seeds 0,1\n\n"
            "Each trial runs like `searchlab run NAME` (device cpu unless --device) into\n"
            "DIR/trials/KEY/, and its numbers (result.json's, timings left out) are the table's\n"
            "columns. Exit status: 0 when at least one trial finished (failed ones are listed and\n"
            "run again by --resume), 1 when every trial failed, 2 for a bad command line."
        ),
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
    return parser


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=_seed, default=None, help="random seed, a whole number >= 0 (default: 0)")
    parser.add_argument(
        "--device", choices=("cpu", "cuda", "auto"), default=None, help="where tensors live (default: cpu)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expects a whole number >= 0, got {value}")
    return value


def _seeds(text: str) -> tuple[int, ...]:
    seeds = tuple(_seed(item.strip()) for item in text.split(",") if item.strip())
    if not seeds:
        raise argparse.ArgumentTypeError("expects comma-separated whole numbers >= 0, e.g. 0,1,2")
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"lists a seed twice in {text!r}; list each seed once")
    return seeds


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expects a whole number >= 1, got {value}")
    return value


def _temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a number >= 0, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expects a number >= 0, got {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if len(argv) >= 2 and argv[0] == "run" and not argv[1].startswith("-") and {"-h", "--help"} & set(argv[2:]):
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
        if args.command == "list":
            return cmd_list()
        if args.command == "run":
            return cmd_run(args, extra)
        if args.command == "tour":
            return cmd_tour(args)
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
        if args.command == "sweep":
            return cmd_sweep(args, extra)
        if args.command == "sample":
            return cmd_sample(args)
        return cmd_report(args)
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


# ----- list ---------------------------------------------------------------


def cmd_list() -> int:
    from searchlab.experiments import EXPERIMENTS
    from searchlab.experiments.base import config_fields
    from searchlab.optimizers import OPTIMIZERS, settings_of

    print("Experiments, in the essay's order (searchlab run NAME [--KEY VALUE ...]):")
    for experiment in EXPERIMENTS.values():
        print(f"  {experiment.name:<12} {experiment.title}  [essay: {experiment.essay_section}]")
        defaults = experiment.config()
        keys = ", ".join(f"--{name} {getattr(defaults, name)!r}" for name in config_fields(experiment.config))
        print(f"  {'':<12} settings: {keys}")
    print("\nOptimizers (each searches every problem it supports):")
    for name, cls in OPTIMIZERS.items():
        settings = ", ".join(f"{k}={v!r}" for k, v in settings_of(cls).items()) or "no settings"
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        print(f"  {name:<14} {doc}\n  {'':<14} {settings}")
    return 0


# ----- run ----------------------------------------------------------------


def experiment_help(name: str) -> str:
    """`searchlab run NAME --help`: the experiment's settings, defaults and sizes."""
    import dataclasses
    import inspect
    import textwrap

    from searchlab.experiments import get_experiment

    experiment = get_experiment(name)
    defaults = experiment.config()
    lines = [
        f"usage: searchlab run {experiment.name} [--KEY VALUE ...] [--out DIR] [--seed N] [--device cpu|cuda|auto]",
        "                     [--quick | --size full|tour|quick] [--resume] [--no-progress]",
        "",
        f"{experiment.title}",
        f"Essay section: {experiment.essay_section}",
        "",
        "Settings (defaults are the full size):",
    ]
    for field in dataclasses.fields(experiment.config):
        lines.append(f"  --{field.name} {_show(getattr(defaults, field.name))}")
    for size in ("tour", "quick"):
        changes = {**experiment.tour, **experiment.quick} if size == "quick" else dict(experiment.tour)
        shown = ", ".join(f"--{k} {_show(v)}" for k, v in changes.items()) or "the full size"
        lines.append(f"Size {size}: {shown}")
    doc = inspect.getdoc(experiment.config) or ""
    if "Attributes:" in doc:
        block = textwrap.dedent(doc.split("Attributes:", 1)[1].strip("\n")).rstrip()
        lines += ["", "What they mean:", *("  " + line for line in block.splitlines())]
    return "\n".join(lines)


def _show(value: Any) -> str:
    if isinstance(value, dict):  # a size that differs by task: "800 (tictactoe) / 1000 (arithmetic)"
        return " / ".join(f"{_show(v)} ({k})" for k, v in value.items())
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value) or "''"
    return "none" if value is None else str(value)


def _pairs(extra: list[str]) -> dict[str, str]:
    """['--lr', '0.1', '--x=temp'] -> {'lr': '0.1', 'x': 'temp'}."""
    pairs: dict[str, str] = {}
    i = 0
    while i < len(extra):
        token = extra[i]
        if not token.startswith("--") or token == "--":
            raise SearchlabError(f"unexpected argument {token!r}; settings are given as --KEY VALUE")
        if "=" in token:
            key, value = token[2:].split("=", 1)
            i += 1
        else:
            if i + 1 >= len(extra):
                raise SearchlabError(f"setting {token} needs a value, as in {token} VALUE")
            key, value = token[2:], extra[i + 1]
            i += 2
        pairs[key] = value
    return pairs


def _common_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.device is not None:
        overrides["device"] = args.device
    return overrides


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    from searchlab.experiments import get_experiment
    from searchlab.experiments.base import parse_overrides

    experiment = get_experiment(args.name)
    overrides = {**parse_overrides(experiment.config, _pairs(extra)), **_common_overrides(args)}
    size = args.size or "full"
    if args.resume:
        out = args.out or Path("runs") / experiment.name
        check_out_folder(out)
        config = _resumed_config(experiment, out, overrides)
    else:
        config = experiment.make_config(size, **overrides)
        out = args.out or _free_folder(Path("runs") / experiment.name)
        check_out_folder(out)
        if not _is_empty(out):
            raise SearchlabError(f"{out} is not empty; choose another --out, or add --resume to continue the run there")
    data = experiment.prepare(config)
    started = time.perf_counter()
    result = _execute(experiment, config, data, out, resume=args.resume, progress=not args.no_progress)
    print(f"{experiment.name}: done in {time.perf_counter() - started:.1f} s")
    for item in result.get("report", {}).get("headline", []):
        print(f"  {item['label']}: {item['value']}")
    print(f"wrote {out}/ (config.json, metrics.jsonl, result.json, figures/)")
    return 0


def _free_folder(base: Path) -> Path:
    """`base` if it is new or an empty folder, else the first of `base-2`, `base-3` ... that does not exist."""
    if not base.exists() or _is_empty(base):
        return base
    n = 2
    while (base.parent / f"{base.name}-{n}").exists():
        n += 1
    return base.parent / f"{base.name}-{n}"


def _is_empty(folder: Path) -> bool:
    """Whether `folder` is missing or an empty folder (a file, or a folder that cannot be listed, is not empty)."""
    if not folder.exists():
        return True
    try:
        return folder.is_dir() and not any(folder.iterdir())
    except OSError:
        return False


def _resumed_config(experiment, out: Path, overrides: dict[str, Any]):
    from searchlab.experiments.base import config_dict, saved_config

    config = saved_config(experiment, out)
    current = config_dict(config)
    for key, value in overrides.items():
        if current[key] != value:
            raise SearchlabError(
                f"--{key} {value!r} differs from the run being resumed ({current[key]!r}); "
                "a resumed run keeps its config: drop the setting or start a new run"
            )
    return config


def _execute(experiment, config, data, out: Path, *, resume: bool, progress: bool) -> dict:
    """Run into `out`, writing config.json first and result.json last (both atomically)."""
    from searchlab.experiments.base import RunContext, config_dict

    created = not out.exists()
    make_out_folder(out)
    try:
        if not resume:
            write_json(out / "config.json", {"experiment": experiment.name, "config": config_dict(config)})
        result = experiment.execute(config, data, RunContext(out=out, resume=resume, progress=progress))
    except SearchlabError:
        if created and not (out / "checkpoints").exists():
            shutil.rmtree(out, ignore_errors=True)
        raise
    result = {
        "experiment": experiment.name,
        "title": experiment.title,
        "essay_section": experiment.essay_section,
        **result,
    }
    write_json(out / "result.json", result)
    return result


# ----- tour ---------------------------------------------------------------


def cmd_tour(args: argparse.Namespace) -> int:
    from searchlab.experiments import EXPERIMENTS
    from searchlab.report.html import write_report

    names = _tour_names(args.only)
    overrides = _common_overrides(args)
    out = _tour_folder(args, overrides)
    # Check every experiment's config and data before spending time on any of them.
    plans = []
    for name in names:
        experiment = EXPERIMENTS[name]
        for suffix, variant in {"": {}, **experiment.variants}.items():
            config = experiment.make_config(args.size, **{**variant, **overrides})
            folder = f"{name}-{suffix}" if suffix else name
            plans.append((experiment, folder, config, experiment.prepare(config)))
    write_json(out / TOUR_FILE, {"size": args.size, "overrides": overrides})
    started = time.perf_counter()
    run_dirs = []
    for index, (experiment, folder, config, data) in enumerate(plans, start=1):
        final = out / folder
        partial = out / f".{folder}.partial"
        if args.resume and (final / "result.json").is_file() and not partial.exists():
            print(f"[{index}/{len(plans)}] {folder}: kept (already finished)")
            run_dirs.append(final)
            continue
        resume = args.resume and (partial / "config.json").is_file()
        if partial.exists() and not resume:
            shutil.rmtree(partial)
        print(f"[{index}/{len(plans)}] {folder}: {experiment.title}", flush=True)
        t0 = time.perf_counter()
        result = _execute(experiment, config, data, partial, resume=resume, progress=not args.no_progress)
        if final.exists():
            shutil.rmtree(final)
        partial.rename(final)
        run_dirs.append(final)
        for item in result.get("report", {}).get("headline", [])[:4]:
            print(f"    {item['label']}: {item['value']}")
        print(f"    ({time.perf_counter() - t0:.1f} s)", flush=True)
    index_path = write_report(out / "index.html", run_dirs, size=args.size, seconds=time.perf_counter() - started)
    print(f"tour finished in {time.perf_counter() - started:.1f} s; report: {index_path}")
    return 0


def _tour_names(only: str | None) -> list[str]:
    """The experiments to run: all of them, or those `--only` names (at least one, each once)."""
    from searchlab.experiments import EXPERIMENTS, get_experiment

    if only is None:
        return list(EXPERIMENTS)
    names = [get_experiment(n.strip()).name for n in only.split(",") if n.strip()]
    if not names:
        raise SearchlabError(
            f"--only {only!r} names no experiment; give comma-separated names, e.g. --only regression,digits "
            "(see `searchlab list`), or leave --only out to run them all"
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise SearchlabError(f"--only lists {twice[0]} twice; list each experiment once")
    return names


def _tour_folder(args: argparse.Namespace, overrides: dict[str, Any]) -> Path:
    """The tour's folder: a new or empty one; with --resume, also one that holds a tour made with the same settings.

    A folder that holds anything else (a run folder, a tour without --resume) is refused, so a tour never
    overwrites what it did not write or, unasked, what it did.
    """
    from searchlab.report.html import check_report_path

    if not args.resume:
        out = args.out or _free_folder(Path("runs") / "tour")
        check_out_folder(out)
        if not _is_empty(out):
            what = "holds a tour" if _holds_tour(out) else "is not empty"
            raise SearchlabError(f"{out} {what}; add --resume to continue the tour there, or choose another --out")
        return out
    out = args.out or Path("runs") / "tour"
    check_out_folder(out)
    if not _is_empty(out) and not _holds_tour(out):
        raise SearchlabError(
            f"{out} holds files a tour does not write, so it is no tour to resume; choose another --out"
        )
    if (out / TOUR_FILE).is_file():
        saved = _read_tour_file(out / TOUR_FILE)
        for key, value in {"size": args.size, "overrides": overrides}.items():
            if saved.get(key) != value:
                raise SearchlabError(
                    f"this tour's {key} ({json.dumps(value)}) differs from the one in {out} "
                    f"({json.dumps(saved.get(key))}); repeat the original command with --resume, or choose another --out"
                )
    check_report_path(out / "index.html")
    return out


def _holds_tour(out: Path) -> bool:
    """Whether the folder `out` holds a tour: its tour.json, or (tours written before tour.json) only what a tour writes."""
    from searchlab.experiments import EXPERIMENTS

    if (out / TOUR_FILE).is_file():
        return True
    folders = [
        f"{name}-{suffix}" if suffix else name
        for name, experiment in EXPERIMENTS.items()
        for suffix in ("", *experiment.variants)
    ]
    allowed = {"index.html", *folders, *(f".{folder}.partial" for folder in folders)}
    try:
        return all(entry.name in allowed for entry in out.iterdir())
    except OSError:
        return False


def _read_tour_file(path: Path) -> dict[str, Any]:
    saved = read_json(path, fix="delete it to resume the tour with the settings given now")
    if not isinstance(saved, dict):
        raise SearchlabError(
            f"{path} is not a tour record (not a JSON object); delete it to resume the tour with the settings given now"
        )
    return saved


# ----- sweep --------------------------------------------------------------


def cmd_sweep(args: argparse.Namespace, extra: list[str]) -> int:
    """Check the whole sweep (every grid point's config) first, then run the missing trials."""
    import functools

    from searchlab.core.files import _jsonable
    from searchlab.experiments import get_experiment
    from searchlab.experiments.base import config_fields, parse_overrides
    from searchlab.scaling.sweep import check_grid, expand, grid_points, parse_grid, pending_trials, run_sweep

    experiment = get_experiment(args.name)
    fixed = parse_overrides(experiment.config, _pairs(extra))
    if "seed" in fixed:
        raise SearchlabError("a sweep takes its seeds from --seeds 0,1,2, not --seed")
    if "device" in config_fields(experiment.config):
        fixed["device"] = args.device or fixed.get("device", "cpu")  # trials share the cores: cpu unless asked
    if not args.grid:
        raise SearchlabError("the grid is empty; give at least one --grid KEY=VALUES, e.g. --grid lr=0.01,0.1")
    grid = parse_grid(experiment.config, args.grid)
    both = sorted(set(grid) & set(fixed))
    if both:
        raise SearchlabError(f"--{both[0]} is both fixed and in the grid; give it once")
    size = args.size or "full"
    seeds = list(args.seeds)
    make_config = functools.partial(experiment.make_config, size, **fixed)
    check_grid(make_config, grid, seeds)
    experiment.prepare(make_config(**grid_points(grid)[0], seed=seeds[0]))  # the user's files, checked before writing
    spec = json.loads(
        json.dumps(
            {"experiment": experiment.name, "size": size, "grid": grid, "seeds": seeds, "overrides": fixed},
            default=_jsonable,
        )
    )
    if args.resume:
        out = args.out or Path("runs") / f"sweep-{experiment.name}"
        check_out_folder(out)
        _check_resumed_spec(out, spec)
    else:
        out = args.out or _free_folder(Path("runs") / f"sweep-{experiment.name}")
        check_out_folder(out)
        if not _is_empty(out):
            raise SearchlabError(
                f"{out} is not empty; add --resume to continue the sweep there, or choose another --out"
            )
        write_json(out / "sweep.json", spec)

    trials = expand(grid, seeds)
    todo = pending_trials(trials, out)
    print(
        f"sweep {experiment.name}: {len(trials)} trials ({len(trials) // len(seeds)} grid points x {len(seeds)} seeds), "
        f"{len(trials) - len(todo)} already done, {len(todo)} to run ({args.backend})",
        flush=True,
    )
    started = time.perf_counter()
    trial_fn = functools.partial(_sweep_trial, experiment.name, size, fixed)
    rows = run_sweep(
        trial_fn,
        trials,
        out,
        backend=args.backend,
        workers=args.workers,
        address=args.address,
        progress=not args.no_progress,
    )
    print(f"ran {len(todo)} trials in {time.perf_counter() - started:.1f} s")
    _print_sweep_table(rows, list(grid))
    failed = [row for row in rows if row["status"] != "done"]
    if failed:
        print(
            f"{len(failed)} of {len(rows)} trials failed (errors in {out}/trials/KEY.json); "
            "the same command with --resume runs them again"
        )
    print(f"wrote {out}/ (sweep.json, trials/, table.csv)")
    return 1 if rows and len(failed) == len(rows) else 0


def _check_resumed_spec(out: Path, spec: dict) -> None:
    from searchlab.scaling.sweep import read_spec

    saved = read_spec(out)
    for key in spec:
        if saved.get(key) != spec[key]:
            raise SearchlabError(
                f"this sweep's {key} ({json.dumps(spec[key])}) differs from the one in {out} ({json.dumps(saved.get(key))}); "
                "repeat the original command with --resume, or choose another --out"
            )


def _sweep_trial(name: str, size: str, fixed: dict[str, Any], params: dict, seed: int, folder: Path) -> dict:
    """One trial: `searchlab run NAME` with the grid point and seed into `folder`; its numbers, flattened."""
    from searchlab.experiments import get_experiment

    experiment = get_experiment(name)
    config = experiment.make_config(size, **fixed, **params, seed=seed)
    result = _execute(experiment, config, experiment.prepare(config), folder, resume=False, progress=False)
    return _numbers(result)


def _numbers(result: dict, prefix: str = "") -> dict[str, Any]:
    """Numbers and booleans of a result, nested keys joined with dots.

    Text, lists and the "report" section are left out, and so are timings (keys
    naming seconds): they differ from run to run, and a trial's result must not.
    """
    flat: dict[str, Any] = {}
    for key, value in result.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name != "report":
            flat.update(_numbers(value, f"{name}."))
        elif isinstance(value, (bool, int, float)) and "seconds" not in key:
            flat[name] = value
    return flat


def _print_sweep_table(rows: list[dict], params: list[str]) -> None:
    """Params, seed, status and two headline numbers: ones that vary across trials, losses and accuracies first."""
    numbers = [c for c in dict.fromkeys(k for row in rows for k in row) if c not in (*params, "seed", "status")]
    varying = [c for c in numbers if len({repr(row.get(c)) for row in rows}) > 1]
    scores = [c for c in varying if any(word in c.rsplit(".", 1)[-1] for word in ("loss", "accuracy"))]
    columns = [*params, "seed", "status", *list(dict.fromkeys(scores + varying + numbers))[:2]]
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    for line in [columns, *cells]:
        print("  " + "  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip())


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return _show(value) if value is not None else "-"


# ----- report -------------------------------------------------------------


def cmd_sample(args: argparse.Namespace) -> int:
    """Print the model's continuation of the prompt as it is drawn."""
    from searchlab.experiments.charlm import MODEL_FOLDER, speak
    from searchlab.lm import load_model

    folder = args.run / "checkpoints" / MODEL_FOLDER if (args.run / "checkpoints" / MODEL_FOLDER).is_dir() else args.run
    if not folder.is_dir():
        raise SearchlabError(f"{args.run} is not a folder; pass the folder of a `searchlab run charlm` run")
    model, vocab = load_model(folder)
    vocab.encode(args.prompt)  # a character the model cannot read is an error before anything is printed
    sys.stdout.write(args.prompt)
    for piece in speak(model, vocab, args.prompt, args.chars, args.temperature, args.seed):
        sys.stdout.write(piece)
        sys.stdout.flush()
    sys.stdout.write("\n")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from searchlab.report.html import check_report_path, write_report

    check_report_path(args.out)  # a folder, an unwritable path or a file that is not a report: refused first
    for folder in args.runs:
        if not (folder / "result.json").is_file():
            raise SearchlabError(f"{folder} is not a finished run folder (no result.json)")
    path = write_report(args.out, args.runs)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
