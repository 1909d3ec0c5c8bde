"""Answer questions with a nanochat checkpoint: the generation driver behind ``eval`` and ``chat``.

Generation itself is nanochat's KV-cache ``Engine`` (greedy at temperature 0, top-k sampling above;
stops at ``<|assistant_end|>`` or ``<|bos|>``). This module finds the checkpoint and its tokenizer,
renders each conversation for completion, runs prompts in batches (the Engine left-pads them so each row
generates what it would alone) and decodes the answers.
"""

from __future__ import annotations

import pickle
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from sqlcurate.errors import SqlcurateError

CODES = {
    "CHECKPOINT_NOT_FOUND": "no checkpoint or tokenizer where the options point",
    "CHECKPOINT_INCOMPATIBLE": "the checkpoint's meta or tensors do not describe a nanochat v1 model",
    "CHECKPOINT_REFUSED": "the checkpoint holds more than plain tensors (code or objects): not loaded",
    "TOKENIZER_REFUSED": "tokenizer.pkl names something other than tiktoken's plain Encoding state: not loaded",
}


@dataclass(frozen=True)
class LoadedModel:
    model: object
    tokenizer: object
    directory: Path
    step: int
    reason: str  # why this checkpoint was chosen, printed for the user
    meta: dict

    @property
    def label(self) -> str:
        return f"{self.directory.name}@{self.step}"


def load_for_inference(checkpoint: str | Path | None = None, *, base_dir: str | Path | None = None,
                       source: str = "sft", tag: str | None = None, step: int | None = None,
                       device: str | None = None, tokenizer_dir: str | Path | None = None) -> LoadedModel:
    """Find (``checkpoint`` path, or the newest ``source`` run under ``base_dir``) and load a model in
    eval mode, with its tokenizer: ``tokenizer_dir``, else the nearest ``tokenizer/`` above the checkpoint
    (``<base>/<phase>_checkpoints/<tag>/`` -> ``<base>/tokenizer``), else ``base_dir``'s, else
    $NANOCHAT_BASE_DIR's. Raises SqlcurateError (one of CODES) naming the file and the reason; a file that
    would run code is refused and never loaded another way."""
    from nanochat.checkpoint import IncompatibleCheckpoint
    from nanochat.tokenizer import UnsafeTokenizerFile

    try:
        return _load(checkpoint, base_dir, source, tag, step, device, tokenizer_dir)
    except FileNotFoundError as e:
        raise SqlcurateError("CHECKPOINT_NOT_FOUND", str(e)) from None
    except IncompatibleCheckpoint as e:
        raise SqlcurateError("CHECKPOINT_INCOMPATIBLE", str(e)) from None
    except UnsafeTokenizerFile as e:
        raise SqlcurateError("TOKENIZER_REFUSED", str(e)) from None
    except _Refused as e:
        raise SqlcurateError("CHECKPOINT_REFUSED", str(e)) from None


class _Refused(Exception):
    pass


def _refusal_reason(error: Exception) -> str:
    """torch's reason without its advice: its message suggests turning ``weights_only`` off, which is
    exactly what a hostile file wants, so only the unpickler's own complaint is kept."""
    paragraphs = [p.strip() for p in str(error).split("\n\n") if p.strip()]
    reasons = [p.split("WeightsUnpickler error:")[-1].strip() for p in paragraphs
               if "weights_only" not in p and not p.startswith("Weights only load failed")]
    return reasons[0].splitlines()[0].rstrip(".") if reasons else "it holds more than plain tensors"


