"""searchlab: machine learning as search over programs.

The essay's four ingredients map onto four objects: a `Space` of candidate
programs, data plus a `Metric` bundled into a `Problem`, and an `Optimizer` that
searches the space. `run` drives any optimizer on any problem it supports.
"""

from searchlab.core.errors import SearchlabError

__version__ = "0.1.0"
__all__ = ["SearchlabError", "__version__"]
