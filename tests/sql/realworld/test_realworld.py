"""The pinned public corpora (README.md here) through transpile and the SQL check, on the real embedded
engine: no statement crashes, everything written passes ClickHouse's parser and function list, the
written share does not fall below what was measured, and genuine ClickHouse is not flagged."""

from __future__ import annotations

import pytest

from sqlcurate.sql.native import shared_parser
from sqlcurate.sql.proven import Prover, transpile_statement

from .corpora import FOREIGN_CORPORA, NATIVE_CORPUS, load, measure_foreign, measure_native

# Written share per (corpus, dialect) measured on this commit (docs/benchmarks.md), less a little slack:
# a rewrite that starts refusing, or an output the engine starts rejecting, fails here. The issue's
# target (>= 97 % written) holds for every corpus but sqlglot's own dialect tests.
FLOORS = {
    ("spider2", "bigquery"): 0.97, ("spider2", "snowflake"): 0.97, ("spider2", "sqlite"): 0.95,
    **{("sql_eval", d): 0.97 for d in ("bigquery", "mysql", "postgres", "snowflake", "sqlite", "tsql")},
    ("bird_mini_dev", "sqlite"): 0.97,
}
# sqlglot's own dialect tests are its edge cases (PIVOT, CONNECT BY, time travel, placeholder functions:
# most have no ClickHouse form): statements written per dialect when measured, less two.
SQLGLOT_WRITTEN = {
    "athena": 6, "bigquery": 28, "databricks": 28, "doris": 17, "duckdb": 29, "hive": 34, "mysql": 34,
    "oracle": 13, "postgres": 28, "presto": 36, "redshift": 35, "snowflake": 28, "spark": 32, "sqlite": 36,
    "starrocks": 35, "teradata": 12, "trino": 34, "tsql": 32,
}
SQLGLOT_SLACK = 2


@pytest.fixture(scope="module")
def native(engine):
    return shared_parser()


@pytest.fixture(scope="module")
def measured(native):
    return {name: measure_foreign(load(name), Prover(native)) for name in FOREIGN_CORPORA}


@pytest.mark.parametrize("name", FOREIGN_CORPORA)
def test_no_statement_crashes_or_hits_an_internal_error(measured, name):
    for dialect, tally in measured[name].items():
        assert tally.crashes == 0 and tally.refused["SQL_INTERNAL_ERROR"] == 0, (dialect, tally.reasons)


@pytest.mark.parametrize("name", FOREIGN_CORPORA)
def test_written_share_stays_at_the_measured_level(measured, name):
    for dialect, tally in measured[name].items():
        if name == "sqlglot_dialects":
            floor = (SQLGLOT_WRITTEN[dialect] - SQLGLOT_SLACK) / tally.statements
        else:
            floor = FLOORS[(name, dialect)]
        assert tally.written_share >= floor, (name, dialect, tally.written_share, tally.reasons.most_common(5))


def test_every_written_output_passes_clickhouse_parser_and_functions(native):
    rows = [r for r in load("sql_eval") + load("spider2") + load("bird_mini_dev") if r["dialect"] != "clickhouse"]
    written = 0
    for row in rows:
        result = transpile_statement(row["sql"], 1, row["dialect"], prover=Prover(native))
        for sql in result.clickhouse:
            written += 1
            assert native.check(sql).ok, (row["id"], sql)  # text-keyed: no fingerprint shortcut here
    assert written > 0.8 * len(rows)


def test_genuine_clickhouse_queries_are_not_flagged(native):
    tally = measure_native(load(NATIVE_CORPUS), native)
    assert tally.crashes == 0
    assert tally.engine_valid >= 0.9 * tally.statements
    assert len(tally.flagged) <= 0.005 * tally.engine_valid, tally.flagged
