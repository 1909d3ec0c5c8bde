"""`sqlcurate transpile --from DIALECT [FILE|-]`: SQL in another dialect -> canonical ClickHouse.

One output statement per input statement, each ending with ``;`` and a newline, on stdout. A statement
that cannot be parsed or transpiled faithfully is an error naming its line and the reason; then nothing
is printed on stdout (a partial translation is worse than none) and the exit code is 1.

Exit codes: 0 all statements transpiled; 1 some statement could not be; 2 usage or I/O error.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlglot.errors import TokenError

from sqlcurate.sql.dialects import DISPLAY, normalize_dialect
from sqlcurate.sql.transpile import TranspileError, split_statements, to_clickhouse


def _dialect(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return normalize_dialect(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def _read(path: str) -> tuple[str, str]:
    """(text, display name) of FILE or stdin; OSError/UnicodeDecodeError on I/O trouble."""
    if path == "-":
        return sys.stdin.buffer.read().decode("utf-8"), "<stdin>"
    return Path(path).read_text(encoding="utf-8"), path


@click.command(name="transpile")
@click.option("--from", "source", required=True, callback=_dialect, metavar="DIALECT",
              help=f"Dialect of the input: {', '.join(DISPLAY)} (aliases such as t-sql, postgresql accepted).")
@click.option("--pretty", is_flag=True, help="Indent each statement over several lines.")
@click.argument("file", default="-", metavar="[FILE|-]")
def transpile(source: str, pretty: bool, file: str) -> None:
    """Transpile SQL (one or more statements) from DIALECT to canonical ClickHouse."""
    try:
        text, name = _read(file)
    except UnicodeDecodeError as e:
        click.echo(f"error: {file}: not UTF-8 text ({e.reason} at byte {e.start})", err=True)
        sys.exit(2)
    except OSError as e:
        click.echo(f"error: {file}: {e.strerror or e}", err=True)
        sys.exit(2)
    try:
        statements = split_statements(text, source)
    except TokenError as e:
        click.echo(f"{name}:1: SQL_PARSE_ERROR {DISPLAY[source]} text cannot be tokenized: {e}", err=True)
        sys.exit(1)
    if not statements:
        click.echo(f"error: {name}: no SQL statement in the input", err=True)
        sys.exit(2)
    out: list[str] = []
    failed = 0
    for st in statements:
        try:
            out.extend(to_clickhouse(st.sql, source, pretty=pretty))
        except TranspileError as e:
            code = "SQL_PARSE_ERROR" if "parse error" in str(e) else "SQL_UNTRANSPILABLE"
            click.echo(f"{name}:{st.line}: {code} {e}", err=True)
            failed += 1
    if failed:
        click.echo(f"error: {failed} of {len(statements)} statement(s) not transpiled; nothing written", err=True)
        sys.exit(1)
    sys.stdout.write("".join(f"{sql};\n" for sql in out))
