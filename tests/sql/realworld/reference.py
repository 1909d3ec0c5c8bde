"""Result rows against a reference engine: a TPC-style query set runs as written on DuckDB (the reference
for DuckDB/Postgres-style SQL) and, transpiled by ``transpile`` from DuckDB, on the embedded ClickHouse,
over the same tables; the two results must be equal as multisets (``eval.compare``'s cells: numbers within a
relative 1e-6, in the query's column order). Shared by test_reference_rows.py (a pinned TPC-H sample) and
benchmarks/sql_real_world.py (sqlglot's whole TPC-H and TPC-DS fixtures)."""

from __future__ import annotations

import datetime
import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlcurate.checks.engine import EngineCheck
from sqlcurate.eval.compare import sort_key, values_equal
from sqlcurate.sql.catalog import load_catalog
from sqlcurate.sql.native import NativeParser
from sqlcurate.sql.proven import Prover, transpile_statement

# ClickHouse's JSON output quotes 64-bit integers and decimals by default; the comparison wants numbers.
# Set on the session, not appended: a second SETTINGS clause replaces the query's own (group_by_use_nulls).
# inf and nan are written as strings (the default writes null, which would equal SQL's NULL), read back by _float.
_JSON_NUMBERS = ("SET output_format_json_quote_64bit_integers = 0", "SET output_format_json_quote_decimals = 0",
                 "SET output_format_json_quote_denormals = 1")
_QUERY_HEADER = re.compile(r"-{10,}\n-- TPC-[HDS]+ (\d+)\n-{10,}\n")
_DIRECTIVES = re.compile(r"^#.*\n", re.MULTILINE)


def split_queries(text: str) -> dict[int, str]:
    """sqlglot's tpc-h.sql / tpc-ds.sql: each query under a ``-- TPC-H n`` banner, followed by sqlglot's
    optimized form of it (which we leave out: the first statement after the banner is the query), and in
    tpc-ds.sql preceded by sqlglot's own ``# execute: ...`` directive lines (left out too)."""
    parts = _QUERY_HEADER.split(text)
    return {int(n): _DIRECTIVES.sub("", body.split(";")[0]).strip() for n, body in zip(parts[1::2], parts[2::2], strict=True)}


def load_tables(csv_dir: Path, duck, conn, database: str = "default") -> list[str]:
    """Every ``<table>.csv`` or ``<table>.csv.gz`` ('|'-separated, with a header) into DuckDB, with DuckDB's detected types
    (or ``<table>.parquet``, with its own types: benchmarks/generate_tpc.py's real TPC data, whose DECIMAL money and
    VARCHAR zip codes a CSV's detection would read as DOUBLE and BIGINT), and
    the same rows and types into ClickHouse's ``database`` (through Parquet, which carries types and NULLs
    across). TPC-H and TPC-DS both have a ``customer``: each set has a database of its own."""
    tables = []
    conn.query(f"CREATE DATABASE IF NOT EXISTS {database}")
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted([*csv_dir.glob("*.csv"), *csv_dir.glob("*.csv.gz"), *csv_dir.glob("*.parquet")]):
            table = path.name.split(".")[0]
            source = (f"read_parquet('{path}')" if path.suffix == ".parquet"
                      else f"read_csv('{path}', delim = '|', header = true, sample_size = -1)")
            duck.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {source}")
            parquet = Path(tmp) / f"{table}.parquet"
            duck.execute(f"COPY {table} TO '{parquet}' (FORMAT parquet)")
            conn.query(f"DROP TABLE IF EXISTS {database}.{table}")
            conn.query(f"CREATE TABLE {database}.{table} ENGINE = MergeTree ORDER BY tuple() "
                       f"AS SELECT * FROM file('{parquet}', Parquet)")
            tables.append(table)
    return tables


def catalog_prover(native: NativeParser, tables: list[str], directory: Path, database: str = "default") -> Prover:
    """The prover of ``transpile --catalog``: parser and functions, then ``EXPLAIN PLAN`` against a catalog
    of the loaded tables, written as the ClickHouse DDL of their columns (names and types as loaded) to
    ``directory/clickhouse.sql`` and read back by ``load_catalog`` like a user's catalog file (as the
    default database's: the queries name their tables unqualified)."""
    ddl = []
    for table in tables:
        columns = json.loads(native.conn.query(f"SELECT name, type FROM system.columns WHERE database = '{database}' "
                                               f"AND table = '{table}' ORDER BY position", "JSONCompact").bytes())["data"]
        body = ", ".join(f"`{name}` {kind}" for name, kind in columns)
        ddl.append(f"CREATE TABLE default.{table} ({body}) ENGINE = MergeTree ORDER BY tuple();")
    path = directory / "clickhouse.sql"
    path.write_text("\n".join(ddl) + "\n")
    return Prover(native, EngineCheck(load_catalog(path, default_database="default"), workers=1))


