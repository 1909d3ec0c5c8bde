"""ClickHouse query-log and catalog pull against the real embedded engine (chdb), in this process."""

from __future__ import annotations

import json

import pytest

from sqlcurate.connectors.clickhouse import (
    PullError,
    connect,
    pull_clickhouse,
    pull_query_log,
    strip_client_trailer,
    validate_log_table,
)
from sqlcurate.connectors.profiles import profile_from_dsn
from sqlcurate.sql.catalog import load_catalog
from sqlcurate.sql.engine_conn import engine_path

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def shop(engine):
    engine.command("CREATE DATABASE IF NOT EXISTS t_pull")
    engine.command("CREATE TABLE IF NOT EXISTS t_pull.orders (id UInt64 COMMENT 'order id', amount Float64 COMMENT 'order value in USD', "
                   "customer String) ENGINE = MergeTree ORDER BY id COMMENT 'one row per order'")
    engine.command("INSERT INTO t_pull.orders SELECT number, number * 1.5, toString(number % 7) FROM numbers(100)")
    return engine


def _flush(engine):
    engine.command("SYSTEM FLUSH LOGS")


def _profile():
    return profile_from_dsn(f"chdb://{engine_path()}")


def _records(ws):
    path = ws / "training_data/raw/clickhouse_query_log.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _find(records, needle):
    found = [r for r in records if needle in r["query"]]
    assert len(found) <= 1, found
    return found[0] if found else None


def test_templates_grouped_on_server_with_question_and_clean_text(shop, tmp_path):
    for n in (10, 20, 30):
        shop.query(f"SELECT count() FROM t_pull.orders WHERE amount > {n}", settings={"log_comment": "How many orders are above N USD?"})
    _flush(shop)
    summary = pull_clickhouse(_profile(), tmp_path, databases=["t_pull"])
    rec = _find(_records(tmp_path), "FROM t_pull.orders WHERE amount >")
    assert rec is not None
    assert rec["count"] == 3
    assert rec["log_comment"] == "How many orders are above N USD?"
    assert rec["query"].startswith("SELECT count() FROM t_pull.orders WHERE amount > ")
    assert "FORMAT" not in rec["query"] and "SETTINGS" not in rec["query"]
    assert rec["tables"] == ["t_pull.orders"] and rec["users"] == ["default"]
    assert rec["first_seen"] <= rec["last_seen"] and rec["last_seen"].endswith("Z")
    # The pull's own reads of system tables never become records.
    assert not any("system." in r["query"] for r in _records(tmp_path))
    assert summary.watermark


def test_second_pull_fetches_only_new_rows_and_merges_counts(shop, tmp_path):
    shop.query("SELECT customer, sum(amount) FROM t_pull.orders GROUP BY customer ORDER BY customer")
    _flush(shop)
    pull_clickhouse(_profile(), tmp_path, databases=["t_pull"])
    first = _find(_records(tmp_path), "sum(amount) FROM t_pull.orders GROUP BY customer")
    assert first["count"] == 1
    marks = json.loads((tmp_path / "training_data/raw/.watermarks.json").read_text())
    shop.query("SELECT customer, sum(amount) FROM t_pull.orders GROUP BY customer ORDER BY customer")
    shop.query("SELECT max(id) FROM t_pull.orders WHERE customer = '3'")
    _flush(shop)
    second = pull_clickhouse(_profile(), tmp_path, databases=["t_pull"])
    records = _records(tmp_path)
    assert _find(records, "sum(amount) FROM t_pull.orders GROUP BY customer")["count"] == 2  # merged, not re-counted
    assert _find(records, "SELECT max(id) FROM t_pull.orders")["count"] == 1
    assert second.queries == 2, "only the rows after the watermark were read"
    assert json.loads((tmp_path / "training_data/raw/.watermarks.json").read_text()) != marks
    third = pull_clickhouse(_profile(), tmp_path, databases=["t_pull"])
    assert third.queries == 0 and third.templates_new == 0
    assert _find(_records(tmp_path), "sum(amount) FROM t_pull.orders GROUP BY customer")["count"] == 2


