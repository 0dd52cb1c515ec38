"""The runner: everything between an experiment and a person running it.

- `config`: settings from command-line text or Python values, and config.json back.
- `runs`: one run into one run folder (checks first, then config.json ... result.json), and --resume.
- `tour`: every experiment in essay order into one folder, and its report.
- `grid`, `sweep`: an experiment over a grid of settings and seeds (the engine is `searchlab.core.trials`).
- `describe`: what `searchlab list` and `searchlab run NAME --help` print.
- `api`: `searchlab.run` and `searchlab.load_run`, the same runner for notebooks and scripts.

Importing this package is light: the experiments (and torch) load when something runs.
"""
