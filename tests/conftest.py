"""Suite-wide settings: a header that says which machine the numbers came from, and a clean environment."""

from __future__ import annotations

import os


def pytest_configure(config):
    # An interruption asked for by the person running the suite would break tests that do not expect it;
    # the tests that want one set it themselves.
    os.environ.pop("SEARCHLAB_INTERRUPT_AT", None)


def pytest_report_header(config):
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"torch {torch.__version__}: {torch.get_num_threads()} threads on {cores} usable core(s)"
