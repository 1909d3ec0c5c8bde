"""How pulled records, watermarks and catalogs are written into a workspace (atomically, one JSON per
line); where they go is ``sqlcurate.workspace``."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

from sqlcurate.errors import SqlcurateError
from sqlcurate.fileio import atomic_open
from sqlcurate.records import TableRecord
from sqlcurate.sql.catalog import Catalog
from sqlcurate.workspace import RAW_DIR, WATERMARKS, Workspace

# RAW_DIR is re-exported: connectors that add a raw record file (e.g. feedback) name it from here
__all__ = ["CODES", "RAW_DIR", "read_watermarks", "workspace_writes", "write_catalog", "write_watermark"]

CODES = {
    "PULL_IO_ERROR": "the workspace could not be written (permissions, a full disk, a file where a directory belongs)",
}


@contextlib.contextmanager
def workspace_writes(workspace: Path) -> Iterator[None]:
    """Turn an OSError while a pull writes into the workspace into one ``PULL_IO_ERROR`` naming the file."""
    try:
        yield
    except OSError as e:
        raise SqlcurateError("PULL_IO_ERROR", f"{e.filename or workspace}: {e.strerror or e}") from None


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
    out_dir = Workspace(workspace).catalog_dir(warehouse)
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