def _load(checkpoint, base_dir, source, tag, step, device, tokenizer_dir) -> LoadedModel:
    from nanochat.checkpoint import find_checkpoint, load_model, model_path
    from nanochat.common import autodetect_device, find_tokenizer_dir
    from nanochat.common import tokenizer_dir as default_tokenizer_dir
    from nanochat.tokenizer import Tokenizer

    choice = find_checkpoint(checkpoint, phase=source, tag=tag, step=step, base_dir=base_dir)
    directory = Path(choice.directory)
    if tokenizer_dir is not None:
        tok_dir = Path(tokenizer_dir) if (Path(tokenizer_dir) / "tokenizer.pkl").is_file() else None
    else:
        tok_dir = find_tokenizer_dir(directory, base_dir)
    if tok_dir is None:
        looked = str(tokenizer_dir) if tokenizer_dir is not None else f"the directories above {directory}, {default_tokenizer_dir()}"
        raise FileNotFoundError(f"no tokenizer.pkl for {directory} (looked in {looked}); pass --tokenizer DIR")
    try:
        with warnings.catch_warnings():  # torch warns about legacy files on stderr; the refusal says it all
            warnings.simplefilter("ignore")
            model, meta = load_model(directory, choice.step, device=device or autodetect_device(), phase="eval")
    except (pickle.UnpicklingError, RuntimeError, EOFError) as e:  # torch's refusal, or not a torch file
        raise _Refused(f"{model_path(directory, choice.step)}: not loaded: {_refusal_reason(e)}") from None
    return LoadedModel(model, Tokenizer.from_directory(tok_dir), directory, choice.step, choice.reason, meta)


@dataclass(frozen=True)
class Generation:
    texts: list[str]  # one per sample
    prompt_tokens: int
    new_tokens: int
    seconds: float


class Generator:
    def __init__(self, loaded: LoadedModel):
        from nanochat.engine import Engine

        self.loaded = loaded
        self.tokenizer = loaded.tokenizer
        self.engine = Engine(loaded.model, loaded.tokenizer)

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        """Token ids of a conversation that ends with a user turn, primed for the assistant's answer."""
        assert messages and messages[-1]["role"] == "user", "a prompt must end with the user's turn"
        # render_for_completion drops a final assistant turn and appends <|assistant_start|>
        return self.tokenizer.render_for_completion([*messages, {"role": "assistant", "content": ""}])

    def answer(self, messages: list[dict[str, str]], *, max_tokens: int = 256, temperature: float = 0.0,
               top_k: int | None = None, num_samples: int = 1, seed: int = 42) -> Generation:
        ids = self.prompt_ids(messages)
        t0 = time.perf_counter()
        rows, _masks = self.engine.generate_batch(ids, num_samples=num_samples, max_tokens=max_tokens,
                                                  temperature=temperature, top_k=top_k, seed=seed)
        seconds = time.perf_counter() - t0
        answers = [row[len(ids):] for row in rows]
        return Generation([self.tokenizer.decode(a) for a in answers], len(ids), sum(len(a) for a in answers), seconds)

    def answer_batch(self, prompts: list[list[dict[str, str]]], *, batch_size: int = 8, max_tokens: int = 256,
                     temperature: float = 0.0, top_k: int | None = None, seed: int = 42) -> list[Generation]:
        """One answer per prompt, ``batch_size`` prompts per Engine call (seconds are per batch, shared)."""
        assert batch_size >= 1, f"batch_size must be >= 1, got {batch_size}"
        out: list[Generation] = []
        for start in range(0, len(prompts), batch_size):
            ids = [self.prompt_ids(p) for p in prompts[start:start + batch_size]]
            t0 = time.perf_counter()
            completions = self.engine.complete(ids, max_tokens=max_tokens, temperature=temperature, top_k=top_k,
                                               seed=seed + start)
            seconds = time.perf_counter() - t0
            out += [Generation([self.tokenizer.decode(c)], len(p), len(c), seconds) for p, c in zip(ids, completions, strict=True)]
        return out

    def stream(self, messages: list[dict[str, str]], *, max_tokens: int = 256, temperature: float = 0.0,
               top_k: int | None = None, seed: int = 42):
        """Yield the answer's text piece by piece (for the chat REPL); stops at the end of the turn."""
        ids = self.prompt_ids(messages)
        tokens: list[int] = []
        shown = ""
        for column, _ in self.engine.generate(ids, num_samples=1, max_tokens=max_tokens, temperature=temperature,
                                              top_k=top_k, seed=seed):
            if column[0] in self.engine.stop_tokens:
                break
            tokens.append(column[0])
            text = self.tokenizer.decode(tokens)
            if not text.endswith("\ufffd"):  # wait for the rest of a split UTF-8 character
                yield text[len(shown):]
                shown = text
        if len(shown) < len(text := self.tokenizer.decode(tokens)):
            yield text[len(shown):]
