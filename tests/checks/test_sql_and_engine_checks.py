"""SqlCheck and EngineCheck on conversations, the engine ones on the real embedded ClickHouse."""

from __future__ import annotations

import pytest
from tests.sql.conftest import CASES

from sqlcurate.checks.base import CheckRunner, Item
from sqlcurate.checks.engine import EngineCheck
from sqlcurate.checks.sql import SqlCheck
from sqlcurate.conversation import check_messages
from sqlcurate.records import Column, TableRecord
from sqlcurate.sql.extract import extract_from_conversation


def item(answer: str, question: str = "q") -> Item:
    conv, findings = check_messages([{"role": "user", "content": question}, {"role": "assistant", "content": answer}])
    assert conv is not None, findings
    return Item(conversation=conv, source="t.jsonl", line=7)


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def test_canonical_clickhouse_passes():
    it = item("```sql\nSELECT toStartOfMonth(ts) AS m, uniqExact(user_id) FROM events GROUP BY m ORDER BY m\n```")
    assert SqlCheck().findings(it) == []


def test_top_is_noncanonical_and_fix_rewrites_it():
    it = item("Sure:\n```sql\nSELECT TOP 10 name FROM users ORDER BY name\n```\nDone.")
    (f,) = SqlCheck().findings(it)
    assert f.code == "SQL_NONCANONICAL" and "TOP at 1:8" in f.message and "LIMIT 10" in f.message
    fixed = item(it.conversation.messages[1].content)
    assert SqlCheck(fix=True).findings(fixed) == []
    assert fixed.conversation.messages[1].content == "Sure:\n```sql\nSELECT name FROM users ORDER BY name LIMIT 10\n```\nDone."
    (change,) = fixed.changes
    assert (change.check, change.code, change.before, change.after) == (
        "sql", "SQL_NONCANONICAL", "SELECT TOP 10 name FROM users ORDER BY name", "SELECT name FROM users ORDER BY name LIMIT 10")


def test_foreign_dialect_reports_evidence():
    (f,) = SqlCheck().findings(item("SELECT TOP 5 a FROM t WHERE d < GETDATE()"))
    assert f.code == "SQL_FOREIGN_DIALECT"
    assert f.message.startswith("message 1 (bare query at offset 0): T-SQL: TOP at 1:8, GETDATE() at 1:33;")
    assert "now()" in f.message


def test_fix_rewrites_every_query_of_a_message_and_keeps_prose():
    answer = ("First:\n```sql\nSELECT SAFE_DIVIDE(a, b) FROM `p.d.t`\n```\nthen\n```sql\nSELECT 1 AS ok\n```\n"
              "and\n```sql\nSELECT ISNULL(x, 0) FROM t\n```")
    it = item(answer)
    assert SqlCheck(fix=True).findings(it) == []
    text = it.conversation.messages[1].content
    assert text.startswith("First:\n```sql\nSELECT CASE WHEN b <> 0 THEN a / b ELSE NULL END FROM d.t\n```\nthen\n```sql\nSELECT 1 AS ok\n```")
    assert text.endswith("and\n```sql\nSELECT COALESCE(x, 0) FROM t\n```")
    assert [c.code for c in it.changes] == ["SQL_FOREIGN_DIALECT", "SQL_FOREIGN_DIALECT"]


def test_parse_error_is_not_fixable():
    it = item("```sql\nSELECT FROM WHERE (\n```")
    (f,) = SqlCheck(fix=True).findings(it)
    assert f.code == "SQL_PARSE_ERROR" and "'WHERE'" in f.message and it.changes == []


def test_untranspilable_is_reported_even_with_fix():
    it = item("```sql\nSELECT x, o FROM t LEFT JOIN UNNEST(arr) AS x WITH OFFSET AS o\n```")
    (f,) = SqlCheck(fix=True).findings(it)
    assert f.code == "SQL_UNTRANSPILABLE" and "WITH OFFSET" in f.message
    assert it.changes == []


