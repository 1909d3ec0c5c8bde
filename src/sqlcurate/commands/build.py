"""`sqlcurate build`: pulled records -> train/val conversations with provenance, rejects and a report.

Exit codes: 0 built; 1 built, with rows rejected or warnings (see rejects.jsonl, build_report.json);
2 usage or I/O error, or nothing to build from.
"""

from __future__ import annotations

import sys
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
@click.option("--format", "fmt", type=click.Choice(["nanochat", "messages", "parquet"]), default="nanochat", show_default=True)
@click.option("--system", type=click.Choice([p.value for p in SystemPolicy]), default="merge", show_default=True)
def build(workspace, out, catalog_path, engine, val_fraction, mix, seed, fmt, system) -> None:
    """Turn pulled records into checked training conversations."""
    from sqlcurate.build.pipeline import BuildError
    from sqlcurate.build.pipeline import build as run_build
    from sqlcurate.fileio import InputOverwriteError
    from sqlcurate.formats.lines import FileLevelError
    from sqlcurate.sql.catalog import CatalogError

    try:
        report = run_build(workspace, out, catalog_path, engine, val_fraction, list(mix), seed, fmt, SystemPolicy(system))
    except BuildError as e:
        click.echo(f"error: {e.code} {e}", err=True)
        sys.exit(2)
    except CatalogError as e:
        click.echo(str(e), err=True)
        sys.exit(2)
    except ValueError as e:  # a bad --mix spec
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    except FileLevelError as e:  # a --mix file that cannot be read at all
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    except (OSError, InputOverwriteError) as e:
        click.echo(f"error: {getattr(e, 'filename', None) or ''} {getattr(e, 'strerror', None) or e}".strip(), err=True)
        sys.exit(2)
    click.echo(f"{report.out_dir}: train {report.train}, val {report.val} "
               f"({report.written} built, {report.rejected} rejected, {report.mixed} mixed in; "
               f"custom share {report.custom_share:.0%})")
    for task, counts in report.by_task.items():
        click.echo(f"  {task}: {counts.get('written', 0)}/{counts['candidates']}")
    for code, n in report.reject_codes.items():
        click.echo(f"  rejected {n}: {code}")
    if report.needs_review:
        click.echo(f"  {report.needs_review} questions were generated from the SQL: review them (needs_review in the .meta.jsonl)")
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)
    sys.exit(1 if report.rejected or report.bad_records or report.warnings else 0)
