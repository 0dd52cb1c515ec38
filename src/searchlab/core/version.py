"""The package version, where every layer may read it (the report stamps its pages with it)."""

__version__ = "0.1.0"
