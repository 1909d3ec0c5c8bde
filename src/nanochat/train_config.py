"""The settings of one SFT run, with their defaults: declared here once, without torch, so that a command
line can offer them (and show their defaults) without loading the trainer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TrainConfig:
    out_dir: Path  # chatsft_checkpoints/<tag>/
    epochs: int = 3
    max_seq_len: int | None = None  # default: the base model's sequence_len
    over_length: str = "drop"  # drop | truncate
    # nanochat v1 chat_sft counts its optimizer step in examples (target_examples_per_step = 32)
    conversations_per_step: int = 32
    target_batch_tokens: int | None = None  # when given, the step is this many row positions instead
    init_lr_frac: float | None = None  # share of nanochat's base learning rates (None: optim.SFT_INIT_LR_FRAC)
    device_batch: str | int = "auto"
    seed: int = 0
    dtype: str = "auto"  # auto | bfloat16 | float32
    compile: str = "auto"  # auto | on | off
    activation_checkpointing: str = "auto"  # auto | on | off
    device: str = "auto"
    resume: bool = False
    save_every: int = 0  # optimizer steps between resumable checkpoints (0: each epoch end only)
    stop_after_steps: int | None = None  # stop early, as if interrupted (tests of --resume)
    memory_budget_bytes: int | None = None  # micro-batch probe budget (default: the card's memory)
    lineage: dict = field(default_factory=dict)  # where the base model came from (path, step, tag)
    log: object = print
