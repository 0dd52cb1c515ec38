"""Animated GIFs: render a matplotlib figure frame by frame and write the frames atomically.

`render_frames(figure, update, count)` calls `update(i)` to change the figure
for frame i and grabs the pixels; `write_gif(path, frames)` writes them with
Pillow. All frames share one palette (taken from the last frame, which shows
the most), so colours do not flicker and the file stays small.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from searchlab.core.errors import SearchlabError
from searchlab.core.files import atomic_write

PALETTE_COLORS = 128


def render_frames(
    figure: Figure, update: Callable[[int], None], count: int, *, dpi: float | None = None
) -> list[Image.Image]:
    """Draw `count` frames of `figure`: for each i, `update(i)` then a snapshot (RGB images)."""
    if dpi is not None:
        figure.set_dpi(dpi)
    frames = []
    for i in range(count):
        update(i)
        figure.canvas.draw()
        rgba = np.asarray(figure.canvas.buffer_rgba())  # (H, W, 4) uint8
        frames.append(Image.fromarray(rgba[..., :3].copy()))
    return frames


def write_gif(
    path: str | Path, frames: Sequence[Image.Image], *, seconds_per_frame: float = 0.15, last_frame_seconds: float = 1.5
) -> Path:
    """Write `frames` as a looping GIF at `path`, atomically; the last frame is held longer.

    Consecutive frames must differ (Pillow merges identical ones into one longer
    frame); a changing step counter in each frame is enough.

    Raises:
        SearchlabError: no frames, or frames of different sizes.
    """
    if not frames:
        raise SearchlabError("an animation needs at least one frame")
    sizes = {frame.size for frame in frames}
    if len(sizes) != 1:
        raise SearchlabError(f"all frames of an animation must have one size, got {sorted(sizes)}")
    palette = frames[-1].convert("RGB").quantize(colors=PALETTE_COLORS, method=Image.Quantize.MEDIANCUT)
    indexed = [frame.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    durations = [round(1000 * seconds_per_frame)] * len(indexed)
    durations[-1] = round(1000 * max(seconds_per_frame, last_frame_seconds))

    def write(tmp: Path) -> None:
        indexed[0].save(
            tmp, format="GIF", save_all=True, append_images=indexed[1:], duration=durations, loop=0, optimize=False
        )

    return atomic_write(path, write)
