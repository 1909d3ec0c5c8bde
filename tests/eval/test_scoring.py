"""Every verdict on hand-made answers with known outcomes, on the real embedded engine."""

from __future__ import annotations

import pytest

from sqlcurate.eval.items import item_from_messages
from sqlcurate.eval.runner import QueryRunner
from sqlcurate.eval.scoring import Scorer

pytestmark = pytest.mark.engine


def make_item(gold: str):
    item, findings = item_from_messages(
        [{"role": "user", "content": "q?"}, {"role": "assistant", "content": f"```sql\n{gold}\n```"}], "t.jsonl", 1
    )
    assert item is not None, findings
    return item


def fenced(sql: str) -> str:
    return f"Here you go:\n\n```sql\n{sql}\n```\n"


TOP_CUSTOMERS = "SELECT customer_id, sum(amount) AS total FROM eval_fx.orders GROUP BY customer_id ORDER BY total DESC LIMIT 2"
DE_NAMES = "SELECT name FROM eval_fx.customers WHERE country = 'DE'"


@pytest.fixture(scope="module")
def scorer(shop_sandbox, shop_catalog):
    return Scorer(shop_catalog, runner=QueryRunner(timeout_s=1.0, sandbox=shop_sandbox))


def codes(v):
    return {f.code for f in v.findings}


def test_correct_clickhouse(scorer):
    v = scorer.score(make_item(TOP_CUSTOMERS), fenced(TOP_CUSTOMERS.replace("total", "s")))
    assert (v.has_sql, v.parses, v.dialect_clean, v.grounded, v.engine_ok, v.executed, v.exec_match) == (
        True, True, True, True, True, True, True)
    assert v.outcome == "EVAL_CORRECT" and not v.findings


@pytest.mark.parametrize(("sql", "label"), [
    ("SELECT TOP 2 customer_id, sum(amount) AS total FROM eval_fx.orders GROUP BY customer_id ORDER BY total DESC", "TOP"),
    ("SELECT ISNULL(discount, 0) FROM eval_fx.orders", "ISNULL"),
    ("SELECT count() FROM eval_fx.orders WHERE created < GETDATE()", "GETDATE"),
    ("SELECT [name] FROM [eval_fx].[customers]", "bracket"),
    ("SELECT SAFE_DIVIDE(amount, 2) FROM eval_fx.orders", "SAFE_DIVIDE"),
    ("SELECT name FROM `shop-prod.eval_fx.customers`", "project.dataset.table"),
])
def test_wrong_dialect(scorer, sql, label):
    v = scorer.score(make_item(TOP_CUSTOMERS), fenced(sql))
    assert not v.dialect_clean and v.outcome == "EVAL_DIALECT"
    evidence = [f.message for f in v.findings if f.code == "EVAL_DIALECT"]
    assert evidence and any(label.lower() in m.lower() for m in evidence), evidence


def test_top_runs_but_is_still_a_dialect_failure(scorer):
    # ClickHouse accepts TOP, so the result is right; the outcome still names the dialect problem.
    sql = "SELECT TOP 2 customer_id, sum(amount) AS total FROM eval_fx.orders GROUP BY customer_id ORDER BY total DESC"
    v = scorer.score(make_item(TOP_CUSTOMERS), fenced(sql))
    assert v.exec_match is True and v.outcome == "EVAL_DIALECT"


def test_engine_rejects_foreign_functions(scorer):
    v = scorer.score(make_item(TOP_CUSTOMERS), fenced("SELECT count() FROM eval_fx.orders WHERE created < GETDATE()"))
    assert v.engine_ok is False and v.executed is False
    assert any("UNKNOWN_FUNCTION" in f.message for f in v.findings)


def test_invented_table(scorer):
    v = scorer.score(make_item(DE_NAMES), fenced("SELECT name FROM eval_fx.clients WHERE country = 'DE'"))
    assert v.parses and v.dialect_clean and not v.grounded
    assert v.outcome == "EVAL_UNGROUNDED" and "CATALOG_UNKNOWN_TABLE" in codes(v)
    assert v.executed is False


def test_invented_column(scorer):
    v = scorer.score(make_item(DE_NAMES), fenced("SELECT full_name FROM eval_fx.customers WHERE country = 'DE'"))
    assert not v.grounded and v.outcome == "EVAL_UNGROUNDED" and "CATALOG_UNKNOWN_COLUMN" in codes(v)


