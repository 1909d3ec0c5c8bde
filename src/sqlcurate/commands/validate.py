"""`sqlcurate validate FILE...`: every check on conversation files, with optional cleaned output.

Schema (the reader) always runs; the SQL check runs by default (``--no-sql`` turns it off); grounding, the
engine, redaction, dedupe and length run when their options are given. The loop, the checks' order and the
outputs live in ``sqlcurate.formats.pipeline``. See docs/validate.md.
"""

from __future__ import annotations

from pathlib import Path

import click

from sqlcurate.checks.base import CheckRunner
from sqlcurate.conversation import SystemPolicy
from sqlcurate.formats.lines import DEFAULT_MAX_LINE_BYTES
from sqlcurate.formats.mapping import resolve_mapping
from sqlcurate.formats.pipeline import UNTRAINED_CHOICES, Job, ValidateSettings, execute, output_format_for
from sqlcurate.formats.readers import INPUT_FORMATS, PREFERENCE_CHOICES, ReadOptions
from sqlcurate.formats.writers import OUTPUT_FORMATS

DEDUPE_CHOICES = ("exact", "normalized", "sql-template")
P = click.Path(path_type=Path, allow_dash=True)


def io_options(fn):
    """Options convert and validate share: formats, training signals, mapping, dedupe, limits, report."""
    for option in reversed([
        click.option("--to", type=click.Choice(OUTPUT_FORMATS), help="Output format [default: nanochat, parquet for .parquet]."),
        click.option("--system", type=click.Choice([p.value for p in SystemPolicy]), default="merge", show_default=True,
                     help="Leading system message in nanochat output: merge into the first user turn, drop, or reject."),
        click.option("--untrained", type=click.Choice(UNTRAINED_CHOICES), default="quarantine", show_default=True,
                     help="nanochat output and a turn marked not trained: quarantine the row, or train the turn anyway."),
        click.option("--preference", type=click.Choice(PREFERENCE_CHOICES), default="reject", show_default=True,
                     help="chosen/rejected rows: quarantine them, or keep the chosen answer."),
        click.option("--map", "maps", multiple=True, metavar="KEY=NAME", help="Another name for a field, tag or role (docs/convert.md)."),
        click.option("--map-file", metavar="DATASET_INFO:NAME", help="Names from a LLaMA-Factory dataset_info.json entry."),
        click.option("--dedupe", type=click.Choice(DEDUPE_CHOICES), help="Drop repeated rows (counted and quarantined)."),
        click.option("--rejected", type=P, help="Quarantine file [default: OUT's .rejected.jsonl]."),
        click.option("--max-line-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_LINE_BYTES, show_default=True,
                     help="Longer rows are quarantined (LINE_TOO_LONG) without being loaded."),
        click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True),
        click.option("-v", "--verbose", is_flag=True, help="Print the format each row was read as."),
    ]):
        fn = option(fn)
    return fn


def make_job(inputs: list[Path], fmt: str, out: Path | None, to: str | None, o: dict) -> Job:
    mapping = resolve_mapping(o["maps"], o["map_file"])
    return Job(list(inputs), fmt, out, output_format_for(out, to), o["system"], False, o["output_format"],
               o["max_line_bytes"], o["verbose"], ReadOptions(mapping, o["preference"]), o["rejected"])


@click.command()
@click.argument("files", nargs=-1, required=True, type=P)
@click.option("--from", "from_", type=click.Choice(INPUT_FORMATS), default="auto", show_default=True)
@click.option("--out", type=P, help="Write kept rows here ('-': standard output) and quarantine the rest.")
@click.option("--no-sql", "no_sql", is_flag=True, help="Skip the SQL check (schema-only validation).")
@click.option("--sql-dialect", help="Dialect the SQL was written in (default: detected per query).")
@click.option("--catalog", type=click.Path(path_type=Path), help="Catalog (DDL or JSON): check names against it.")
@click.option("--engine", type=click.Choice(["chdb"]), help="Prove every query on the embedded ClickHouse (needs --catalog).")
@click.option("--redact", is_flag=True, help="Replace secrets with typed placeholders in OUT (without --out: report them).")
@click.option("--fix", is_flag=True, help="Rewrite fixable SQL; needs --out; changes go to OUT's .changes.jsonl.")
@click.option("--tokenizer", type=click.Path(path_type=Path), help="nanochat tokenizer directory for --max-tokens.")
@click.option("--max-tokens", type=click.IntRange(min=1), help="Longest conversation in tokens (needs --tokenizer).")
@click.option("--over-length", type=click.Choice(["drop", "truncate"]), default="drop", show_default=True)
@io_options
@click.pass_context
def validate(ctx, files, from_, out, no_sql, sql_dialect, catalog, engine, redact, fix, tokenizer, max_tokens,
             over_length, to, **o) -> None:
    """Check conversation FILES ('-': standard input); with --out, write the rows that pass."""
    settings = ValidateSettings(not no_sql, sql_dialect, catalog, engine, redact, fix, tokenizer, max_tokens, over_length,
                                o["dedupe"], o["untrained"])
    problem = settings.usage_problem(out is not None, spell=lambda name: "--" + name.replace("_", "-"))
    if problem:
        raise click.UsageError(problem)
    job = make_job(files, from_, out, to, o)
    job.changes = settings.writes_changes(out is not None)
    checks = settings.checks(to=job.to, system=o["system"], writes_output=out is not None)
    ctx.exit(execute(job, CheckRunner(checks)).exit_code)