def test_declared_source_dialect():
    # plain SQL declared as Postgres but written the same way in ClickHouse is fine
    assert SqlCheck(source_dialect="postgresql").findings(item("SELECT a, count(*) FROM t GROUP BY a")) == []
    (f,) = SqlCheck(source_dialect="postgres").findings(item("SELECT a::text FROM t"))
    assert f.code == "SQL_FOREIGN_DIALECT" and "CAST(a AS" in f.message


def test_prose_only_answer_has_no_sql_findings():
    assert SqlCheck().findings(item("Use LIMIT instead of TOP in ClickHouse.")) == []


# ---------------------------------------------------------------- engine

TABLES = [
    TableRecord(source="test", database="shop", name="orders", columns=[
        Column(name="order_id", type="UInt64"), Column(name="user_id", type="UInt64"),
        Column(name="amount", type="Decimal(12, 2)"), Column(name="created_at", type="DateTime"),
        Column(name="status", type="LowCardinality(String)")]),
    TableRecord(source="test", database="bq_ds", name="visits", dialect="bigquery", columns=[
        Column(name="visit_id", type="INT64"), Column(name="tags", type="ARRAY<STRING>"),
        Column(name="geo", type="STRUCT<country STRING, city STRING>"), Column(name="ts", type="TIMESTAMP"),
        Column(name="spend", type="NUMERIC(10, 2)"), Column(name="ok", type="BOOL")]),
]


@pytest.fixture
def engine_check(engine):
    check = EngineCheck(TABLES)
    yield check
    check.close()


@pytest.mark.parametrize("answer", [
    "SELECT user_id, sum(amount) FROM shop.orders WHERE status = 'paid' GROUP BY user_id",
    "```sql\nWITH o AS (SELECT * FROM shop.orders) SELECT count() FROM o\n```",
    "SELECT tag, count() FROM bq_ds.visits ARRAY JOIN tags AS tag GROUP BY tag",
    "SELECT geo.country, toDate(ts) FROM bq_ds.visits WHERE ok",
    "SELECT number FROM numbers(3)",
])
def test_engine_accepts_valid_queries(engine_check, answer):
    assert engine_check.findings(item(answer)) == []


@pytest.mark.parametrize("answer, error", [
    ("SELECT nosuchfn(user_id) FROM shop.orders", "UNKNOWN_FUNCTION"),
    ("SELECT usr_id FROM shop.orders", "UNKNOWN_IDENTIFIER"),
    ("SELECT order_id + 'x' FROM shop.orders", "ILLEGAL_TYPE_OF_ARGUMENT"),
    ("SELECT 1 FROM shop.refunds", "UNKNOWN_TABLE"),
    ("SELECT visit_id FROM bq_ds.visits WHERE tags = 3", "ILLEGAL_TYPE_OF_ARGUMENT"),
])
def test_engine_rejections_carry_clickhouse_error_names(engine_check, answer, error):
    (f,) = engine_check.findings(item(answer))
    assert f.code == "SQL_ENGINE_REJECTED"
    assert f": {error}: " in f.message
    assert "sqlcurate_scratch" not in f.message  # scratch names are mapped back


def test_engine_checks_the_clickhouse_rewrite_of_foreign_sql(engine_check):
    assert engine_check.findings(item("SELECT TOP 3 user_id FROM shop.orders WHERE created_at < GETDATE()")) == []


def test_engine_cache_by_fingerprint(engine_check):
    for n in (1, 2, 3):
        engine_check.findings(item(f"SELECT user_id FROM shop.orders WHERE amount > {n}"))
    engine_check.findings(item("SELECT order_id FROM shop.orders"))
    assert engine_check.planned == 2


def test_scratch_tables_do_not_touch_real_tables(engine):
    engine.command("CREATE DATABASE IF NOT EXISTS shop")
    engine.command("CREATE TABLE IF NOT EXISTS shop.orders (only_col UInt8) ENGINE = Memory")
    check = EngineCheck(TABLES)
    try:
        assert check.findings(item("SELECT amount FROM shop.orders")) == []
    finally:
        check.close()
    assert [r[0] for r in engine.query("SELECT name FROM system.columns WHERE database = 'shop' AND table = 'orders'").result_rows] == ["only_col"]
    engine.command("DROP DATABASE shop")


