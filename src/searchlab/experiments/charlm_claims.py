"""charlm's claim: a network that reads text one symbol at a time learns the text's structure.

The essay says any input, down to text, can be fed to a network one symbol at a time from a fixed
vocabulary. Reading symbols is not yet learning anything: the claim is that the trained network
predicts the next symbol better than a model that ignores every symbol before it. The context-free
reference is the order-0 unigram of the training text (each character at its training share), scored
on exactly the validation characters the model is scored on. The measure is the model's bits per
character minus the unigram's, block by block of the validation text (`searchlab.lm.blocks`), paired
by block; the claim predicts it lies below 0. The compressors' and the n-gram's bits per character
stand beside it, for scale: beating the unigram is the floor, not the ceiling.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from searchlab.core.intervals import claim_row, paired_difference

CLAIM_ID = "language_one_letter_at_a_time"


def language_claim(blocks: dict[str, list], baselines: dict[str, float], section: str) -> list[dict[str, Any]]:
    """The claim row from the per-block bits per character (`lm.blocks.block_bpc`); none without blocks.

    Args:
        blocks: {"characters", "model_bpc", "unigram_bpc"}, one entry per validation block.
        baselines: the run's bits per character of "gzip" and "ngram" (and others), for the row's baseline.
        section: the essay section.
    """
    if not blocks or not blocks.get("model_bpc"):
        return []
    characters = np.asarray(blocks["characters"], dtype=float)
    unigram = float(np.average(blocks["unigram_bpc"], weights=characters))
    scale = [f"order-0 unigram {unigram:.3f} bpc"] + [
        f"{label} {baselines[name]:.3f}"
        for name, label in (("gzip", "gzip"), ("ngram", "character 5-gram"))
        if name in baselines
    ]
    return [
        claim_row(
            CLAIM_ID,
            "A network that reads text one symbol at a time, from a fixed vocabulary, learns the text's structure: "
            "it predicts the next symbol better than a model that ignores what came before.",
            f"bits per character of the trained model minus those of the training text's order-0 unigram, on the "
            f"same characters, in {len(characters)} blocks of the validation text (about "
            f"{characters.mean():,.0f} characters each), paired by block; below 0: the model learned "
            "more than the characters' frequencies (interval over validation blocks, one training run)",
            paired_difference(blocks["model_bpc"], blocks["unigram_bpc"]),
            threshold=0.0,
            predicts="below",
            baseline="; ".join(scale),
            section=section,
            seeds=1,
        )
    ]
