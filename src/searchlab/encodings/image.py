"""Images and short videos as lists of numbers, and back.

An image becomes its pixels in row-major order, each as three numbers (red, green, blue)
scaled from 0..255 to 0..1: a float32 vector of length H * W * 3 plus the shape
(H, W, 3) needed to put it back together. Any file Pillow reads is accepted; grey,
palette and CMYK images are converted to RGB first, and an alpha channel is dropped.
Decoding multiplies by 255 and rounds, so an 8-bit RGB image round-trips exactly.

A video is a series of such images: `encode_gif` gives one row per frame, shape
(T, H * W * 3), plus each frame's duration in milliseconds. GIF stores at most 256
colours per frame and durations in hundredths of a second, so `decode_gif` round-trips
exactly only for frames with few colours and durations that are multiples of 10 ms;
Pillow also merges consecutive identical frames into one (adding their durations).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence, UnidentifiedImageError

from searchlab.core.errors import SearchlabError

Shape = tuple[int, int, int]  # (height, width, 3)


def _open(source: str | Path | Image.Image) -> Image.Image:
    """A path or an open image -> a loaded Pillow image."""
    if isinstance(source, Image.Image):
        return source
    path = Path(source)
    if not path.is_file():
        raise SearchlabError(f"no image file at {str(path)!r}; check the path")
    try:
        image = Image.open(io.BytesIO(path.read_bytes()))  # from memory: no file handle left open
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise SearchlabError(
            f"cannot read {str(path)!r} as an image ({type(error).__name__}); give a PNG, JPEG, GIF or other file "
            "Pillow reads"
        ) from None
    return image


def _pixels(image: Image.Image) -> tuple[np.ndarray, Shape]:
    """One Pillow image -> (H * W * 3,) float32 in [0, 1] and (H, W, 3)."""
    array = np.asarray(image.convert("RGB"), dtype=np.uint8)  # (H, W, 3)
    return (array.astype(np.float32) / 255.0).reshape(-1), tuple(array.shape)


def _check_shape(shape: Sequence[int]) -> Shape:
    shape = tuple(int(n) for n in shape)
    if len(shape) != 3 or shape[2] != 3 or shape[0] < 1 or shape[1] < 1:
        raise SearchlabError(f"an image shape is (height, width, 3) with positive sizes, got {shape}")
    return shape


def _to_image(vector: np.ndarray, shape: Shape) -> Image.Image:
    """(H * W * 3,) numbers in [0, 1] -> an RGB image (values outside [0, 1] are clipped)."""
    vector = np.asarray(vector, dtype=np.float64).reshape(-1)
    if vector.size != shape[0] * shape[1] * 3:
        raise SearchlabError(f"an image of shape {shape} has {shape[0] * shape[1] * 3} numbers, got {vector.size}")
    array = np.clip(np.rint(vector * 255.0), 0, 255).astype(np.uint8).reshape(shape)
    return Image.fromarray(array)  # uint8 (H, W, 3) is RGB


def encode_image(source: str | Path | Image.Image) -> tuple[np.ndarray, Shape]:
    """An image file or Pillow image -> (pixel vector of length H * W * 3, float32 in [0, 1]; shape (H, W, 3)).

    Raises:
        SearchlabError: a missing file or one Pillow cannot read.
    """
    return _pixels(_open(source))


def decode_image(vector: np.ndarray, shape: Sequence[int]) -> Image.Image:
    """A pixel vector and its (H, W, 3) shape -> an RGB Pillow image (x 255, rounded, clipped to 0..255).

    Raises:
        SearchlabError: a shape that is not (H, W, 3) or does not match the vector's length.
    """
    return _to_image(vector, _check_shape(shape))


def encode_gif(source: str | Path | Image.Image) -> tuple[np.ndarray, Shape, list[int]]:
    """An animated (or still) image -> (frames (T, H * W * 3) float32, shape (H, W, 3), durations in ms).

    Each frame is the full picture as shown at that moment (Pillow composites partial
    frames). A frame without a stored duration gets 0.

    Raises:
        SearchlabError: a missing file or one Pillow cannot read.
    """
    image = _open(source)
    rows, durations = [], []
    shape: Shape | None = None
    for frame in ImageSequence.Iterator(image):
        row, shape = _pixels(frame)
        rows.append(row)
        durations.append(int(frame.info.get("duration", 0)))
    return np.stack(rows), shape, durations


def decode_gif(
    frames: np.ndarray, shape: Sequence[int], path: str | Path, durations: Sequence[int] | int = 100
) -> Path:
    """Frames (T, H * W * 3) in [0, 1] -> an animated GIF written to `path` that loops forever.

    Args:
        frames: one pixel vector per row.
        shape: (H, W, 3) of every frame.
        path: where to write the GIF.
        durations: milliseconds per frame, one number for all or one per frame (GIF keeps 10 ms steps).

    Returns:
        The path written.

    Raises:
        SearchlabError: no frames, a bad shape, or a durations list of the wrong length.
    """
    shape = _check_shape(shape)
    frames = np.asarray(frames)
    if frames.ndim != 2 or frames.shape[0] == 0:
        raise SearchlabError(f"frames are a (T, H * W * 3) array with T >= 1, got shape {frames.shape}")
    if isinstance(durations, (int, np.integer)):
        durations = [int(durations)] * frames.shape[0]
    durations = [int(d) for d in durations]
    if len(durations) != frames.shape[0]:
        raise SearchlabError(f"give one duration per frame: {frames.shape[0]} frames but {len(durations)} durations")
    images = [_to_image(row, shape) for row in frames]
    path = Path(path)
    try:
        images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0)
    except OSError as error:
        raise SearchlabError(f"cannot write the GIF to {str(path)!r}: {error}") from None
    return path
