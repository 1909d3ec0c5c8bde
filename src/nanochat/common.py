"""Where nanochat keeps its files, and which device to run on."""

from __future__ import annotations

import os
from pathlib import Path

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


def autodetect_device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"
