"""ClickHouse's own parser as the authority (sqlcurate.sql.native) and what the SQL check and transpile
make of it, on the real embedded engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.checks.test_sql_and_engine_checks import codes, item

from sqlcurate.checks.sql import SqlCheck
from sqlcurate.sql.native import NativeParser, shared_parser
from sqlcurate.sql.proven import Prover, transpile_statement, transpile_text
from sqlcurate.sql.transpile import split_statements

REALWORLD = Path(__file__).parent / "realworld"

# Genuine ClickHouse that sqlglot cannot parse, or that carries a marker of another dialect
NATIVE = [
    "SELECT toYear(created_at) AS y, count() FROM github_events GROUP BY toYear(created_at) AS year",
    "SELECT repo_name, count() AS c FROM github_events GROUP BY repo_name ORDER BY c DESC LIMIT 1 BY repo_name LIMIT 50",
    "SELECT count() FROM events WHERE event_time > now() - INTERVAL '7 days'",
    "SELECT x::Int32 AS n FROM t",
    "SELECT `events.user_id` FROM t",
    "SELECT flatten([[1, 2], [3]]) AS a",
    "SELECT DATEDIFF(day, a, b) FROM t",
]


@pytest.fixture(scope="module")
def parser(engine):
    return shared_parser()


@pytest.mark.parametrize("sql", NATIVE)
def test_native_clickhouse_is_accepted_by_the_parser_and_by_the_sql_check(parser, sql):
    assert parser.check(sql).ok, parser.check(sql).error
    assert SqlCheck().findings(item(f"```sql\n{sql}\n```")) == []


def test_declared_clickhouse_that_only_clickhouse_parses_is_no_parse_error():
    check = SqlCheck(source_dialect="clickhouse")
    assert check.findings(item(f"```sql\n{NATIVE[1]}\n```")) == []
    assert codes(check.findings(item("```sql\nSELECT (\n```"))) == ["SQL_PARSE_ERROR"]


@pytest.mark.parametrize("sql, message", [
    ("SELECT GETDATE()", "Unknown function GETDATE"),
    ("SELECT julianday(a) FROM t", "Unknown function julianday"),
    ("SELECT x::timestamptz FROM t", "Unknown data type timestamptz"),
    ("SELECT * FROM no_such_table_function(1)", "Unknown table function no_such_table_function"),
    ("SELECT (", "SYNTAX_ERROR"),
    ("SELEC FROM WHERE", "SYNTAX_ERROR"),  # not an implicit SELECT, as chdb's default would read it
    ("1 + 1", "SYNTAX_ERROR"),
])
def test_parser_rejects_with_clickhouse_message(parser, sql, message):
    assert message in parser.check(sql).error


def test_combinators_and_syntax_functions_are_known(parser):
    assert parser.check("SELECT sumIfOrNull(a, b > 1), countDistinct(c), quantileExactInclusive(0.5)(d), "
                        "arrayMap(x -> x + 1, e), exists(SELECT 1) FROM t").ok
    assert parser.check("SELECT a, grouping(a) FROM t GROUP BY ROLLUP(a)").ok


def test_table_functions_count_only_in_from(parser):
    assert parser.check("SELECT count() FROM remote('127.0.0.1', numbers(10))").ok
    assert parser.check("SELECT numbers(3)").error == "Unknown function numbers"


def test_a_second_statement_is_never_executed(parser, engine):
    engine.command("CREATE DATABASE IF NOT EXISTS native_probe")
    engine.command("CREATE TABLE IF NOT EXISTS native_probe.keep (x UInt8) ENGINE = Memory")
    for text in ("SELECT 1; DROP TABLE native_probe.keep", "SELECT 1 FROM t WHERE a = '\\'; DROP TABLE native_probe.keep; --'"):
        parser.check(text)
    assert engine.query("EXISTS TABLE native_probe.keep").result_rows == [(1,)]


def test_foreign_evidence_still_counts_when_clickhouse_means_something_else():
    # T-SQL TOP runs in ClickHouse but is not canonical; Postgres timestamptz is no ClickHouse type
    assert codes(SqlCheck().findings(item("```sql\nSELECT TOP 5 a FROM t\n```"))) == ["SQL_NONCANONICAL"]
    assert codes(SqlCheck().findings(item("```sql\nSELECT ts::timestamptz FROM t\n```"))) == ["SQL_FOREIGN_DIALECT"]


def test_fix_proves_its_rewrite_before_writing_it(engine):
    it = item("```sql\nSELECT zeroblob(d) AS s FROM t WHERE strftime('%Y', d) = '2024'\n```")
    found = SqlCheck(fix=True).findings(it)
    assert codes(found) == ["SQL_OUTPUT_REJECTED"] and "Unknown function zeroblob" in found[0].message
    assert it.changes == [] and "zeroblob" in it.conversation.messages[1].content


def test_fix_notes_dropped_hints_in_the_change_log():
    it = item("```sql\nSELECT TOP 3 a FROM t WITH (NOLOCK) OPTION (LABEL = 'q01')\n```")
    assert SqlCheck(fix=True, source_dialect="tsql").findings(it) == []
    assert [c.code for c in it.changes] == ["SQL_FOREIGN_DIALECT", "SQL_HINT_DROPPED", "SQL_HINT_DROPPED"]
    assert "SELECT a FROM t LIMIT 3" in it.conversation.messages[1].content


def test_tsql_only_name_is_foreign_without_a_declared_dialect():
    (f,) = SqlCheck().findings(item("```sql\nSELECT number FROM master..spt_values\n```"))
    assert f.code == "SQL_FOREIGN_DIALECT" and "db..table at 1:20" in f.message and "master.spt_values" in f.message


def test_a_comment_after_the_last_semicolon_writes_no_empty_statement(parser):
    """Spider2's bq031 ends in ``...;\\n-- all result rounded``: sqlglot returns the trailing comment as a
    statement of its own, which the proof refused as ClickHouse's "Empty query"."""
    from sqlcurate.sql.proven import Prover, transpile_statement

    result = transpile_statement("SELECT 1 AS x;\n-- all results rounded", 1, "bigquery", prover=Prover(parser))
    assert result.ok and result.clickhouse == ["SELECT 1 AS x"]


