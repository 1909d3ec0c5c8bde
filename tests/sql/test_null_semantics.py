"""Where SQL has no row to read, it answers NULL (window value functions) or 0 (a count over no rows);
ClickHouse 26.9 answers the value type's default, or NULL, instead. Each rewrite runs on the real engine
over hand-made rows and must give the rows the SOURCE dialect gives, written here by hand."""

from __future__ import annotations

import pytest

from sqlcurate.sql.transpile import TranspileError, to_clickhouse

from .conftest import normalize, rows

_SCHEMA = [
    "CREATE DATABASE IF NOT EXISTS nulls",
    # x is not Nullable: ClickHouse's window functions give 0 for its missing rows unless told otherwise
    "CREATE TABLE IF NOT EXISTS nulls.seq (x UInt32, g UInt8, n Nullable(Int32)) ENGINE = Memory",
    "TRUNCATE TABLE nulls.seq",
    "INSERT INTO nulls.seq VALUES (1, 1, NULL), (2, 1, 20), (3, 2, NULL), (4, 1, 40), (5, 2, 50)",
    "CREATE TABLE IF NOT EXISTS nulls.a (id UInt32) ENGINE = Memory",
    "TRUNCATE TABLE nulls.a",
    "INSERT INTO nulls.a VALUES (1), (2)",
    "CREATE TABLE IF NOT EXISTS nulls.b (aid UInt32, v Int32) ENGINE = Memory",
    "TRUNCATE TABLE nulls.b",
    "INSERT INTO nulls.b VALUES (1, 5)",
]


@pytest.fixture(scope="module")
def nulls_engine(engine):
    for statement in _SCHEMA:
        engine.command(statement)
    return engine


# (name, source dialect, source query, the rows the source dialect returns)
CASES = [
    # LAG/LEAD: NULL where the offset row is missing, the default where one is given
    ("lag_lead_missing_rows", "postgres",
     "SELECT x, LAG(x) OVER (ORDER BY x), LEAD(x) OVER (ORDER BY x), LAG(x, 2) OVER (ORDER BY x), "
     "LEAD(x, 1, 0) OVER (ORDER BY x) FROM nulls.seq ORDER BY x",
     [(1, None, 2, None, 2), (2, 1, 3, None, 3), (3, 2, 4, 1, 4), (4, 3, 5, 2, 5), (5, 4, None, 3, 0)]),
    ("lag_per_partition", "snowflake",
     "SELECT x, LAG(x) OVER (PARTITION BY g ORDER BY x) FROM nulls.seq ORDER BY x",
     [(1, None), (2, 1), (3, None), (4, 2), (5, 3)]),
    # NTH_VALUE: NULL until the frame (start to current row) holds n rows
    ("nth_value_before_n_rows", "postgres",
     "SELECT x, NTH_VALUE(x, 3) OVER (ORDER BY x) FROM nulls.seq ORDER BY x",
     [(1, None), (2, None), (3, 3), (4, 3), (5, 3)]),
    # FIRST_VALUE/LAST_VALUE over a frame that is empty on the first row
    ("first_last_value_empty_frame", "postgres",
     "SELECT x, FIRST_VALUE(x) OVER (ORDER BY x ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING), "
     "LAST_VALUE(x) OVER (ORDER BY x ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING) FROM nulls.seq ORDER BY x",
     [(1, None, None), (2, 1, 1), (3, 1, 2), (4, 2, 3), (5, 3, 4)]),
    # SQL's FIRST_VALUE/LAST_VALUE take the first/last row's value even when it is NULL
    ("first_last_value_respect_nulls", "bigquery",
     "SELECT x, FIRST_VALUE(n) OVER (ORDER BY x), LAST_VALUE(n) OVER (ORDER BY x) FROM nulls.seq ORDER BY x",
     [(1, None, None), (2, None, 20), (3, None, None), (4, None, 40), (5, None, 50)]),
    # IGNORE NULLS: the previous / next non-NULL value
    ("lag_lead_ignore_nulls", "bigquery",
     "SELECT x, LAG(n) IGNORE NULLS OVER (ORDER BY x), LEAD(n) IGNORE NULLS OVER (ORDER BY x), "
     "LAG(n) IGNORE NULLS OVER (PARTITION BY g ORDER BY x), FIRST_VALUE(n IGNORE NULLS) OVER (ORDER BY x) "
     "FROM nulls.seq ORDER BY x",
     [(1, None, 20, None, None), (2, None, 40, None, 20), (3, 20, 40, None, 20), (4, 20, 50, 20, 20),
      (5, 40, None, None, 20)]),
    # the previous point of the first row is NULL, so is its distance (not the distance from (0, 0)):
    # one degree of a great circle of radius 6371008.8 m is 6371008.8 * pi / 180 m
    ("distance_to_the_previous_point", "bigquery",
     "SELECT x, ST_DISTANCE(geom, LAG(geom) OVER (ORDER BY x)) FROM "
     "(SELECT x, ST_GEOGPOINT(x, 0) AS geom FROM nulls.seq WHERE x <= 3) ORDER BY x",
     [(1, None), (2, 111195.080234), (3, 111195.080234)]),
    # a correlated COUNT that sees no rows is 0, wherever the subquery stands
    ("correlated_count_in_select", "postgres",
     "SELECT a.id, (SELECT COUNT(*) FROM nulls.b WHERE b.aid = a.id) FROM nulls.a AS a ORDER BY a.id",
     [(1, 1), (2, 0)]),
    ("correlated_count_in_where", "postgres",
     "SELECT a.id FROM nulls.a AS a WHERE (SELECT COUNT(*) FROM nulls.b WHERE b.aid = a.id) = 0",
     [(2,)]),
    ("correlated_count_in_having", "sqlite",
     "SELECT a.id FROM nulls.a AS a GROUP BY a.id HAVING (SELECT COUNT(b.v) FROM nulls.b WHERE b.aid = a.id) < 1",
     [(2,)]),
    ("correlated_count_forms", "snowflake",
     "SELECT a.id, CASE WHEN (SELECT COUNT(DISTINCT b.v) FROM nulls.b WHERE b.aid = a.id) > 0 THEN 'y' ELSE 'n' END, "
     "(SELECT COUNT_IF(b.v > 0) FROM nulls.b WHERE b.aid = a.id), "
     "(SELECT COUNT(*) + 1 FROM nulls.b WHERE b.aid = a.id) FROM nulls.a AS a ORDER BY a.id",
     [(1, "y", 1, 2), (2, "n", 0, 1)]),
    ("self_correlated_count", "postgres",
     "SELECT a1.id, (SELECT COUNT(*) FROM nulls.a WHERE a.id > a1.id) FROM nulls.a AS a1 ORDER BY a1.id",
     [(1, 1), (2, 0)]),
    # not a count: no row is NULL in SQL too
    ("correlated_non_count_stays_null", "postgres",
     "SELECT a.id, (SELECT 1 FROM nulls.b WHERE b.aid = a.id), (SELECT SUM(b.v) FROM nulls.b WHERE b.aid = a.id) "
     "FROM nulls.a AS a ORDER BY a.id",
     [(1, 1, 5), (2, None, None)]),
]


