"""The digits experiment against scikit-learn's MLPClassifier, over several seeds.

Each seed runs the experiment exactly as `searchlab run digits` does (same
hidden size, epochs, batch size, learning rate, initial distribution and CPU
threads for both models, both timed around training alone). Goal: at least as
accurate on average, and no slower (ratio <= 1).

Prints one line per seed, then a JSON object as the last line:
{"ratio": median searchlab seconds / median scikit-learn seconds,
 "accuracy_difference": mean searchlab accuracy - mean scikit-learn accuracy, ...}
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from searchlab.experiments.base import RunContext
from searchlab.experiments.digits import Config, prepare, run

SEEDS = range(int(sys.argv[1]) if len(sys.argv) > 1 else 3)


def main() -> None:
    ours_acc, theirs_acc, ours_sec, theirs_sec = [], [], [], []
    for seed in SEEDS:
        config = Config(seed=seed, seeds=0)  # the bench repeats over its own seeds
        with tempfile.TemporaryDirectory() as folder:
            result = run(config, prepare(config), RunContext(out=Path(folder), progress=False))
        ours_acc.append(result["test_accuracy"])
        theirs_acc.append(result["sklearn_test_accuracy"])
        ours_sec.append(result["seconds"])
        theirs_sec.append(result["sklearn_seconds"])
        print(
            f"seed {seed}: searchlab {result['test_accuracy']:.4f} in {result['seconds']:.3f} s, "
            f"scikit-learn {result['sklearn_test_accuracy']:.4f} in {result['sklearn_seconds']:.3f} s"
        )
    print(
        json.dumps(
            {
                "ratio": round(statistics.median(ours_sec) / statistics.median(theirs_sec), 4),
                "goal": 1.0,
                "accuracy_difference": round(statistics.mean(ours_acc) - statistics.mean(theirs_acc), 4),
                "searchlab_accuracy": round(statistics.mean(ours_acc), 4),
                "sklearn_accuracy": round(statistics.mean(theirs_acc), 4),
                "searchlab_seconds": round(statistics.median(ours_sec), 4),
                "sklearn_seconds": round(statistics.median(theirs_sec), 4),
                "seeds": len(ours_acc),
                "config": {
                    "hidden": config.hidden,
                    "epochs": config.epochs,
                    "batch_size": config.batch_size,
                    "lr": config.lr,
                    "threads": config.threads,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
