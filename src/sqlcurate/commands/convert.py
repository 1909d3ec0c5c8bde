"""`sqlcurate convert --from FORMAT [--to FORMAT] IN OUT`: reformat conversations, quarantining bad rows.

Only the reader-level contract runs (no SQL checks: that is `validate`); every non-blank input row ends
in OUT or in OUT's ``.rejected.jsonl``. ``-`` is standard input / output. See docs/convert.md.
"""

from __future__ import annotations

from pathlib import Path

import click

from sqlcurate.checks.base import CheckRunner
from sqlcurate.commands.validate import P, io_options, make_job
from sqlcurate.formats.pipeline import build_checks, execute
from sqlcurate.formats.readers import INPUT_FORMATS


@click.command()
@click.option("--from", "from_", type=click.Choice(INPUT_FORMATS), default="auto", show_default=True,
              help="Input format (auto: per row).")
@click.argument("input_path", metavar="IN", type=P)
@click.argument("output_path", metavar="OUT", type=P)
@io_options
@click.pass_context
def convert(ctx: click.Context, from_: str, input_path: Path, output_path: Path, to: str | None, **o) -> None:
    """Convert IN to OUT; bad rows go to OUT's .rejected.jsonl with line, codes, reasons and the raw row."""
    job = make_job([input_path], from_, output_path, to, o)
    checks = build_checks(to=job.to, system=o["system"], untrained=o["untrained"], dedupe=o["dedupe"])
    ctx.exit(execute(job, CheckRunner(checks)).exit_code)
