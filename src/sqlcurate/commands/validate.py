"""`sqlcurate validate FILE...`: every check on conversation files, with optional cleaned output.

Schema (the reader) always runs; the SQL check runs by default when ``sqlcurate.checks.sql`` is present
(``--no-sql`` turns it off); catalog grounding, the engine check, redaction and the length check run when
their options are given. Each check's module is imported only when its option is used, so a schema-only
run never loads sqlglot, chdb or a tokenizer. See docs/validate.md.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import click

from sqlcurate.checks.base import Check, CheckRunner
from sqlcurate.conversation import SystemPolicy
from sqlcurate.fileio import InputOverwriteError, refuse_overwrite
from sqlcurate.formats.lines import DEFAULT_MAX_LINE_BYTES, FileLevelError
from sqlcurate.formats.pipeline import Outputs, check_inputs, run
from sqlcurate.formats.readers import INPUT_FORMATS
from sqlcurate.formats.report import print_json, print_tables, summary_dict
from sqlcurate.formats.writers import OUTPUT_FORMATS, JsonlLog, open_writer, sidecar_path

SYSTEM_CHOICES = [p.value for p in SystemPolicy]


def output_format_for(out: Path, to: str | None) -> str:
    """``--to`` if given, else Parquet for a ``.parquet`` path, else nanochat."""
    if to:
        return to
    return "parquet" if Path(out).suffix == ".parquet" else "nanochat"


def execute(inputs: list[Path], fmt: str, runner: CheckRunner, out: Path | None, to: str, system: str,
            changes: bool, output_format: str, max_line_bytes: int, verbose: bool) -> int:
    """Run the pipeline, write or discard the outputs atomically, report; return the exit code."""
    outputs = Outputs()
    paths: dict[str, str] = {}
    try:
        check_inputs(inputs)
        if out is not None:
            targets = {"output": out, "rejected": sidecar_path(out, "rejected")}
            if changes:
                targets["changes"] = sidecar_path(out, "changes")
            for target in (*targets.values(), sidecar_path(out, "meta")):
                refuse_overwrite(target, inputs)
            outputs.writer = open_writer(out, to, system, inputs)
            outputs.rejected = JsonlLog(targets["rejected"], inputs)
            if changes:
                outputs.changes = JsonlLog(targets["changes"], inputs)
            paths = {k: str(v) for k, v in targets.items()}
        try:
            summary = run(inputs, fmt, runner, outputs, sys.stderr, max_line_bytes,
                          progress=sys.stderr.isatty() and output_format == "table", verbose=verbose)
        except BaseException:
            outputs.abort()
            raise
        outputs.close()
        meta = sidecar_path(out, "meta") if out is not None and to == "nanochat" else None
        if meta is not None and meta.exists():
            paths["meta"] = str(meta)
    except (FileLevelError, InputOverwriteError) as e:
        click.echo(f"error: {e}", err=True)
        return 2
    except OSError as e:
        # a failed rename names the temp file first and the destination second: show the destination
        click.echo(f"error: {e.filename2 or e.filename or ''}: {e.strerror or e}", err=True)
        return 2
    finally:
        runner.close()
    if output_format == "json":
        print_json(summary_dict(summary, runner, paths))
    else:
        print_tables(summary, runner, paths)
    return summary.exit_code


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _require(module: str, option: str) -> None:
    if not _module_exists(module):
        raise click.UsageError(f"{option} needs {module}, which is not installed")


def build_checks(*, to: str, system: str, sql: bool, sql_dialect: str | None, fix: bool, catalog: Path | None,
                 engine: str | None, redact: bool, tokenizer: Path | None, max_tokens: int | None,
                 over_length: str, writes_output: bool = True) -> list[Check]:
    """The checks in the order they must run: policy, then fixers (redaction before SQL so a secret never
    reaches the engine), then SQL, grounding, engine, the contract again after fixes, then length."""
    from sqlcurate.checks.schema import SchemaCheck, SystemCheck

    checks: list[Check] = []
    if to == "nanochat" and SystemPolicy(system) is SystemPolicy.REJECT:
        checks.append(SystemCheck(system))
    if redact:
        _require("sqlcurate.checks.redaction", "--redact")
        from sqlcurate.checks.redaction import RedactionCheck

        # with an output, redact in place; without one there is nothing to redact into: report each secret
        checks.append(RedactionCheck(fix=writes_output))
    if sql or fix:
        if _module_exists("sqlcurate.checks.sql"):
            from sqlcurate.checks.sql import SqlCheck

            checks.append(SqlCheck(source_dialect=sql_dialect, fix=fix))
        elif fix:
            raise click.UsageError("--fix needs the SQL check (sqlcurate.checks.sql), which is not installed")
        else:
            click.echo("note: SQL check skipped (sqlcurate.checks.sql is not available)", err=True)
    if catalog is not None:
        _require("sqlcurate.checks.grounding", "--catalog")
        from sqlcurate.checks.grounding import GroundingCheck
        from sqlcurate.sql.catalog import load_catalog

        loaded = load_catalog(catalog)
        checks.append(GroundingCheck(loaded, source_dialect=sql_dialect))  # same dialect as SqlCheck: one shared parse
        if engine == "chdb":
            _require("sqlcurate.checks.engine", "--engine chdb")
            from sqlcurate.checks.engine import EngineCheck

            checks.append(EngineCheck(loaded, source_dialect=sql_dialect))
    if redact or fix:
        checks.append(SchemaCheck())
    if tokenizer is not None:
        from sqlcurate.checks.length import LengthCheck

        checks.append(LengthCheck(tokenizer, max_tokens, over_length, system))
    return checks


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--from", "from_", type=click.Choice(INPUT_FORMATS), default="auto", show_default=True,
              help="Input format; auto decides per line.")
@click.option("--out", type=click.Path(path_type=Path), help="Write kept rows here (+ OUT's .rejected.jsonl).")
@click.option("--to", type=click.Choice(OUTPUT_FORMATS), help="Output format [default: nanochat, parquet for .parquet].")
@click.option("--system", type=click.Choice(SYSTEM_CHOICES), default="merge", show_default=True,
              help="Leading system message in nanochat output: merge into the first user turn, drop, or reject.")
@click.option("--no-sql", "no_sql", is_flag=True, help="Skip the SQL check (schema-only validation).")
@click.option("--sql-dialect", help="Dialect the SQL was written in (default: detected per query).")
@click.option("--catalog", type=click.Path(path_type=Path), help="Catalog (DDL or JSON): check names against it.")
@click.option("--engine", type=click.Choice(["chdb"]), help="Prove every query on the embedded ClickHouse (needs --catalog).")
@click.option("--redact", is_flag=True, help="Replace secrets and personal data with typed placeholders in OUT "
              "(without --out: report each one).")
@click.option("--fix", is_flag=True, help="Rewrite fixable SQL; needs --out; changes go to OUT's .changes.jsonl.")
@click.option("--tokenizer", type=click.Path(path_type=Path), help="nanochat tokenizer directory for --max-tokens.")
@click.option("--max-tokens", type=click.IntRange(min=1), help="Longest conversation in tokens (needs --tokenizer).")
@click.option("--over-length", type=click.Choice(["drop", "truncate"]), default="drop", show_default=True)
@click.option("--max-line-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_LINE_BYTES, show_default=True,
              help="Longer lines are quarantined (LINE_TOO_LONG) without being loaded.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="Print the format each line was read as.")
@click.pass_context
def validate(ctx: click.Context, files: tuple[Path, ...], from_: str, out: Path | None, to: str | None, system: str,
             no_sql: bool, sql_dialect: str | None, catalog: Path | None, engine: str | None, redact: bool, fix: bool,
             tokenizer: Path | None, max_tokens: int | None, over_length: str, max_line_bytes: int,
             output_format: str, verbose: bool) -> None:
    """Check conversation FILES; with --out, write the rows that pass and quarantine the rest."""
    if fix and out is None:
        raise click.UsageError("--fix writes the fixed rows, so it needs --out")
    if engine and catalog is None:
        raise click.UsageError("--engine needs --catalog (the tables the queries run against)")
    if (tokenizer is None) != (max_tokens is None):
        raise click.UsageError("--tokenizer and --max-tokens go together")
    to = output_format_for(out, to) if out is not None else (to or "nanochat")
    try:
        checks = build_checks(to=to, system=system, sql=not no_sql, sql_dialect=sql_dialect, fix=fix,
                              catalog=catalog, engine=engine, redact=redact, tokenizer=tokenizer,
                              max_tokens=max_tokens, over_length=over_length, writes_output=out is not None)
    except click.UsageError:
        raise
    except Exception as e:  # a catalog or tokenizer that cannot be loaded is an input error, not a crash
        click.echo(f"error: {e}", err=True)
        ctx.exit(2)
    changes = out is not None and (fix or redact or (tokenizer is not None and over_length == "truncate"))
    ctx.exit(execute(list(files), from_, CheckRunner(checks), out, to, system, changes, output_format,
                     max_line_bytes, verbose))
