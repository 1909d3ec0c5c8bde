"""BigQuery constructs of the Spider2 gold corpus (issue #11): script variables and SQL temp functions
carried across the statements of a text, FROM UNNEST without an alias or WITH OFFSET, FORMAT, and
WEEK(<weekday>) date parts. Each output runs on the real engine over sample rows and is compared with
rows written by hand from BigQuery's documented meaning."""

from __future__ import annotations

import datetime as dt

import pytest

from sqlcurate.sql.native import shared_parser
from sqlcurate.sql.proven import Prover, transpile_statement, transpile_text
from sqlcurate.sql.transpile import TranspileError, to_clickhouse

from .conftest import rows
from .realworld.corpora import load

SAMPLE = """
CREATE DATABASE IF NOT EXISTS bqfix;
CREATE TABLE IF NOT EXISTS bqfix.sessions_20170201 (visitor String) ENGINE = Memory;
CREATE TABLE IF NOT EXISTS bqfix.sessions_20170315 (visitor String) ENGINE = Memory;
CREATE TABLE IF NOT EXISTS bqfix.trades (id UInt32, target String, px Float64, sides Array(Tuple(Side String))) ENGINE = Memory;
CREATE TABLE IF NOT EXISTS bqfix.events (user_id String,
    event_params Array(Tuple(key String, value Tuple(string_value Nullable(String), int_value Nullable(Int64))))) ENGINE = Memory;
CREATE TABLE IF NOT EXISTS bqfix.days (d Date) ENGINE = Memory;
INSERT INTO bqfix.sessions_20170201 VALUES ('bob'), ('ann');
INSERT INTO bqfix.sessions_20170315 VALUES ('cyd');
INSERT INTO bqfix.trades VALUES (1, 'a', 10, [('LONG')]), (2, 'b', 12, [('SHORT')]), (3, 'c', 3, []);
INSERT INTO bqfix.events VALUES ('u1', [('session', (NULL, 7)), ('source', ('google', NULL))]),
    ('u2', [('source', ('bing', NULL))]), ('u3', []);
INSERT INTO bqfix.days SELECT toDate('2023-12-20') + number FROM numbers(420);
CREATE DATABASE IF NOT EXISTS "bq-dash";
CREATE TABLE IF NOT EXISTS "bq-dash".t (a UInt8) ENGINE = Memory;
INSERT INTO "bq-dash".t VALUES (4);
"""


@pytest.fixture(scope="module")
def bq_engine(engine):
    for statement in filter(str.strip, SAMPLE.split(";")):
        engine.command(statement)
    return engine


def _written(text: str) -> list[list[str]]:
    """The ClickHouse statements of each input statement of a BigQuery text; every one must be written."""
    results = transpile_text(text, "bigquery")
    assert all(r.ok for r in results), [(r.code, r.message) for r in results if not r.ok]
    return [r.clickhouse for r in results]


# ---------------------------------------------------------------- script variables

def test_declared_constants_are_written_into_the_statements_that_use_them(bq_engine):
    results = transpile_text("DECLARE start_date STRING DEFAULT '20170201';\n"
                             "DECLARE end_date STRING DEFAULT '20170228';\n"
                             "SELECT visitor FROM `proj.bqfix.sessions_*` WHERE _TABLE_SUFFIX BETWEEN start_date AND end_date\n"
                             "ORDER BY visitor;\n", "bigquery")
    declare_start, declare_end, query = results
    assert declare_start.ok and declare_start.clickhouse == [] and "DECLARE start_date" in declare_start.notes[0]
    assert declare_end.ok and declare_end.clickhouse == []
    assert any("variable start_date" in n for n in query.notes)
    (sql,) = query.clickhouse
    assert rows(bq_engine, sql) == [("ann",), ("bob",)]  # sessions_20170315 lies outside the range


def test_set_to_a_constant_applies_to_the_statements_after_it(bq_engine):
    outputs = _written("DECLARE n INT64 DEFAULT 1;\nSELECT n;\nSET n = 2;\nSELECT n AS m;\n"
                       "DECLARE kinds ARRAY<STRING>;\nDECLARE never_set INT64;\nSET kinds = ['b', 'c'];\n"
                       "SELECT id, never_set FROM bqfix.trades WHERE target IN UNNEST(kinds) ORDER BY id;\n")
    first, later, kinds = outputs[1][0], outputs[3][0], outputs[7][0]
    assert rows(bq_engine, first) == [(1,)]
    assert rows(bq_engine, later) == [(2,)]
    assert list(bq_engine.query(first).column_names) == ["n"]  # the output column keeps the variable's name
    # a variable declared without DEFAULT is NULL of its type until SET
    assert rows(bq_engine, kinds) == [(2, None), (3, None)]


