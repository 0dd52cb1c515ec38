"""Labelled images: the bundled digits, a user's folder, and the stratified split."""

import numpy as np
import pytest
from PIL import Image

from searchlab.core.errors import SearchlabError
from searchlab.data.images import load_digits, load_image_folder, stratified_split


def write_png(path, pixels, mode="L"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, mode=mode).save(path)


def test_bundled_digits():
    digits = load_digits()
    assert digits.images.shape == (1797, 8, 8)
    assert digits.images.dtype == np.float32
    assert digits.images.min() == 0.0 and digits.images.max() == 1.0
    assert digits.label_names == tuple(str(i) for i in range(10))
    assert sorted(set(digits.labels.tolist())) == list(range(10))
    assert digits.vectors().shape == (1797, 64)
    # Row-major flattening: pixel (r, c) sits at position 8 * r + c.
    assert digits.vectors()[5, 8 * 3 + 2] == digits.images[5, 3, 2]
    assert digits.ink_is_high and digits.files is None


def test_folder_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    written = {}
    for label in ("cat", "dog", "emu"):
        for i in range(3):
            pixels = rng.integers(0, 256, size=(8, 8), dtype=np.uint8)
            write_png(tmp_path / label / f"img{i}.png", pixels)
            written[f"{label}/img{i}.png"] = (label, pixels)
    (tmp_path / "cat" / ".DS_Store").write_bytes(b"\x00junk")  # hidden files are skipped
    (tmp_path / "README.txt").write_text("top-level files are not images of any label")

    images = load_image_folder(tmp_path, size=8)

    assert images.label_names == ("cat", "dog", "emu")
    assert len(images) == 9 and images.size == 8
    assert not images.ink_is_high
    for k, name in enumerate(images.files):
        label, pixels = written[name]
        assert images.label_names[images.labels[k]] == label
        np.testing.assert_allclose(images.images[k], pixels / 255.0, atol=1e-7)


def test_numeric_label_folders_sort_as_numbers(tmp_path):
    for label in ("10", "2", "1"):
        for i in range(2):
            write_png(tmp_path / label / f"{i}.png", np.full((4, 4), 10 * i, dtype=np.uint8))
    assert load_image_folder(tmp_path, size=4).label_names == ("1", "2", "10")


def test_images_are_resized_made_gray_and_transparency_is_white(tmp_path):
    write_png(tmp_path / "big" / "a.png", np.full((32, 24), 200, dtype=np.uint8))
    rgb = np.zeros((16, 16, 3), dtype=np.uint8)
    rgb[..., 0] = 255  # pure red
    write_png(tmp_path / "color" / "red.jpg", rgb, mode="RGB")
    clear = np.zeros((8, 8, 4), dtype=np.uint8)  # fully transparent black
    write_png(tmp_path / "color" / "clear.png", clear, mode="RGBA")

    images = load_image_folder(tmp_path, size=6)

    assert images.images.shape == (3, 6, 6)
    by_file = dict(zip(images.files, images.images))
    np.testing.assert_allclose(by_file["big/a.png"], 200 / 255, atol=1e-6)
    assert abs(float(by_file["color/red.jpg"].mean()) - 0.299) < 0.03  # ITU-R 601 luma of red
    np.testing.assert_allclose(by_file["color/clear.png"], 1.0)


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        (lambda root: None, "does not exist"),
        (lambda root: root.write_text("x"), "is a file, not a folder"),
        (lambda root: root.mkdir(), "holds nothing"),
        (lambda root: write_png(root / "a.png", np.zeros((4, 4), np.uint8)), "1 files but no subfolders"),
        (lambda root: write_png(root / "only" / "a.png", np.zeros((4, 4), np.uint8)), "at least two labels"),
    ],
)
def test_bad_folders(tmp_path, setup, words):
    root = tmp_path / "images"
    setup(root)
    with pytest.raises(SearchlabError, match=words):
        load_image_folder(root)


def test_bad_label_folders(tmp_path):
    write_png(tmp_path / "a" / "1.png", np.zeros((4, 4), np.uint8))
    (tmp_path / "b").mkdir()
    with pytest.raises(SearchlabError, match=r"label folder .*b holds no images"):
        load_image_folder(tmp_path)
    write_png(tmp_path / "b" / "nested" / "1.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(SearchlabError, match="holds a folder"):
        load_image_folder(tmp_path)


def test_a_file_that_is_not_an_image_is_named(tmp_path):
    write_png(tmp_path / "a" / "1.png", np.zeros((4, 4), np.uint8))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "notes.txt").write_text("not an image")
    with pytest.raises(SearchlabError, match=r"notes\.txt is not an image"):
        load_image_folder(tmp_path)
    (tmp_path / "b" / "notes.txt").unlink()
    (tmp_path / "b" / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)  # a broken PNG
    with pytest.raises(SearchlabError, match=r"cut\.png is"):
        load_image_folder(tmp_path)


def test_stratified_split_keeps_label_shares_and_is_seeded():
    labels = np.repeat(np.arange(4), [40, 20, 20, 20])
    train, test = stratified_split(labels, 0.25, seed=3)
    assert len(test) == 25 and len(train) == 75
    assert set(train).isdisjoint(test) and sorted(np.concatenate([train, test])) == list(range(100))
    assert np.bincount(labels[test]).tolist() == [10, 5, 5, 5]
    again = stratified_split(labels, 0.25, seed=3)
    assert np.array_equal(again[0], train) and np.array_equal(again[1], test)
    other = stratified_split(labels, 0.25, seed=4)
    assert not np.array_equal(other[1], test)


def test_stratified_split_refuses_too_few_examples():
    with pytest.raises(SearchlabError, match="label b has only 1 image"):
        stratified_split(np.array([0, 0, 0, 1]), 0.5, seed=0, label_names=("a", "b"))
    with pytest.raises(SearchlabError, match="too few to split"):
        stratified_split(np.array([0, 0, 1, 1, 2, 2, 3, 3]), 0.2, seed=0)
