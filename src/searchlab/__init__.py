"""searchlab: machine learning as search over programs.

The essay's four ingredients map onto four objects: a `Space` of candidate
programs, data plus a `Metric` bundled into a `Problem`, and an `Optimizer` that
searches the space. `searchlab.core.run` drives any optimizer on any problem it supports.

For notebooks and scripts, `searchlab.run(NAME, ...)` runs an experiment exactly as
`searchlab run NAME` does and `searchlab.load_run(FOLDER)` reads a run folder back;
both return a `Run` (see `searchlab.runner.api`). The experiments load when one runs.
"""

from searchlab.core.errors import SearchlabError
from searchlab.core.version import __version__
from searchlab.runner.api import Run, load_run, run

__all__ = ["Run", "SearchlabError", "__version__", "load_run", "run"]
