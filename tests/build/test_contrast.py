"""Contrast pairs whose foreign side is written as that dialect's users write it, proven on sample data:
it parses in its dialect, and our transpilation of it returns the ClickHouse original's rows."""

from __future__ import annotations

import pytest
import sqlglot

from sqlcurate.build.contrast import contrast_pairs, same_rows
from sqlcurate.eval.runner import QueryRunner
from sqlcurate.records import QueryRecord

pytestmark = pytest.mark.engine

ANTI_JOIN = ("SELECT p.pool_address, p.chain\nFROM contrast_t.pools AS p\n"
             "LEFT JOIN contrast_t.pool_daily AS d ON d.pool_address = p.pool_address AND d.chain = p.chain\n"
             "WHERE d.pool_address = ''")


@pytest.fixture(scope="module")
def runner():
    """The sample tables in a SQL sandbox (the runner's engine is a child process's)."""
    from sqlcurate.sql.sandbox import Sandbox

    with Sandbox(databases=None) as sandbox:
        for sql in ("CREATE DATABASE contrast_t",
                    "CREATE TABLE contrast_t.pools (pool_address String, chain String) ENGINE = MergeTree ORDER BY pool_address",
                    "CREATE TABLE contrast_t.pool_daily (day Date, chain String, pool_address String, volume_usd Float64) "
                    "ENGINE = MergeTree ORDER BY pool_address",
                    "INSERT INTO contrast_t.pools VALUES ('0xa', 'base'), ('0xb', 'base'), ('0xc', 'ethereum'), ('0xd', 'ethereum')",
                    "INSERT INTO contrast_t.pool_daily VALUES ('2026-10-01', 'base', '0xa', 10), ('2026-10-02', 'ethereum', '0xc', 5)"):
            sandbox.setup(sql)
        yield QueryRunner(sandbox=sandbox)


def _pairs(sql, runner=None):
    return {c.meta["task"]: c for c in contrast_pairs(QueryRecord(source="t", query=sql, normalized_hash="h"), runner)}


def _foreign(conv):
    return conv.messages[0].content.split("```", 2)[1].split("\n", 1)[1]


def test_anti_join_reads_is_null_in_bigquery_and_tsql_and_is_proven_by_rows(runner):
    pairs = _pairs(ANTI_JOIN, runner)
    assert set(pairs) == {"contrast:bigquery", "contrast:tsql"}
    for task, conv in pairs.items():
        dialect = task.split(":")[1]
        foreign = _foreign(conv)
        assert "IS NULL" in foreign and "= ''" not in foreign, foreign
        sqlglot.parse_one(foreign, read=dialect)  # parses in its own dialect
        assert conv.meta["proven_by"] == "rows"
        assert same_rows(ANTI_JOIN, foreign, dialect, runner)
    assert sorted(runner.run(ANTI_JOIN).rows) == [("0xb", "base"), ("0xd", "ethereum")]
    # the word-for-word transpilation (ClickHouse's default-value test) returns nothing in BigQuery's semantics
    literal = sqlglot.transpile(ANTI_JOIN, read="clickhouse", write="bigquery")[0]
    assert not same_rows(ANTI_JOIN, literal, "bigquery", runner)


def test_a_rewrite_without_sample_data_is_not_offered():
    assert _pairs(ANTI_JOIN) == {}
    plain = _pairs("SELECT chain, count() AS n FROM contrast_t.pools GROUP BY chain ORDER BY n DESC LIMIT 1")
    assert plain and all(c.meta["proven_by"] == "round_trip" for c in plain.values())


def test_a_foreign_side_that_returns_other_rows_is_dropped(runner):
    # an unmatched right-side column is '' or 1970-01-01 in ClickHouse and NULL elsewhere: not the same query
    sql = ("SELECT p.pool_address, d.day\nFROM contrast_t.pools AS p\n"
           "LEFT JOIN contrast_t.pool_daily AS d ON d.pool_address = p.pool_address\nORDER BY p.pool_address")
    assert "contrast:bigquery" in _pairs(sql)  # round-trips as text, so without sample data it would be offered
    assert _pairs(sql, runner) == {}
    same = "SELECT chain, count() AS n FROM contrast_t.pools GROUP BY chain"
    assert set(_pairs(same, runner)) == {"contrast:bigquery", "contrast:tsql"}


def _catalog(chain_type):
    from sqlcurate.records import Column, TableRecord
    from sqlcurate.sql.catalog import Catalog

    return Catalog([TableRecord(source="t", database="contrast_t", name="pools",
                                columns=[Column(name="pool_address", type="String"), Column(name="chain", type=chain_type)])])


def test_order_by_on_keys_that_cannot_be_null_says_no_nulls_placement():
    sql = "SELECT chain, count() AS n FROM contrast_t.pools GROUP BY chain ORDER BY chain, n DESC"
    plain = contrast_pairs(QueryRecord(source="t", query=sql, normalized_hash="h"), catalog=_catalog("LowCardinality(String)"))
    assert {c.meta["task"] for c in plain} == {"contrast:bigquery", "contrast:tsql"}
    assert all("NULLS" not in _foreign(c) and "CASE" not in _foreign(c) for c in plain)
    # a Nullable key: ClickHouse puts NULLs last, the others first, so the placement must be spelled out
    spelled = {c.meta["task"]: _foreign(c) for c in contrast_pairs(QueryRecord(source="t", query=sql, normalized_hash="h"),
                                                                  catalog=_catalog("Nullable(String)"))}
    assert "NULLS LAST" in spelled["contrast:bigquery"]


@pytest.mark.parametrize("sql", [
    "SELECT upper(chain) AS ch, count() AS n FROM dex.swaps GROUP BY ch",  # GROUP BY an output alias
    "SELECT wallet, count() AS n FROM dex.swaps GROUP BY wallet HAVING n > 3",  # HAVING an output alias
    "SELECT toMonday(block_time) AS week, count() AS n FROM dex.swaps GROUP BY toMonday(block_time)",  # DATEFIRST weeks
])
def test_no_tsql_pair_that_sql_server_would_refuse_or_read_otherwise(sql):
    assert "contrast:tsql" not in _pairs(sql)


def test_build_with_sample_data_proves_every_contrast_pair_by_rows(demo_workspace, tmp_path):
    import json
    import shutil

    from tests.build.conftest import run_cli

    demo, _ = demo_workspace
    ws = tmp_path / "ws"
    for part in ("training_data/raw", "schemas"):
        shutil.copytree(demo / part, ws / part)
    run = run_cli("build", "--workspace", str(ws), "--sample-engine", str(demo / "engine"))  # the engine check too
    assert run.returncode == 0, run.stdout + run.stderr[-2000:]
    out = ws / "training_data/curated"
    metas = [json.loads(x) for name in ("train", "val") for x in (out / f"{name}.meta.jsonl").read_text().splitlines()]
    contrast = [m for m in metas if m["task"].startswith("contrast:")]
    assert len(contrast) > 20 and all(m["proven_by"] == "rows" for m in contrast)
    rows = [x for name in ("train", "val") for x in (out / f"{name}.jsonl").read_text().splitlines()]
    assert not [r for r in rows if "Rewrite this" in r and "= ''" in r]  # no ClickHouse default-value test abroad
