"""Fine-tune a nanochat v1 checkpoint on curated conversations: the library behind `sqlcurate train`.

``TrainSettings`` is the one declaration of every train setting (the command's options are generated
from it; the trainer's own defaults come from ``nanochat.train_config.TrainConfig``). ``train(settings)``
reads the conversations through the shared conversation contract, so a bad line is reported as
``path:line: CODE message`` before any model is loaded; mixes general data only by explicit ratio
(``build.split.mix_general``, the same sampling as `build --mix`); resolves the base checkpoint and says
which one and why; then hands over to ``nanochat.sft.train``.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import click

from nanochat.train_config import TrainConfig
from sqlcurate.build.split import MIX_SPEC_HELP, MixSpec, mix_general, parse_mix_spec
from sqlcurate.conversation import SystemPolicy
from sqlcurate.errors import SqlcurateError
from sqlcurate.fileio import atomic_open
from sqlcurate.formats.lines import FileLevelError
from sqlcurate.formats.readers import read_file
from sqlcurate.settings import setting

CODES = {
    "TRAIN_BAD_MIX": "a --mix argument is not FILE:RATIO with a ratio > 0, or its file does not exist",
    "TRAIN_NO_DATA": "a training file holds no conversation",
    "TRAIN_INVALID_LINES": "training input lines break the conversation contract; nothing trains",
    "TRAIN_BAD_INPUT": "a training file cannot be read at all",
    "TRAIN_NO_CHECKPOINT": "no base checkpoint where one was asked for",
    "TRAIN_INCOMPATIBLE": "the base checkpoint is not a nanochat v1 model",
    "TRAIN_NO_TOKENIZER": "no tokenizer.pkl for the base checkpoint",
    "TRAIN_TOKENIZER_CLASH": "--out already holds a different tokenizer",
    "TRAIN_REFUSED": "the trainer refused the setup (another run's directory, changed data on --resume, ...)",
    "TRAIN_DIVERGED": "the loss became NaN or infinite",
    "TRAIN_RESUME_NEEDS_TAG": "--resume without --tag",
}

_LOOP = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
_FILE = click.Path(path_type=Path, exists=True, dir_okay=False)
_DIR = click.Path(path_type=Path, exists=True, file_okay=False)


@dataclasses.dataclass
class TrainSettings:
    """Every setting of a training run. Field ``max_seq_len`` is the option ``--max-seq-len``."""

    data: Path = setting(help="Training conversations (JSONL), e.g. training_data/curated/train.jsonl.", type=_FILE)
    val: Path | None = setting(None, "Validation conversations (JSONL); evaluated at the end of every epoch.", type=_FILE)
    base: Path | None = setting(None, "A checkpoint directory (holding model_NNNNNN.pt + meta_NNNNNN.json) or a "
                                      "NANOCHAT_BASE_DIR.", type=_DIR)
    source: Literal["base", "mid", "sft"] = setting("base", "Which $NANOCHAT_BASE_DIR checkpoints to start from "
                                                           "when --base is not given.")
    model_tag: str | None = setting(None, "Model tag under the source's checkpoints (default: the largest model).")
    step: int | None = setting(None, "Base checkpoint step (default: the newest).")
    tokenizer: Path | None = setting(None, "Tokenizer directory (default: tokenizer/ beside the checkpoints).", type=_DIR)
    out: Path | None = setting(None, "Root for chatsft_checkpoints/ (default: $NANOCHAT_BASE_DIR).",
                               type=click.Path(path_type=Path, file_okay=False))
    tag: str | None = setting(None, "Run name: checkpoints go to <out>/chatsft_checkpoints/<tag>/ "
                                    "(default: <model tag>-sft-<UTC time>).")
    mix: tuple[str, ...] = setting((), "FILE:RATIO adds RATIO x (custom count) conversations from FILE, sampled "
                                       "without replacement (repeatable). Off by default.", metavar="FILE:RATIO")
    epochs: int = setting(_LOOP["epochs"], "Passes over the data; the learning rate decays linearly to 0 over all.")
    over_length: Literal["drop", "truncate"] = setting(
        _LOOP["over_length"], "What happens to a conversation longer than --max-seq-len + 1 tokens (counted "
                              "before training).")
    max_seq_len: int | None = setting(_LOOP["max_seq_len"], "Row length in positions (default: the model's "
                                                            "sequence_len).")
    conversations_per_step: int = setting(
        _LOOP["conversations_per_step"], "Conversations per optimizer step, on average over the packed rows "
                                         "(nanochat v1 chat_sft: 32).")
    target_batch_tokens: int | None = setting(
        _LOOP["target_batch_tokens"], "Row positions per optimizer step instead of --conversations-per-step.")
    init_lr_frac: float | None = setting(
        _LOOP["init_lr_frac"], "Learning rates as a share of nanochat's base-training rates (default: nanochat v1 "
                               "chat_sft's 0.02).")
    device_batch: str = setting(str(_LOOP["device_batch"]), "Rows per micro-batch, or auto (probe the largest that "
                                                            "fits).")
    resume: bool = setting(_LOOP["resume"], "Continue the interrupted run in --tag from its newest resumable "
                                            "checkpoint.")
    save_every: int = setting(_LOOP["save_every"], "Also save a resumable checkpoint every N steps.")
    seed: int = setting(_LOOP["seed"], "Seed of the data order and of the --mix draw.")
    dtype: Literal["auto", "bfloat16", "float32"] = setting(_LOOP["dtype"], "auto: bf16 autocast on CUDA, "
                                                                            "float32 elsewhere.")
    compile: Literal["auto", "on", "off"] = setting(_LOOP["compile"], "torch.compile the transformer blocks "
                                                                      "(auto: on CUDA only).")
    activation_checkpointing: Literal["auto", "on", "off"] = setting(
        _LOOP["activation_checkpointing"], "Recompute activations in backward (auto: only if one row does not "
                                           "fit otherwise).")
    device: str = setting(_LOOP["device"], "cuda, cpu or auto.")
    gpus: int = setting(1, "Run under torchrun with this many processes (one per GPU).")
    stop_after_steps: int | None = setting(_LOOP["stop_after_steps"], "Stop as if interrupted (tests of --resume).",
                                           hidden=True)

    def loop_config(self, out_dir: Path, lineage: dict, log: Callable[[str], None]) -> TrainConfig:
        """The trainer's config: every setting the two dataclasses share, plus where and how to write."""
        shared = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name in _LOOP}
        return TrainConfig(**shared, out_dir=out_dir, lineage=lineage, log=log)


