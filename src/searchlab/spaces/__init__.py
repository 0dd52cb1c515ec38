"""Search spaces: linear models, feedforward networks, and finite grids of either."""

from searchlab.spaces.grid import GridSpace
from searchlab.spaces.linear import LinearSpace
from searchlab.spaces.mlp import MLPSpace
from searchlab.spaces.plane import PlaneSpace

__all__ = ["GridSpace", "LinearSpace", "MLPSpace", "PlaneSpace"]
