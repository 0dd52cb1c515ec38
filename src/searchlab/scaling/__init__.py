"""Scaling: the laws fitted to what sweeps of trials measure, and the trials themselves.

The trials run as a sweep (`searchlab.core.trials`: local processes or a Ray cluster,
each trial written atomically, resumable after any interruption).

- `laws`: Kaplan's L(N, D) and the Chinchilla form, fitted with scipy; `grid`: what a
  grid of trials measured, read without a law (means per cell, data to a target).
- `tasks`: the trials the scaling experiment runs (the student MLP of `student`, which
  learns from `teacher` or digits, and the character language model at small sizes),
  with the settings checks of `settings`.
"""
