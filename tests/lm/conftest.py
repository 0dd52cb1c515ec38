"""One model trained on the repetitive text, shared by the training and the sampling tests."""

from __future__ import annotations

import pytest

from lm.lm_helpers import repetitive_measures, train_repetitive


@pytest.fixture(scope="session")
def repetitive(tmp_path_factory):
    """(run folder holding checkpoints/, training result, vocab, measures) of `train_repetitive(0)`."""
    folder = tmp_path_factory.mktemp("repetitive")
    result, vocab = train_repetitive(0, checkpoint_dir=folder / "checkpoints")
    return folder, result, vocab, repetitive_measures(result, vocab)