def test_parse_error(scorer):
    v = scorer.score(make_item(DE_NAMES), fenced("SELECT name FROM eval_fx.customers WHERE (country = 'DE'"))
    assert v.has_sql and not v.parses and v.outcome == "EVAL_PARSE_ERROR"
    assert v.executed is False


def test_engine_rejected_unknown_function(scorer):
    v = scorer.score(make_item(DE_NAMES), fenced("SELECT frobnicate(name) FROM eval_fx.customers WHERE country = 'DE'"))
    assert v.parses and v.grounded and v.dialect_clean
    assert v.engine_ok is False and v.outcome in ("EVAL_ENGINE_REJECTED", "EVAL_EXEC_ERROR")


def test_wrong_result(scorer):
    v = scorer.score(make_item(DE_NAMES), fenced("SELECT name FROM eval_fx.customers WHERE id <= 2"))
    assert v.executed and v.exec_match is False and v.outcome == "EVAL_WRONG_RESULT"
    assert "EVAL_RESULT_VALUES" in codes(v)


def test_right_result_other_column_order_and_names(scorer):
    v = scorer.score(make_item(TOP_CUSTOMERS),
                     fenced("SELECT sum(amount) AS revenue, customer_id AS who FROM eval_fx.orders GROUP BY who ORDER BY revenue DESC LIMIT 2"))
    assert v.exec_match is True and v.outcome == "EVAL_CORRECT"


def test_row_order_free_without_order_by(scorer):
    v = scorer.score(make_item(DE_NAMES), fenced("SELECT name FROM eval_fx.customers WHERE country = 'DE' ORDER BY name DESC"))
    assert v.exec_match is True and v.outcome == "EVAL_CORRECT"


def test_row_order_counts_when_gold_orders(scorer):
    v = scorer.score(make_item(TOP_CUSTOMERS),
                     fenced("SELECT customer_id, sum(amount) AS total FROM eval_fx.orders GROUP BY customer_id ORDER BY total DESC LIMIT 2"
                            .replace("DESC LIMIT 2", "ASC LIMIT 2 OFFSET 1")))
    assert v.exec_match is False
    # same rows reversed:
    gold = "SELECT name FROM eval_fx.customers WHERE country = 'DE' ORDER BY name"
    v = scorer.score(make_item(gold), fenced("SELECT name FROM eval_fx.customers WHERE country = 'DE' ORDER BY name DESC"))
    assert v.exec_match is False and "EVAL_RESULT_ORDER" in codes(v)


def test_runaway_query_times_out(scorer):
    v = scorer.score(make_item(DE_NAMES), fenced("SELECT count() FROM numbers(100000) AS a CROSS JOIN numbers(1000000) AS b"))
    assert v.outcome == "EXEC_TIMEOUT" and v.executed is False
    assert v.seconds < 5


def test_writes_are_refused(scorer, shop_engine):
    v = scorer.score(make_item(DE_NAMES), fenced("DROP TABLE eval_fx.customers"))
    assert v.executed is False
    assert shop_engine.query("SELECT count() FROM eval_fx.customers").result_rows == [(3,)]


def test_no_sql(scorer):
    v = scorer.score(make_item(DE_NAMES), "I would look at the customers table and filter by country.")
    assert (v.has_sql, v.outcome, v.exec_match) == (False, "EVAL_NO_SQL", False)


def test_without_engine_static_checks_only(shop_catalog):
    v = Scorer(shop_catalog).score(make_item(DE_NAMES), fenced(DE_NAMES))
    assert v.grounded and v.engine_ok is None and v.executed is None and v.outcome == "EVAL_UNVERIFIED"


def test_gold_failure_is_reported(scorer):
    v = scorer.score(make_item("SELECT nope FROM eval_fx.customers"), fenced(DE_NAMES))
    assert v.outcome == "EVAL_GOLD_FAILED"


@pytest.fixture(scope="module")
def explain_scorer(shop_sandbox, shop_catalog):
    from sqlcurate.eval.explain import explain_on_tables

    runner = QueryRunner(timeout_s=1.0, sandbox=shop_sandbox)
    return Scorer(shop_catalog, engine_check=explain_on_tables(runner), runner=runner)


