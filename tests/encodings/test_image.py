"""Images and GIF videos: pixel vectors with their shape, exact round trips, clear errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp
from PIL import Image

from searchlab.core.errors import SearchlabError
from searchlab.encodings.image import decode_gif, decode_image, encode_gif, encode_image

PALETTE = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [10, 20, 250], [255, 255, 255]], dtype=np.uint8)


@settings(max_examples=30, deadline=None)
@given(
    hnp.arrays(np.uint8, hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=9).map(lambda s: (*s[:2], 3)))
)
def test_any_8bit_rgb_image_round_trips(pixels):
    vector, shape = encode_image(Image.fromarray(pixels))
    assert vector.dtype == np.float32 and vector.shape == (pixels.size,)
    assert shape == pixels.shape
    assert 0.0 <= vector.min() and vector.max() <= 1.0
    assert np.array_equal(np.asarray(decode_image(vector, shape)), pixels)


def test_files_in_other_modes_become_rgb(tmp_path):
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    Image.fromarray(grey).save(tmp_path / "grey.png")
    vector, shape = encode_image(tmp_path / "grey.png")
    assert shape == (3, 4, 3)
    pixels = np.asarray(decode_image(vector, shape))
    assert np.array_equal(pixels, np.stack([grey] * 3, axis=-1))
    # Pixel order is row-major: the second number triple is pixel (row 0, column 1).
    assert vector[3:6].tolist() == pytest.approx([20 / 255] * 3)


def test_png_file_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "x.png")
    vector, shape = encode_image(str(tmp_path / "x.png"))
    decode_image(vector, shape).save(tmp_path / "y.png")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "y.png")), pixels)


def test_gif_round_trip_with_few_colours(tmp_path):
    # GIF keeps at most 256 colours per frame and 10 ms duration steps; five colours and
    # multiples of 10 ms make the round trip exact. Frames differ so none are merged.
    rng = np.random.default_rng(1)
    frames = np.stack([PALETTE[rng.integers(0, len(PALETTE), (8, 6))].reshape(-1) for _ in range(4)]) / 255.0
    durations = [100, 40, 250, 60]
    path = decode_gif(frames.astype(np.float32), (8, 6, 3), tmp_path / "clip.gif", durations)
    assert path.is_file()
    read, shape, read_durations = encode_gif(path)
    assert read.shape == (4, 8 * 6 * 3) and read.dtype == np.float32
    assert shape == (8, 6, 3)
    assert read_durations == durations
    assert np.array_equal(np.rint(read * 255), np.rint(frames * 255))


def test_a_still_image_is_a_one_frame_video(tmp_path):
    Image.fromarray(PALETTE[None, :, :]).save(tmp_path / "still.png")
    frames, shape, durations = encode_gif(tmp_path / "still.png")
    assert frames.shape == (1, 15) and shape == (1, 5, 3) and durations == [0]


def test_bad_inputs_raise(tmp_path):
    (tmp_path / "not.png").write_text("hello")
    with pytest.raises(SearchlabError, match="no image file"):
        encode_image(tmp_path / "missing.png")
    with pytest.raises(SearchlabError, match="cannot read"):
        encode_image(tmp_path / "not.png")
    with pytest.raises(SearchlabError, match="cannot read"):
        encode_gif(tmp_path / "not.png")
    with pytest.raises(SearchlabError, match=r"\(height, width, 3\)"):
        decode_image(np.zeros(12), (2, 2, 4))
    with pytest.raises(SearchlabError, match="has 12 numbers, got 11"):
        decode_image(np.zeros(11), (2, 2, 3))
    with pytest.raises(SearchlabError, match="one duration per frame"):
        decode_gif(np.zeros((2, 12)), (2, 2, 3), tmp_path / "a.gif", [10])
    with pytest.raises(SearchlabError, match="T >= 1"):
        decode_gif(np.zeros((0, 12)), (2, 2, 3), tmp_path / "a.gif")