def test_variable_names_are_case_insensitive_and_defaults_take_the_declared_type(bq_engine):
    (sql,) = _written("DECLARE Since DATE DEFAULT '2024-01-30';\nSELECT DATE_DIFF(SINCE, DATE '2024-01-01', DAY) AS days;")[1]
    assert rows(bq_engine, sql) == [(29,)]


def test_values_and_function_bodies_keep_their_precedence_where_written(bq_engine):
    (sql,) = _written("DECLARE x DEFAULT 1 + 2;\nCREATE TEMP FUNCTION f(a INT64, b INT64) AS (a - b);\n"
                      "SELECT 10 - x AS v, 10 - f(3, 1) AS w, f(1, 2 - 1) * 3 AS z;")[2]
    assert rows(bq_engine, sql) == [(7, 8, 0)]


def test_one_statement_holding_a_whole_script_is_written_as_its_queries():
    result = transpile_statement("DECLARE x INT64 DEFAULT 3; SELECT x * 2 AS y", 1, "bigquery")
    assert result.ok and result.clickhouse == ["SELECT 3 * 2 AS y"]


@pytest.mark.parametrize("script, reason", [
    ("DECLARE x INT64; SET x = (SELECT 1); SELECT x", "SET x from a column or a query"),
    ("DECLARE d DATE DEFAULT CURRENT_DATE(); SELECT d", "changes between evaluations"),
    ("SET y = 1; SELECT y", "no DECLARE before it"),
    ("DECLARE x INT64 DEFAULT 1; SELECT 2 AS x, x + 1", "shares its name with an alias"),
    ("DECLARE x; SELECT x", "DECLARE without a type or a DEFAULT"),
    ("CREATE TEMP FUNCTION f(x STRING) RETURNS STRING LANGUAGE js AS r'''return x;'''; SELECT f('a')", "JavaScript"),
    ("CREATE TEMP FUNCTION f(x ANY TYPE) AS (x * x); SELECT f(RAND())", "used twice"),
    ("CREATE TEMP FUNCTION f(x INT64) AS (x + 1); SELECT f(1, 2)", "called with 2 arguments"),
])
def test_script_state_known_only_when_it_runs_is_refused(script, reason):
    with pytest.raises(TranspileError, match=reason) as e:
        to_clickhouse(script, "bigquery")
    assert e.value.code == "SQL_UNTRANSPILABLE"


def test_other_dialects_keep_refusing_declare():
    with pytest.raises(TranspileError, match="DECLARE"):
        to_clickhouse("DECLARE @x INT = 1", "tsql")


# ---------------------------------------------------------------- temporary functions

def test_sql_temp_function_is_inlined_with_its_argument_and_return_types(bq_engine):
    create, query = _written(
        "CREATE TEMP FUNCTION GrowthRate(end_value FLOAT64, begin_value FLOAT64) RETURNS FLOAT64\n"
        "AS ((end_value - begin_value) / begin_value);\n"
        "CREATE TEMP FUNCTION Twice(x ANY TYPE) AS (GrowthRate(x, 1) + GrowthRate(x, 1));\n"
        "SELECT GrowthRate(SUM(IF(id > 1, px, 0)), SUM(IF(id = 1, px, 0))) AS g, growthrate(3, 2) AS h, Twice(2) AS t\n"
        "FROM bqfix.trades;")[::2]
    assert create == []
    (sql,) = query
    # (12 + 3 - 10) / 10; integer arguments are FLOAT64 inside the function: (3 - 2) / 2; 2 * ((2 - 1) / 1)
    assert rows(bq_engine, sql) == [(0.5, 0.5, 2.0)]


# ---------------------------------------------------------------- UNNEST

def test_unnest_without_an_alias_reads_the_fields_of_struct_elements(bq_engine):
    (sql,) = to_clickhouse(
        "SELECT user_id, (SELECT value.int_value FROM UNNEST(event_params) WHERE key = 'session') AS session_id,\n"
        "  (SELECT value.string_value FROM UNNEST(event_params) WHERE key = 'source') AS source,\n"
        "  (SELECT COUNT(*) FROM UNNEST(event_params)) AS params\n"
        "FROM `p.bqfix.events` ORDER BY user_id", "bigquery")
    # a scalar subquery over no rows is NULL
    assert rows(bq_engine, sql) == [("u1", 7, "google", 2), ("u2", None, "bing", 1), ("u3", None, None, 0)]
    (sql,) = to_clickhouse("SELECT id, (SELECT Side FROM UNNEST(sides)) AS direction, (SELECT COUNT(*) FROM UNNEST(sides) AS s) AS n\n"
                           "FROM bqfix.trades cv ORDER BY id", "bigquery")
    # COUNT over an empty array is 0, not NULL
    assert rows(bq_engine, sql) == [(1, "LONG", 1), (2, "SHORT", 1), (3, None, 0)]


