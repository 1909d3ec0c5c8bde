"""`sqlcurate pull clickhouse|bigquery|docs`: records and catalogs into a workspace.

Exit codes: 0 pulled; 1 pulled with problems (files skipped, history unavailable); 2 usage, connection,
credential or I/O error (a one-line message, never a traceback, never a password).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import click

from sqlcurate.cli import SuggestingGroup
from sqlcurate.connectors.profiles import resolve_profile
from sqlcurate.connectors.store import workspace_writes

WORKSPACE = click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
FORMAT = click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
                      help="json: what was pulled as one JSON object on stdout.")


def _report(summary, output_format: str, warnings: list[str] = ()) -> None:
    from sqlcurate.output import diagnostics

    if output_format == "json":
        click.echo(json.dumps({**dataclasses.asdict(summary), "warnings": list(warnings)}, indent=2, default=str))
    else:
        _summary_lines(summary)
    diagnostics((f"warning: {w}" for w in warnings), err=True)


def _summary_lines(summary) -> None:
    if summary.records_path is not None:
        click.echo(f"{summary.records_path}: {summary.templates_total} query templates "
                   f"({summary.templates_new} new, {summary.queries} queries in this pull)")
    for code, n in sorted(summary.skipped.items()):
        click.echo(f"  skipped {n}: {code}")
    for p in summary.catalog_paths:
        click.echo(f"{p}")
    click.echo(f"catalog: {summary.tables} tables")


@click.group(name="pull", cls=SuggestingGroup)
def pull() -> None:
    """Pull query logs, catalogs and docs into a workspace (training_data/raw/, schemas/)."""


@pull.command(name="clickhouse")
@click.option("--profile", "profile_name", help="Profile name (connectors/NAME.toml) or path to a .toml file.")
@click.option("--dsn", help="Connection URL (overrides the profile's location), e.g. chdb://DIR or https://user@host:8443/db.")
@WORKSPACE
@click.option("--log-table", help="Query log table: db.table or clusterAllReplicas(cluster, db.table) [default: the profile's, else system.query_log].")
@click.option("--since", help="Only queries at or after this time (any format ClickHouse parses, UTC).")
@click.option("--users", multiple=True, help="Only queries by these users (repeat the option).")
@click.option("--min-count", type=click.IntRange(min=1), default=1, show_default=True, help="Write templates seen at least this often.")
@click.option("--database", "databases", multiple=True, help="Catalog databases (repeat) [default: the profile's, else all non-system].")
@FORMAT
def clickhouse(profile_name, dsn, workspace, log_table, since, users, min_count, databases, output_format) -> None:
    """Query-log templates and the catalog from ClickHouse (read-only)."""
    from sqlcurate.connectors.clickhouse import pull_clickhouse

    profile = resolve_profile(profile_name, dsn, workspace, "clickhouse")
    with workspace_writes(workspace):
        summary = pull_clickhouse(profile, workspace, log_table, since, list(users) or None, min_count, list(databases) or None)
    _report(summary, output_format)


@pull.command(name="bigquery")
@click.option("--profile", "profile_name", help="Profile name (connectors/NAME.toml) or path to a .toml file.")
@WORKSPACE
@click.option("--dataset", "datasets", multiple=True, help="Datasets to pull (repeat) [default: the profile's, else all].")
@click.option("--jobs/--no-jobs", default=True, show_default=True, help="Also pull recent query history from INFORMATION_SCHEMA.JOBS.")
@FORMAT
@click.pass_context
def bigquery(ctx: click.Context, profile_name, workspace, datasets, jobs, output_format) -> None:
    """The catalog (and query history) from BigQuery."""
    from sqlcurate.connectors.bigquery import pull_bigquery

    profile = resolve_profile(profile_name, None, workspace, "bigquery")
    with workspace_writes(workspace):
        summary, warnings = pull_bigquery(profile, workspace, list(datasets) or None, jobs)
    _report(summary, output_format, warnings)
    ctx.exit(1 if warnings else 0)


@pull.command(name="docs")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@WORKSPACE
@FORMAT
@click.pass_context
def docs(ctx: click.Context, paths, workspace, output_format) -> None:
    """Markdown, HTML, text and Dataform .sqlx files, split into sections with heading paths."""
    from sqlcurate.connectors.docs import pull_docs
    from sqlcurate.output import diagnostics
    from sqlcurate.workspace import DOCS_RECORDS

    with workspace_writes(workspace):
        n, problems = pull_docs(list(paths), workspace)
    if output_format == "json":
        click.echo(json.dumps({"records_path": str(workspace / DOCS_RECORDS), "sections": n, "problems": problems}, indent=2))
    else:
        click.echo(f"{workspace / DOCS_RECORDS}: {n} sections")
    diagnostics(problems, err=True)
    ctx.exit(1 if problems else 0)


@pull.command(name="feedback")
@click.argument("log", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@WORKSPACE
@FORMAT
@click.pass_context
def feedback(ctx: click.Context, log, workspace, output_format) -> None:
    """A `sqlcurate serve` feedback log: rated-up answers and corrections become records `build` uses."""
    from sqlcurate.connectors.feedback import pull_feedback
    from sqlcurate.output import diagnostics

    with workspace_writes(workspace):
        s = pull_feedback(log, workspace)
    if output_format == "json":
        click.echo(json.dumps({**dataclasses.asdict(s), "records": s.records, "findings": s.diagnostics()}, indent=2, default=str))
    else:
        click.echo(f"{s.records_path}: {s.records} records ({s.rated_up} rated up, {s.corrected} corrected) "
                   f"from {s.exchanges} exchanges; {s.unrated} unrated; {s.redacted} values redacted")
        click.echo(f"{s.unresolved_path}: {s.unresolved} rated down without a correction (for eval, not training)")
    diagnostics(s.diagnostics(), err=True)
    ctx.exit(1 if s.findings else 0)
