"""Where nanochat keeps its files, how it writes them, and which device to run on.

The one place that knows the base directory layout: ``$NANOCHAT_BASE_DIR`` (or ``~/.cache/nanochat``),
``<base>/tokenizer/`` and ``<base>/<phase>_checkpoints/<tag>/``. nanochat imports nothing from sqlcurate,
so it carries its own atomic writer.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

# $NANOCHAT_BASE_DIR/<dir>/<tag>/ per training phase, as nanochat v1 lays them out
PHASE_DIRS = {
    "base": "base_checkpoints",
    "mid": "mid_checkpoints",
    "sft": "chatsft_checkpoints",
    "rl": "chatrl_checkpoints",
}


def get_base_dir() -> Path:
    """``$NANOCHAT_BASE_DIR``, else ``~/.cache/nanochat`` (not created here: readers must not make dirs)."""
    env = os.environ.get("NANOCHAT_BASE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "nanochat"


def tokenizer_dir(base_dir: Path | None = None) -> Path:
    return (base_dir or get_base_dir()) / "tokenizer"


def find_tokenizer_dir(checkpoint_dir: str | Path, base_dir: str | Path | None = None) -> Path | None:
    """The tokenizer that belongs to a checkpoint: the nearest ``tokenizer/`` above it
    (``<base>/<phase>_checkpoints/<tag>/`` -> ``<base>/tokenizer``), else ``base_dir``'s, else
    ``$NANOCHAT_BASE_DIR``'s; None when none of them holds a ``tokenizer.pkl``."""
    candidates = [p / "tokenizer" for p in Path(checkpoint_dir).resolve().parents]
    candidates += [tokenizer_dir(Path(base_dir))] if base_dir is not None else []
    candidates.append(tokenizer_dir())
    return next((d for d in candidates if (d / "tokenizer.pkl").is_file()), None)


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "wb") -> Iterator[IO]:
    """Write to a temporary file beside ``path``, renamed into place only when complete: a crash never
    leaves a half-written checkpoint under its real name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def autodetect_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"