def test_runner_drops_on_engine_rejection(engine_check):
    runner = CheckRunner([SqlCheck(), engine_check])
    assert codes(runner.run(item("SELECT nope FROM shop.orders"))) == ["SQL_ENGINE_REJECTED"]
    assert runner.stats["engine"].dropped == 1


def test_spans_in_several_messages():
    conv, _ = check_messages([
        {"role": "user", "content": "a"}, {"role": "assistant", "content": "SELECT TOP 1 a FROM t"},
        {"role": "user", "content": "b"}, {"role": "assistant", "content": "```sql\nSELECT TOP 2 b FROM u\n```"},
    ])
    it = Item(conversation=conv, source="x", line=1)
    assert SqlCheck(fix=True).findings(it) == []
    assert [s.sql for s in extract_from_conversation(it.conversation)] == ["SELECT a FROM t LIMIT 1", "SELECT b FROM u LIMIT 2"]


def test_clickhouse_tables_are_created_from_their_own_ddl(engine):
    """FINAL and PREWHERE are legal because of the table engine: the scratch table keeps it."""
    ddl = ("CREATE TABLE web.sessions (id UInt64, user String, version UInt32) "
           "ENGINE = ReplacingMergeTree(version) ORDER BY id")
    table = TableRecord(source="t", database="web", name="sessions", ddl=ddl, columns=[
        Column(name="id", type="UInt64"), Column(name="user", type="String"), Column(name="version", type="UInt32")])
    check = EngineCheck([table])
    try:
        assert check.findings(item("SELECT user FROM web.sessions FINAL PREWHERE id > 10")) == []
        # planning errors (not only name resolution) are caught: EXPLAIN PLAN, not QUERY TREE or AST
        (f,) = check.findings(item("SELECT id FROM web.sessions UNION ALL SELECT user, id FROM web.sessions"))
        assert "UNION_ALL_RESULT_STRUCTURES_MISMATCH" in f.message
    finally:
        check.close()


def test_engine_check_stays_out_of_the_query_log(engine, engine_check):
    """A workspace's query log is what `pull` reads as the team's queries: the check must not add to it."""
    engine_check.findings(item("SELECT status, count() FROM shop.orders WHERE amount > 7 GROUP BY status"))
    engine_check.findings(item("SELECT user_id, max(created_at) FROM shop.orders GROUP BY user_id SETTINGS max_threads = 1"))
    engine.command("SYSTEM FLUSH LOGS")
    logged = engine.query("SELECT count() FROM system.query_log WHERE query LIKE '%sqlcurate_scratch%' AND query LIKE 'EXPLAIN%'")
    assert logged.result_rows[0][0] == 0


BIGQUERY_TYPES = {
    "INT64": "Nullable(Int64)", "FLOAT64": "Nullable(Float64)", "NUMERIC": "Nullable(Decimal(38, 9))",
    "BIGNUMERIC": "Nullable(Decimal(76, 38))", "NUMERIC(10, 2)": "Nullable(Decimal(10, 2))", "BOOL": "Nullable(Bool)",
    "STRING": "Nullable(String)", "BYTES": "Nullable(String)", "DATE": "Nullable(Date32)",
    "DATETIME": "Nullable(DateTime64(6))", "TIMESTAMP": "Nullable(DateTime64(6, 'UTC'))", "TIME": "Nullable(String)",
    "JSON": "Nullable(String)", "GEOGRAPHY": "Nullable(String)", "ARRAY<INT64>": "Array(Int64)",
    "STRUCT<a INT64, b ARRAY<STRING>>": "Tuple(a Nullable(Int64), b Array(String))",
}


