"""Where pulled records land in a workspace, and how they are written (atomically, one JSON per line).

    <workspace>/training_data/raw/clickhouse_query_log.jsonl   QueryRecord per template
    <workspace>/training_data/raw/bigquery_jobs.jsonl          QueryRecord per template
    <workspace>/training_data/raw/docs.jsonl                   DocSection per section
    <workspace>/training_data/raw/.watermarks.json             last event time pulled, per source
    <workspace>/schemas/<warehouse>/<database>.sql + catalog.json
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from sqlcurate.fileio import atomic_open
from sqlcurate.records import TableRecord
from sqlcurate.sql.catalog import Catalog

RAW_DIR = Path("training_data") / "raw"
WATERMARKS = RAW_DIR / ".watermarks.json"


def write_jsonl(path: Path, records: Iterable[BaseModel]) -> int:
    n = 0
    with atomic_open(path) as fh:
        for rec in records:
            fh.write(rec.model_dump_json() + "\n")
            n += 1
    return n


def read_watermarks(workspace: Path) -> dict[str, str]:
    path = workspace / WATERMARKS
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def write_watermark(workspace: Path, key: str, value: str) -> None:
    marks = read_watermarks(workspace)
    marks[key] = value
    with atomic_open(workspace / WATERMARKS) as fh:
        json.dump(marks, fh, indent=1, sort_keys=True)
        fh.write("\n")


def write_catalog(workspace: Path, warehouse: str, tables: list[TableRecord], source: str) -> list[Path]:
    """``schemas/<warehouse>/<database>.sql`` (the DDL as the warehouse reports it) and
    ``schemas/<warehouse>/catalog.json`` (the format ``sqlcurate.sql.catalog`` reads). Returns the paths."""
    out_dir = workspace / "schemas" / warehouse
    written = []
    by_db: dict[str, list[TableRecord]] = {}
    for t in tables:
        by_db.setdefault(t.database, []).append(t)
    for database, group in sorted(by_db.items()):
        path = out_dir / f"{database}.sql"
        with atomic_open(path) as fh:
            fh.write(f"-- {warehouse} {database}: pulled by sqlcurate from {source}\n\n")
            fh.write("".join(t.ddl.rstrip().rstrip(";") + ";\n\n" for t in sorted(group, key=lambda t: t.name)))
        written.append(path)
    catalog_path = out_dir / "catalog.json"
    Catalog(sorted(tables, key=lambda t: t.qualified), dialect=warehouse, source=source).save_json(catalog_path)
    written.append(catalog_path)
    return written
