"""Each answer's SQL verdicts: the project's SQL, grounding and engine checks on the way out."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sqlcurate.serve.limits import Limits
from sqlcurate.serve.verdicts import AnswerChecker
from sqlcurate.sql.catalog import Catalog, parse_ddl

DDL = "CREATE TABLE dex.trades (ts DateTime, pool String, amount_usd Float64) ENGINE = MergeTree ORDER BY ts;"


@pytest.fixture(scope="module")
def checker(engine):
    c = AnswerChecker(Catalog(parse_ddl(DDL, "clickhouse", "<dex>")), engine="chdb")
    yield c
    c.close()


def test_a_good_answer_passes_every_check(checker):
    v = checker.verdict("Per day:\n```sql\nSELECT toDate(ts) AS day, count() FROM dex.trades GROUP BY day\n```")
    assert v.ok is True and set(v.checks) == {"sql", "grounding", "engine"} and v.header() == "ok"
    assert v.sql == "SELECT toDate(ts) AS day, count() FROM dex.trades GROUP BY day"


@pytest.mark.parametrize("sql, failing, code", [
    ("SELECT TOP 5 pool FROM dex.trades", "sql", "SQL_NONCANONICAL"),
    ("SELECT pool FROM dex.trade", "grounding", "UNKNOWN_TABLE"),
    ("SELECT notAFunctionAtAll(pool) FROM dex.trades", "engine", "SQL_ENGINE_REJECTED"),
])
def test_bad_sql_is_flagged_by_the_right_check(checker, sql, failing, code):
    v = checker.verdict(f"```sql\n{sql}\n```")
    assert v.ok is False and not v.checks[failing]["ok"]
    assert any(f["code"].endswith(code) for f in v.checks[failing]["findings"]), v.checks[failing]
    assert code in v.header() or v.header().endswith(code) or any(c.endswith(code) for c in v.header().split(","))


def test_no_sql_is_neither_passed_nor_failed(checker):
    v = checker.verdict("I do not know.")
    assert v.ok is None and v.checks == {} and v.header() == "none"


def test_without_catalog_only_the_sql_check_runs():
    v = AnswerChecker().verdict("```sql\nSELECT 1\n```")
    assert set(v.checks) == {"sql"} and v.ok is True


def test_require_valid_sql_retries_then_flags(make_server):
    srv = make_server(replace(Limits(), max_tokens=8), require_valid_sql=2)
    resp = srv.client(srv.keys["alice"]).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "Daily trades?"}], max_tokens=8)
    extra = resp.model_extra["sqlcurate"]
    assert extra["attempts"] == 3 and extra["verdict"]["ok"] is not True  # the tiny demo model writes no SQL
