"""The charlm experiment's figure and report prose (numbers in, words and pictures out).

The registry attaches `report` to the experiment; this module imports the experiment, never the reverse.
"""

from __future__ import annotations

import math
from typing import Any

from searchlab.experiments.base import RunContext
from searchlab.experiments.charlm import Config

BASELINE_NAMES = {"gzip": "gzip -9", "bz2": "bzip2 -9", "xz": "xz -9e", "ngram": "character 5-gram (Kneser-Ney)"}
BASELINE_COLOURS = {"gzip": "#999999", "bz2": "#7570b3", "xz": "#d95f02", "ngram": "#e7298a"}
VOCAB_NAMES = {"corpus": "every character of the text", "essay": "the essay's 77 symbols", "bpe": "byte-pair subwords"}


def bits_per_character_factor(numbers: dict) -> float:
    """Multiply nats per token by this to get bits per character of the validation text."""
    tokens_per_character = numbers["validation_tokens"] / numbers["validation_characters"]
    return tokens_per_character / math.log(2)


def figures(config: Config, numbers: dict, context: RunContext) -> dict[str, str]:
    """Draw the learning curve with the baselines; returns name -> relative path."""
    import matplotlib.pyplot as plt

    factor = bits_per_character_factor(numbers)
    curve = numbers["curve"]
    fig, ax = plt.subplots(figsize=(8, 4))
    tokens = [row["tokens"] for row in curve]
    ax.plot(
        tokens,
        [row["train_loss"] * factor for row in curve],
        color="#1f77b4",
        alpha=0.45,
        label="model, training batches",
    )
    ax.plot(
        tokens,
        [row["validation_loss"] * factor for row in curve],
        color="#1f77b4",
        linewidth=2,
        label="model, validation text",
    )
    for name, value in numbers["baselines"].items():
        ax.axhline(
            value,
            color=BASELINE_COLOURS[name],
            linestyle="--",
            linewidth=1.2,
            label=f"{BASELINE_NAMES[name]}: {value:.2f}",
        )
    ax.scatter([tokens[-1]], [numbers["val_bpc"]], color="#1f77b4", zorder=5)
    ax.annotate(
        f"{numbers['val_bpc']:.2f} (whole validation text)",
        (tokens[-1], numbers["val_bpc"]),
        textcoords="offset points",
        xytext=(-10, 8),
        ha="right",
        fontsize=8,
    )
    # Room for every baseline and the whole validation curve except its first, untrained points.
    later = [row["validation_loss"] * factor for row in curve[len(curve) // 10 :]] or [numbers["val_bpc"]]
    top = max(max(numbers["baselines"].values()) * 1.2, max(later) * 1.1)
    ax.set_ylim(max(0.0, min(numbers["val_bpc"], *numbers["baselines"].values()) * 0.8), top)
    ax.set_xlabel("training tokens seen")
    ax.set_ylabel("bits per character")
    ax.set_title(
        f"Learning the text one {'subword' if config.vocab == 'bpe' else 'character'} at a time, against the "
        "compressors"
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    return {"curve": context.figure(fig, "learning_curve.png")}


def _repeats_sentence(numbers: dict) -> str:
    """Why the compressors do well: how much of the validation text they can copy from what came before."""
    repeats = numbers.get("validation_repeats")
    if not repeats:
        return ""
    return (
        f" Copying is what the compressors do best: {repeats['repeated']:.0%} of the validation characters lie in "
        f"a stretch of {repeats['length']} or more characters that appeared earlier word for word, and for "
        f"{repeats['beyond_context']:.0%} every such copy is farther back than the model's window of "
        f"{repeats['context']} characters, so the model must have learned it rather than read it."
    )


def _sample_sentence(numbers: dict) -> str:
    """Which characters were scored, when the text was too long to score whole (see `lm.baselines.baseline_sample`)."""
    sample = numbers.get("baseline_sample")
    whole = numbers.get("validation_text_characters")
    if not sample or whole is None:
        return ""
    parts = []
    if whole > sample["validation_characters"]:
        parts.append(
            f"every method is scored on the first {sample['validation_characters']:,} of the {whole:,} validation "
            "characters"
        )
    if numbers["train_characters"] > sample["train_characters"]:
        parts.append(f"the baselines see the last {sample['train_characters']:,} training characters before them")
    return f" The text is long, so {' and '.join(parts)}, which keeps the measurement seconds long." if parts else ""


def report(config: Config, result: dict, context: RunContext) -> dict[str, Any]:
    """Draw the learning curve into the run folder; the result's report section."""
    return _section(config, result, figures(config, result, context))


def _section(config: Config, numbers: dict, paths: dict[str, str]) -> dict[str, Any]:
    """The report section: summary, headline numbers, the figure, tables and the sample."""
    baselines = numbers["baselines"]
    best = numbers["best_baseline"]
    model = numbers["model"]
    verdict = (
        "below every baseline"
        if numbers["beats_every_baseline"]
        else f"not yet below the best baseline ({BASELINE_NAMES[best]}, {baselines[best]:.3f})"
    )
    source = (
        "the English help texts that ship with CPython (pydoc_data.topics)"
        if numbers["source"] == "pydoc_data.topics"
        else numbers["source"]
    )
    mapped = (
        f" To fit the essay's 77 symbols, {numbers['characters_mapped_to_essay_symbols']:,} characters were first "
        "replaced (newlines by spaces, curly quotes by straight ones, and so on)."
        if config.vocab == "essay"
        else ""
    )
    summary = [
        f"Text becomes numbers one symbol at a time: the vocabulary is {VOCAB_NAMES[config.vocab]} "
        f"({numbers['vocab_symbols']:,} symbols), each symbol a position in that list, and the model reads a "
        f"window of {model['context']} of them to give a probability to every possible next one.{mapped} Data: "
        f"{source}, {numbers['train_characters']:,} characters to train on and the last "
        f"{numbers['validation_characters']:,} kept for validation." + _sample_sentence(numbers),
        f"A causal transformer ({model['layers']} layers, {model['heads']} heads, width {model['width']}; "
        f"{numbers['params']:,} weights) trained with AdamW for {numbers['seconds'] / 60:.1f} minutes "
        f"({numbers['steps']:,} steps, {numbers['tokens']:,} tokens, {numbers['tokens_per_second']:,.0f} "
        f"tokens/s) reaches {numbers['val_bpc']:.3f} bits per character on the validation text, {verdict}. The "
        f"compressors, given the training text first, need {baselines['gzip']:.2f} (gzip), {baselines['bz2']:.2f} "
        f"(bzip2) and {baselines['xz']:.2f} (xz) bits per character; a character 5-gram model needs "
        f"{baselines['ngram']:.2f}." + _repeats_sentence(numbers),
        f"Its training arithmetic ran at {numbers['model_flops_utilization']:.0%} of the FLOP/s of a large matrix "
        f"product measured in the same run ({numbers['model_flops_per_second'] / 1e9:.1f} of "
        f"{numbers['matmul_flops_per_second'] / 1e9:.1f} GFLOP/s, counting 6 FLOPs per weight per token plus "
        "attention).",
    ]
    headline = [
        {"label": "validation bits per character", "value": f"{numbers['val_bpc']:.3f}"},
        {"label": f"best baseline ({BASELINE_NAMES[best]})", "value": f"{baselines[best]:.3f}"},
        {"label": "weights", "value": f"{numbers['params']:,}"},
        {"label": "tokens per second", "value": f"{numbers['tokens_per_second']:,.0f}"},
        {"label": "of matmul FLOP/s", "value": f"{numbers['model_flops_utilization']:.0%}"},
    ]
    figures = [
        {
            "path": paths["curve"],
            "caption": "Bits per character against training tokens. Thin: the loss on the training batches; "
            "thick: on a fixed set of validation windows; the dot: the whole validation text at the end. Dashed: "
            "the baselines on the same validation text, the compressors given the training text first (bits of "
            "compress(train + validation) minus bits of compress(train), per validation character).",
        }
    ]
    rows = [["this model", f"{numbers['val_bpc']:.3f}"]] + [
        [BASELINE_NAMES[name], f"{value:.3f}"] for name, value in sorted(baselines.items(), key=lambda item: item[1])
    ]
    tables = [
        {
            "title": "Bits per character of the validation text (lower is better)",
            "columns": ["method", "bits per character"],
            "rows": rows,
        }
    ]
    texts = []
    if numbers["sample"]:
        texts.append(
            {
                "title": f"A sample, one {'subword' if config.vocab == 'bpe' else 'character'} at a time from the "
                f"prompt {numbers['sample_prompt']!r} (temperature {config.temperature:g}, seed {config.seed})",
                "text": numbers["sample_prompt"] + numbers["sample"],
            }
        )
    return {"summary": "\n".join(summary), "headline": headline, "figures": figures, "tables": tables, "texts": texts}