def _cell(v):
    """One value as both engines' results are compared: dates and times as ISO text."""
    if isinstance(v, datetime.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    return v


def _clickhouse_time(v):
    return v.rstrip("0").rstrip(".") if isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+", v) else v


def _clickhouse_cell(v, kind: str):
    """One ClickHouse JSON cell as DuckDB's: a float column's inf/nan come as strings ('-nan' too)."""
    if isinstance(v, str) and "Float" in kind:
        return float(v.lstrip("-") if v.endswith("nan") else v)
    return _clickhouse_time(v)


def _engine_reason(message: str) -> str:
    """The engine's error name in a refusal's message (``... (NO_COMMON_TYPE); output: ...``)."""
    found = re.search(r"\(([A-Z][A-Z0-9_]+)\); output:", message or "")
    return found.group(1) if found else (message or "")[:60]


def _same_multiset(reference: list[tuple], ours: list[tuple]) -> bool:
    """Rows equal as multisets, column by column in the query's order (the transpilation keeps the order,
    so eval.compare's free column matching, bounded for wide all-NULL rows, is not needed), cells under
    eval.compare's rules (numbers to a relative 1e-6, NULL only equals NULL)."""
    if len(reference) != len(ours):
        return False
    order = lambda row: tuple(sort_key(v) for v in row)  # noqa: E731
    return all(len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
               for a, b in zip(sorted(reference, key=order), sorted(ours, key=order), strict=True))


@dataclass
class ReferenceRun:
    queries: int = 0
    outcome: Counter = field(default_factory=Counter)  # same rows / different rows / refused CODE / errors
    details: dict[int, str] = field(default_factory=dict)  # every query not 'same rows': why
    refused_by: Counter = field(default_factory=Counter)  # refusals by the engine's error name
    # queries whose DuckDB answer has a row with a non-NULL cell: an empty answer agrees vacuously
    # (sqlglot's TPC-DS fixture: most queries; real dsdgen data: see benchmarks/generate_tpc.py)
    non_empty: int = 0

    @property
    def compared(self) -> int:
        return self.outcome["same rows"] + self.outcome["different rows"]


def run_against_duckdb(queries: dict[int, str], duck, conn, prover: Prover | None, database: str = "default") -> ReferenceRun:
    """Each query on DuckDB and, transpiled, on ClickHouse with ``database`` (where ``load_tables`` put
    the tables) as the current one."""
    run = ReferenceRun(queries=len(queries))
    for setting in _JSON_NUMBERS:
        conn.query(setting)
    conn.query(f"USE {database}")
    try:
        _compare_all(queries, duck, conn, prover, run)
    finally:
        conn.query("USE default")
    return run


def _compare_all(queries: dict[int, str], duck, conn, prover: Prover | None, run: ReferenceRun) -> None:
    for n, query in queries.items():
        try:
            reference = [tuple(_cell(v) for v in row) for row in duck.execute(query).fetchall()]
        except Exception as e:  # DuckDB cannot run it as written: no reference, counted apart
            run.outcome["no DuckDB reference"] += 1
            run.details[n] = f"DuckDB: {str(e).splitlines()[0][:160]}"
            continue
        run.non_empty += any(any(v is not None for v in row) for row in reference)
        result = transpile_statement(query, 1, "duckdb", prover=prover)
        if not result.ok:
            reason = _engine_reason(result.message)
            run.outcome[f"refused {result.code}"] += 1
            run.refused_by[reason] += 1
            run.details[n] = f"{result.code} ({reason}) {result.message[:160]}"
            continue
        try:
            raw = conn.query(result.clickhouse[0], "JSONCompact").bytes()
        except Exception as e:  # the engine's own error on a proven statement: counted, shown
            # chdb 4.4 prepends the partial output of a query that failed while running to the next
            # query's result on the connection (measured); a throwaway query takes it
            conn.query("SELECT 1")
            run.outcome["ClickHouse error"] += 1
            run.details[n] = str(e).splitlines()[0][:200]
            continue
        answer = json.loads(raw)
        kinds = [c["type"] for c in answer["meta"]]
        ours = [tuple(_clickhouse_cell(v, kind) for v, kind in zip(row, kinds, strict=True)) for row in answer["data"]]
        same = _same_multiset(reference, ours)
        run.outcome["same rows" if same else "different rows"] += 1
        if not same:
            run.details[n] = f"{len(ours)} rows on ClickHouse, {len(reference)} on DuckDB; first: {ours[:1]} vs {reference[:1]}"[:300]
