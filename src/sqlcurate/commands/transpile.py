"""`sqlcurate transpile --from DIALECT [--catalog DIR] [--format text|json] [FILE|-]`: another dialect ->
canonical ClickHouse, every output proven by the engine (sqlcurate.sql.proven). A refused statement is
``FILE:LINE: CODE message`` on stderr and then nothing is written. Exit: 0 written; 1 refused; 2 usage/I/O.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sqlcurate.errors import SqlcurateError
from sqlcurate.output import info
from sqlcurate.sql.dialects import DISPLAY, normalize_dialect
from sqlcurate.sql.proven import prover_for, read_sql, transpile_text
from sqlcurate.sql.transpile import TranspileError


def _dialect(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        return normalize_dialect(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


@click.command(name="transpile")
@click.option("--from", "source", required=True, callback=_dialect, metavar="DIALECT",
              help=f"Dialect of the input: {', '.join(DISPLAY)} (aliases such as t-sql, postgresql, sqlite3 accepted).")
@click.option("--pretty", is_flag=True, help="Indent each statement over several lines.")
@click.option("--catalog", type=click.Path(exists=True, dir_okay=True, path_type=Path),
              help="Also prove each output with EXPLAIN PLAN against this catalog's tables.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.argument("file", default="-", metavar="[FILE|-]")
def transpile(source: str, pretty: bool, catalog: Path | None, fmt: str, file: str) -> None:
    """Transpile SQL (one or more statements) from DIALECT to canonical ClickHouse, proven by the engine."""
    text, name = read_sql(file)
    prover = prover_for(catalog)
    if prover is None:
        info("note: outputs are unproven: the embedded ClickHouse engine is not installed")
    try:
        results = transpile_text(text, source, pretty=pretty, prover=prover)
    except TranspileError as e:
        click.echo(f"{name}:1: {e.code} {e}", err=True)
        sys.exit(1)
    if not results:
        raise SqlcurateError("INPUT_EMPTY", f"{name}: no SQL statement in the input")
    failed = [r for r in results if not r.ok]
    if fmt == "json":
        click.echo(json.dumps({"input": name, "source_dialect": source, "written": not failed,
                               "statements": [r.as_json(source) for r in results]}, ensure_ascii=False))
        sys.exit(1 if failed else 0)
    for line in (line for r in results for line in r.render(name, source)):
        click.echo(line, err=True)
    if failed:
        click.echo(f"error: {len(failed)} of {len(results)} statement(s) not transpiled; nothing written", err=True)
        sys.exit(1)
    sys.stdout.write("".join(f"{sql};\n" for r in results for sql in r.clickhouse))
