"""Scenes: objects (kind, x, y) <-> fixed slots of (code, x, y), zero-padded."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchlab.core.errors import SearchlabError
from searchlab.encodings.scene import SceneEncoding, SceneObject

KINDS = ("enemy", "ally", "treasure chest")
ENCODING = SceneEncoding(KINDS, max_objects=5)

POSITIONS = st.floats(-1e6, 1e6, allow_nan=False, width=32)  # float32 values round-trip exactly
OBJECTS = st.builds(SceneObject, st.sampled_from(KINDS), POSITIONS, POSITIONS)


def test_layout_is_code_x_y_slots_with_zero_padding():
    vector = ENCODING.encode([SceneObject("ally", 1.5, -2.0), SceneObject("treasure chest", 0.0, 3.25)])
    assert vector.dtype == np.float32 and vector.shape == (15,) and ENCODING.size == 15
    assert vector.tolist() == [2, 1.5, -2.0, 3, 0.0, 3.25] + [0] * 9


@settings(max_examples=80, deadline=None)
@given(st.lists(OBJECTS, max_size=5))
def test_scenes_round_trip(objects):
    assert ENCODING.decode(ENCODING.encode(objects)) == objects


def test_positions_come_back_as_float32_values():
    [thing] = ENCODING.decode(ENCODING.encode([SceneObject("enemy", 0.1, 1 / 3)]))
    assert (thing.x, thing.y) == (float(np.float32(0.1)), float(np.float32(1 / 3)))


def test_empty_slots_anywhere_are_skipped_and_codes_are_rounded():
    vector = np.zeros(15, dtype=np.float32)
    vector[6:9] = (0.98, 4.0, 5.0)  # third slot, code close to 1
    assert ENCODING.decode(vector) == [SceneObject("enemy", 4.0, 5.0)]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: ENCODING.encode([SceneObject("enemy", 0, 0)] * 6), "6 objects but only 5 slots"),
        (lambda: ENCODING.encode([SceneObject("dragon", 0, 0)]), "unknown object kind 'dragon'"),
        (lambda: ENCODING.encode([SceneObject("ally", float("nan"), 0)]), "non-finite"),
        (lambda: ENCODING.decode(np.zeros(14)), "15 numbers"),
        (lambda: ENCODING.decode(np.array([4.0, 0, 0] + [0] * 12)), "kind code 4"),
        (lambda: SceneEncoding([], 3), "at least one object kind"),
        (lambda: SceneEncoding(["a", "a"], 3), "distinct"),
        (lambda: SceneEncoding(["a"], 0), "max_objects"),
    ],
)
def test_bad_use_is_a_clear_error(make, words):
    with pytest.raises(SearchlabError, match=words):
        make()
