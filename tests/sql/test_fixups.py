"""Our ClickHouse layer over sqlglot: every rewrite is exercised on the real engine by the corpus, the
gaps measured on plain sqlglot 30.30 stay fixed, targets stay free of noise, and what cannot be done
faithfully is refused."""

from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot import exp

from sqlcurate.sql import fixups
from sqlcurate.sql.transpile import TranspileError, to_clickhouse

from .conftest import CASES, rows
from .test_longtail import CASES as LONGTAIL_CASES
from .test_null_semantics import CASES as NULL_CASES

# Rewrites that act on every query (names, ordering, SELECT clauses) rather than on one construct.
STRUCTURAL = {exp.Table, exp.Identifier, exp.Ordered, exp.Select, exp.Anonymous}
# Rewrites that only refuse (test_refusals_name_the_construct covers them).
REFUSALS = {exp.Declare, exp.JSONFormat, *fixups.NO_CLICKHOUSE_FORM}


def _source_types(case) -> set[type]:
    return {type(n) for n in sqlglot.parse_one(case.source, read=case.dialect).walk()}


def test_every_construct_rewrite_is_proven_by_a_corpus_case_on_the_engine():
    """test_corpus runs each of these cases on the engine against a hand-written version (test_longtail
    and test_null_semantics against the source dialect's rows, written by hand)."""
    covered = set().union(*(_source_types(c) for c in CASES))
    covered |= {type(n) for _, dialect, sql, _ in LONGTAIL_CASES for n in sqlglot.parse_one(sql, read=dialect).walk()}
    covered |= {type(n) for _, dialect, sql, _ in NULL_CASES for n in sqlglot.parse_one(sql, read=dialect).walk()}
    missing = [t.__name__ for t in fixups.REWRITES if t not in STRUCTURAL | REFUSALS and t not in covered]
    assert missing == [], f"rewrites without a corpus case: {missing}"


def test_every_renamed_call_has_a_corpus_case_or_is_refused():
    for (dialect, name), target in fixups.RENAMED_CALLS.items():
        if target:
            assert any(c.dialect == dialect and f"{name}(" in c.source.upper() for c in CASES), name
        else:
            with pytest.raises(TranspileError, match="no ClickHouse equivalent"):
                to_clickhouse(f"SELECT {name}()", dialect)


# The gaps measured on plain sqlglot 30.30 (engine rejected the output, or accepted a wrong one).
SQLGLOT_GAPS = [
    ("bigquery", "SELECT tag FROM webstats.events, UNNEST(tags) AS tag", "ARRAY JOIN tags AS tag"),
    ("bigquery", "SELECT TIMESTAMP_DIFF(MAX(event_time), MIN(event_time), SECOND) FROM webstats.events", "dateDiff('second', "),
    ("bigquery", "SELECT EXTRACT(DAYOFWEEK FROM event_date) FROM webstats.events", "toDayOfWeek(event_date, 3)"),
    ("bigquery", "SELECT PERCENTILE_CONT(revenue, 0.5) OVER () FROM webstats.events", "quantileExactInclusive(0.5)(revenue)"),
    ("bigquery", "SELECT APPROX_QUANTILES(revenue, 2) FROM webstats.events", "quantilesExactLow(0, 0.5, 1)(revenue)"),
    ("bigquery", "SELECT STRUCT(user_id AS id, country AS c) FROM webstats.users", "tuple(user_id, country)"),
    ("bigquery", "SELECT PARSE_DATE('%Y%m%d', '20240105')", "toDate(parseDateTime('20240105', '%Y%m%d'))"),
    ("tsql", "SELECT STRING_AGG(email, ',') WITHIN GROUP (ORDER BY email) FROM webstats.users", "arraySort(groupArray(email))"),
    ("snowflake", "SELECT LISTAGG(email, ',') WITHIN GROUP (ORDER BY email) FROM webstats.users", "arraySort(groupArray(email))"),
    ("tsql", "SELECT CONVERT(VARCHAR(10), event_time, 120) FROM webstats.events", "formatDateTime(event_time, '%Y-%m-%d')"),
    ("mysql", "SELECT DATE_FORMAT(event_time, '%H:%i') FROM webstats.events", "'%H:%i'"),
]