@pytest.mark.parametrize("sql, reason", [
    ("SELECT (SELECT cv.id FROM UNNEST(sides)) FROM bqfix.trades cv", "a field or the outer table cv"),
    ("SELECT (SELECT * FROM UNNEST(sides)) FROM bqfix.trades", r"SELECT \* from an UNNEST without an alias"),
    ("SELECT x FROM t, UNNEST(t.a)", "UNNEST of several arrays or without a column alias"),
])
def test_unnest_fields_that_cannot_be_told_apart_are_refused(sql, reason):
    with pytest.raises(TranspileError, match=reason):
        to_clickhouse(sql, "bigquery")


def test_from_unnest_with_offset_counts_from_zero(bq_engine):
    (sql,) = to_clickhouse(
        "WITH tags AS (SELECT tag, idx FROM UNNEST(['c', 'zz', 'a']) AS tag WITH OFFSET idx)\n"
        "SELECT t.id, tags.idx FROM bqfix.trades t JOIN tags ON t.target = tags.tag ORDER BY tags.idx", "bigquery")
    assert rows(bq_engine, sql) == [(3, 0), (1, 2)]


# ---------------------------------------------------------------- FORMAT

def test_format_is_printf_for_the_directives_both_read_alike(bq_engine):
    (sql,) = to_clickhouse("SELECT FORMAT('%02.0fm to %02.0fm', 3.0, 12.0), FORMAT('%3.2f', 2.0 / 3), "
                           "FORMAT('%d|%5d|%-3d|%+d', 7, 42, 1, 5), FORMAT('%s!', 'hi'), FORMAT('%.1e', 12345.0), "
                           "FORMAT('%d%%', 50), FORMAT('%d', CAST(NULL AS INT64))", "bigquery")
    assert rows(bq_engine, sql) == [("03m to 12m", "0.67", "7|   42|1  |+5", "hi!", "1.2e+04", "50%", None)]


@pytest.mark.parametrize("directive", ["%t", "%T", "%x", "%5s", "%\\'d", "%*d"])
def test_format_directives_printf_reads_otherwise_are_refused(directive):
    with pytest.raises(TranspileError, match="FORMAT directive"):
        to_clickhouse(f"SELECT FORMAT('{directive}', x) FROM t", "bigquery")


# ---------------------------------------------------------------- WEEK(<weekday>)

WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


def _bigquery_week(d: dt.date, start: int) -> tuple[dt.date, int]:
    """BigQuery's documented WEEK(<weekday>) (start: ISO day number): the week's first day, and the week
    number of EXTRACT: 0 before the first such weekday of the year, then counting up from 1."""
    first_day = d - dt.timedelta(days=(d.isoweekday() - start) % 7)
    jan1 = dt.date(d.year, 1, 1)
    first_of_year = jan1 + dt.timedelta(days=(start - jan1.isoweekday()) % 7)
    return first_day, 0 if d < first_of_year else 1 + (d - first_of_year).days // 7


