"""PLACEHOLDER, being written by a helper: the digits experiment."""

from __future__ import annotations

from dataclasses import dataclass

from searchlab.experiments.base import Experiment, RunContext


@dataclass(frozen=True)
class Config:
    seed: int = 0
    device: str = "cpu"


def prepare(config: Config) -> None:
    return None


def run(config: Config, data: None, context: RunContext) -> dict:
    raise NotImplementedError


EXPERIMENT = Experiment(name="digits", title="digits", essay_section="", config=Config, prepare=prepare, run=run)
