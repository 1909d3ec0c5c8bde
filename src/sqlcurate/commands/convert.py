"""`sqlcurate convert --from FORMAT [--to FORMAT] IN OUT`: reformat conversations, quarantining bad lines.

Only the reader-level contract runs (no SQL checks: that is `validate`); every non-blank input line ends
in OUT or in OUT's ``.rejected.jsonl``. See docs/convert.md.
"""

from __future__ import annotations

from pathlib import Path

import click

from sqlcurate.checks.base import CheckRunner
from sqlcurate.checks.schema import SystemCheck
from sqlcurate.commands.validate import SYSTEM_CHOICES, execute, output_format_for
from sqlcurate.conversation import SystemPolicy
from sqlcurate.formats.lines import DEFAULT_MAX_LINE_BYTES
from sqlcurate.formats.readers import INPUT_FORMATS
from sqlcurate.formats.writers import OUTPUT_FORMATS


@click.command()
@click.option("--from", "from_", type=click.Choice(INPUT_FORMATS), required=True, help="Input format (auto: per line).")
@click.option("--to", type=click.Choice(OUTPUT_FORMATS), help="Output format [default: nanochat, parquet for .parquet].")
@click.option("--system", type=click.Choice(SYSTEM_CHOICES), default="merge", show_default=True,
              help="Leading system message in nanochat output: merge into the first user turn, drop, or reject.")
@click.option("--max-line-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_LINE_BYTES, show_default=True,
              help="Longer lines are quarantined (LINE_TOO_LONG) without being loaded.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="Print the format each line was read as.")
@click.argument("input_path", metavar="IN", type=click.Path(path_type=Path))
@click.argument("output_path", metavar="OUT", type=click.Path(path_type=Path))
@click.pass_context
def convert(ctx: click.Context, from_: str, to: str | None, system: str, max_line_bytes: int, output_format: str,
            verbose: bool, input_path: Path, output_path: Path) -> None:
    """Convert IN to OUT; bad lines go to OUT's .rejected.jsonl with line, code, message and raw line."""
    to = output_format_for(output_path, to)
    checks = [SystemCheck(system)] if to == "nanochat" and SystemPolicy(system) is SystemPolicy.REJECT else []
    ctx.exit(execute([input_path], from_, CheckRunner(checks), output_path, to, system, False, output_format,
                     max_line_bytes, verbose))
