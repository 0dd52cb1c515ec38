"""How many CPU threads a language model's training should use, chosen by the size of its work.

torch splits every operation of a step (matrix products, LayerNorms, softmaxes) over its intra-op
threads, and the threads meet at the end of each. A step of the default model holds a few hundred
such operations on tensors of batch x context x width = 8 x 128 x 128 floats: small enough that when
another process takes one of two cores, every operation waits for the thread that lost its core, and
the step crawls. bench/lm_throughput.py --load times the same steps alone and beside a busy process;
on 2 cores shared with other work (load average 2 to 5), the default model trained at 17,249 tokens/s
on one thread and 9,665 beside the busy process (ratio 0.56), and on two threads at 3,255 and 1,202
(0.37). The former default (4 layers, batches of 32) did no better on two: 1,987 tokens/s against
5,618 on one. So small work gets one thread; work whose operations are large enough to amortise the
threads' meetings gets every core this process may use.
"""

from __future__ import annotations

import os

# A step whose activations (batch x context x width floats) are below this runs on one thread: the
# default model's 131,072 are (and the former default's 524,288), a model of width 512 on 32 windows of
# 256 tokens (4.2 million) is not.
SMALL_STEP_ELEMENTS = 1 << 21


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity where the system reports one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def auto_threads(batch_size: int, context: int, width: int) -> int:
    """Threads for training a model of `width` on `batch_size` windows of `context` tokens: 1 for small work.

    The choice depends on the work alone (and the cores), never on the machine's load at the moment, so
    a run and its resumption use the same count.
    """
    if batch_size * context * width < SMALL_STEP_ELEMENTS:
        return 1
    return usable_cores()
