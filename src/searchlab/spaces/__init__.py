"""Search spaces: linear models, feedforward networks, finite grids of either, lookup tables, any torch module."""

from searchlab.spaces.grid import GridSpace
from searchlab.spaces.linear import LinearSpace
from searchlab.spaces.mlp import MLPSpace
from searchlab.spaces.module import ModuleSpace
from searchlab.spaces.plane import PlaneSpace
from searchlab.spaces.tables import TableSpace

__all__ = ["GridSpace", "LinearSpace", "MLPSpace", "ModuleSpace", "PlaneSpace", "TableSpace"]
