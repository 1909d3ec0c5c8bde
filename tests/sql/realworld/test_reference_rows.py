"""TPC-H result rows against DuckDB as the reference engine: each of the 22 queries (sqlglot's fixture, as
written) runs on DuckDB, and our proven ClickHouse transpilation of it (read as DuckDB) runs on the embedded
engine, over the same pinned sample of sqlglot's TPC-H tables (tpch/, see README.md). The proof is
``transpile --catalog``'s: ``EXPLAIN PLAN`` against a catalog of those tables."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sqlcurate.sql.native import shared_parser
from sqlcurate.sql.proven import Prover, transpile_statement

from .reference import catalog_prover, load_tables, run_against_duckdb, split_queries

TPCH = Path(__file__).resolve().parent / "tpch"


@pytest.fixture(scope="module")
def tpch(engine, tmp_path_factory):
    native = shared_parser()
    duck = duckdb.connect()
    tables = load_tables(TPCH, duck, native.conn)
    return duck, native, catalog_prover(native, tables, tmp_path_factory.mktemp("tpch_catalog"))


def test_every_tpch_query_returns_duckdbs_rows_on_clickhouse(tpch):
    duck, native, prover = tpch
    queries = split_queries((TPCH / "tpc-h.sql").read_text())
    assert sorted(queries) == list(range(1, 23))
    run = run_against_duckdb(queries, duck, native.conn, prover)
    assert run.details == {}
    assert run.outcome["same rows"] == 22


def test_the_sample_exercises_the_queries(tpch):
    """Most queries must return rows on the sample, or agreement would mean little. Q17 and Q19 are global
    SUMs over no rows (NULL: the -OrNull rule's evidence); Q6 needs exact decimal literals."""
    duck, _, _ = tpch
    queries = split_queries((TPCH / "tpc-h.sql").read_text())
    results = {n: duck.execute(q).fetchall() for n, q in queries.items()}
    nonempty = [n for n, rows in results.items() if rows and any(v is not None for row in rows for v in row)]
    assert len(nonempty) >= 15, sorted(set(results) - set(nonempty))


@pytest.mark.parametrize("query, reason", [
    # an Int64 and a Float64 join key: DuckDB compares them as DOUBLE, ClickHouse finds no lossless key type
    # (TPC-DS Q72, 75, 78, whose fixture has DOUBLE keys)
    ("SELECT COUNT(*) FROM orders JOIN customer ON o_totalprice = c_custkey", "NO_COMMON_TYPE"),
    # a DECIMAL and a DOUBLE branch of a UNION: DOUBLE in DuckDB, a Variant that SUM refuses in ClickHouse (Q5)
    ("SELECT SUM(v) FROM (SELECT CAST(0 AS DECIMAL(7, 2)) AS v UNION ALL SELECT o_totalprice FROM orders)",
     "ILLEGAL_TYPE_OF_ARGUMENT"),
])
def test_the_catalog_proof_refuses_what_only_fails_against_the_tables(tpch, query, reason):
    """Both queries run on DuckDB and pass ClickHouse's parser and function list, so without a catalog
    they are written; planned against the catalog's tables they are refused with the engine's reason."""
    duck, native, prover = tpch
    assert duck.execute(query).fetchall()
    assert transpile_statement(query, 1, "duckdb", prover=Prover(native)).ok
    refused = transpile_statement(query, 1, "duckdb", prover=prover)
    assert refused.code == "SQL_OUTPUT_REJECTED"
    assert f"({reason})" in refused.message
