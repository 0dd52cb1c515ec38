"""Game scenes as a fixed-length list of numbers: each object a kind code and a position.

The essay's abstract alternative to pixels: instead of what a screen shows, list the
objects in the scene. `SceneEncoding(kinds, max_objects)` reserves `max_objects` slots
of three numbers each, ``(code, x, y)``, so every scene becomes a float32 vector of
length ``3 * max_objects``. Kind ``kinds[i]`` has code ``i + 1``; code 0 marks an empty
slot (its position is 0, 0), so a scene with fewer objects is zero-padded at the end.
Positions are stored as float32, so they round-trip exactly once cast to float32.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from searchlab.core.errors import SearchlabError

EMPTY_CODE = 0
SLOT_SIZE = 3  # code, x, y


@dataclass(frozen=True)
class SceneObject:
    """One thing in a scene: its kind (a name from the encoding's kinds) and its position."""

    kind: str
    x: float
    y: float


class SceneEncoding:
    """Lists of `SceneObject` <-> (3 * max_objects,) float32 vectors of (code, x, y) slots.

    Args:
        kinds: the names of the object kinds, coded 1, 2, ... in this order; no repeats.
        max_objects: the number of slots, at least 1.

    Raises:
        SearchlabError: no kinds, a repeated kind, or max_objects below 1.
    """

    def __init__(self, kinds: Sequence[str], max_objects: int) -> None:
        kinds = tuple(kinds)
        if not kinds:
            raise SearchlabError("a scene encoding needs at least one object kind")
        if len(set(kinds)) != len(kinds):
            raise SearchlabError(f"object kinds must be distinct, got {list(kinds)}")
        if max_objects < 1:
            raise SearchlabError(f"max_objects must be at least 1, got {max_objects}")
        self.kinds = kinds
        self.max_objects = int(max_objects)
        self.codes = {kind: code for code, kind in enumerate(kinds, start=EMPTY_CODE + 1)}

    @property
    def size(self) -> int:
        """Length of every vector: 3 * max_objects."""
        return SLOT_SIZE * self.max_objects

    def encode(self, objects: Iterable[SceneObject]) -> np.ndarray:
        """Objects -> (3 * max_objects,) float32, slots in the objects' order, empty slots all 0.

        Raises:
            SearchlabError: more objects than slots, an unknown kind, or a non-finite position.
        """
        objects = list(objects)
        if len(objects) > self.max_objects:
            raise SearchlabError(
                f"the scene has {len(objects)} objects but only {self.max_objects} slots; raise max_objects"
            )
        slots = np.zeros((self.max_objects, SLOT_SIZE), dtype=np.float32)  # (slot, code/x/y)
        for slot, thing in enumerate(objects):
            code = self.codes.get(thing.kind)
            if code is None:
                raise SearchlabError(f"unknown object kind {thing.kind!r}; the kinds are {', '.join(self.kinds)}")
            if not (np.isfinite(thing.x) and np.isfinite(thing.y)):
                raise SearchlabError(f"object {slot} ({thing.kind}) has a non-finite position ({thing.x}, {thing.y})")
            slots[slot] = (code, thing.x, thing.y)
        return slots.reshape(-1)

    def decode(self, vector: np.ndarray) -> list[SceneObject]:
        """(3 * max_objects,) vector -> the objects of its non-empty slots, in slot order.

        Codes are rounded to the nearest whole number, so a model's near-integer output
        decodes too; positions come back as Python floats of the float32 values.

        Raises:
            SearchlabError: the wrong length, or a code outside 0..len(kinds).
        """
        vector = np.asarray(vector, dtype=np.float32).reshape(-1)
        if vector.size != self.size:
            raise SearchlabError(
                f"a scene vector has {self.size} numbers ({self.max_objects} slots x 3), got {vector.size}"
            )
        objects = []
        for slot, (code, x, y) in enumerate(vector.reshape(self.max_objects, SLOT_SIZE).tolist()):
            code = round(code) if np.isfinite(code) else -1
            if code == EMPTY_CODE:
                continue
            if not 1 <= code <= len(self.kinds):
                raise SearchlabError(f"slot {slot} has kind code {code}; codes are 0 (empty) to {len(self.kinds)}")
            objects.append(SceneObject(self.kinds[code - 1], x, y))
        return objects

    def __repr__(self) -> str:
        return f"SceneEncoding(kinds={list(self.kinds)!r}, max_objects={self.max_objects})"