@pytest.mark.parametrize("dialect, sql, expected", SQLGLOT_GAPS, ids=[f"{d}:{e}" for d, _, e in SQLGLOT_GAPS])
def test_sqlglot_gap_fixed_and_accepted_by_engine(corpus_engine, dialect, sql, expected):
    (ours,) = to_clickhouse(sql, dialect)
    assert expected in ours, ours
    corpus_engine.query(f"EXPLAIN PLAN {ours}")  # raises with ClickHouse's error if rejected


def test_convert_120_keeps_minutes_as_minutes(corpus_engine):
    (ours,) = to_clickhouse("SELECT TOP 3 CONVERT(VARCHAR(19), event_time, 120) FROM webstats.events ORDER BY event_id", "tsql")
    assert "%M" not in ours  # ClickHouse's %M is the month name
    assert rows(corpus_engine, ours) == rows(corpus_engine, "SELECT toString(event_time) FROM webstats.events ORDER BY event_id LIMIT 3")


def test_no_nulls_first_noise_in_corpus_targets():
    for case in CASES:
        (ours,) = to_clickhouse(case.source, case.dialect)
        assert "NULLS FIRST" not in ours and "NULLS LAST" not in ours, (case.name, ours)
        # no needless identifier quoting (a double quote inside a string literal is data)
        assert '"' not in re.sub(r"'(?:[^'\\]|\\.)*'", "''", ours), (case.name, ours)


def test_nullable_sort_key_keeps_source_null_placement(corpus_engine):
    sql = "SELECT TOP 3 referrer, user_id FROM webstats.users ORDER BY referrer, user_id"
    (ours,) = to_clickhouse(sql, "tsql", nullable_columns=frozenset({"referrer"}))
    assert "ORDER BY referrer NULLS FIRST, user_id" in ours
    got = rows(corpus_engine, ours)
    # T-SQL sorts NULL first in ascending order
    assert got[0][0] is None
    assert got == rows(corpus_engine, "SELECT referrer, user_id FROM webstats.users ORDER BY isNotNull(referrer), referrer, user_id LIMIT 3")


def test_quoted_names_that_need_quotes_stay_quoted():
    (ours,) = to_clickhouse("SELECT [Order Date], [select] FROM [t]", "tsql")
    assert ours == 'SELECT "Order Date", "select" FROM t'


def test_three_part_names_become_database_table():
    assert to_clickhouse("SELECT 1 FROM `proj.ds.t`", "bigquery") == ["SELECT 1 FROM ds.t"]
    assert to_clickhouse("SELECT 1 FROM sales.dbo.orders", "tsql") == ["SELECT 1 FROM sales.orders"]
    assert to_clickhouse("SELECT 1 FROM db.sch.t", "snowflake") == ["SELECT 1 FROM sch.t"]


@pytest.mark.parametrize("dialect, sql, reason", [
    ("bigquery", "SELECT x, o FROM t LEFT JOIN UNNEST(a) AS x WITH OFFSET AS o", "WITH OFFSET"),
    ("postgres", "SELECT DISTINCT ON (a) a, b FROM t ORDER BY a, b LIMIT 5", "DISTINCT ON combined with LIMIT"),
    ("tsql", "SELECT CONVERT(VARCHAR(10), ts, 109) FROM t", "style 109"),
    ("tsql", "SELECT CONVERT(VARCHAR(6), ts, 120) FROM t", "mid-field"),
    ("tsql", "SELECT a FROM t ORDER BY a OFFSET 0 ROWS FETCH NEXT 10 PERCENT ROWS ONLY", "PERCENT"),
    ("tsql", "SELECT TOP 5 PERCENT a FROM t ORDER BY a", "PERCENT"),
    ("bigquery", "SELECT APPROX_QUANTILES(x, n) FROM t", "non-constant"),
    ("mysql", "SELECT DATE_FORMAT(ts, fmt) FROM t", "not a string constant"),
])
def test_unfaithful_constructs_are_refused(dialect, sql, reason):
    with pytest.raises(TranspileError, match=reason):
        to_clickhouse(sql, dialect)


