"""``sqlcurate chat``: try a checkpoint by hand, one prompt or a conversation.

Without ``--prompt`` it reads one user turn per stdin line and answers each in the same conversation
(so a follow-up question sees the earlier answer). It works without a terminal too (pipe lines in).
``/clear`` starts a new conversation, ``/quit`` (or end of input) leaves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

REPL_HELP = "Type a question and press Enter. /clear starts over, /quit leaves."


@click.command("chat")
@click.option("--checkpoint", type=click.Path(exists=True, path_type=Path),
              help="model_NNNNNN.pt, a run directory, or a NANOCHAT_BASE_DIR.")
@click.option("--base-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A NANOCHAT_BASE_DIR to pick the newest --source run from (default $NANOCHAT_BASE_DIR).")
@click.option("--source", type=click.Choice(["sft", "base", "mid", "rl"]), default="sft", show_default=True)
@click.option("--tag", default=None, help="Run directory name under <source>_checkpoints/.")
@click.option("--step", type=int, default=None, help="A step of the chosen run (default: its newest).")
@click.option("--tokenizer", "tokenizer_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Tokenizer directory (default: the nearest tokenizer/ above the checkpoint, else $NANOCHAT_BASE_DIR's).")
@click.option("--prompt", "-p", default=None, help="Answer this one prompt and exit.")
@click.option("--temperature", type=click.FloatRange(min=0.0), default=0.0, show_default=True, help="0 = greedy.")
@click.option("--top-k", type=click.IntRange(min=1), default=None)
@click.option("--max-tokens", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--device", default=None, help="cpu, cuda or mps (default: autodetect).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json (with --prompt): the answer and the checkpoint it came from as one JSON object.")
def chat(checkpoint, base_dir, source, tag, step, tokenizer_dir, prompt, temperature, top_k, max_tokens, seed, device,
         output_format):
    """Talk to a checkpoint: one-shot with --prompt, else a conversation read line by line from stdin."""
    from sqlcurate.eval.evaluate import load_checkpoint
    from sqlcurate.eval.generate import Generator
    from sqlcurate.output import info

    if checkpoint is not None and base_dir is not None:
        raise click.UsageError("give --checkpoint or --base-dir, not both")
    if output_format == "json" and prompt is None:
        raise click.UsageError("--format json answers one --prompt; the conversation mode is text only")
    loaded = load_checkpoint(checkpoint, base_dir=base_dir, source=source, tag=tag, step=step, device=device,
                             tokenizer_dir=tokenizer_dir)
    info(f"{loaded.directory} step {loaded.step} ({loaded.reason})")
    gen = Generator(loaded)
    settings = {"max_tokens": max_tokens, "temperature": temperature, "top_k": top_k}

    if prompt is not None:
        answer = gen.answer([{"role": "user", "content": prompt}], seed=seed, **settings).texts[0]
        click.echo(json.dumps({"answer": answer, "checkpoint": str(loaded.directory), "step": loaded.step})
                   if output_format == "json" else answer)
        return

    try:
        _repl(gen, seed, settings)
    except KeyboardInterrupt:  # Ctrl-C leaves quietly, as /quit does
        click.echo(err=True)


def _repl(gen, seed: int, settings: dict) -> None:
    from sqlcurate.output import info

    interactive = sys.stdin.isatty()
    if interactive:
        info(REPL_HELP)
    messages: list[dict[str, str]] = []
    turn = 0
    while True:
        if interactive:
            click.echo("you> ", nl=False, err=True)
        line = sys.stdin.readline()
        if not line:  # end of input
            break
        text = line.strip()
        if not text:
            continue
        if text == "/quit":
            break
        if text == "/clear":
            messages = []
            info("(new conversation)")
            continue
        messages.append({"role": "user", "content": text})
        pieces = []
        if interactive:
            click.echo("model> ", nl=False, err=True)
        for piece in gen.stream(messages, seed=seed + turn, **settings):
            pieces.append(piece)
            click.echo(piece, nl=False)
        click.echo()
        messages.append({"role": "assistant", "content": "".join(pieces)})
        turn += 1