def test_bad_rows_are_skipped_with_counts(shop, tmp_path):
    with pytest.raises(Exception, match="UNKNOWN_IDENTIFIER|no_such_column"):
        shop.query("SELECT no_such_column FROM t_pull.orders")
    shop.command("INSERT INTO t_pull.orders VALUES (1000, 1.0, 'x')")
    shop.query("SELECT name FROM system.tables WHERE database = 't_pull'")
    giant = "SELECT count() FROM t_pull.orders WHERE id IN (" + ", ".join(map(str, range(400))) + ")"
    shop.query(giant)
    shop.query("SELECT min(amount) FROM t_pull.orders")
    _flush(shop)
    summary = pull_query_log(shop, _profile(), tmp_path, max_query_chars=1000)
    for code in ("CH_SKIPPED_FAILED", "CH_SKIPPED_NOT_SELECT", "CH_SKIPPED_INTERNAL", "CH_SKIPPED_TOO_LARGE"):
        assert summary.skipped.get(code, 0) >= 1, (code, summary.skipped)
    records = _records(tmp_path)
    assert _find(records, "SELECT min(amount) FROM t_pull.orders") is not None
    for needle in ("no_such_column", "INSERT INTO", "system.tables", "WHERE id IN ("):
        assert _find(records, needle) is None, needle


def test_min_count_holds_rare_templates_back_until_seen_enough(shop, tmp_path):
    shop.query("SELECT avg(amount) FROM t_pull.orders WHERE id < 50")
    _flush(shop)
    pull_query_log(shop, _profile(), tmp_path, min_count=2)
    assert _find(_records(tmp_path), "SELECT avg(amount) FROM t_pull.orders") is None
    shop.query("SELECT avg(amount) FROM t_pull.orders WHERE id < 60")
    _flush(shop)
    pull_query_log(shop, _profile(), tmp_path, min_count=2)
    assert _find(_records(tmp_path), "SELECT avg(amount) FROM t_pull.orders")["count"] == 2


@pytest.mark.parametrize("users", [["x' OR '1'='1"], ["default') OR 1=1 --"], ["default\\'"]])
def test_injection_in_users_matches_nothing(shop, tmp_path, users):
    shop.query("SELECT count() FROM t_pull.orders WHERE customer = '5'")
    _flush(shop)
    summary = pull_query_log(shop, _profile(), tmp_path, users=users)
    assert summary.queries == 0 and _records(tmp_path) == []
    assert shop.query("SELECT count() FROM t_pull.orders").first_row[0] >= 100  # nothing was altered


@pytest.mark.parametrize("since", ["2020-01-01' OR 1=1 --", "'); DROP TABLE t_pull.orders; --"])
def test_injection_in_since_is_a_clear_error(shop, tmp_path, since):
    with pytest.raises(PullError) as e:
        pull_query_log(shop, _profile(), tmp_path, since=since)
    assert e.value.code == "CH_QUERY_FAILED"
    assert "Traceback" not in str(e.value)
    assert shop.query("EXISTS TABLE t_pull.orders").first_row[0] == 1
    assert not (tmp_path / "training_data/raw/clickhouse_query_log.jsonl").exists()


def test_since_filters_by_time(shop, tmp_path):
    shop.query("SELECT sum(id) FROM t_pull.orders")
    _flush(shop)
    assert pull_query_log(shop, _profile(), tmp_path, since="2999-01-01 00:00:00").queries == 0


@pytest.mark.parametrize("bad", ["system.query_log; DROP TABLE t_pull.orders", "system.query_log WHERE 1",
                                 "clusterAllReplicas(c, system.query_log) UNION ALL SELECT 1", "`x`.y", "(SELECT 1)"])
def test_log_table_must_be_an_identifier_or_cluster_form(bad):
    with pytest.raises(PullError) as e:
        validate_log_table(bad)
    assert e.value.code == "CH_LOG_TABLE_INVALID"


