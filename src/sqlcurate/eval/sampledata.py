"""Load a directory of sample rows into the embedded engine so gold and generated SQL can run on it.

Layout: one file per table, named ``<database>.<table>.<ext>``, where ext says the format:
``csv`` (with a header row), ``tsv`` (with a header row), ``jsonl``/``ndjson`` (one object per line) or
``parquet``. Each table is created from the catalog's ClickHouse DDL, then filled by ClickHouse's own
``file()`` reader with the table's structure, so values are parsed exactly as the engine types them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlcurate.errors import LocatedError
from sqlcurate.sql.catalog import Catalog

CODES = {
    "EVAL_SAMPLE_UNKNOWN_TABLE": "a sample-data file names a table the catalog does not have",
    "EVAL_SAMPLE_FORMAT": "a sample-data file has an extension we do not read",
    "EVAL_SAMPLE_LOAD": "the engine could not create or fill a sample-data table",
}

FORMATS = {".csv": "CSVWithNames", ".tsv": "TSVWithNames", ".jsonl": "JSONEachRow", ".ndjson": "JSONEachRow",
           ".parquet": "Parquet"}


class SampleDataError(LocatedError, ValueError):
    """A sample-data file that cannot be loaded, as ``path:line: CODE reason``."""


@dataclass(frozen=True)
class LoadedTable:
    table: str
    file: str
    rows: int


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def load_sample_data(client, catalog: Catalog, directory: str | Path) -> list[LoadedTable]:
    """Create and fill every table that has a file in ``directory``; tables are recreated each time."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SampleDataError("EVAL_SAMPLE_LOAD", directory, 0, "not a directory")
    loaded = []
    for path in sorted(p for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")):
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise SampleDataError("EVAL_SAMPLE_FORMAT", path, 0, f"expected one of {', '.join(FORMATS)}")
        name = path.name[: -len(path.suffix)]
        table = catalog.table(name)
        if table is None or "." not in name:
            raise SampleDataError("EVAL_SAMPLE_UNKNOWN_TABLE", path, 0, f"{name!r} is not a database.table of the catalog")
        if table.dialect != "clickhouse" or not table.ddl:
            raise SampleDataError("EVAL_SAMPLE_LOAD", path, 0, f"{table.qualified} has no ClickHouse DDL in the catalog")
        structure = ", ".join(f"`{c.name}` {c.type}" for c in table.columns)
        try:
            client.command(f"CREATE DATABASE IF NOT EXISTS `{table.database}`")
            client.command(f"DROP TABLE IF EXISTS `{table.database}`.`{table.name}`")
            client.command(table.ddl)
            client.command(f"INSERT INTO `{table.database}`.`{table.name}` SELECT * FROM "
                           f"file({_quote(str(path.resolve()))}, {_quote(fmt)}, {_quote(structure)})")
            rows = client.query(f"SELECT count() FROM `{table.database}`.`{table.name}`").result_rows[0][0]
        except Exception as e:  # the driver's DatabaseError; report it with the file, not a traceback
            raise SampleDataError("EVAL_SAMPLE_LOAD", path, 0, str(e).splitlines()[0][:300]) from None
        loaded.append(LoadedTable(table.qualified, str(path), int(rows)))
    return loaded