@pytest.mark.parametrize("name,dialect,sql,expected", CASES, ids=[c[0] for c in CASES])
def test_rewrite_gives_the_source_dialects_rows(nulls_engine, name, dialect, sql, expected):
    (ours,) = to_clickhouse(sql, dialect)
    got = rows(nulls_engine, ours)
    want = [tuple(normalize(v) for v in row) for row in expected]
    assert got == want, f"{name}: {ours}"


def test_uncorrelated_count_is_left_bare(nulls_engine):
    """ClickHouse already gives 0 for an uncorrelated count over no rows: no ifNull noise there."""
    (ours,) = to_clickhouse("SELECT (SELECT COUNT(*) FROM nulls.b WHERE b.aid = 9)", "postgres")
    assert "ifNull" not in ours
    assert rows(nulls_engine, ours) == [(0,)]


def test_a_table_read_under_an_alias_is_the_outer_one_by_its_name():
    """``t.k`` beside ``FROM t AS t2`` names the outer t (the alias hides the name inside the subquery)."""
    (ours,) = to_clickhouse("SELECT (SELECT COUNT(*) FROM t AS t2 WHERE t2.k > t.k) FROM t", "postgres")
    assert ours.startswith("SELECT ifNull((SELECT COUNT(*) FROM t AS t2 WHERE t2.k > t.k), 0)"), ours


def test_clickhouse_source_keeps_its_own_meaning():
    (ours,) = to_clickhouse("SELECT a.id, lag(x) OVER (ORDER BY x), (SELECT count() FROM b WHERE b.aid = a.id) FROM a",
                            "clickhouse")
    assert "toNullable" not in ours and "ifNull" not in ours


def test_lag_ignore_nulls_beyond_one_row_is_refused():
    """ClickHouse's lag/lead accept IGNORE NULLS but respect NULLs; only offset 1 has a faithful form."""
    with pytest.raises(TranspileError, match="IGNORE NULLS"):
        to_clickhouse("SELECT LAG(n, 2) IGNORE NULLS OVER (ORDER BY x) FROM nulls.seq", "bigquery")