def test_strftime_map():
    assert fixups.clickhouse_format("%Y-%m-%d %H:%M:%S") == "%Y-%m-%d %H:%i:%S"
    assert fixups.clickhouse_format("%B %Y") == "%M %Y"


def test_casts_of_values_that_cannot_be_null_are_not_nullable(corpus_engine):
    (ours,) = to_clickhouse("SELECT referrer::text AS r, COUNT(*)::int AS n, '2024-03-31'::date AS d FROM webstats.users GROUP BY 1", "postgres")
    assert "CAST(COUNT(*) AS Int32)" in ours and "CAST('2024-03-31' AS DATE)" in ours
    assert "Nullable(" in ours  # a column may be NULL: its cast keeps NULL
    corpus_engine.query(ours)


@pytest.mark.parametrize("dialect, sql, construct", [
    ("tsql", "DECLARE @x INT = 1", "DECLARE"),
    ("bigquery", "SELECT TO_JSON_STRING(STRUCT(a, b)) FROM t", "TO_JSON_STRING"),
    ("snowflake", "SELECT f.seq FROM t, LATERAL FLATTEN(input => t.a) f", "LATERAL FLATTEN column SEQ"),
    ("snowflake", "SELECT 1 FROM t WHERE REGEXP_LIKE(x, 'a', 'e')", "REGEXP_LIKE flags"),
    ("postgres", "SELECT d + '1 day 2 hours'::interval FROM t", "INTERVAL"),
])
def test_refusals_name_the_construct(dialect, sql, construct):
    with pytest.raises(TranspileError, match=construct) as e:
        to_clickhouse(sql, dialect)
    assert e.value.code == "SQL_UNTRANSPILABLE"


def test_three_part_tsql_names_with_an_empty_schema_do_not_crash():
    assert to_clickhouse("SELECT number FROM master..spt_values", "tsql") == ["SELECT number FROM master.spt_values"]


def test_a_fault_inside_a_rewrite_is_an_internal_error_with_the_query(monkeypatch):
    def broken(node, ctx):
        raise AttributeError("'str' object has no attribute 'name'")

    monkeypatch.setitem(fixups.REWRITES, exp.DayOfWeek, broken)
    with pytest.raises(TranspileError) as e:
        to_clickhouse("SELECT DAYOFWEEK(d) FROM t", "mysql")
    assert e.value.code == "SQL_INTERNAL_ERROR" and "AttributeError" in str(e.value) and "DAYOFWEEK" in str(e.value)


def test_hints_are_dropped_with_notes():
    notes: list[str] = []
    out = to_clickhouse("SELECT /*+ MAX_EXECUTION_TIME(1000) */ a FROM t USE INDEX (i1)", "mysql", notes=notes)
    assert out == ["SELECT a FROM t"]
    assert any("optimizer hint" in n for n in notes) and any("table hint USE INDEX" in n for n in notes)


@pytest.mark.parametrize("dialect", sorted(d for d in __import__("sqlcurate.sql.dialects", fromlist=["DISPLAY"]).DISPLAY if d != "prql"))
def test_every_dialect_reads_a_plain_query(dialect):
    assert to_clickhouse("SELECT a, COUNT(*) AS n FROM t WHERE b = 1 GROUP BY a", dialect) == [
        "SELECT a, COUNT(*) AS n FROM t WHERE b = 1 GROUP BY a"]
