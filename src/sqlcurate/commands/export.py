"""`sqlcurate export --format hf CHECKPOINT OUT [--push REPO]`: a Hugging Face model directory (and upload)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="export")
@click.argument("checkpoint", type=click.Path(exists=True, path_type=Path))
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["hf"]), default="hf", show_default=True)
@click.option("--tokenizer", "tokenizer_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Tokenizer directory (default: the nearest tokenizer/ above the checkpoint).")
@click.option("--eval-report", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A `sqlcurate eval` JSON report, summarised in the model card.")
@click.option("--build-report", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The `sqlcurate build` report (build_report.json) of the training data, for the card's sources.")
@click.option("--push", "repo", default=None, help="Upload OUT to this Hugging Face repo (token from $HF_TOKEN).")
@click.option("--public", is_flag=True, help="Create the repo public (default: private).")
def export(checkpoint, out, fmt, tokenizer_dir, eval_report, build_report, repo, public) -> None:
    """Export a checkpoint for transformers (AutoModelForCausalLM / AutoTokenizer), optionally push it."""
    from sqlcurate.export.hf import export_hf, push

    result = export_hf(checkpoint, out, tokenizer_dir, eval_report, build_report)
    click.echo(f"{result.out}: {result.parameters:,} parameters; {', '.join(result.files)}")
    if repo is not None:
        click.echo(f"pushed: {push(result.out, repo, private=not public)}")
