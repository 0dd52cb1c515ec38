"""Search spaces: linear models, feedforward networks, finite grids of either, and any torch module."""

from searchlab.spaces.grid import GridSpace
from searchlab.spaces.linear import LinearSpace
from searchlab.spaces.mlp import MLPSpace
from searchlab.spaces.module import ModuleSpace
from searchlab.spaces.plane import PlaneSpace

__all__ = ["GridSpace", "LinearSpace", "MLPSpace", "ModuleSpace", "PlaneSpace"]
