"""`sqlcurate redact IN OUT`: replace secrets and personal data with typed placeholders.

Reads any input format (``--from``, per-row detection by default; ``-`` is standard input/output), redacts
each conversation (``sqlcurate.sql.redact``: SQL-aware, placeholders consistent within a conversation) and
writes OUT atomically; rows that are not valid conversations go to ``OUT.rejected.jsonl`` with their raw
text redacted as prose too. The run is ``sqlcurate.formats.redacting.run_redact``.

Exit codes: 0 written and nothing quarantined; 1 written, some rows quarantined; 2 usage or I/O error.
"""

from __future__ import annotations

from pathlib import Path

import click

from sqlcurate.commands.validate import P
from sqlcurate.conversation import SystemPolicy
from sqlcurate.formats.pipeline import Job
from sqlcurate.formats.readers import INPUT_FORMATS
from sqlcurate.formats.redacting import run_redact
from sqlcurate.formats.writers import OUTPUT_FORMATS


@click.command(name="redact")
@click.argument("input_path", metavar="IN", type=P)
@click.argument("output_path", metavar="OUT", type=P)
@click.option("--from", "from_", type=click.Choice(INPUT_FORMATS), default="auto", show_default=True,
              help="Input format (auto: Parquet for a .parquet file, else detected per row).")
@click.option("--to", "to", type=click.Choice(("auto", *OUTPUT_FORMATS)), default="auto", show_default=True,
              help="Output format (auto: Parquet for a .parquet OUT; nanochat rows stay nanochat; else messages).")
@click.option("--system", type=click.Choice([p.value for p in SystemPolicy]), default="merge", show_default=True,
              help="nanochat output: what to do with a leading system message.")
@click.option("--dialect", default="clickhouse", show_default=True, help="Dialect used to tokenize SQL spans.")
@click.option("--format", "report_format", type=click.Choice(("text", "json")), default="text", show_default=True,
              help="How the summary is printed.")
@click.pass_context
def redact(ctx: click.Context, input_path: Path, output_path: Path, from_: str, to: str, system: str, dialect: str,
           report_format: str) -> None:
    """Redact IN into OUT: emails, wallets, tx hashes, keys and tokens, IPs, phones, card numbers."""
    job = Job([input_path], from_, output_path, system=system, output_format="json" if report_format == "json" else "text")
    ctx.exit(run_redact(job, to, dialect))
