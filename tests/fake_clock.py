"""A fake clock for the round-robin sweep: its time budget then depends on game counts, not on the machine."""

from __future__ import annotations

import dataclasses
import types

from searchlab.games import roundrobin

RATE = 1e6  # games per second on the fake clock


def fake_clock(patch) -> None:
    """Every round robin takes its games / RATE seconds and nothing else takes any time (`patch`: a MonkeyPatch)."""
    real = roundrobin.round_robin

    def timed(game, root, **kwargs):
        result = real(game, root, **kwargs)
        seconds = result.games / RATE
        return dataclasses.replace(result, seconds=seconds, play_seconds=seconds, games_per_second=RATE)

    patch.setattr(roundrobin, "round_robin", timed)
    patch.setattr(roundrobin, "_probe_rate", lambda game, root: RATE)
    patch.setattr(roundrobin, "time", types.SimpleNamespace(perf_counter=lambda: 0.0))
