"""Dialect detection: the right dialect, with evidence and positions; nothing found inside literals."""

from __future__ import annotations

from collections import Counter

import pytest

from sqlcurate.sql.dialects import MARKERS, detect, normalize_dialect
from sqlcurate.sql.transpile import to_clickhouse

from .conftest import CASES, rows


@pytest.mark.parametrize(
    "sql, dialect, evidence",
    [
        ("SELECT TOP 10 a FROM t WHERE d < GETDATE()", "tsql", "T-SQL: TOP at 1:8, GETDATE() at 1:34"),
        ("SELECT ISNULL(a, 0) FROM [dbo].[t]", "tsql", "T-SQL: ISNULL(x, y) at 1:8, [bracketed] name at 1:26, [bracketed] name at 1:32"),
        ("SELECT SAFE_DIVIDE(a, b) FROM `p.d.t`", "bigquery", "BigQuery: SAFE_DIVIDE() at 1:8, `project.dataset.table` at 1:31"),
        ("SELECT a::int FROM t WHERE b ILIKE 'x%'", "postgres", "Postgres: ::type cast at 1:9"),
        ("SELECT DATE_FORMAT(ts, '%Y') FROM `t`", "mysql", "MySQL: DATE_FORMAT() at 1:8"),
        ("SELECT LISTAGG(a, ',') WITHIN GROUP (ORDER BY a) FROM t", "snowflake", "Snowflake: LISTAGG() at 1:8"),
    ],
)
def test_detect_with_evidence(sql, dialect, evidence):
    d = detect(sql)
    assert d.dialect == dialect
    assert d.describe() == evidence


def test_top_alone_is_noncanonical_not_foreign():
    d = detect("SELECT TOP 5 a FROM t")
    assert d.noncanonical and not d.foreign


def test_clickhouse_queries_stay_clickhouse():
    for sql in [
        "SELECT toStartOfMonth(ts) AS m, uniqExact(user_id) FROM events WHERE url ILIKE '%docs%' GROUP BY m",
        "SELECT arrayJoin(tags) AS tag, count() FROM events GROUP BY tag ORDER BY count() DESC LIMIT 10",
        "SELECT `user_id` FROM `events` LIMIT 1",
        "SELECT date_trunc('month', ts) FROM events",
    ]:
        assert detect(sql).dialect == "clickhouse", sql


def test_clickhouse_array_literals_are_not_tsql_brackets():
    assert detect("SELECT arrayConcat(tags, [NULL]), [1, 2], arr[1] FROM t").dialect == "clickhouse"
    assert detect("SELECT [Order Date] FROM t").dialect == "tsql"


def test_markers_inside_strings_and_comments_are_not_evidence():
    sql = "SELECT 'GETDATE() and TOP 10' AS note -- ISNULL(a, b)\nFROM t /* SAFE_DIVIDE( */"
    assert detect(sql).dialect == "clickhouse"


def test_positions_on_later_lines():
    d = detect("SELECT a\nFROM t\nWHERE d > GETDATE()")
    assert d.describe() == "T-SQL: GETDATE() at 3:11"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_query_read_as_detected_dialect_gives_the_right_rows(corpus_engine, case):
    """What the SQL check does without --from: detect, then transpile from the detected dialect. Where
    the markers are shared (DATE_SUB(d, INTERVAL 7 DAY) is MySQL and BigQuery) or absent (plain SQL,
    QUALIFY), the detected reading must still give the hand-written version's rows."""
    got = detect(case.source).dialect
    if case.name in _PORTABLE_BUT_DIFFERENT:
        # Portable SQL without a marker reads as ClickHouse, where it means something else; only
        # --sql-dialect (or --from) can say which was meant (test_corpus covers that reading).
        assert got == "clickhouse"
        return
    assert got in (case.dialect, "clickhouse") or got in _SHARED.get(case.name, ()), got
    sql = case.source if got == "clickhouse" else to_clickhouse(case.source, got)[0]
    assert Counter(rows(corpus_engine, sql)) == Counter(rows(corpus_engine, case.clickhouse))


# Portable SQL that means something else in ClickHouse: LEFT JOIN ... WHERE right.id IS NULL (missing
# rows are NULL everywhere but in ClickHouse, where they get defaults); integer / integer (an integer in
# Postgres and T-SQL, a float in ClickHouse); aggregates over no rows (NULL, but 0 in ClickHouse); decimal
# literal arithmetic (exact, but binary floats in ClickHouse); ROLLUP/CUBE (NULL keys and a grand total
# over no rows, but default keys and no row in ClickHouse)
_PORTABLE_BUT_DIFFERENT = {"postgres_left_join_anti", "postgres_integer_division", "postgres_aggregates_over_no_rows_are_null",
                           "postgres_decimal_literal_arithmetic_is_exact", "postgres_rollup_total_row_has_null_key",
                           "postgres_cube_over_no_rows_keeps_the_grand_total"}

# corpus queries written with constructs two dialects share (both readings mean the same)
_SHARED = {
    "snowflake_to_char_month": ("postgres",),
    "snowflake_to_date_with_format": ("postgres",),
    "snowflake_split_part_domain": ("postgres",),
    "snowflake_datediff_active_days": ("tsql",),
    "postgres_percentile_cont": ("tsql", "snowflake"),
    "mysql_date_sub": ("bigquery",),
}


def test_marker_table_is_well_formed():
    for dialects, label, keys, pattern, standing in MARKERS:
        assert dialects and label and pattern and standing in ("foreign", "noncanonical", "hint")
        assert keys and all(k == k.upper() for k in keys), label
        assert all(k.lower() in pattern.lower() or k in ("N'", "..") for k in keys), (label, keys)


def test_normalize_dialect():
    assert normalize_dialect("T-SQL") == "tsql" and normalize_dialect("PostgreSQL") == "postgres"
    with pytest.raises(ValueError, match="unknown dialect"):
        normalize_dialect("cobol")
    assert normalize_dialect("sqlite3") == "sqlite" and normalize_dialect("Spark_SQL") == "spark"
    assert normalize_dialect("synapse") == "fabric"


def test_key_prefilter_never_hides_a_marker():
    """scan() runs a marker's regex only when one of its keys occurs; on every corpus query that must
    find exactly what running every regex finds."""
    from sqlcurate.sql import dialects as D

    for case in CASES:
        for sql in (case.source, case.clickhouse):
            text = D._masked(sql)
            every = sorted((m.start(1), label) for _, label, rx, _ in D._COMPILED for m in rx.finditer(text))
            keyed = sorted((_offset(sql, e.line, e.column), e.label) for e in D.scan(sql))
            assert keyed == every, case.name


def _offset(sql: str, line: int, column: int) -> int:
    lines = sql.split("\n")
    return sum(len(s) + 1 for s in lines[: line - 1]) + column - 1