@pytest.mark.parametrize("bq_type, ch_type", BIGQUERY_TYPES.items(), ids=list(BIGQUERY_TYPES))
def test_bigquery_types_map_to_clickhouse_types_the_engine_accepts(engine, bq_type, ch_type):
    from sqlcurate.sql.engine import clickhouse_type

    assert clickhouse_type(bq_type, "bigquery") == ch_type
    engine.command(f"CREATE TEMPORARY TABLE IF NOT EXISTS bq_type_probe (c {ch_type})")
    engine.command("DROP TEMPORARY TABLE bq_type_probe")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fix_is_idempotent_on_the_corpus(case):
    """A fixed answer is canonical ClickHouse: checking it again finds nothing and changes nothing."""
    it = item(f"Here it is:\n\n```sql\n{case.source}\n```\n")
    SqlCheck(fix=True).findings(it)
    again = Item(conversation=it.conversation, source="t", line=1)
    assert SqlCheck(fix=True).findings(again) == [] and again.changes == [], it.conversation.messages[1].content


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hand_written_clickhouse_has_no_sql_findings(case):
    """No false alarms on canonical ClickHouse: those would throw away good training rows."""
    assert SqlCheck().findings(item(f"```sql\n{case.clickhouse}\n```")) == []


def test_empty_scratch_tables_do_not_cause_false_rejections(engine_check):
    """The scalar subquery is evaluated while planning; over empty tables it is 0."""
    sql = "SELECT status, intDiv(100 * count(), (SELECT count() FROM shop.orders)) FROM shop.orders GROUP BY status"
    assert engine_check.findings(item(sql)) == []


def test_tables_with_remote_engines_get_the_generic_table(engine):
    ddl = "CREATE TABLE web.raw (id UInt64, body String) ENGINE = Kafka('broker:9092', 'topic', 'group', 'JSONEachRow')"
    table = TableRecord(source="t", database="web", name="raw", ddl=ddl, columns=[
        Column(name="id", type="UInt64"), Column(name="body", type="String")])
    check = EngineCheck([table])
    try:
        assert check.schema.own_ddl(table) is None
        assert check.findings(item("SELECT id, length(body) FROM web.raw")) == []
    finally:
        check.close()


def test_building_the_sql_check_applies_the_pipeline_gc_setting():
    import gc

    from sqlcurate.sql.transpile import GEN1_THRESHOLD

    SqlCheck()
    assert gc.get_threshold()[1] == GEN1_THRESHOLD
    assert gc.get_freeze_count() > 0  # what existed when the checks started is out of later collections


def test_scratch_sql_leaves_the_shared_parse_unchanged(engine_check):
    from sqlcurate.sql.transpile import analyze

    a = analyze("SELECT o.user_id FROM shop.orders AS o JOIN orders USING (user_id) SETTINGS max_threads = 1")
    before = a.statements[0].sql("clickhouse")
    scratch = engine_check.schema.scratch_sql(a.statements[0])
    # the query's SETTINGS are not what is checked, and the sandbox refuses them: planned without them
    assert f"\"{engine_check.schema.prefix}shop\".orders AS o" in scratch and "SETTINGS" not in scratch
    assert a.statements[0].sql("clickhouse") == before  # the analysis other checks read is as it was


def test_parallel_planning_gives_the_same_verdicts_as_one_connection(engine):
    from sqlcurate.sql.transpile import analyze

    queries = [f"SELECT user_id, sum(amount) AS s{n} FROM shop.orders GROUP BY user_id" for n in range(6)]
    queries += ["SELECT nosuchfn(user_id) FROM shop.orders", "SELECT usr_id FROM shop.orders", "SELECT 1 FROM shop.refunds"]
    statements = [(analyze(q).statements[0], analyze(q).fingerprint) for q in queries]
    verdicts = {}
    for workers in (1, 3):
        check = EngineCheck(TABLES, workers=workers)
        try:
            assert check.schema.workers == workers
            verdicts[workers] = [e and e.name for e in check.check_statements(statements)]
            assert check.planned == len(queries)
        finally:
            check.close()
    assert verdicts[1] == verdicts[3] == [None] * 6 + ["UNKNOWN_FUNCTION", "UNKNOWN_IDENTIFIER", "UNKNOWN_TABLE"]
