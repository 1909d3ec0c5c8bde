"""Every place that parses SQL we did not write outside ``analyze`` goes through
``transpile.guarded_parse_one`` (or ``parse_tokens``): nesting too deep for sqlglot is that place's own
refusal (a fallback, a reason code, a catalog error), quickly, never a RecursionError."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from sqlcurate.build.contrast import contrast_pairs
from sqlcurate.build.query_pairs import describe, query_pairs
from sqlcurate.eval.items import item_from_messages, query_orders
from sqlcurate.records import Column, QueryRecord, TableRecord
from sqlcurate.sql.allowlist import Refusal, settings_of
from sqlcurate.sql.catalog import Catalog, CatalogError, parse_ddl
from sqlcurate.sql.engine import ScratchSchema
from sqlcurate.sql.grounding import ground, ground_sql
from sqlcurate.sql.transpile import TranspileError

from .corpus import TOO_DEEP

SECONDS = 5.0  # each refusal takes well under a second (measured); the box is shared
CATALOG = Catalog([TableRecord(source="t", database="db", name="t", columns=[Column(name="a", type="UInt8")])])


@pytest.fixture(params=sorted(TOO_DEEP))
def hostile(request):
    started = time.perf_counter()
    yield TOO_DEEP[request.param]
    assert time.perf_counter() - started < SECONDS


def test_query_log_descriptions_fall_back_to_the_tables(hostile):
    assert describe(hostile, ["db.t"]) == "Write a ClickHouse query over db.t."
    rec = QueryRecord(source="clickhouse:system.query_log", query=hostile, normalized_hash="h", tables=["db.t"])
    (pair,) = query_pairs(rec)
    assert pair.meta["question_from"] == "description"


def test_contrast_pairs_skip_the_query(hostile):
    rec = QueryRecord(source="clickhouse:system.query_log", query=hostile, normalized_hash="h", tables=["db.t"])
    assert contrast_pairs(rec) == []


def test_eval_gold_order_falls_back_to_the_text(hostile):
    assert query_orders(hostile) is False
    assert query_orders(hostile + " ORDER BY 1") is True
    item, findings = item_from_messages([{"role": "user", "content": "q"},
                                         {"role": "assistant", "content": f"```sql\n{hostile}\n```"}], "gold.jsonl", 1)
    assert item is not None and not findings and item.gold_ordered is False


def test_grounding_text_is_too_deep(hostile):
    with pytest.raises(TranspileError) as e:
        ground(hostile, CATALOG)
    assert e.value.code == "SQL_TOO_DEEP"
    assert ground_sql(hostile, CATALOG) is None


def test_catalog_ddl_is_a_located_error(hostile):
    expression = hostile.removeprefix("SELECT ")
    ddl = f"CREATE TABLE db.ok (a UInt8) ENGINE = Memory;\nCREATE TABLE db.t (a UInt8 DEFAULT {expression}) ENGINE = Memory;"
    with pytest.raises(CatalogError) as e:
        parse_ddl(ddl, path="hostile.sql")
    assert e.value.code == "CATALOG_BAD_DDL" and e.value.line == 2
    table = TableRecord(source="t", database="db", name="t", columns=[Column(name="a", type="UInt8")],
                        ddl=ddl.splitlines()[1], dialect="clickhouse")
    # the engine check's scratch tables: a DDL it cannot read gets the generic table instead
    assert ScratchSchema.own_ddl(SimpleNamespace(prefix="scratch_"), table) is None


def test_sandbox_settings_reader_refuses(hostile):
    assert settings_of(hostile + " SETTINGS max_threads = 1") == Refusal("EXEC_REFUSED_SETTINGS", "SETTINGS clause not readable")
