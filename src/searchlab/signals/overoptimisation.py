"""Over-optimisation, written once: push a policy harder and harder against a learned proxy, and watch the truth.

After Gao, Schulman and Hilton (2022), "Scaling laws for reward model overoptimization". A
reward model fitted on some of the rater's labels is the proxy; starting from a policy pi0
(a copy of `start`, else a behaviour clone), two arms each sweep one knob:

* **best-of-n** (knob n = 1, 2, 4, ...): keep the proxy's favourite of n samples from pi0;
  d = sqrt(log n - (n - 1) / n), the analytic distance (`gao.bon_distance`);
* **rl** (knob: policy steps): optimise the policy against the proxy; d = sqrt(KL(pi || pi0)),
  measured.

At every knob a row records the proxy's reward and the true reward of the policy there (the
task's own measures, with any numbers of its own beside them). Both arms start at the same
point: best of 1 is pi0 itself, so the rl arm's step 0 is the best-of-n row at n = 1. Each
arm is fitted with Gao et al.'s form (`gao.gao_fit`, the true reward's gain over that start
against d; None when the points allow no fit) and reports the knob where the true reward
peaked, in the shape every task returns (`result.arm`).

A task takes part through a `Study`: fitting the proxy, the best-of-n rows, the rl rows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any, Protocol

from searchlab.core.errors import SearchlabError
from searchlab.core.seeding import check_seed, spawn_seeds
from searchlab.signals import imitation
from searchlab.signals.gao import bon_distance, gao_fit
from searchlab.signals.result import arm
from searchlab.signals.task import Task

BEST_OF = tuple(2**k for k in range(11))  # 1 .. 1024


class Study(Protocol):
    """What a task gives the over-optimisation sweep.

    Attributes:
        best_of: the n of the best-of-n arm, ascending, the first 1.
    """

    best_of: Sequence[int]

    def fit_proxy(self, start: Any, seed: int) -> tuple[Any, dict]:
        """The proxy (a reward model fitted on the rater's labels, seeded by `seed`) and its fit report."""

    def best_of_n(self, start: Any, proxy: Any, seed: int) -> list[dict]:
        """One row per n of `best_of`: {"proxy", "true", ...} of the proxy's pick among n samples of `start`."""

    def push(self, start: Any, proxy: Any, seed: int) -> list[dict]:
        """Rows {"knob" (the step), "kl" (KL(pi || start)), "proxy", "true", ...} while a copy of `start` is
        optimised against `proxy`, step 0 excluded."""


def sweep_arm(rows: list[dict], kind: str) -> dict:
    """An arm (`result.arm`) from rows of {"knob", "d", "proxy", "true", ...}: the Gao fit of the true reward's
    gain over the first row against d (None when no fit converges), and the knob where the true reward peaked."""
    try:
        fit = gao_fit([r["d"] for r in rows], [r["true"] for r in rows], kind, baseline=rows[0]["true"]).as_dict()
    except SearchlabError:
        fit = None
    return arm(rows, fit, max(rows, key=lambda r: r["true"])["knob"])


def overoptimisation(task: Task, study: Study, seed: int, start: Any = None) -> dict:
    """Best-of-n and policy steps against the study's proxy, from `start` (else a behaviour clone).

    Args:
        task: the task (it clones the start when none is given, with its people's demonstrator).
        study: the task's proxy and its two ways of optimising against it.
        seed: seeds the clone, the proxy's fit, the best-of-n samples and the policy steps.
        start: the policy pi0 both arms start from (not modified).

    Returns:
        {"best_of_n": arm, "rl": arm (rows of knob, d, proxy, true and the task's own numbers; the rl rows
        also kl), "reward_model": the proxy's fit report, "seconds": wall time}.

    Raises:
        SearchlabError: a bad seed, or a best-of-n sweep that does not begin at n = 1.
    """
    began = time.perf_counter()
    if not study.best_of or study.best_of[0] != 1:
        raise SearchlabError(f"the best-of-n sweep begins at n = 1 (the start itself), got {list(study.best_of)}")
    start_seed, proxy_seed, bon_seed, rl_seed = spawn_seeds(check_seed(seed), 4)
    # pi0: a copy of `start`, so that the caller's model is left as it was (sampling may switch its mode).
    start = imitation.behaviour_cloning(task, start_seed).model if start is None else task.new_model(start_seed, start)
    proxy, report = study.fit_proxy(start, proxy_seed)
    picked = study.best_of_n(start, proxy, bon_seed)
    bon_rows = [{"knob": n, "d": float(bon_distance(n)), **row} for n, row in zip(study.best_of, picked)]
    first = {**bon_rows[0], "knob": 0, "d": 0.0, "kl": 0.0}  # best of 1 is the start itself
    rl_rows = [first] + [{**row, "d": math.sqrt(max(row["kl"], 0.0))} for row in study.push(start, proxy, rl_seed)]
    return {
        "best_of_n": sweep_arm(bon_rows, "bon"),
        "rl": sweep_arm(rl_rows, "rl"),
        "reward_model": report,
        "seconds": time.perf_counter() - began,
    }
