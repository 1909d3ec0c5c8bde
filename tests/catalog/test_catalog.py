"""Loading catalogs: ClickHouse and BigQuery DDL, catalog JSON, directories, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sqlcurate.records import Column, TableRecord
from sqlcurate.sql.catalog import Catalog, CatalogError, load_catalog, parse_ddl

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "schemas" / "samples"

CLICKHOUSE_DDL = """\
-- written by sqlcurate pull
CREATE TABLE shop.events
(
    `event_id` UUID COMMENT 'unique id',
    `ts` DateTime64(3, 'UTC'),
    `user_id` Nullable(UInt64),
    `props` Map(String, String),
    `device` Tuple(os String, version String),
    `items` Nested(sku String, qty UInt32)
)
ENGINE = ReplacingMergeTree(ts)
ORDER BY event_id
SETTINGS index_granularity = 8192
COMMENT 'one row per event';

CREATE VIEW shop.daily (`day` Date, `n` UInt64) AS SELECT toDate(ts) AS day, count() AS n FROM shop.events GROUP BY day;
CREATE DATABASE IF NOT EXISTS shop;
"""

BIGQUERY_DDL = """\
CREATE TABLE `acme-prod.sales.orders`
(
  order_id STRING NOT NULL OPTIONS(description="the order"),
  items ARRAY<STRUCT<sku STRING, qty INT64, meta STRUCT<color STRING>>>,
  customer STRUCT<id INT64, email STRING>,
  created_at TIMESTAMP
)
PARTITION BY DATE(created_at)
OPTIONS(description="Orders");
"""


def test_clickhouse_ddl_tables_columns_comments_engine():
    tables = {t.qualified: t for t in parse_ddl(CLICKHOUSE_DDL, "clickhouse", "shop.sql")}
    assert set(tables) == {"shop.events", "shop.daily"}
    ev = tables["shop.events"]
    assert [c.name for c in ev.columns] == ["event_id", "ts", "user_id", "props", "device", "items"]
    assert ev.columns[0].comment == "unique id"
    assert ev.columns[1].type == "DateTime64(3, 'UTC')"
    assert ev.columns[2].type == "Nullable(UInt64)"
    assert ev.engine == "ReplacingMergeTree(ts)"
    assert ev.comment == "one row per event"
    assert ev.ddl.startswith("CREATE TABLE shop.events") and "pull" not in ev.ddl  # leading comment is not DDL
    assert [c.name for c in tables["shop.daily"].columns] == ["day", "n"]


def test_bigquery_ddl_nested_struct_fields():
    cat = Catalog(parse_ddl(BIGQUERY_DDL, "bigquery", "sales.sql"))
    orders = cat.table("sales.orders")
    assert orders is not None and orders.dialect == "bigquery"
    assert orders.comment == "Orders"
    assert orders.columns[0].comment == "the order"
    assert orders.columns[1].type == "ARRAY<STRUCT<sku STRING, qty INT64, meta STRUCT<color STRING>>>"
    assert cat.fields_of(orders, "items") == {"sku", "qty", "meta", "meta.color"}
    assert cat.fields_of(orders, "customer") == {"id", "email"}
    assert cat.fields_of(orders, "created_at") is None
    # the project part of a BigQuery name is the connection's: project.dataset.table still resolves
    assert cat.table("acme-prod.sales.orders") is orders


def test_clickhouse_tuple_and_nested_fields():
    cat = Catalog(parse_ddl(CLICKHOUSE_DDL, "clickhouse"))
    ev = cat.table("shop.events")
    assert cat.fields_of(ev, "device") == {"os", "version"}
    assert cat.fields_of(ev, "items") == {"sku", "qty"}
    assert cat.fields_of(ev, "props") is None  # Map: any key


def test_lookup_bare_names_default_database_and_suggestions():
    t = lambda db, name, cols: TableRecord(source="t", database=db, name=name,  # noqa: E731
                                           columns=[Column(name=c, type="String") for c in cols])
    cat = Catalog([t("a", "events", ["x"]), t("b", "events", ["y"]), t("a", "users", ["email", "user_id"])])
    assert cat.table("users").qualified == "a.users"
    assert cat.table("events") is None and len(cat.table_candidates("events")) == 2
    assert Catalog(list(cat), default_database="b").table("events").qualified == "b.events"
    assert set(cat.columns_of("a.users")) == {"email", "user_id"}
    assert cat.suggest_table("a.evnts") == ["a.events", "b.events"]
    assert cat.suggest_table("c.users") == ["a.users"]
    assert cat.suggest_column("a.users", "emial") == ["email"]
    assert cat.suggest_column("a.users", "Email") == ["email"]
    assert cat.suggest_column("a.users", "zzz") == []


def test_directory_loads_both_dialects_and_json(tmp_path):
    (tmp_path / "clickhouse").mkdir()
    (tmp_path / "clickhouse" / "shop.sql").write_text(CLICKHOUSE_DDL)
    (tmp_path / "bigquery").mkdir()
    (tmp_path / "bigquery" / "sales.sql").write_text(BIGQUERY_DDL)
    cat = load_catalog(tmp_path)
    assert {t.qualified for t in cat} == {"shop.events", "shop.daily", "sales.orders"}
    assert cat.table("sales.orders").dialect == "bigquery"
    assert cat.table("shop.events").dialect == "clickhouse"


def test_catalog_json_round_trip_and_format(tmp_path):
    cat = load_catalog(SAMPLES / "clickhouse")
    out = tmp_path / "catalog.json"
    cat.save_json(out)
    data = json.loads(out.read_text())
    assert data["version"] == 1 and data["dialect"] == "clickhouse" and isinstance(data["tables"], list)
    assert set(data["tables"][0]) >= {"database", "name", "columns", "comment", "engine", "ddl", "dialect"}
    again = load_catalog(out)
    assert [t.model_dump() for t in again] == [t.model_dump() for t in cat]
    # a directory with only a catalog.json loads it too
    assert len(load_catalog(tmp_path)) == len(cat)
    # beside DDL files (as `pull` writes them) the JSON stands for the folder: a DDL quirk cannot stop the load
    (tmp_path / "analytics.sql").write_text("CREATE TABLE analytics.users (x UInt8,, y) ENGINE = Memory;")
    assert [t.model_dump() for t in load_catalog(tmp_path)] == [t.model_dump() for t in cat]


def test_sample_schemas_load():
    cat = load_catalog(SAMPLES)
    assert {"analytics.events", "analytics.users", "analytics.orders", "sales.orders", "sales.customers"} <= {
        t.qualified for t in cat}


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("CREATE TABLE a.b (x UInt8) ENGINE = Memory;\n\nCREATE TABLE a.c (\n  x UInt8,\n  y String ENGINE = Memory;", 5, "Expecting )"),
        ("CREATE TABLE a.b (x UInt8) ENGINE = Memory;\n-- note\nCREATE TABLE a.c (x UInt8,, y) ENGINE = Memory;", 3, "has no type"),
        ("CREATE TABLE a.b (x UInt8) ENGINE = Memory;\nINSERT INTO a.b VALUES (1);", 2, "found INSERT INTO a.b"),
        ("\n\nCREATE TABLE b (x UInt8) ENGINE = Memory;", 3, "has no database"),
    ],
)
def test_bad_ddl_names_file_line_and_reason(tmp_path, text, line, reason):
    path = tmp_path / "bad.sql"
    path.write_text(text)
    with pytest.raises(CatalogError) as e:
        load_catalog(path)
    assert e.value.code == "CATALOG_BAD_DDL"
    assert e.value.line == line, str(e.value)
    assert reason in e.value.reason
    assert str(e.value).startswith(f"{path}:{line}: CATALOG_BAD_DDL ")


def test_bad_json_and_missing_paths(tmp_path):
    bad = tmp_path / "catalog.json"
    bad.write_text('{"version": 2, "tables": []}')
    with pytest.raises(CatalogError, match="CATALOG_BAD_JSON"):
        load_catalog(bad)
    bad.write_text('{"version": 1, "dialect": "clickhouse", "tables": [{"name": "x"}]}')
    with pytest.raises(CatalogError, match=r"tables\[0\]"):
        load_catalog(bad)
    bad.write_text("{not json")
    with pytest.raises(CatalogError, match="CATALOG_BAD_JSON"):
        load_catalog(bad)
    with pytest.raises(CatalogError, match="CATALOG_NOT_FOUND"):
        load_catalog(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CatalogError, match="CATALOG_NOT_FOUND"):
        load_catalog(tmp_path / "empty")


def test_views_materialized_views_dictionaries_and_engine_text():
    ddl = """
    CREATE MATERIALIZED VIEW m.mv TO m.daily (`day` Date, `n` UInt64) AS SELECT toDate(ts) AS day, count() AS n FROM m.e GROUP BY day;
    CREATE VIEW m.v AS SELECT user_id, count() AS n FROM m.e GROUP BY user_id;
    CREATE DICTIONARY m.geo (`id` UInt64, `name` String) PRIMARY KEY id SOURCE(CLICKHOUSE(TABLE 'geo_src')) LIFETIME(MIN 0 MAX 300) LAYOUT(HASHED());
    CREATE TABLE m.dist (`user_id` UInt64) ENGINE = Distributed('c', 'm', 'e', rand());
    CREATE TABLE m.r (`user_id` UInt64) ENGINE = ReplicatedReplacingMergeTree('/t/{shard}/r', '{replica}', version) ORDER BY user_id;
    """
    tables = {t.qualified: t for t in parse_ddl(ddl, "clickhouse")}
    assert [c.name for c in tables["m.mv"].columns] == ["day", "n"]
    assert [c.name for c in tables["m.v"].columns] == ["user_id", "n"]
    assert [c.name for c in tables["m.geo"].columns] == ["id", "name"] and tables["m.geo"].engine == "Dictionary"
    # the engine exactly as written (sqlglot would regenerate rand() as randCanonical())
    assert tables["m.dist"].engine == "Distributed('c', 'm', 'e', rand())"
    assert tables["m.r"].engine == "ReplicatedReplacingMergeTree('/t/{shard}/r', '{replica}', version)"
    with pytest.raises(CatalogError, match="no column list"):
        parse_ddl("CREATE TABLE m.copy AS m.e", "clickhouse")
