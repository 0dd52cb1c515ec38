"""Labelled images: scikit-learn's bundled digits, or a folder of the user's own.

Every image becomes a square grid of gray levels in [0, 1]; an experiment
flattens it into one vector of pixels. Nothing is downloaded: the digits ship
inside scikit-learn, and a user's folder is read with Pillow.

A user's folder holds one subfolder per label, named for the label:

    my_images/
      cat/  img001.png  img002.jpg ...
      dog/  photo1.png ...

Hidden files (names starting with ".", such as .DS_Store) are skipped; every
other file in a label folder must be an image Pillow can read, and a regular
file (a pipe or a device is refused before it is opened).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from searchlab.core.errors import SearchlabError
from searchlab.data.files import read_input_bytes, shown, stat_path


@dataclass(frozen=True)
class ImageSet:
    """Images with one label each.

    Attributes:
        images: (N, size, size) float32 gray levels in [0, 1].
        labels: (N,) int64 positions into `label_names`.
        label_names: the labels, in a fixed order.
        source: where the images came from, for reports.
        files: each image's path relative to the folder (None for the digits).
        ink_is_high: True when 1 means ink (digits: dark strokes on white are
            drawn with a reversed gray map); False when 1 means white, as in
            ordinary image files.
    """

    images: np.ndarray
    labels: np.ndarray
    label_names: tuple[str, ...]
    source: str
    files: tuple[str, ...] | None = None
    ink_is_high: bool = False

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def size(self) -> int:
        """Side length of every (square) image, in pixels."""
        return int(self.images.shape[1])

    def vectors(self) -> np.ndarray:
        """(N, size * size) pixel vectors, row by row: each image as one list of numbers."""
        return self.images.reshape(len(self), -1)


def load_digits() -> ImageSet:
    """scikit-learn's 1,797 bundled 8x8 handwritten digits, gray levels 0..16 scaled to [0, 1]."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    return ImageSet(
        images=images,
        labels=bunch.target.astype(np.int64),
        label_names=tuple(str(int(name)) for name in bunch.target_names),
        source="scikit-learn's bundled 8x8 handwritten digits",
        ink_is_high=True,
    )


def load_image_folder(folder: str | Path, size: int = 8) -> ImageSet:
    """Read a folder with one subfolder per label; every image becomes size x size gray levels.

    Images are converted to grayscale (transparent parts count as white),
    resized to size x size with Pillow's antialiased bilinear filter, and scaled
    from 0..255 to [0, 1]. Label folders are sorted by name (numerically when
    every name is a whole number); files within a folder by name.

    Raises:
        SearchlabError: the folder is missing or not a folder, has fewer than two
            label subfolders, a label folder holds no images or holds a
            subfolder, or a file is not a readable image (the message names it).
    """
    if size < 1:
        raise SearchlabError(f"image size must be a positive number of pixels, got {size}")
    root = Path(folder).expanduser()
    try:
        stat_path(root, "image folder")
    except SearchlabError as err:
        raise SearchlabError(f"{err}; give --images a folder with one subfolder of images per label") from None
    if not root.is_dir():
        raise SearchlabError(
            f"{shown(root)} is a file, not a folder; give --images a folder with one subfolder of images per label"
        )
    entries = _list(root)
    label_dirs = [p for p in entries if p.is_dir() and not p.name.startswith(".")]
    if not label_dirs:
        loose = [p for p in entries if p.is_file() and not p.name.startswith(".")]
        found = f"{len(loose)} files but no subfolders" if loose else "nothing"
        raise SearchlabError(
            f"{shown(root)} holds {found}; put each label's images in a subfolder named for the label "
            f"(e.g. {shown(root / 'cat')}/, {shown(root / 'dog')}/)"
        )
    if len(label_dirs) < 2:
        raise SearchlabError(
            f"{shown(root)} has only one label folder ({shown(label_dirs[0].name)}); "
            "classification needs at least two labels, each in its own subfolder"
        )
    label_dirs = _sort_labels(label_dirs)
    images: list[np.ndarray] = []
    labels: list[int] = []
    files: list[str] = []
    for position, label_dir in enumerate(label_dirs):
        entries = sorted(p for p in _list(label_dir) if not p.name.startswith("."))
        nested = [p for p in entries if p.is_dir()]
        if nested:
            raise SearchlabError(
                f"label folder {shown(label_dir)} holds a folder ({shown(nested[0].name)}); a label folder should "
                "hold image files only"
            )
        if not entries:
            raise SearchlabError(f"label folder {shown(label_dir)} holds no images; add images to it or remove it")
        for path in entries:
            images.append(_read_gray(path, size))
            labels.append(position)
            files.append(str(path.relative_to(root)))
    return ImageSet(
        images=np.stack(images),
        labels=np.asarray(labels, dtype=np.int64),
        label_names=tuple(p.name for p in label_dirs),
        source=f"image folder {root}",
        files=tuple(files),
        ink_is_high=False,
    )


def stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int, label_names: tuple[str, ...] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a seeded train/test split that keeps each label's share the same in both parts.

    Args:
        labels: (N,) label positions.
        test_fraction: share of the examples held out for testing, in (0, 1).
        seed: the split's random seed.
        label_names: names for error messages (default: the positions).

    Returns:
        (train indices, test indices), each sorted.

    Raises:
        SearchlabError: too few examples for every label to appear in both parts.
    """
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels)
    n = labels.shape[0]
    values, counts = np.unique(labels, return_counts=True)
    n_test = int(np.ceil(test_fraction * n))
    n_train = n - n_test
    smallest = int(np.argmin(counts))
    if counts[smallest] < 2:
        name = label_names[values[smallest]] if label_names else str(values[smallest])
        raise SearchlabError(
            f"label {name} has only {counts[smallest]} image; every label needs at least 2 (one to train on, one to "
            "test on); add images"
        )
    if n_test < len(values) or n_train < len(values):
        raise SearchlabError(
            f"{n} images are too few to split {test_fraction:g} / {1 - test_fraction:g} with all {len(values)} labels "
            "on both sides; "
            "add images or change --test_fraction"
        )
    train, test = train_test_split(np.arange(n), test_size=n_test, stratify=labels, random_state=int(seed) % 2**32)
    return np.sort(train), np.sort(test)


def _sort_labels(label_dirs: list[Path]) -> list[Path]:
    names = [p.name for p in label_dirs]
    if all(name.lstrip("-").isdigit() for name in names):
        return sorted(label_dirs, key=lambda p: int(p.name))
    return sorted(label_dirs, key=lambda p: p.name)


def _list(folder: Path) -> list[Path]:
    """The entries of a folder, or a one-line SearchlabError when it cannot be listed."""
    try:
        return list(folder.iterdir())
    except OSError as err:
        reason = "permission denied" if isinstance(err, PermissionError) else err.strerror
        raise SearchlabError(f"cannot list the folder {shown(folder)} ({reason}); check its permissions") from None


def _read_gray(path: Path, size: int) -> np.ndarray:
    """One image file -> (size, size) float32 gray levels in [0, 1].

    The file is read by `read_input_bytes` (a pipe, a device or a file over the
    size cap is refused before it is opened) and decoded from memory.
    """
    from PIL import Image, UnidentifiedImageError

    raw = read_input_bytes(path, "image file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter(
                "error", Image.DecompressionBombWarning
            )  # a huge image is an error, not a printed warning
            with Image.open(io.BytesIO(raw)) as image:
                image.load()
                if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                    rgba = image.convert("RGBA")
                    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                    image = Image.alpha_composite(white, rgba)
                gray = image.convert("L").resize((size, size), Image.Resampling.BILINEAR)
    except (
        Exception
    ) as err:  # Pillow raises many kinds on a damaged file (OSError, ValueError, EOFError, struct.error, ...)
        detail = " ".join(str(err).split()) or type(err).__name__
        kind = "not an image Pillow can read" if isinstance(err, UnidentifiedImageError) else f"unreadable ({detail})"
        raise SearchlabError(f"{shown(path)} is {kind}; remove it or save it as PNG or JPEG") from None
    return np.asarray(gray, dtype=np.float32) / 255.0