@pytest.mark.parametrize("weekday", WEEKDAYS)
def test_week_parts_start_on_the_named_weekday(bq_engine, weekday):
    start = WEEKDAYS.index(weekday) + 1
    (sql,) = to_clickhouse(f"SELECT d, DATE_TRUNC(d, WEEK({weekday})), EXTRACT(WEEK({weekday}) FROM d), "
                           f"DATE_DIFF(d, DATE '2024-01-03', WEEK({weekday})) FROM bqfix.days ORDER BY d", "bigquery")
    got = bq_engine.query(sql).result_rows
    assert len(got) == 420
    anchor = _bigquery_week(dt.date(2024, 1, 3), start)[0]
    for d, trunc, week, diff in got:
        first_day, number = _bigquery_week(d, start)
        assert (trunc, week, diff) == (first_day, number, (first_day - anchor).days // 7), (weekday, d)


def test_week_parts_by_hand(bq_engine):
    (sql,) = to_clickhouse("SELECT DATE_TRUNC(DATE '2018-10-01', WEEK(TUESDAY)), DATE_TRUNC(DATE '2018-10-02', WEEK(TUESDAY)), "
                           "EXTRACT(WEEK FROM DATE '2024-01-06'), EXTRACT(WEEK FROM DATE '2024-01-07'), "
                           "DATE_DIFF(DATE '2024-01-08', DATE '2024-01-06', WEEK), DATE_TRUNC(DATE '2024-01-07', WEEK), "
                           "DATE_TRUNC(DATE '2024-01-07', ISOWEEK), DATE_DIFF(DATE '2024-01-08', DATE '2024-01-07', ISOWEEK)", "bigquery")
    # 2018-10-01 is a Monday; 2024-01-07 is the first Sunday of 2024
    assert rows(bq_engine, sql) == [("2018-09-25", "2018-10-02", 0, 1, 1, "2024-01-07", "2024-01-01", 1)]


# ---------------------------------------------------------------- sqlglot's own BigQuery tests

def test_last_day_translate_uuid_and_bit_operators_by_hand(bq_engine):
    (sql,) = to_clickhouse("SELECT LAST_DAY(DATE '2008-11-10', WEEK(MONDAY)), LAST_DAY(DATE '2008-11-10', WEEK), "
                           "LAST_DAY(DATE '2008-11-10', QUARTER), TRANSLATE('input', 'in', 't'), LENGTH(GENERATE_UUID()), "
                           "GENERATE_UUID() = GENERATE_UUID(), ~0, 5 & 3, 5 | 3, 5 ^ 3", "bigquery")
    # 2008-11-10 is a Monday; BigQuery integers are signed (~0 is -1)
    assert rows(bq_engine, sql) == [("2008-11-16", "2008-11-15", "2008-12-31", "tput", 36, False, -1, 1, 7, 6)]


def test_generated_date_and_timestamp_arrays_end_where_bigquery_ends_them(bq_engine):
    (sql,) = to_clickhouse("SELECT GENERATE_DATE_ARRAY('2016-10-05', '2016-10-08'), "
                           "GENERATE_DATE_ARRAY(DATE '2020-01-01', DATE '2020-02-01', INTERVAL 1 WEEK), "
                           "GENERATE_DATE_ARRAY('2016-10-08', '2016-10-05'), "
                           "GENERATE_TIMESTAMP_ARRAY('2016-10-05 00:00:00', '2016-10-07 00:00:00', INTERVAL '1' DAY), "
                           "GENERATE_TIMESTAMP_ARRAY('2016-10-05 00:00:00', '2016-10-05 05:00:00', INTERVAL 2 HOUR)", "bigquery")
    # the client gives the UTC times of the array's elements without a zone
    assert bq_engine.query(sql).result_rows == [(
        [dt.date(2016, 10, 5), dt.date(2016, 10, 6), dt.date(2016, 10, 7), dt.date(2016, 10, 8)],
        [dt.date(2020, 1, d) for d in (1, 8, 15, 22, 29)],
        [],  # the end before the start
        [dt.datetime(2016, 10, d) for d in (5, 6, 7)],
        [dt.datetime(2016, 10, 5, h) for h in (0, 2, 4)],
    )]
    with pytest.raises(TranspileError, match="step that is not a constant positive number"):
        to_clickhouse("SELECT GENERATE_DATE_ARRAY('2016-01-31', '2016-05-31', INTERVAL 1 MONTH)", "bigquery")


def test_dashed_project_and_dataset_names_are_quoted(bq_engine):
    (sql,) = to_clickhouse("SELECT a FROM my-project.bq-dash.t", "bigquery")
    assert sql == 'SELECT a FROM "bq-dash".t'
    assert rows(bq_engine, sql) == [(4,)]


def test_mysql_bit_operators_are_left_alone():
    # MySQL's are unsigned 64-bit (~0 is 18446744073709551615): not the signed bitNot
    assert to_clickhouse("SELECT ~0", "mysql") == ["SELECT ~0"]


# ---------------------------------------------------------------- the Spider2 statements

WRITTEN_NOW = ["bq001", "bq002", "bq350", "bq090", "bq442", "ga010", "bq304", "bq310", "bq363", "bq406", "ga028"]


def test_the_spider2_statements_of_these_constructs_are_written_and_proven(engine):
    prover = Prover(shared_parser())
    by_id = {r["id"].split("/")[-1]: r for r in load("spider2")}
    for name in WRITTEN_NOW:
        result = transpile_statement(by_id[name]["sql"], 1, "bigquery", prover=prover)
        assert result.ok and result.clickhouse, (name, result.code, result.message)
    refused = transpile_statement(by_id["bq430"]["sql"], 1, "bigquery", prover=prover)
    assert refused.code == "SQL_UNTRANSPILABLE" and "TO_JSON_STRING" in refused.message