def test_log_table_forms_accepted():
    assert validate_log_table("system.query_log") == ("system.query_log", "system.query_log")
    assert validate_log_table("query_log") == ("system.query_log", "system.query_log")
    assert validate_log_table("logs.query_log_2026") == ("logs.query_log_2026", "logs.query_log_2026")
    assert validate_log_table("clusterAllReplicas('main', system.query_log)") == (
        "clusterAllReplicas(main, system.query_log)", "system.query_log")


def test_missing_log_table_is_a_clear_error(shop, tmp_path):
    with pytest.raises(PullError) as e:
        pull_query_log(shop, _profile(), tmp_path, log_table="t_pull.no_such_log")
    assert e.value.code in ("CH_LOG_TABLE_MISSING", "CH_QUERY_FAILED") and "no_such_log" in str(e.value)


def test_session_is_read_only(shop):
    client = connect(_profile())
    with pytest.raises(Exception, match="readonly|READONLY"):
        client.command("INSERT INTO t_pull.orders VALUES (2000, 1.0, 'y')")
    assert client.query("SELECT count() FROM system.query_log").first_row[0] > 0  # reading the log is fine


def test_catalog_written_as_ddl_and_json(shop, tmp_path):
    pull_clickhouse(_profile(), tmp_path, databases=["t_pull"])
    catalog = load_catalog(tmp_path / "schemas" / "clickhouse" / "catalog.json")
    orders = catalog.table("t_pull.orders")
    assert orders.comment == "one row per order" and orders.engine == "MergeTree"
    assert [(c.name, c.type, c.comment) for c in orders.columns] == [
        ("id", "UInt64", "order id"), ("amount", "Float64", "order value in USD"), ("customer", "String", "")]
    from_ddl = load_catalog(tmp_path / "schemas" / "clickhouse" / "t_pull.sql").table("t_pull.orders")
    assert [c.name for c in from_ddl.columns] == ["id", "amount", "customer"]


@pytest.mark.parametrize("logged, clean", [
    ("SELECT 1\n FORMAT Native", "SELECT 1"),
    ("SELECT a FROM t\n SETTINGS log_comment = 'it''s, fine', max_threads = 2\n FORMAT Native", "SELECT a FROM t"),
    ("SELECT count() FROM t WHERE x > 1 SETTINGS log_comment = 'how many?' FORMAT Native", "SELECT count() FROM t WHERE x > 1"),
    ("SELECT a FROM t SETTINGS max_threads = 1", "SELECT a FROM t SETTINGS max_threads = 1"),  # the analyst's own
    ("SELECT 'FORMAT Native' AS s FROM t", "SELECT 'FORMAT Native' AS s FROM t"),
])
def test_strip_client_trailer(logged, clean):
    assert strip_client_trailer(logged) == clean


def test_rows_younger_than_the_settle_time_wait_for_the_next_pull(shop, tmp_path):
    shop.query("SELECT uniqExact(customer) FROM t_pull.orders")
    _flush(shop)
    patient = _profile().model_copy(update={"settle_seconds": 3600})
    pull_query_log(shop, patient, tmp_path)
    assert _find(_records(tmp_path), "uniqExact(customer)") is None
    pull_query_log(shop, _profile(), tmp_path)  # settle 0: the same rows come now, not lost
    assert _find(_records(tmp_path), "uniqExact(customer)")["count"] == 1


def test_cli_fresh_embedded_engine_has_no_query_log_and_says_what_to_do(tmp_path):
    from tests.connectors.conftest import run_cli

    run = run_cli("pull", "clickhouse", "--dsn", f"chdb://{tmp_path / 'engine'}", "--workspace", str(tmp_path))
    assert run.returncode == 2
    assert "CH_LOG_TABLE_MISSING" in run.stderr and "--log-table" in run.stderr
    assert "In scope" not in run.stderr and "Traceback" not in run.stderr
