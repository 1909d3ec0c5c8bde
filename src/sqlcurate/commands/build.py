"""`sqlcurate build`: pulled records -> train/val conversations with provenance, rejects, a review queue
and a report (the work is in `sqlcurate.build.pipeline`).

Exit codes: 0 built; 1 built, with rows rejected or warnings (see rejects.jsonl, build_report.json);
2 usage or I/O error, or nothing to build from.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import click

from sqlcurate.conversation import SystemPolicy


@click.command(name="build")
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Output directory [default: WORKSPACE/training_data/curated].")
@click.option("--catalog", "catalog_path", type=click.Path(path_type=Path), help="Catalog: schemas dir, DDL file or catalog.json [default: WORKSPACE/schemas].")
@click.option("--engine", type=click.Choice(["chdb", "none"]), default="chdb", show_default=True, help="Prove every query on the embedded ClickHouse.")
@click.option("--val-fraction", type=click.FloatRange(0.0, 1.0, max_open=True), default=0.1, show_default=True)
@click.option("--mix", multiple=True, metavar="FILE:RATIO", help="Add RATIO x custom-train rows sampled from FILE (repeat). Default: custom only.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--to", "fmt", type=click.Choice(["nanochat", "messages", "parquet"]), default="nanochat", show_default=True, help="Format of train/val.")
@click.option("--system", type=click.Choice([p.value for p in SystemPolicy]), default="merge", show_default=True)
@click.option("--review", "review_path", type=click.Path(dir_okay=False, path_type=Path), help="Reviewers' decisions [default: WORKSPACE/training_data/review.jsonl].")
@click.option("--include-unreviewed", is_flag=True, help="Write pairs held for review to train/val too.")
@click.option("--question-model", metavar="URL", help="OpenAI-compatible API base (e.g. http://127.0.0.1:8000/v1) that writes questions for queries without the analyst's words.")
@click.option("--question-model-name", default="default", show_default=True)
@click.option("--question-model-key-env", metavar="VAR", help="Environment variable holding the endpoint's API key.")
@click.option("--sample-engine", type=click.Path(file_okay=False, path_type=Path), help="Embedded ClickHouse directory with sample data (result rows for the question model).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="How the summary is printed (json: build_report.json's document on stdout).")
@click.pass_context
def build(ctx, workspace, out, catalog_path, engine, val_fraction, mix, seed, fmt, system, review_path, include_unreviewed,
          question_model, question_model_name, question_model_key_env, sample_engine, output_format) -> None:
    """Turn pulled records into checked training conversations."""
    from sqlcurate.build.pipeline import build as run_build
    from sqlcurate.build.questions import QuestionWriter
    from sqlcurate.errors import SqlcurateError
    from sqlcurate.formats.lines import FileLevelError

    key = os.environ.get(question_model_key_env, "") if question_model_key_env else ""
    writer = QuestionWriter(question_model, question_model_name, key) if question_model else None
    try:
        report = run_build(workspace, out, catalog_path, engine, val_fraction, list(mix), seed, fmt, SystemPolicy(system),
                           review_path, include_unreviewed, writer, sample_engine)
    except (FileLevelError, OSError, ValueError) as e:  # a catalog, --mix spec or file that cannot be read
        raise SqlcurateError(getattr(e, "code", None) or "BUILD_INPUT", str(e)) from None
    exit_code = 1 if report.rejected or report.bad_records or report.warnings else 0
    if output_format == "json":
        click.echo(json.dumps(asdict(report), indent=1))
        ctx.exit(exit_code)
    click.echo(f"{report.out_dir}: train {report.train}, val {report.val} ({report.written} built, "
               f"{report.held_for_review} held for review, {report.rejected} rejected, {report.mixed} mixed in; "
               f"custom share {report.custom_share:.0%})")
    for task, counts in report.by_task.items():
        click.echo(f"  {task}: {counts.get('written', 0)}/{counts['candidates']}")
    click.echo("  questions from: " + ", ".join(f"{k} {v}" for k, v in sorted(report.question_sources.items()))
               + "".join(f"; review {k} {v}" for k, v in sorted(report.review_decisions.items())))
    for verb, codes in (("rejected", report.reject_codes), ("flagged", report.question_findings)):
        click.echo("".join(f"  {verb} {n}: {code}\n" for code, n in codes.items()), nl=False)
    if report.needs_review:
        click.echo(f"  {report.needs_review} queries need review: sqlcurate review --workspace {workspace} --out {report.out_dir}")
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)
    ctx.exit(exit_code)
