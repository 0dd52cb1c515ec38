"""`searchlab sample`: text from the language model of a charlm run folder, written as it is drawn."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from searchlab.core.errors import SearchlabError


def write_sample(run: Path, prompt: str, chars: int, temperature: float, seed: int, stream: TextIO) -> None:
    """Write `prompt`, then the model's continuation of it piece by piece, then a newline, to `stream`.

    Args:
        run: a `searchlab run charlm` folder, or its checkpoints/model folder.
        prompt: the text to continue.
        chars: characters to write.
        temperature: 0 picks the likeliest piece; higher is more random.
        seed: seeds the draws.
        stream: where the text goes (flushed after each piece).

    Raises:
        SearchlabError: `run` is no folder or holds no model, or the prompt has a character the model cannot read
            (before anything is written).
    """
    from searchlab.experiments.charlm import MODEL_FOLDER, speak
    from searchlab.lm import load_model

    folder = run / "checkpoints" / MODEL_FOLDER if (run / "checkpoints" / MODEL_FOLDER).is_dir() else run
    if not folder.is_dir():
        raise SearchlabError(f"{run} is not a folder; pass the folder of a `searchlab run charlm` run")
    model, vocab = load_model(folder)
    vocab.encode(prompt)  # a character the model cannot read is an error before anything is printed
    stream.write(prompt)
    for piece in speak(model, vocab, prompt, chars, temperature, seed):
        stream.write(piece)
        stream.flush()
    stream.write("\n")
