"""Scaling: sweeps of trials over a grid of settings, and the laws fitted to what they measure.

- `sweep`: run a grid of trials in parallel (local processes or a Ray cluster),
  each written atomically, resumable after any interruption.
- `laws`: Kaplan's L(N, D) and the Chinchilla form, fitted with scipy.
- `tasks`: the trials the scaling experiment runs (a teacher-student MLP task and
  the character language model at small sizes).
"""
