"""Interruptions on purpose, at a chosen point, so that resume can be tested without timing.

A test (or a person checking the resume promise by hand) sets the environment
variable ``SEARCHLAB_INTERRUPT_AT`` to ``POINT:COUNT`` or ``POINT:COUNT:kill``:

- ``step:120`` raises ``KeyboardInterrupt`` right after step 120 of a search has
  been recorded, exactly what a Ctrl-C arriving then would raise;
- ``trial:2:kill`` kills the process with SIGKILL right after a sweep has written
  its second finished trial, as ``kill -9`` would: nothing gets to tidy up.

The points the package offers are listed in `POINTS`; the code calls `reached`
at each of them with how many times the point has been reached so far.
Without the variable, `reached` does nothing.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "SEARCHLAB_INTERRUPT_AT"

POINTS = {
    "step": "a search step finished and recorded (core.loop.run, lm.train, games.neural; COUNT is the step)",
    "iteration": "an AlphaZero iteration finished and checkpointed (COUNT is the iteration, from 1)",
    "trial": "a sweep wrote a finished trial to disk (COUNT counts this process's trials, from 1)",
    "checkpoint": "a checkpoint's tensors are on disk, its latest.json not yet replaced (COUNT: saves so far)",
}
MODES = ("interrupt", "kill")


def reached(point: str, count: int) -> None:
    """Interrupt here if ``SEARCHLAB_INTERRUPT_AT`` names this point and count.

    Raises:
        KeyboardInterrupt: the variable asks for an interruption here.
        ValueError: the variable is malformed (a programming or test error, not user input).
    """
    text = os.environ.get(VARIABLE)
    if not text:
        return
    wanted, at, mode = parse(text)
    if wanted != point or at != count:
        return
    if mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise KeyboardInterrupt(f"{VARIABLE}={text}")


def parse(text: str) -> tuple[str, int, str]:
    """``"step:120"`` -> ``("step", 120, "interrupt")``; ``"trial:2:kill"`` -> ``("trial", 2, "kill")``."""
    parts = text.strip().split(":")
    if len(parts) not in (2, 3) or parts[0] not in POINTS or not parts[1].isdigit():
        raise ValueError(f"{VARIABLE}={text!r}: expected POINT:COUNT[:kill] with POINT one of {', '.join(POINTS)}")
    mode = parts[2] if len(parts) == 3 else "interrupt"
    if mode not in MODES:
        raise ValueError(f"{VARIABLE}={text!r}: the third part must be 'kill' (or be left out for a Ctrl-C)")
    return parts[0], int(parts[1]), mode
