"""The colours of the figures: one per optimizer, the same in every experiment's figures."""

from __future__ import annotations

OPTIMIZER_COLORS = {
    "least_squares": "#222222",
    "gradient": "#1f77b4",
    "random_search": "#ff7f0e",
    "local_search": "#2ca02c",
    "evolution": "#9467bd",
    "exhaustive": "#8c564b",
}
_EXTRA_COLORS = ("#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#d62728")


def color_of(name: str, index: int = 0) -> str:
    """The colour of optimizer `name`; unknown names take the `index`-th spare colour."""
    return OPTIMIZER_COLORS.get(name, _EXTRA_COLORS[index % len(_EXTRA_COLORS)])
