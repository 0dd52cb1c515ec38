"""GIFs: frames rendered from a figure, written atomically, read back frame for frame."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from searchlab.core.errors import SearchlabError
from searchlab.report.animation import render_frames, write_gif
from searchlab.report.landscape import two_weight_frames


def test_a_gif_round_trips_with_every_frame(tmp_path):
    figure, ax = plt.subplots(figsize=(3, 2))
    (line,) = ax.plot([], [])
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 100)

    def update(i: int) -> None:
        line.set_data(np.arange(i + 1), np.arange(i + 1) ** 2)
        ax.set_title(f"step {i}")

    frames = render_frames(figure, update, 12, dpi=50)
    plt.close(figure)
    path = write_gif(tmp_path / "growing.gif", frames, seconds_per_frame=0.1)
    assert [p.name for p in tmp_path.iterdir()] == ["growing.gif"]  # no temporary file left behind
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.n_frames == 12
        assert gif.size == frames[0].size


def test_a_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "kept.gif"
    path.write_bytes(b"old")
    with pytest.raises(SearchlabError):
        write_gif(path, [])
    with pytest.raises(SearchlabError):
        write_gif(path, [Image.new("RGB", (4, 4)), Image.new("RGB", (5, 4))])
    assert path.read_bytes() == b"old"


def test_two_weight_frames_show_one_step_per_frame():
    xs = ys = np.linspace(-1, 1, 9)
    surface = np.add.outer(ys**2, xs**2)
    points = np.array([[0.8, 0.8], [0.5, 0.6], [0.2, 0.1], [0.0, 0.0]])
    paths = {
        "gradient": (points, (points**2).sum(axis=1)),
        "local_search": (points[[0, 0, 2, 3]], (points[[0, 0, 2, 3]] ** 2).sum(axis=1)),
    }
    frames = two_weight_frames(xs, ys, surface, paths, names=("w(1)1,1", "w(1)2,1"), marker=(0.0, 0.0), dpi=40)
    assert len(frames) == 4
    assert len({frame.tobytes() for frame in frames}) == 4  # every frame differs, so none is merged in the GIF