class InvalidTrainingData(SqlcurateError):
    """Lines of the inputs break the conversation contract: nothing trains. ``problems`` holds one
    ``path:line: CODE message`` per refused line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("TRAIN_INVALID_LINES", f"refusing to train: {len(problems)} invalid lines (fix them, or "
                                                "keep the good rows with `sqlcurate validate FILE --out CLEAN.jsonl`)")
        self.problems = problems


def read_conversations(path: Path) -> tuple[list[list[dict]], list[str]]:
    """Conversations of a file in any input format (``--from auto``) as nanochat lists, and the
    ``file:line: CODE message`` diagnostics of the rows refused (warnings such as CRLF do not refuse)."""
    convs, problems = [], []
    try:
        for record in read_file(path, "auto"):
            if record.blank:
                continue
            errors = [f for f in record.findings if f.severity == "error"]
            if record.conversation is None or errors:
                problems.extend(f.render(record.source, record.line) for f in errors or record.findings)
                continue
            convs.append(record.conversation.as_nanochat(SystemPolicy.MERGE))
    except FileLevelError as exc:
        raise SqlcurateError("TRAIN_BAD_INPUT", str(exc)) from exc
    return convs, problems


def parse_mix(spec: str) -> MixSpec:
    if (parsed := parse_mix_spec(spec)) is None:
        raise SqlcurateError("TRAIN_BAD_MIX", f"--mix {spec!r}: {MIX_SPEC_HELP}")
    if not parsed[0].exists():
        raise SqlcurateError("TRAIN_BAD_MIX", f"--mix {spec!r}: {parsed[0]} does not exist")
    return MixSpec(*parsed)


def load_conversations(settings: TrainSettings, log: Callable[[str], None]) -> tuple[list, list]:
    """(train, val) conversations as nanochat lists, mixes included; raises ``InvalidTrainingData``
    listing every refused line of every input."""
    specs = [parse_mix(spec) for spec in settings.mix]
    train, problems = read_conversations(settings.data)
    val, val_problems = read_conversations(settings.val) if settings.val else ([], [])
    problems += val_problems
    custom = len(train)
    mixed = mix_general(custom, specs, settings.seed)
    problems += [f"{row['source']}:{row['line']}: {code} {reason}" for row in mixed.bad_lines
                 for code, reason in zip(row["codes"][1:], row["reasons"], strict=True)]
    for spec, added in zip(specs, mixed.per_file, strict=True):
        log(f"mix: {added} conversations from {spec.path} (ratio {spec.ratio} of {custom} custom)")
    for warning in mixed.warnings:
        log(f"warning: {warning}")
    train += [conv.as_nanochat(SystemPolicy.MERGE) for conv in mixed.added]
    if problems:
        raise InvalidTrainingData(problems)
    if not train:
        raise InvalidTrainingData([f"{settings.data}:1: TRAIN_NO_DATA no conversation to train on"])
    return train, val


TOKENIZER_FILES = ("tokenizer.pkl", "token_bytes.pt")


def provide_tokenizer(source: Path, target: Path) -> None:
    """Make ``--out`` a complete NANOCHAT_BASE_DIR: the fine-tuned checkpoints are only usable with the
    tokenizer they were trained with, so copy it beside them (eval and chat find it there). A different
    tokenizer already in place is an error, never silently paired with these checkpoints."""
    if source.resolve() == target.resolve():
        return
    for name in TOKENIZER_FILES:
        src, dst = source / name, target / name
        if dst.exists():
            if dst.read_bytes() != src.read_bytes():
                raise SqlcurateError("TRAIN_TOKENIZER_CLASH", f"{dst} differs from the tokenizer this run uses "
                                                              f"({src}); choose another --out")
            continue
        with atomic_open(dst, "wb") as fh:
            fh.write(src.read_bytes())


def default_tag(base: Path | None, model_tag: str | None) -> str:
    name = model_tag or (base.name if base else "model")
    return f"{name}-sft-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"


def is_rank_zero() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def train(settings: TrainSettings, log: Callable[[str], None] = print) -> dict:
    """Run one fine-tuning; returns the trainer's summary (final step, val metrics, checkpoint directory).
    Raises ``SqlcurateError`` (``InvalidTrainingData`` for refused input lines) with a code from CODES."""
    if settings.resume and not settings.tag:
        raise SqlcurateError("TRAIN_RESUME_NEEDS_TAG", "--resume needs --tag NAME: the run to continue")
    say = log if is_rank_zero() else (lambda _msg: None)  # under torchrun only rank 0 talks
    train_convs, val_convs = load_conversations(settings, say)

    import torch

    from nanochat.checkpoint import IncompatibleCheckpoint, find_checkpoint, load_model
    from nanochat.common import find_tokenizer_dir, get_base_dir
    from nanochat.sft import train as run_sft
    from nanochat.tokenizer import Tokenizer, load_token_bytes

    try:
        ckpt_dir, ckpt_step, reason = find_checkpoint(settings.base, phase=settings.source, tag=settings.model_tag,
                                                      step=settings.step)
    except (FileNotFoundError, ValueError) as exc:
        raise SqlcurateError("TRAIN_NO_CHECKPOINT", str(exc)) from exc
    say(f"base checkpoint: {ckpt_dir} step {ckpt_step} ({reason})")
    tok_dir = settings.tokenizer or find_tokenizer_dir(ckpt_dir)
    if tok_dir is None:
        raise SqlcurateError("TRAIN_NO_TOKENIZER", f"no tokenizer.pkl above {ckpt_dir} nor in $NANOCHAT_BASE_DIR; "
                                                   "pass --tokenizer DIR")
    try:
        model, meta = load_model(ckpt_dir, ckpt_step, device="cpu", phase="train")
    except IncompatibleCheckpoint as exc:
        raise SqlcurateError("TRAIN_INCOMPATIBLE", str(exc)) from exc
    model = model.float()  # master weights in float32; bf16 is autocast's job

    tag = settings.tag or default_tag(settings.base, settings.model_tag or Path(ckpt_dir).name)
    root = settings.out or get_base_dir()
    if is_rank_zero():
        provide_tokenizer(Path(tok_dir), root / "tokenizer")
    out = root / "chatsft_checkpoints" / tag
    say(f"writing checkpoints to {out}")
    lineage = {"path": str(ckpt_dir), "step": ckpt_step, "reason": reason, "run_id": (meta or {}).get("run_id")}
    cfg = settings.loop_config(out, lineage, say)
    try:
        return run_sft(cfg, model, Tokenizer.from_directory(tok_dir), train_convs, val_convs,
                       token_bytes=load_token_bytes(tok_dir).to(torch.float32))
    except FloatingPointError as exc:
        raise SqlcurateError("TRAIN_DIVERGED", str(exc)) from exc
    except ValueError as exc:
        raise SqlcurateError("TRAIN_REFUSED", str(exc)) from exc


def relaunch_under_torchrun(settings: TrainSettings, argv: list[str], log: Callable[[str], None] = print) -> int:
    """Re-run ``sqlcurate train`` (``argv`` without the verb) as ``settings.gpus`` torchrun processes, one
    tag for every rank; returns torchrun's exit status."""
    from nanochat.dist import NO_MULTICAST_ENV, torchrun_argv

    argv = strip_gpus(argv)
    if "--tag" not in argv:
        argv += ["--tag", settings.tag or default_tag(settings.base, settings.model_tag)]
    log(f"launching {settings.gpus} processes under torchrun (tag {argv[argv.index('--tag') + 1]})")
    return subprocess.call(torchrun_argv(settings.gpus, argv), env=dict(os.environ, **NO_MULTICAST_ENV))


def strip_gpus(argv: list[str]) -> list[str]:
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--gpus":
            skip = True
        elif not arg.startswith("--gpus="):
            out.append(arg)
    return out


def needs_relaunch(settings: TrainSettings) -> bool:
    """More than one GPU asked for, and not yet running under torchrun."""
    return settings.gpus > 1 and "RANK" not in os.environ