def test_explain_verdict_on_real_tables(explain_scorer):
    v = explain_scorer.score(make_item(DE_NAMES), fenced("SELECT frobnicate(name) FROM eval_fx.customers"))
    assert v.engine_ok is False and v.outcome == "EVAL_ENGINE_REJECTED"
    assert any(f.code == "EVAL_ENGINE_REJECTED" and "UNKNOWN_FUNCTION" in f.message for f in v.findings)
    # EXPLAIN does not run the query: a runaway query is accepted, then times out when executed
    v = explain_scorer.score(make_item(DE_NAMES), fenced("SELECT count() FROM numbers(100000) AS a CROSS JOIN numbers(1000000) AS b"))
    assert v.engine_ok is True and v.outcome == "EXEC_TIMEOUT"


def test_explain_verdict_on_scratch_tables_without_data(shop_engine, shop_catalog):
    from sqlcurate.eval.explain import explain_on_scratch_tables

    scorer = Scorer(shop_catalog, engine_check=explain_on_scratch_tables(shop_catalog))
    ok = scorer.score(make_item(DE_NAMES), fenced(DE_NAMES))
    assert ok.engine_ok is True and ok.outcome == "EVAL_UNVERIFIED"
    bad = scorer.score(make_item(DE_NAMES), fenced("SELECT name FROM eval_fx.customers WHERE signup < GETDATE()"))
    assert bad.engine_ok is False and bad.outcome == "EVAL_DIALECT"
    assert any(f.code == "EVAL_ENGINE_REJECTED" and "UNKNOWN_FUNCTION" in f.message for f in bad.findings)
    unparsable = scorer.score(make_item(DE_NAMES), fenced("SELECT name FROM eval_fx.customers WHERE (country = 'DE'"))
    assert unparsable.engine_ok is None and unparsable.outcome == "EVAL_PARSE_ERROR"


def test_query_cannot_lift_the_guards(scorer):
    v = scorer.score(make_item(DE_NAMES), fenced("SELECT sum(number) FROM numbers(10) SETTINGS max_execution_time = 0"))
    assert v.outcome == "EXEC_REFUSED_SETTINGS" and v.executed is False
    v = scorer.score(make_item(DE_NAMES), fenced("SELECT name FROM eval_fx.customers SETTINGS readonly = 0"))
    assert v.outcome == "EXEC_REFUSED_SETTINGS"


def test_runner_leaves_other_clients_able_to_write(scorer, shop_engine):
    """The runner's read-only engine lives in its sandbox process; this process's engine stays writable."""
    assert scorer.score(make_item(DE_NAMES), fenced(DE_NAMES)).outcome == "EVAL_CORRECT"
    shop_engine.command("CREATE TABLE IF NOT EXISTS eval_fx.after_scoring (a UInt8) ENGINE = Memory")
    shop_engine.command("DROP TABLE eval_fx.after_scoring")


def test_answer_failing_midway_does_not_corrupt_the_next_gold(scorer):
    """chdb prepends a failed query's partial output (here 65,409 rows written before the division by
    zero) to the next answer on its connection: the next item's gold rows must be the true ones."""
    failing = scorer.score(make_item(DE_NAMES), fenced("SELECT intDiv(number, number - 70000) AS x FROM numbers(100000)"))
    assert failing.outcome == "EVAL_EXEC_ERROR" and failing.executed is False
    gold = "SELECT name FROM eval_fx.customers WHERE country = 'DE' ORDER BY name"  # not run before: no cache
    v = scorer.score(make_item(gold), fenced(gold))
    truth = scorer.runner.run(gold).rows
    assert v.outcome == "EVAL_CORRECT" and v.gold_rows == len(truth) and scorer._gold[gold].rows == truth


def test_answer_nested_too_deep_is_a_parse_error(scorer):
    deep = "SELECT " + "(" * 3000 + "1" + ")" * 3000
    v = scorer.score(make_item(DE_NAMES), fenced(deep))
    assert v.outcome == "EVAL_PARSE_ERROR" and not v.parses and not v.grounded
    assert any("nested 3000 deep" in f.message for f in v.findings if f.code == "EVAL_PARSE_ERROR")
