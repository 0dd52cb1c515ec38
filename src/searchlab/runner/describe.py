"""What `searchlab list` and `searchlab run NAME --help` print: the experiments, their settings and sizes."""

from __future__ import annotations

import dataclasses
import inspect
import textwrap

from searchlab.runner.config import config_fields, show_value

# `searchlab sweep --help`
SWEEP_DESCRIPTION = (
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
)
SWEEP_EPILOG = (
    "Example:\n"
    "  searchlab sweep regression --quick --grid lr=0.01,0.1 --grid n=log:20:200:3 --seeds 0,1\n\n"
    "Each trial runs like `searchlab run NAME` (device cpu unless --device) into\n"
    "DIR/trials/KEY/, and its numbers (result.json's, timings left out) are the table's\n"
    "columns. Exit status: 0 when at least one trial finished (failed ones are listed and\n"
    "run again by --resume), 1 when every trial failed, 2 for a bad command line."
)


def listing() -> str:
    """The experiments in essay order with their settings, then the optimizers with theirs."""
    from searchlab.experiments import EXPERIMENTS
    from searchlab.optimizers import OPTIMIZERS, settings_of

    lines = ["Experiments, in the essay's order (searchlab run NAME [--KEY VALUE ...]):"]
    for experiment in EXPERIMENTS.values():
        lines.append(f"  {experiment.name:<12} {experiment.title}  [essay: {experiment.essay_section}]")
        defaults = experiment.config()
        keys = ", ".join(f"--{name} {getattr(defaults, name)!r}" for name in config_fields(experiment.config))
        lines.append(f"  {'':<12} settings: {keys}")
    lines.append("\nOptimizers (each searches every problem it supports):")
    for name, cls in OPTIMIZERS.items():
        settings = ", ".join(f"{k}={v!r}" for k, v in settings_of(cls).items()) or "no settings"
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        lines.append(f"  {name:<14} {doc}\n  {'':<14} {settings}")
    return "\n".join(lines)


def experiment_help(name: str) -> str:
    """`searchlab run NAME --help`: the experiment's settings, defaults and sizes.

    Raises:
        SearchlabError: no experiment is called `name`.
    """
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
        lines.append(f"  --{field.name} {show_value(getattr(defaults, field.name))}")
    for size in ("tour", "quick"):
        changes = {**experiment.tour, **experiment.quick} if size == "quick" else dict(experiment.tour)
        shown = ", ".join(f"--{k} {show_value(v)}" for k, v in changes.items()) or "the full size"
        lines.append(f"Size {size}: {shown}")
    doc = inspect.getdoc(experiment.config) or ""
    if "Attributes:" in doc:
        block = textwrap.dedent(doc.split("Attributes:", 1)[1].strip("\n")).rstrip()
        lines += ["", "What they mean:", *("  " + line for line in block.splitlines())]
    return "\n".join(lines)
