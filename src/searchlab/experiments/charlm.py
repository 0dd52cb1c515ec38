"""A language model that reads and writes one letter at a time, against the compressors.

Essay: "Why use deep neural networks to define the model class?" (any input and
output can be a list of numbers, down to text fed in and spoken one character at a
time, from a fixed vocabulary of symbols; subwords give common words and pieces of
words a symbol of their own). The model is a small causal transformer trained with
AdamW on English text that ships with Python (or the user's file). Its validation
bits per character are set beside what a user would reach for instead, measured on
the same split in the same run: gzip, bzip2 and xz compressing the validation text
after the training text, and a character n-gram model.

The claim `language_one_letter_at_a_time` (`charlm_claims`) asks whether reading one
symbol at a time learns the text's structure: the model's bits per character against
the training text's order-0 unigram, block by block of the validation text. The tour
trains twice, over the text's own characters and over the essay's 77 symbols
(`charlm_vocab` says what writing the text in them changes).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from searchlab.core.device import cpu_threads, matmul_flops_per_second, resolve_device
from searchlab.core.errors import SearchlabError
from searchlab.core.optimizer import positive
from searchlab.experiments.base import Experiment, RunContext, require, series_row
from searchlab.experiments.charlm_claims import language_claim
from searchlab.lm import DEFAULT_MODEL, DEFAULT_TRAINING

SECTION = "Why use deep neural networks to define the model class?"
VOCABS = ("corpus", "essay", "bpe")
MODEL_FOLDER = "model"  # checkpoints/model: what `searchlab sample --run DIR` loads
BASELINES = ("gzip", "bz2", "xz", "ngram")  # what the model's bits per character are set beside


@dataclass(frozen=True)
class Config:
    """Settings of the character language model; the defaults are the full size (10 minutes on 2 cores).

    The shape and the learning rate suit shorter budgets too: `--minutes 3` on a user's text of a
    megabyte ends below gzip's bits per character (`searchlab.lm.DEFAULT_MODEL` says what was measured).

    Attributes:
        seed: seeds the initial weights, the batches and the sample.
        device: "cpu", "cuda" or "auto".
        text: a UTF-8 text file to learn; none: the English help texts CPython ships (pydoc_data).
        vocab: "corpus" (every character of the text), "essay" (the essay's 77 symbols) or
            "bpe" (byte-pair subwords learned on the training part).
        vocab_size: the number of subwords for "bpe".
        fallback: for "essay": the symbol that characters outside the 77 become, after the
            documented one-to-one replacements (newline to space, curly quotes to straight, ...);
            none: such characters are an error that names them.
        minutes: training time (evaluation included); none: the step budget alone.
        steps: a step budget instead of, or as well as, the time (none: time only). The
            learning rate's schedule follows the steps, never the clock, so a step budget
            gives the same model on every run; a time budget as well only cuts the run short.
        layers, heads, width, context: the transformer's size.
        dropout: dropout probability while training (0 turns it off).
        batch_size: windows of `context` tokens per step.
        lr: AdamW's peak learning rate.
        warmup_steps: steps of linear warmup to `lr` (then a cosine decay to the end of the budget).
        threads: CPU threads (0: chosen by the work's size, `searchlab.lm.auto_threads`: one thread for
            a model of the default size, whose small operations stall when another process takes a core).
        checkpoint_every: steps between the model's checkpoints (also one a minute); --resume continues from the last.
        sample_prompt, sample_chars, temperature: the sample shown in the report.
    """

    seed: int = 0
    device: str = "cpu"
    text: str | None = None
    vocab: str = "corpus"
    vocab_size: int = 512
    fallback: str | None = None
    minutes: float | None = DEFAULT_TRAINING["minutes"]
    steps: int | None = None
    layers: int = DEFAULT_MODEL["layers"]
    heads: int = DEFAULT_MODEL["heads"]
    width: int = DEFAULT_MODEL["width"]
    context: int = DEFAULT_MODEL["context"]
    dropout: float = DEFAULT_MODEL["dropout"]
    batch_size: int = DEFAULT_TRAINING["batch_size"]
    lr: float = DEFAULT_TRAINING["lr"]
    warmup_steps: int = DEFAULT_TRAINING["warmup_steps"]
    threads: int = 0
    checkpoint_every: int = 500
    sample_prompt: str = "The "
    sample_chars: int = 400
    temperature: float = 0.8

    def __post_init__(self) -> None:
        require(self.vocab in VOCABS, f"unknown --vocab {self.vocab!r}; choose one of {', '.join(VOCABS)}")
        require(
            self.vocab_size >= 257,
            f"--vocab_size must be at least 257 (the 256 bytes plus one merge), got {self.vocab_size}",
        )
        require(
            self.fallback is None or len(self.fallback) == 1, f"--fallback must be one character, got {self.fallback!r}"
        )
        require(
            self.minutes is None or positive(self.minutes),
            f"--minutes must be a positive number (or none), got {self.minutes}",
        )
        require(self.steps is None or self.steps >= 1, f"--steps must be at least 1, got {self.steps}")
        require(self.steps is not None or self.minutes is not None, "--minutes none needs a step budget: add --steps N")
        for name in ("layers", "heads", "width", "context", "batch_size"):
            require(getattr(self, name) >= 1, f"--{name} must be at least 1, got {getattr(self, name)}")
        require(self.width % self.heads == 0, f"--width {self.width} must be a multiple of --heads {self.heads}")
        require(0.0 <= self.dropout < 1.0, f"--dropout must be in [0, 1), got {self.dropout}")
        require(positive(self.lr), f"--lr must be a positive number, got {self.lr}")
        require(self.warmup_steps >= 0, f"--warmup_steps must be 0 or more, got {self.warmup_steps}")
        require(self.threads >= 0, f"--threads must be 0 (chosen by the model's size) or more, got {self.threads}")
        require(self.checkpoint_every >= 1, f"--checkpoint_every must be at least 1 step, got {self.checkpoint_every}")
        require(self.sample_chars >= 0, f"--sample_chars must be 0 or more, got {self.sample_chars}")
        require(self.temperature >= 0, f"--temperature must be 0 (greedy) or more, got {self.temperature}")


@dataclass(frozen=True)
class LMData:
    """What `prepare` checked and built.

    Attributes:
        corpus: the text, its validation part cut to what every method scores (see `prepare`).
        vocab, tokens: the vocabulary and the corpus's ids.
        mapped: characters replaced to fit the essay vocabulary.
        validation_text_characters: the validation part's length before the cut.
        alphabet: how the text's own characters compare with the essay's symbols (`compare_with_essay`).
    """

    corpus: Any
    vocab: Any
    tokens: Any
    mapped: int
    validation_text_characters: int
    alphabet: dict[str, Any]


def prepare(config: Config) -> LMData:
    """Read and split the text, build the vocabulary, check the model fits in memory, and encode.

    Every bad input fails here, before any folder exists. The model and the baselines
    score the same characters: the start of the validation part, at most
    `BASELINE_VALIDATION_CHARACTERS` of it (all of it for the embedded corpus), so
    scoring stays seconds long on a text of any size.
    """
    from searchlab.encodings.text import CharVocab
    from searchlab.experiments.charlm_vocab import compare_with_essay, essay_corpus
    from searchlab.lm import Corpus, baseline_sample, load_corpus, make_vocab, tokenize

    device = resolve_device(config.device)
    corpus = load_corpus(config.text)
    validation_text_characters = len(corpus.validation)
    _, scored = baseline_sample(corpus.train, corpus.validation)
    corpus = Corpus(source=corpus.source, train=corpus.train, validation=scored)
    mapped, alphabet = 0, compare_with_essay(corpus.text)
    if config.vocab == "essay":
        corpus, mapped = essay_corpus(corpus, config.fallback)
        vocab = CharVocab.essay()
    elif config.vocab == "corpus":
        vocab = CharVocab.from_text(corpus.text)
    else:
        vocab = make_vocab("bpe", corpus, config.vocab_size)
    _check_memory(config, vocab.size, device)
    _check_prompt(config, vocab)
    tokens = tokenize(corpus, vocab, config.context)
    return LMData(corpus, vocab, tokens, mapped, validation_text_characters, alphabet)


def _model_config(config: Config, vocab_size: int):
    from searchlab.lm import ModelConfig

    return ModelConfig(
        vocab_size=vocab_size,
        layers=config.layers,
        heads=config.heads,
        width=config.width,
        context=config.context,
        dropout=config.dropout,
    )


def _check_prompt(config: Config, vocab) -> None:
    """Refuse, before the long encoding, a --sample_prompt the vocabulary cannot write.

    (Otherwise the error would come after training.)
    """
    try:
        vocab.encode(config.sample_prompt)
    except SearchlabError:
        raise SearchlabError(
            f"--sample_prompt {config.sample_prompt!r} has characters the vocabulary built from the text lacks; "
            "give a prompt made of the text's characters (e.g. --sample_prompt 'the ')"
        ) from None


def _check_memory(config: Config, vocab_size: int, device) -> None:
    """Refuse, in one line, a model whose training would not fit in the memory available.

    The check comes before anything is allocated.
    """
    from searchlab.lm.memory import require_memory
    from searchlab.lm.model import TRAINING_BYTES_PER_WEIGHT, parameter_count, training_memory_bytes

    model_config = _model_config(config, vocab_size)
    weights = parameter_count(model_config)
    require_memory(
        training_memory_bytes(model_config, config.batch_size),
        f"a model of --layers {config.layers} --width {config.width} --context {config.context} --batch_size "
        f"{config.batch_size}",
        f"{weights:,} weights x {TRAINING_BYTES_PER_WEIGHT} bytes for the weights, gradients, AdamW's moments and a "
        "checkpoint's copy, plus the activations of a batch",
        "use a smaller --width, --layers, --context or --batch_size",
        device,
    )


def run(config: Config, data: LMData, context: RunContext) -> dict[str, Any]:
    """Measure the baselines, train the model, score it block by block and sample from it; the numbers."""
    from searchlab.lm import TrainConfig, auto_threads, block_bpc, train
    from searchlab.lm.threads import usable_cores

    device = resolve_device(config.device)
    reference = _baselines(config, data.corpus, context)
    model_config = _model_config(config, data.vocab.size)
    train_config = TrainConfig(
        batch_size=config.batch_size,
        steps=config.steps,
        minutes=config.minutes,
        lr=config.lr,
        warmup_steps=config.warmup_steps,
        checkpoint_every=config.checkpoint_every,
    )
    cpu = device.type == "cpu"
    threads = config.threads or (auto_threads(config.batch_size, config.context, config.width) if cpu else 0)
    with cpu_threads(threads):
        peak = matmul_flops_per_second(device)
        result = train(
            model_config,
            train_config,
            data.tokens,
            config.seed,
            checkpoint_dir=context.checkpoint_dir(MODEL_FOLDER),
            resume=context.resume,
            progress=context.bar_label("charlm"),
            device=device,
        )
        sample = "".join(
            speak(result.model, data.vocab, config.sample_prompt, config.sample_chars, config.temperature, config.seed)
        )
    context.write_metrics(_metrics(result.curve, config.batch_size))
    # The characters of the alphabet the model can write: the unigram gives each some probability too.
    alphabet = "".join(data.vocab.decode([i]) for i in range(data.vocab.size)) if config.vocab != "bpe" else ""
    blocks = block_bpc(
        result.validation_token_nats, data.vocab, data.tokens.validation_ids, data.corpus.train, alphabet=alphabet
    )
    numbers = _numbers(config, data, reference, result, peak, sample)
    return {
        **numbers,
        "threads": threads,
        "cores": usable_cores(),
        "load_average": _load_average(),
        "blocks": blocks,
        "claims": language_claim(blocks, reference, SECTION),
    }


def _load_average() -> list[float] | None:
    """The machine's load average over the last 1 and 5 minutes (None where the system keeps none)."""
    try:
        return [round(value, 2) for value in os.getloadavg()[:2]]
    except (AttributeError, OSError):
        return None


def _metrics(curve: list[dict[str, float]], batch_size: int) -> list[dict[str, Any]]:
    """The learning curve as metrics.jsonl rows of one series, "model=transformer".

    `loss` is the mean training loss since the previous row (nats per character, what the steps
    minimise); the validation loss and the tokens trained on are values. Compute follows the
    forward-equivalent rule: a predicted token is 1, its backward pass 2 more, so a step over
    `batch_size` windows of T tokens costs 3 x batch_size x T, 3 per token; an example is a window.
    """
    return [
        series_row(
            {"model": "transformer"},
            step=int(point["step"]),
            forward_equivalents=3 * int(point["tokens"]),
            examples_seen=int(point["step"]) * batch_size,
            seconds=point["seconds"],
            loss=point["train_loss"],
            validation_loss=point["validation_loss"],
            tokens=int(point["tokens"]),
        )
        for point in curve
    ]


def _baselines(config: Config, corpus, context: RunContext) -> dict[str, Any]:
    """The compressors' and the n-gram's bits per character (saved, so a resumed run reuses them)."""
    from searchlab.core import jsonfile, stages
    from searchlab.lm import baseline_sample, baselines, long_repeats

    def measure() -> dict[str, Any]:
        # A bounded sample of any text (all of the embedded corpus): the end of the training part, and the
        # validation characters the model is scored on (prepare cut them to the same length).
        start = time.perf_counter()
        train_sample, validation_sample = baseline_sample(corpus.train, corpus.validation)
        reference = {name: round(float(bpc), 4) for name, bpc in baselines(train_sample, validation_sample).items()}
        reference["seconds"] = round(time.perf_counter() - start, 2)
        reference["repeats"] = long_repeats(train_sample, validation_sample, context=config.context)
        reference["sample"] = {"train_characters": len(train_sample), "validation_characters": len(validation_sample)}
        return reference

    fields = {name: jsonfile.NUMBER for name in BASELINES} | {"repeats": jsonfile.ANY, "sample": dict}
    return context.stage(context.checkpoint_dir("baselines") / stages.RECORD, measure, fields)


def _numbers(config: Config, data: LMData, reference: dict, result, peak: float, sample: str) -> dict[str, Any]:
    """result.json's numbers: the model's against the baselines, its speed, sizes, the sample and the curve."""
    corpus, vocab, tokens = data.corpus, data.vocab, data.tokens
    best_baseline = min(BASELINES, key=lambda name: reference[name])
    return {
        "val_bpc": round(result.validation_bpc, 4),
        "baselines": {name: reference[name] for name in BASELINES},
        "beats_every_baseline": result.validation_bpc < reference[best_baseline],
        "best_baseline": best_baseline,
        "params": result.parameters["total"],
        "params_non_embedding": result.parameters["non_embedding"],
        "tokens_per_second": round(result.tokens_per_second, 1),
        "model_flops_utilization": round(result.fraction_of_peak(peak), 4),
        "matmul_flops_per_second": round(peak, 1),
        "model_flops_per_second": round(result.model_flops_per_second, 1),
        "flops_per_token": result.flops_per_token,
        "steps": result.steps,
        "tokens": result.tokens,
        "seconds": round(result.seconds, 2),
        "stopped_because": result.stopped_because,
        "validation_loss_nats_per_token": round(result.validation_loss, 5),
        "validation_characters": tokens.validation_characters,
        "validation_tokens": len(tokens.validation_ids),
        "train_characters": len(corpus.train),
        "vocab": config.vocab,
        "vocab_symbols": vocab.size,
        "characters_mapped_to_essay_symbols": data.mapped,
        "alphabet": data.alphabet,
        "source": corpus.source,
        "model": _model_config(config, vocab.size).to_dict(),
        "baseline_seconds": reference.get("seconds"),
        "baseline_sample": reference.get("sample"),
        "validation_text_characters": data.validation_text_characters,
        "validation_repeats": reference.get("repeats"),
        "sample_prompt": config.sample_prompt,
        "sample": sample,
        "curve": result.curve,
    }


def speak(model, vocab, prompt: str, chars: int, temperature: float, seed: int):
    """Yield the model's continuation of `prompt` piece by piece (a character, or a subword).

    It stops after `chars` characters.
    """
    from searchlab.lm import generate

    written = 0
    if chars <= 0:
        return
    # A token is at least one byte, and a character at most four bytes, so 4 x chars tokens always suffice.
    for piece in generate(model, vocab, prompt, 4 * chars, temperature=temperature, seed=seed):
        piece = piece[: chars - written]
        written += len(piece)
        yield piece
        if written >= chars:
            return


EXPERIMENT = Experiment(
    name="charlm",
    title="A language model that speaks one letter at a time",
    essay_section=SECTION,
    config=Config,
    prepare=prepare,
    run=run,
    # The default shape is already the one a short budget suits (see `searchlab.lm.DEFAULT_MODEL`). The tour
    # trains twice, over the corpus's characters and over the essay's 77 symbols (`variants`), a minute each.
    tour={"minutes": 1.0, "sample_chars": 300},
    # The essay's symbols cannot write the corpus's code (brackets, operators, underscores): they become spaces.
    variants={"essay": {"vocab": "essay", "fallback": " "}},
    # Steps alone, no clock: two quick runs with one seed end with the same parameters on any machine.
    quick={"minutes": None, "steps": 60, "layers": 2, "width": 64, "context": 64, "sample_chars": 120},
)