class CountingConnection:
    """The engine connection, counting the queries sent through it (every call reaches the real engine)."""

    def __init__(self, conn):
        self.conn, self.queries = conn, 0

    def query(self, sql, fmt):
        self.queries += 1
        return self.conn.query(sql, fmt)


def test_check_many_gives_the_verdicts_of_check_in_fewer_engine_queries(parser, engine):
    engine.command("CREATE DATABASE IF NOT EXISTS native_probe")
    engine.command("CREATE TABLE IF NOT EXISTS native_probe.kept (x UInt8) ENGINE = Memory")
    statements = [*NATIVE, "SELECT GETDATE()", "SELECT x::timestamptz FROM t", "SELECT * FROM no_such_table_function(1)",
                  "SELECT (", "1 + 1", "SELECT count() FROM remote('127.0.0.1', numbers(10))", "SELECT numbers(3)",
                  "SELECT sumIfOrNull(a, b > 1), arrayMap(x -> x + 1, e) FROM t", "INSERT INTO t VALUES (1)", "",
                  "SELECT 1; DROP TABLE native_probe.kept", "SELECT 1 FROM t WHERE a = '\\'; DROP TABLE native_probe.kept; --'",
                  "WITH s AS (SELECT 1 AS n) SELECT n FROM s UNION ALL SELECT 2 SETTINGS max_threads = 1"]
    alone = [NativeParser(parser.conn).check(sql).error for sql in statements]
    counting = CountingConnection(parser.conn)
    together = NativeParser(counting)
    counting.queries = 0  # the function lists read when it opens
    got = [v.error for v in together.check_many([(sql, sql) for sql in statements])]
    assert got == alone
    assert sum(error is None for error in got) >= 10 and sum(error is not None for error in got) >= 6
    # two queries per statement alone; here the ones that do not format or are no SELECT go alone
    assert counting.queries < len(statements)
    assert engine.query("EXISTS TABLE native_probe.kept").result_rows == [(1,)]


def test_transpile_text_proves_a_window_together_as_one_statement_at_a_time(parser):
    rows = [json.loads(line) for line in (REALWORLD / "spider2.jsonl").read_text().splitlines()]
    sqls = [r["sql"].rstrip().rstrip(";") for r in rows if r["dialect"] == "snowflake"][:120]
    text = ";\n".join([*sqls, "SELECT no_such_function_xyz(a) FROM t", "SELECT ("]) + ";\n"
    together = transpile_text(text, "snowflake", prover=Prover(NativeParser(parser.conn)))
    prover = Prover(NativeParser(parser.conn))
    alone = [transpile_statement(st.sql, st.line, "snowflake", prover=prover, statement=st)
             for st in split_statements(text, "snowflake")]
    assert [r.as_json("snowflake") for r in together] == [r.as_json("snowflake") for r in alone]
    assert {r.code for r in together} >= {None, "SQL_OUTPUT_REJECTED", "SQL_PARSE_ERROR"}
