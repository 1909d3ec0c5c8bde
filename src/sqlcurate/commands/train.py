"""`sqlcurate train`: fine-tune a nanochat v1 checkpoint on curated conversations (custom-only by default).

Reads the conversation files (bare nanochat lists or {"messages": [...]}) through the shared conversation
contract, so a bad line is reported as ``path:line: CODE message`` before any model is loaded; resolves
the base checkpoint and says which one and why; then hands over to ``nanochat.sft.train``.
With ``--gpus N`` (N > 1) the command re-runs itself under torchrun, one process per GPU.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import click

from sqlcurate.build.split import MIX_SPEC_HELP, parse_mix_spec
from sqlcurate.conversation import SystemPolicy
from sqlcurate.fileio import atomic_open
from sqlcurate.formats.lines import FileLevelError
from sqlcurate.formats.readers import read_file

CODES = {
    "TRAIN_BAD_MIX": "a --mix argument is not FILE:RATIO with a ratio > 0",
    "TRAIN_NO_DATA": "a training file holds no conversation",
}


def read_conversations(path: Path) -> tuple[list[list[dict]], list[str]]:
    """Conversations of a file in any input format (the project's readers, ``--from auto``) as nanochat
    lists, and the ``file:line: CODE message`` diagnostics of the rows refused (warnings such as CRLF
    line ends do not refuse a row)."""
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
        raise click.UsageError(str(exc)) from exc
    return convs, problems


def parse_mix(spec: str) -> tuple[Path, float]:
    if (parsed := parse_mix_spec(spec)) is None:
        raise click.UsageError(f"TRAIN_BAD_MIX --mix {spec!r}: {MIX_SPEC_HELP}")
    return parsed


def mix_in(custom: list, extra: list, ratio: float, seed: int) -> list:
    """Add round(ratio * len(custom)) conversations drawn from ``extra`` (without replacement while it
    lasts): the ratio is stated relative to the custom data so custom rows are never diluted by default."""
    want = round(ratio * len(custom))
    rng = random.Random(f"mix:{seed}")
    picked = []
    while len(picked) < want and extra:
        pool = list(extra)
        rng.shuffle(pool)
        picked.extend(pool[: want - len(picked)])
    return custom + picked


def base_dir() -> Path:
    return Path(os.environ.get("NANOCHAT_BASE_DIR", Path.home() / ".cache" / "nanochat"))


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
                raise click.UsageError(f"{dst} differs from the tokenizer this run uses ({src}); choose another --out")
            continue
        with atomic_open(dst, "wb") as fh:
            fh.write(src.read_bytes())


def find_tokenizer_dir(checkpoint_dir: Path, explicit: Path | None) -> Path:
    if explicit:
        return explicit
    for parent in [checkpoint_dir, *checkpoint_dir.parents]:
        if (parent / "tokenizer" / "tokenizer.pkl").exists():
            return parent / "tokenizer"
    return base_dir() / "tokenizer"


@click.command("train")
@click.option("--data", "data", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True,
              help="Training conversations (JSONL), e.g. training_data/curated/train.jsonl.")
@click.option("--val", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="Validation conversations (JSONL); evaluated at the end of every epoch.")
@click.option("--base", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None,
              help="A checkpoint directory (holding model_NNNNNN.pt + meta_NNNNNN.json) or a NANOCHAT_BASE_DIR.")
@click.option("--source", type=click.Choice(["base", "mid", "sft"]), default="base", show_default=True,
              help="Which $NANOCHAT_BASE_DIR checkpoints to start from when --base is not given.")
@click.option("--model-tag", default=None, help="Model tag under the source's checkpoints (default: the largest model).")
@click.option("--step", "model_step", type=int, default=None, help="Base checkpoint step (default: the newest).")
@click.option("--tokenizer", "tokenizer_dir", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None,
              help="Tokenizer directory (default: tokenizer/ beside the checkpoints).")
@click.option("--epochs", type=int, default=3, show_default=True)
@click.option("--out", "out_root", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Root for chatsft_checkpoints/ (default: $NANOCHAT_BASE_DIR).")
@click.option("--tag", default=None, help="Run name: checkpoints go to <out>/chatsft_checkpoints/<tag>/ (default: <model tag>-sft-<UTC time>).")
@click.option("--mix", "mixes", multiple=True, help="FILE:RATIO adds RATIO x (custom count) conversations from FILE. Off by default.")
@click.option("--over-length", type=click.Choice(["drop", "truncate"]), default="drop", show_default=True,
              help="What happens to a conversation longer than --max-seq-len + 1 tokens (counted before training).")
@click.option("--max-seq-len", type=int, default=None, help="Row length in positions (default: the model's sequence_len).")
@click.option("--target-batch-tokens", type=int, default=65536, show_default=True,
              help="Row positions per optimizer step (gradient accumulation fills it).")
@click.option("--device-batch", default="auto", show_default=True, help="Rows per micro-batch, or auto (probe the largest that fits).")
@click.option("--resume", is_flag=True, help="Continue the interrupted run in --tag from its newest resumable checkpoint.")
@click.option("--save-every", type=int, default=0, show_default=True, help="Also save a resumable checkpoint every N steps.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--dtype", type=click.Choice(["auto", "bfloat16", "float32"]), default="auto", show_default=True)
@click.option("--compile", "compile_", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="torch.compile the transformer blocks (auto: on CUDA only).")
@click.option("--activation-checkpointing", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
              help="Recompute activations in backward (auto: only if one row does not fit otherwise).")
@click.option("--device", default="auto", show_default=True, help="cuda, cpu or auto.")
@click.option("--gpus", type=int, default=1, show_default=True, help="Run under torchrun with this many processes (one per GPU).")
@click.option("--stop-after-steps", type=int, default=None, hidden=True, help="Stop as if interrupted (tests of --resume).")
def train(data, val, base, source, model_tag, model_step, tokenizer_dir, epochs, out_root, tag, mixes, over_length,
          max_seq_len, target_batch_tokens, device_batch, resume, save_every, seed, dtype, compile_,
          activation_checkpointing, device, gpus, stop_after_steps):
    """Fine-tune a nanochat checkpoint on curated conversations (custom data only unless --mix)."""
    from nanochat.dist import NO_MULTICAST_ENV, torchrun_argv

    if resume and not tag:
        raise click.UsageError("--resume needs --tag NAME: the run to continue")
    if gpus > 1 and "RANK" not in os.environ:
        if resume is False and tag is None:
            tag = default_tag(base, model_tag)  # one tag for every rank
        argv = strip_gpus(sys.argv[1:])
        if "--tag" not in argv:
            argv += ["--tag", tag]
        if argv and argv[0] == "train":
            argv = argv[1:]
        env = dict(os.environ, **NO_MULTICAST_ENV)
        click.echo(f"launching {gpus} processes under torchrun (tag {tag})")
        sys.exit(subprocess.call(torchrun_argv(gpus, argv), env=env))

    def echo(msg: str) -> None:  # under torchrun only rank 0 talks
        if int(os.environ.get("RANK", "0")) == 0:
            click.echo(msg)

    train_convs, problems = read_conversations(data)
    val_convs, val_problems = read_conversations(val) if val else ([], [])
    extra_problems = []
    for spec in mixes:
        path, ratio = parse_mix(spec)
        if not path.exists():
            raise click.UsageError(f"TRAIN_BAD_MIX --mix {spec!r}: {path} does not exist")
        extra, extra_p = read_conversations(path)
        extra_problems += extra_p
        before = len(train_convs)
        train_convs = mix_in(train_convs, extra, ratio, seed)
        echo(f"mix: {len(train_convs) - before} conversations from {path} (ratio {ratio} of {before} custom)")
    for line in problems + val_problems + extra_problems:
        click.echo(line, err=True)
    if problems or val_problems or extra_problems:
        click.echo(f"refusing to train: {len(problems) + len(val_problems) + len(extra_problems)} invalid lines "
                   "(fix them, or keep the good rows with `sqlcurate validate FILE --out CLEAN.jsonl`)", err=True)
        sys.exit(1)
    if not train_convs:
        click.echo(f"{data}:1: TRAIN_NO_DATA no conversation to train on", err=True)
        sys.exit(1)

    import torch

    from nanochat.checkpoint import IncompatibleCheckpoint, find_checkpoint, load_model
    from nanochat.sft import TrainConfig
    from nanochat.sft import train as run_sft
    from nanochat.tokenizer import Tokenizer, load_token_bytes

    try:
        ckpt_dir, ckpt_step, reason = find_checkpoint(base, phase=source, tag=model_tag, step=model_step)
    except (FileNotFoundError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    echo(f"base checkpoint: {ckpt_dir} step {ckpt_step} ({reason})")
    tok_dir = find_tokenizer_dir(Path(ckpt_dir), tokenizer_dir)
    tokenizer = Tokenizer.from_directory(tok_dir)
    token_bytes = load_token_bytes(tok_dir)
    try:
        model, meta = load_model(ckpt_dir, ckpt_step, device="cpu", phase="train")
    except IncompatibleCheckpoint as exc:
        raise click.UsageError(str(exc)) from exc
    model = model.float()  # master weights in float32; bf16 is autocast's job

    tag = tag or default_tag(base, model_tag or Path(ckpt_dir).name)
    root = out_root or base_dir()
    if int(os.environ.get("RANK", "0")) == 0:
        provide_tokenizer(tok_dir, root / "tokenizer")
    out = root / "chatsft_checkpoints" / tag
    echo(f"writing checkpoints to {out}")
    cfg = TrainConfig(
        out_dir=out, epochs=epochs, max_seq_len=max_seq_len, over_length=over_length,
        target_batch_tokens=target_batch_tokens, device_batch=device_batch, seed=seed, dtype=dtype,
        compile=compile_, activation_checkpointing=activation_checkpointing, device=device, resume=resume,
        save_every=save_every, stop_after_steps=stop_after_steps,
        lineage={"path": str(ckpt_dir), "step": ckpt_step, "reason": reason,
                 "run_id": (meta or {}).get("run_id")},
        log=echo,
    )
    try:
        summary = run_sft(cfg, model, tokenizer, train_convs, val_convs, token_bytes=token_bytes.to(torch.float32))
    except ValueError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except FloatingPointError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if int(os.environ.get("RANK", "0")) == 0:
        click.echo(json.dumps({k: v for k, v in summary.items() if not isinstance(v, dict)}))


def default_tag(base: Path | None, model_tag: str | None) -> str:
    name = model_tag or (base.name if base else "model")
    return f"{name}-sft-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"


def strip_gpus(argv: list[str]) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "--gpus":
            skip = True
            continue
        if a.startswith("--gpus="):
            continue
        out.append(a)
    return out




if __name__ == "__main__":  # torchrun -m sqlcurate.commands.train ...
    train()
