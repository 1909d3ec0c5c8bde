"""`sqlcurate review`: a terminal review of the pairs `build` held back or marked for review; each decision
goes to the review file that the next `build` applies (the work is in `sqlcurate.build.review`)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="review")
@click.option("--workspace", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="The build output holding review_queue.jsonl [default: WORKSPACE/training_data/curated].")
@click.option("--review", "review_path", type=click.Path(dir_okay=False, path_type=Path), help="Decisions file [default: WORKSPACE/training_data/review.jsonl].")
@click.option("--catalog", "catalog_path", type=click.Path(path_type=Path), help="Catalog shown beside each query [default: WORKSPACE/schemas].")
@click.option("--sample-engine", type=click.Path(file_okay=False, path_type=Path), help="Embedded ClickHouse directory with sample data: show a few result rows.")
def review(workspace, out, review_path, catalog_path, sample_engine) -> None:
    """Accept, edit or reject the questions that need a person."""
    from sqlcurate.build.review import read_queue, review_session
    from sqlcurate.errors import SqlcurateError
    from sqlcurate.sql.catalog import load_catalog
    from sqlcurate.workspace import CURATED_DIR, REVIEW_FILE, SCHEMAS_DIR

    queue = read_queue((out or workspace / CURATED_DIR) / "review_queue.jsonl")
    catalog_path = catalog_path or workspace / SCHEMAS_DIR
    try:
        catalog = load_catalog(catalog_path) if catalog_path.exists() else None
    except ValueError as e:  # CatalogError: `path:line: CODE reason`
        raise SqlcurateError(getattr(e, "code", None) or "REVIEW_BAD_CATALOG", str(e)) from None
    runner = None
    if sample_engine is not None:
        from sqlcurate.eval.runner import QueryRunner

        # the sample engine is opened by the runner's sandbox process, not here (one process per directory)
        runner = QueryRunner(timeout_s=5.0, max_rows=1000, engine_dir=sample_engine)
    review_session(queue, review_path or workspace / REVIEW_FILE, catalog, runner, say=click.echo)
