"""Grounding: a test set where every invented table, column and field is caught (with "did you mean"),
no valid query is flagged, and the real ClickHouse engine agrees on both (EXPLAIN PLAN over the same
tables, created empty)."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sqlcurate.checks.base import CheckRunner, Item
from sqlcurate.checks.grounding import GroundingCheck
from sqlcurate.conversation import check_messages
from sqlcurate.sql.catalog import Catalog, parse_ddl
from sqlcurate.sql.grounding import CODES, ground, ground_sql

# A database name no other test uses: the engine is shared by the whole test session.
DDL = """
CREATE TABLE gt_shop.events
(
    `event_id` UUID,
    `ts` DateTime,
    `user_id` UInt64,
    `event_type` String,
    `country` String,
    `props` Map(String, String),
    `tags` Array(String),
    `device` Tuple(os String, version String),
    `items` Nested(sku String, qty UInt32)
) ENGINE = MergeTree ORDER BY (user_id, ts);
CREATE TABLE gt_shop.users
(
    `user_id` UInt64,
    `email` String,
    `country` String,
    `signup_date` Date
) ENGINE = ReplacingMergeTree ORDER BY user_id;
CREATE TABLE gt_shop.orders
(
    `order_id` UInt64,
    `user_id` UInt64,
    `amount` Float64,
    `status` String,
    `created_at` DateTime
) ENGINE = MergeTree ORDER BY order_id;
"""

CATALOG = Catalog(parse_ddl(DDL, "clickhouse"), default_database="gt_shop")

# (query, runs on the engine as written). Every one of these is valid ClickHouse over the tables above.
VALID = [
    ("SELECT user_id, count() AS n FROM gt_shop.events WHERE event_type = 'click' GROUP BY user_id HAVING n > 3 ORDER BY n DESC LIMIT 10", True),
    ("SELECT user_id AS uid FROM gt_shop.users WHERE uid > 10 ORDER BY uid", True),
    ("WITH active AS (SELECT user_id, max(ts) AS last_ts FROM gt_shop.events GROUP BY user_id) "
     "SELECT u.email, a.last_ts FROM active AS a JOIN gt_shop.users AS u ON a.user_id = u.user_id", True),
    ("WITH t1 AS (SELECT user_id FROM gt_shop.orders), t2 AS (SELECT user_id FROM t1) SELECT user_id FROM t2", True),
    ("WITH agg (uid, total) AS (SELECT user_id, sum(amount) FROM gt_shop.orders GROUP BY user_id) SELECT uid, total FROM agg", True),
    ("SELECT tag, count() FROM gt_shop.events ARRAY JOIN tags AS tag GROUP BY tag", True),
    ("SELECT tags FROM gt_shop.events ARRAY JOIN tags", True),
    ("SELECT items.sku, items.qty FROM gt_shop.events ARRAY JOIN items", True),
    ("SELECT arrayJoin(tags) AS t, count() FROM gt_shop.events GROUP BY t", True),
    ("SELECT arrayMap(x -> upper(x), tags) AS up, arrayFilter((x, i) -> i > 1, tags, arrayEnumerate(tags)) AS f FROM gt_shop.events", True),
    ("SELECT arrayExists(t -> t = 'vip', tags) FROM gt_shop.events", True),
    ("SELECT number FROM numbers(10)", True),
    ("SELECT n.number * 2 FROM numbers(5) AS n", True),
    ("SELECT name, engine FROM system.tables WHERE database = 'gt_shop'", True),
    ("SELECT e.device.os, device.version, tupleElement(device, 1), items.sku, e.props['plan'] FROM gt_shop.events AS e", True),
    ("SELECT device.1 FROM gt_shop.events", True),
    ("SELECT user_id FROM gt_shop.users WHERE user_id IN (SELECT user_id FROM gt_shop.orders WHERE amount > 100)", True),
    ("SELECT o.status, s.total FROM gt_shop.orders AS o JOIN (SELECT user_id, sum(amount) AS total FROM gt_shop.orders GROUP BY user_id) AS s USING (user_id)", True),
    ("SELECT u.email FROM gt_shop.users AS u WHERE EXISTS (SELECT 1 FROM gt_shop.orders AS o WHERE o.user_id = u.user_id)", True),
    ("SELECT count() FROM gt_shop.events SETTINGS max_threads = 2", True),
    ("SELECT user_id FROM gt_shop.events UNION ALL SELECT user_id FROM gt_shop.users ORDER BY user_id", True),
    ("SELECT x FROM (SELECT user_id AS x FROM gt_shop.users) WHERE x > 1", True),
    ("SELECT s.x FROM (SELECT user_id AS x FROM gt_shop.users) AS s", True),
    ("WITH 10 AS lim SELECT user_id FROM gt_shop.users LIMIT lim", True),
    ("SELECT gt_shop.events.ts, events.user_id FROM gt_shop.events", True),
    ("SELECT e.* FROM gt_shop.events AS e", True),
    ("SELECT * FROM gt_shop.orders AS o LEFT JOIN gt_shop.users AS u ON o.user_id = u.user_id WHERE u.country = 'DE'", True),
    ("SELECT user_id, sum(amount) OVER (PARTITION BY user_id ORDER BY created_at) AS running FROM gt_shop.orders", True),
    ("SELECT toStartOfDay(ts) AS day, uniqExact(user_id) FROM gt_shop.events WHERE ts >= now() - INTERVAL 7 DAY GROUP BY day ORDER BY day", True),
    ("SELECT user_id, argMax(status, created_at) FROM gt_shop.orders GROUP BY user_id LIMIT 1 BY user_id", True),
    ("SELECT _part, count() FROM gt_shop.events GROUP BY _part", True),
    ("SELECT * FROM (SELECT * FROM gt_shop.users) WHERE email LIKE '%@x.com'", True),
    ("SELECT if(amount > 10, 'big', 'small') AS size, count() FROM gt_shop.orders GROUP BY size", True),
    ("SELECT c FROM (SELECT country AS c FROM gt_shop.users UNION ALL SELECT country FROM gt_shop.events)", True),
    ("SELECT user_id, count() FROM gt_shop.events GROUP BY ALL", True),
    ("SELECT * FROM gt_shop.users FINAL WHERE country = 'DE'", True),
    ("SELECT countIf(event_type = 'click') AS clicks, uniqIf(user_id, event_type = 'buy') FROM gt_shop.events", True),
    ("SELECT quantile(0.9)(amount), topK(10)(status) FROM gt_shop.orders", True),
    ("SELECT o.order_id, e.ts FROM gt_shop.orders AS o ASOF JOIN gt_shop.events AS e ON o.user_id = e.user_id AND o.created_at >= e.ts", True),
    ("SELECT user_id FROM gt_shop.events PREWHERE event_type = 'click' WHERE country = 'DE'", True),
    ("SELECT * EXCEPT (email) FROM gt_shop.users", True),
    ("SELECT idx, tag FROM gt_shop.events ARRAY JOIN arrayEnumerate(tags) AS idx, tags AS tag", True),
    ("SELECT user_id, row_number() OVER w AS rn FROM gt_shop.orders WINDOW w AS (PARTITION BY user_id ORDER BY created_at)", True),
    ("WITH (SELECT max(amount) FROM gt_shop.orders) AS mx SELECT order_id FROM gt_shop.orders WHERE amount = mx", True),
    ("SELECT max(ts) AS last, dateDiff('second', last, now()) FROM gt_shop.events", True),
    ("SELECT user_id, groupArray(status) AS statuses, arrayStringConcat(statuses, ',') FROM gt_shop.orders GROUP BY user_id", True),
    # an alias inside an expression names it for the uses written after it (the geography rewrites' `(expr AS geo_1)`)
    ("SELECT if(isNull((amount * 2 AS doubled)), 0, doubled + 1) FROM gt_shop.orders", True),
    # unqualified table names resolve through the catalog's default database (not run: engine's is `default`)
    ("SELECT email FROM users WHERE user_id = 1", False),
    ("SELECT u.email, count() FROM users AS u JOIN orders AS o ON u.user_id = o.user_id GROUP BY u.email", False),
]

# (query, expected code, text the message must contain: the invented name and the suggestion if any)
INVENTED = [
    ("SELECT user_id FROM gt_shop.event", "CATALOG_UNKNOWN_TABLE", "did you mean gt_shop.events"),
    ("SELECT user_id FROM gt_shop.customers", "CATALOG_UNKNOWN_TABLE", "unknown table gt_shop.customers"),
    ("SELECT * FROM gt_shop.Users", "CATALOG_UNKNOWN_TABLE", "did you mean gt_shop.users"),
    ("SELECT * FROM other_db.users", "CATALOG_UNKNOWN_TABLE", "did you mean gt_shop.users"),
    ("SELECT usr_id FROM gt_shop.events", "CATALOG_UNKNOWN_COLUMN", "did you mean user_id"),
    ("SELECT e.emial FROM gt_shop.users AS e", "CATALOG_UNKNOWN_COLUMN", "did you mean email"),
    ("SELECT Email FROM gt_shop.users", "CATALOG_UNKNOWN_COLUMN", "did you mean email"),
    ("SELECT revenue FROM gt_shop.orders", "CATALOG_UNKNOWN_COLUMN", "unknown column revenue"),
    ("WITH a AS (SELECT user_id FROM gt_shop.users) SELECT a.email FROM a", "CATALOG_UNKNOWN_COLUMN", "unknown column email in a"),
    ("WITH a AS (SELECT user_id FROM gt_shop.users) SELECT email FROM a", "CATALOG_UNKNOWN_COLUMN", "unknown column email"),
    ("SELECT s.total FROM (SELECT user_id FROM gt_shop.orders) AS s", "CATALOG_UNKNOWN_COLUMN", "unknown column total in s"),
    ("SELECT x.user_id FROM gt_shop.users AS u", "CATALOG_UNKNOWN_QUALIFIER", "x is no table"),
    ("SELECT device.model FROM gt_shop.events", "CATALOG_UNKNOWN_FIELD", "unknown field device.model"),
    ("SELECT items.price FROM gt_shop.events ARRAY JOIN items", "CATALOG_UNKNOWN_FIELD", "unknown field items.price"),
    ("SELECT user_id FROM gt_shop.users WHERE user_id IN (SELECT uid FROM gt_shop.orders)", "CATALOG_UNKNOWN_COLUMN", "unknown column uid"),
    ("SELECT * FROM gt_shop.orders JOIN gt_shop.users USING (usr_id)", "CATALOG_UNKNOWN_COLUMN", "did you mean user_id"),
    ("SELECT tag FROM gt_shop.events ARRAY JOIN tagz AS tag", "CATALOG_UNKNOWN_COLUMN", "unknown column tagz"),
    ("SELECT arrayMap(x -> x, labels) FROM gt_shop.events", "CATALOG_UNKNOWN_COLUMN", "unknown column labels"),
    ("SELECT user_id FROM gt_shop.events WHERE created_at > now()", "CATALOG_UNKNOWN_COLUMN", "unknown column created_at"),
    ("SELECT user_id FROM gt_shop.events ORDER BY score", "CATALOG_UNKNOWN_COLUMN", "unknown column score"),
    ("SELECT u.email FROM gt_shop.users AS u WHERE EXISTS (SELECT 1 FROM gt_shop.orders AS o WHERE o.customer_id = u.user_id)",
     "CATALOG_UNKNOWN_COLUMN", "unknown column customer_id in gt_shop.orders"),
    ("SELECT user_id FROM gt_shop.users UNION ALL SELECT user_id FROM gt_shop.sessions", "CATALOG_UNKNOWN_TABLE", "gt_shop.sessions"),
    ("INSERT INTO gt_shop.audit SELECT * FROM gt_shop.users", "CATALOG_UNKNOWN_TABLE", "gt_shop.audit"),
    ("INSERT INTO gt_shop.users (user_id, mail) VALUES (1, 'a')", "CATALOG_UNKNOWN_COLUMN", "did you mean email"),
    ("SELECT * FROM userz", "CATALOG_UNKNOWN_TABLE", "did you mean gt_shop.users"),
    ("SELECT arrayFilter(x -> x = event_typo, tags) FROM gt_shop.events", "CATALOG_UNKNOWN_COLUMN", "did you mean event_type"),
    ("SELECT row_number() OVER (PARTITION BY region ORDER BY ts) FROM gt_shop.events", "CATALOG_UNKNOWN_COLUMN", "unknown column region"),
    ("SELECT user_id FROM gt_shop.orders GROUP BY user_id HAVING sum(price) > 1", "CATALOG_UNKNOWN_COLUMN", "unknown column price"),
    ("SELECT user_id FROM gt_shop.orders GROUP BY cohort", "CATALOG_UNKNOWN_COLUMN", "unknown column cohort"),
    ("WITH unused AS (SELECT bogus FROM gt_shop.users) SELECT 1", "CATALOG_UNKNOWN_COLUMN", "unknown column bogus"),
    ("SELECT countIf(statuss = 'x') FROM gt_shop.orders", "CATALOG_UNKNOWN_COLUMN", "did you mean status"),
    ("SELECT 1 FROM gt_shop.users WHERE user_id IN (SELECT user_id FROM gt_shop.payments)", "CATALOG_UNKNOWN_TABLE", "gt_shop.payments"),
]


@pytest.mark.parametrize(("sql", "_runs"), VALID, ids=[f"valid{i}" for i in range(len(VALID))])
def test_valid_queries_are_not_flagged(sql, _runs):
    assert ground(sql, CATALOG) == []


@pytest.mark.parametrize(("sql", "code", "text"), INVENTED, ids=[f"invented{i}" for i in range(len(INVENTED))])
def test_every_invented_name_is_caught(sql, code, text):
    findings = ground(sql, CATALOG)
    assert [f.code for f in findings] == [code], findings
    assert text in findings[0].message, findings[0].message
    assert findings[0].severity == "error"


def test_codes_are_declared():
    for _sql, code, _ in INVENTED:
        assert code in CODES


def test_ambiguous_column_is_a_warning_and_using_is_not_ambiguous():
    found = ground("SELECT country FROM gt_shop.events AS e JOIN gt_shop.users AS u ON e.user_id = u.user_id", CATALOG)
    assert [(f.code, f.severity) for f in found] == [("CATALOG_AMBIGUOUS_COLUMN", "warning")]
    assert ground("SELECT user_id FROM gt_shop.events JOIN gt_shop.users USING (user_id)", CATALOG) == []


def test_ambiguous_bare_table_without_default_database():
    cat = Catalog(parse_ddl(DDL.replace("gt_shop.orders", "gt_other.users"), "clickhouse"))
    found = ground("SELECT * FROM users", cat)
    assert [(f.code, f.severity) for f in found] == [("CATALOG_AMBIGUOUS_TABLE", "warning")]


def test_one_finding_per_name_and_parse_errors_are_not_grounding_findings():
    found = ground("SELECT usr_id, usr_id + 1 FROM gt_shop.events WHERE usr_id > 0", CATALOG)
    assert len(found) == 1
    assert ground_sql("SELECT FROM WHERE (((", CATALOG) is None


def test_grounding_check_on_conversations():
    conv, _ = check_messages([
        {"role": "user", "content": "Top users by events? I think the table is gt_shop.event."},
        {"role": "assistant", "content": "Here:\n\n```sql\nSELECT usr_id, count() FROM gt_shop.events GROUP BY usr_id\n```\n"
                                         "and the raw rows:\n\n```sql\nSELECT * FROM gt_shop.evnts\n```"},
    ])
    runner = CheckRunner([GroundingCheck(CATALOG)])
    found = runner.run(Item(conv, "t.jsonl", 7))
    assert [f.code for f in found] == ["CATALOG_UNKNOWN_COLUMN", "CATALOG_UNKNOWN_TABLE"]
    assert found[0].message.startswith("message 1 ")
    assert "did you mean user_id" in found[0].message
    assert runner.stats["grounding"].dropped == 1
    ok, _ = check_messages([{"role": "user", "content": "q"},
                            {"role": "assistant", "content": "```sql\nSELECT email FROM gt_shop.users\n```"}])
    assert runner.run(Item(ok, "t.jsonl", 8)) == []


# --- the real engine agrees: valid queries plan, invented ones fail --------------------------------------

@pytest.fixture(scope="module")
def shop(engine):
    engine.command("CREATE DATABASE IF NOT EXISTS gt_shop")
    for table in CATALOG:
        engine.command(table.ddl.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
    return engine


@pytest.mark.engine
def test_engine_accepts_every_valid_query(shop):
    for sql, runs in VALID:
        if runs:
            shop.query(f"EXPLAIN PLAN {sql}")  # raises on an unknown table/column


@pytest.mark.engine
def test_engine_rejects_every_invented_query(shop):
    for sql, _code, _ in INVENTED:
        if "FROM userz" in sql:
            continue  # bare name: the engine looks in its own current database
        if sql.startswith("WITH unused"):
            continue  # the engine never analyses a CTE nobody reads; a training target still must not hold one
        with pytest.raises(Exception) as e:
            shop.query(f"EXPLAIN PLAN {sql}") if sql.startswith(("SELECT", "WITH")) else shop.command(sql)
        assert any(w in str(e.value) for w in ("UNKNOWN", "Unknown", "doesn't exist", "does not exist", "Missing", "There is no", "No such column")), (sql, str(e.value)[:300])


def test_cached_results_keep_each_span_position():
    sql = "SELECT usr_id FROM gt_shop.events"
    conv, _ = check_messages([
        {"role": "user", "content": "a"}, {"role": "assistant", "content": f"```sql\n{sql}\n```"},
        {"role": "user", "content": "again"}, {"role": "assistant", "content": f"Same:\n```sql\n{sql}\n```"},
    ])
    check = GroundingCheck(CATALOG)
    first = check.findings(Item(conv, "t.jsonl", 1))
    assert [f.message.split(":", 1)[0] for f in first] == ["message 1 (offset 7)", "message 3 (offset 13)"]
    assert check.findings(Item(conv, "t.jsonl", 1)) == first


# --- properties: any real column list is clean, any invented name is caught ----------------------------

_TABLES = sorted(CATALOG, key=lambda t: t.qualified)
_names = st.from_regex(r"[a-z][a-z0-9_]{0,14}", fullmatch=True)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(data=st.data())
def test_property_real_columns_clean_invented_caught(data):
    table = data.draw(st.sampled_from(_TABLES))
    cols = [c.name for c in table.columns]
    chosen = data.draw(st.lists(st.sampled_from(cols), min_size=1, max_size=5, unique=True))
    alias = data.draw(st.sampled_from(["", "t", "x1"]))
    ref = alias or table.qualified
    select = ", ".join(f"{ref}.{c}" if data.draw(st.booleans()) else c for c in chosen)
    sql = f"SELECT {select} FROM {table.qualified}{' AS ' + alias if alias else ''} WHERE {chosen[0]} IS NOT NULL"
    assert ground(sql, CATALOG) == [], sql
    invented = data.draw(_names.filter(lambda n: n not in cols and not n.startswith("_")
                                       and n.upper() not in sqlglot_keywords()))
    bad = sql.replace(f"SELECT {select}", f"SELECT {select}, {invented}", 1)
    assert [f.code for f in ground(bad, CATALOG)] == ["CATALOG_UNKNOWN_COLUMN"], bad


@settings(max_examples=100, deadline=None, derandomize=True)
@given(name=_names)
def test_property_invented_tables_caught(name):
    if any(t.name == name for t in _TABLES) or name.upper() in sqlglot_keywords():
        return
    assert [f.code for f in ground(f"SELECT 1 FROM gt_shop.{name}", CATALOG)] == ["CATALOG_UNKNOWN_TABLE"]


def sqlglot_keywords() -> frozenset[str]:
    from sqlglot.dialects.clickhouse import ClickHouse

    return frozenset(ClickHouse.Tokenizer.KEYWORDS)


BQ_CATALOG = Catalog(parse_ddl("""
CREATE TABLE `acme-prod.sales.orders` (
  order_id STRING,
  items ARRAY<STRUCT<sku STRING, qty INT64, meta STRUCT<color STRING, size STRING>>>,
  customer STRUCT<id INT64, email STRING>,
  created_at TIMESTAMP
) PARTITION BY DATE(created_at)
""", "bigquery"))


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT o.customer.email, customer.id FROM sales.orders AS o", []),
    ("SELECT it.sku, it.meta.color FROM sales.orders ARRAY JOIN items AS it", []),
    ("SELECT items.meta.color, items.qty FROM sales.orders", []),
    ("SELECT order_id FROM `acme-prod`.sales.orders WHERE _PARTITIONDATE = today()", []),
    ("SELECT customer.phone FROM sales.orders", ["CATALOG_UNKNOWN_FIELD"]),
    ("SELECT o.items.meta.shade FROM sales.orders AS o", ["CATALOG_UNKNOWN_FIELD"]),
    ("SELECT items.price FROM sales.orders", ["CATALOG_UNKNOWN_FIELD"]),
    ("SELECT order_ids FROM sales.orders", ["CATALOG_UNKNOWN_COLUMN"]),
    ("SELECT * FROM sales.order", ["CATALOG_UNKNOWN_TABLE"]),
])
def test_bigquery_catalog_nested_struct_fields(sql, expected):
    assert [f.code for f in ground(sql, BQ_CATALOG)] == expected


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT TOP 5 [user_id], COUNT(*) AS n FROM gt_shop.events GROUP BY [user_id] ORDER BY n DESC", []),
    ("SELECT TOP 5 [usr_id] FROM gt_shop.events", ["CATALOG_UNKNOWN_COLUMN"]),
    ("SELECT user_id, SAFE_DIVIDE(SUM(amount), COUNT(*)) AS avg_amount FROM `gt_shop.orders` GROUP BY user_id", []),
    ("SELECT user_id, SAFE_DIVIDE(SUM(amount), COUNT(*)) FROM `gt_shop.order` GROUP BY user_id", ["CATALOG_UNKNOWN_TABLE"]),
])
def test_check_grounds_other_dialects_as_the_clickhouse_they_become(sql, expected):
    conv, _ = check_messages([{"role": "user", "content": "q"}, {"role": "assistant", "content": f"```sql\n{sql}\n```"}])
    assert [f.code for f in GroundingCheck(CATALOG).findings(Item(conv, "t.jsonl", 1))] == expected


def test_flattened_nested_columns_from_system_columns():
    # `pull` reads system.columns, which lists a Nested column flattened: items.sku, items.qty
    from sqlcurate.records import Column, TableRecord

    table = TableRecord(source="t", database="shop", name="events", columns=[
        Column(name="user_id", type="UInt64"), Column(name="items.sku", type="Array(String)"),
        Column(name="items.qty", type="Array(UInt32)")])
    cat = Catalog([table])
    for ok in ("SELECT items.sku, e.items.qty, `items.sku` FROM shop.events AS e",
               "SELECT items.sku FROM shop.events ARRAY JOIN items",
               "SELECT it.sku FROM shop.events ARRAY JOIN items AS it"):
        assert ground(ok, cat) == [], ok
    found = ground("SELECT items.price FROM shop.events", cat)
    assert [f.code for f in found] == ["CATALOG_UNKNOWN_FIELD"]
    assert [f.code for f in ground("SELECT `items.price` FROM shop.events", cat)] == ["CATALOG_UNKNOWN_COLUMN"]


def test_transpile_corpus_grounds_clean():
    """No false finding on realistic queries: the SQL corpus (five dialects, hand-written ClickHouse for
    each, both proven on the engine by tests/sql) grounds clean, as written and as we transpile it."""
    from pathlib import Path

    from sqlcurate.sql.catalog import load_catalog
    from sqlcurate.sql.transpile import analyze

    corpus = Path(__file__).resolve().parents[1] / "sql" / "corpus"
    sys.path.insert(0, str(corpus))
    from loader import load_cases

    catalog = load_catalog(corpus / "schema.sql")
    cases = load_cases()
    assert len(cases) >= 55
    for case in cases:
        assert ground(case.clickhouse, catalog) == [], case.name
        analysis = analyze(case.source, case.dialect)
        assert analysis.ok, case.name
        assert ground(analysis.statements, catalog) == [], case.name
