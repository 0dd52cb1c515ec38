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


def _shown(character: str) -> str:
    """A character as the report shows it: visible, with newlines and tabs spelled out."""
    return {"\n": "newline", "\t": "tab", " ": "space", "\xa0": "no-break space"}.get(character, repr(character))


def _outsiders(alphabet: dict, count: int = 6) -> str:
    return ", ".join(f"{_shown(character)} {times:,}" for character, times in alphabet["outside"][:count])


def vocabulary_sentence(config: Config, numbers: dict) -> str:
    """How the text's own characters compare with the essay's 77 symbols, and what writing it in them changed."""
    alphabet = numbers.get("alphabet")
    if not alphabet:
        return ""
    changed = alphabet["by_nearest"] + alphabet["by_fallback"]
    share = changed / max(alphabet["characters"], 1)
    compare = (
        f"The text's own alphabet has {alphabet['text_symbols']} characters, {alphabet['shared_symbols']} of them "
        f"among the essay's 77 symbols"
        + (
            f" (the essay's {alphabet['essay_symbols_unused']!r} never occur)"
            if alphabet["essay_symbols_unused"]
            else ""
        )
    )
    if config.vocab == "essay":
        fallback = f"the fallback {config.fallback!r}" if config.fallback is not None else "no fallback"
        return (
            f" {compare}. Written in the essay's symbols, {numbers['characters_mapped_to_essay_symbols']:,} of its "
            f"{alphabet['characters']:,} characters ({share:.1%}) were replaced: {alphabet['by_nearest']:,} by the "
            f"one-to-one table (newline to space, curly quotes to straight, ...) and {alphabet['by_fallback']:,} "
            f"with no close symbol by {fallback} (most often: {_outsiders(alphabet) or 'none'})."
        )
    return (
        f" {compare}; in the essay's symbols (the tour's essay run) {changed:,} of its {alphabet['characters']:,} "
        f"characters ({share:.1%}) would be replaced: {alphabet['by_nearest']:,} by the one-to-one table and "
        f"{alphabet['by_fallback']:,} with no close symbol (most often: {_outsiders(alphabet) or 'none'})."
    )


def bpc_table(numbers: dict) -> dict[str, Any]:
    """The model's bits per character beside the baselines' and, when measured, the order-0 unigram's."""
    baselines = numbers["baselines"]
    rows = [["this model", f"{numbers['val_bpc']:.3f}"]] + [
        [BASELINE_NAMES[name], f"{value:.3f}"] for name, value in sorted(baselines.items(), key=lambda item: item[1])
    ]
    if numbers.get("blocks"):
        blocks = numbers["blocks"]
        unigram = sum(b * c for b, c in zip(blocks["unigram_bpc"], blocks["characters"])) / sum(blocks["characters"])
        rows.append(["order-0 unigram of the training text (no context)", f"{unigram:.3f}"])
    return {
        "title": "Bits per character of the validation text (lower is better)",
        "columns": ["method", "bits per character"],
        "rows": rows,
    }


def vocabulary_table(numbers: dict) -> list[dict[str, Any]]:
    """The text's own alphabet beside the essay's 77 symbols, as a table (none for an older run)."""
    alphabet = numbers.get("alphabet")
    if not alphabet:
        return []
    rows = [
        ["distinct characters of the text", f"{alphabet['text_symbols']:,}"],
        ["of them among the essay's 77 symbols", f"{alphabet['shared_symbols']:,}"],
        ["essay symbols the text never uses", f"{len(alphabet['essay_symbols_unused']):,}"],
        [
            "characters the one-to-one table replaces (newlines, curly quotes, dashes, ...)",
            f"{alphabet['by_nearest']:,}",
        ],
        ["characters with no close essay symbol (the fallback replaces them)", f"{alphabet['by_fallback']:,}"],
        ["characters of the text", f"{alphabet['characters']:,}"],
    ]
    return [
        {
            "title": "The text's own characters and the essay's 77 symbols",
            "columns": ["", "count"],
            "rows": rows,
        }
    ]


def claim_sentence(numbers: dict) -> str:
    """The claim's measurement and verdict in words (empty when the run made none)."""
    rows = [row for row in numbers.get("claims", []) if row.get("id") == "language_one_letter_at_a_time"]
    if not rows:
        return ""
    row, blocks = rows[0], numbers["blocks"]
    interval = f"[{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]" if row["ci_low"] is not None else "(no interval)"
    return (
        f"Does reading one symbol at a time learn the text's structure? Against the training text's order-0 "
        f"unigram, which ignores every symbol before the next one, the model's bits per character differ by "
        f"{row['estimate']:+.3f} {interval} (95% interval over {len(blocks['model_bpc'])} validation blocks, one "
        f"training run; baselines: {row['baseline']}): {row['verdict']}."
    )


def load_sentence(numbers: dict) -> str:
    """The threads the training used and how busy the machine was, for reading the tokens per second."""
    if "threads" not in numbers:
        return ""
    load = numbers.get("load_average")
    busy = (
        f"; the machine's load average was {load[0]:.1f} over the last minute and {load[1]:.1f} over five, on "
        f"{numbers['cores']} cores (above {numbers['cores']}, other processes were waiting for a core)"
        if load
        else ""
    )
    threads = numbers["threads"] or "torch's default"
    return f" It trained on {threads} CPU thread{'s' if numbers['threads'] != 1 else ''}{busy}."


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
    mapped = vocabulary_sentence(config, numbers)
    vocabulary = VOCAB_NAMES[config.vocab] + (
        "" if config.vocab == "essay" else f" ({numbers['vocab_symbols']:,} symbols)"
    )
    summary = [
        f"Text becomes numbers one symbol at a time: the vocabulary is {vocabulary}, each symbol a position in "
        "that list, and the model reads a "
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
        "attention)." + load_sentence(numbers),
    ]
    summary += [line for line in (claim_sentence(numbers),) if line]
    headline = [
        {"label": "validation bits per character", "value": f"{numbers['val_bpc']:.3f}"},
        {"label": "vocabulary", "value": vocabulary},
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
    tables = [bpc_table(numbers), *vocabulary_table(numbers)]
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
