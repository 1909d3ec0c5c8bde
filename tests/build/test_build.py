"""The builder on real records: every written answer passes the SQL checks, the split is grouped by
template, dedupe and rejects add up, mixing follows the ratio and warns."""

from __future__ import annotations

import json
import logging

import pytest
from tests.build.conftest import copy_pulled

from sqlcurate.build.contrast import contrast_pairs
from sqlcurate.build.pipeline import build
from sqlcurate.build.query_pairs import QUESTION_SOURCES, query_pairs
from sqlcurate.build.split import MixSpec, group_key
from sqlcurate.checks.base import CheckRunner, Item
from sqlcurate.checks.dedupe import DedupeCheck
from sqlcurate.checks.engine import EngineCheck
from sqlcurate.checks.grounding import GroundingCheck
from sqlcurate.checks.sql import SqlCheck
from sqlcurate.conversation import Conversation, Message, check_messages
from sqlcurate.records import QueryRecord
from sqlcurate.sql.catalog import load_catalog
from sqlcurate.sql.extract import extract_from_conversation
from sqlcurate.sql.fingerprint import fingerprint

pytestmark = pytest.mark.engine


def _lines(path):
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def _record(query, h, comment="", tables=("dex.swaps",)):
    return QueryRecord(source="clickhouse:test", query=query, normalized_hash=h, log_comment=comment, tables=list(tables))


@pytest.fixture(scope="module")
def built(demo_workspace, tmp_path_factory, engine):
    ws = copy_pulled(demo_workspace, tmp_path_factory.mktemp("built"))
    report = build(ws, val_fraction=0.2, seed=3)
    return ws, report


def test_every_written_answer_passes_the_checks_again(built):
    ws, report = built
    catalog = load_catalog(ws / "schemas")
    runner = CheckRunner([SqlCheck(), GroundingCheck(catalog), EngineCheck(catalog)])
    n_sql = 0
    try:
        for name in ("train", "val"):
            for i, row in enumerate(_lines(ws / "training_data/curated" / f"{name}.jsonl"), 1):
                conv, problems = check_messages(row)
                assert conv is not None, problems
                n_sql += len(extract_from_conversation(conv))
                found = runner.run(Item(conversation=conv, source=name, line=i))
                assert not [f for f in found if f.severity == "error"], (name, i, found)
    finally:
        runner.close()
    assert n_sql >= 50  # query pairs (less the 30 held for review), contrast pairs, joins and docs code carry SQL
    assert report.candidates == report.written + report.rejected


def test_split_is_grouped_by_template_and_provenance_is_line_aligned(built):
    ws, report = built
    out = ws / "training_data/curated"
    groups = {}
    for name in ("train", "val"):
        rows, meta = _lines(out / f"{name}.jsonl"), _lines(out / f"{name}.meta.jsonl")
        assert len(rows) == len(meta) == getattr(report, name)
        groups[name] = {m["split_group"] for m in meta}
        for row, m in zip(rows, meta, strict=True):
            conv = Conversation(messages=[Message(**x) for x in row], meta=m)
            assert group_key(conv) == m["split_group"]
            assert m["source"] and m["task"]
    assert report.val > 0 and not groups["train"] & groups["val"]
    sql_groups = {g for g in groups["train"] | groups["val"] if g.startswith("sql:")}
    assert len(sql_groups) > 20


def test_rejects_and_dedupe_add_up(demo_workspace, tmp_path, engine):
    ws = copy_pulled(demo_workspace, tmp_path)
    log = ws / "training_data/raw/clickhouse_query_log.jsonl"
    extra = [
        _record("SELECT count() FROM dex.swaps WHERE chain = 'base'", "dup-1", "How many swaps on base?"),
        _record("SELECT count()  FROM dex.swaps WHERE chain = 'ethereum'", "dup-2", "How many swaps on base?"),
        _record("SELECT count() FROM dex.trades", "ghost", "How many trades?", tables=["dex.trades"]),
    ]
    with log.open("a") as fh:
        for rec in extra:
            fh.write(rec.model_dump_json() + "\n")
        fh.write('{"kind": "query", "query": 42}\n')
    report = build(ws, engine="chdb")
    rejects = _lines(ws / "training_data/curated/rejects.jsonl")
    codes = [c for r in rejects for c in r["codes"]]
    assert "DEDUPE_TEMPLATE" in codes
    assert any(c == "CATALOG_UNKNOWN_TABLE" for c in codes)
    assert "BUILD_BAD_RECORD" in codes and report.bad_records == 1
    assert report.candidates == report.written + report.rejected
    assert len(rejects) == report.rejected + report.bad_records
    ghost = [r for r in rejects if r.get("meta", {}).get("query_hash") == "ghost"]
    assert ghost and "dex.trades" in " ".join(ghost[0]["reasons"])


def test_mixing_follows_the_ratio_warns_when_diluted_and_quarantines_bad_lines(demo_workspace, tmp_path, engine):
    ws = copy_pulled(demo_workspace, tmp_path)
    general = tmp_path / "general.jsonl"
    with general.open("w") as fh:
        for i in range(2000):
            fh.write(json.dumps([{"role": "user", "content": f"Say {i}"}, {"role": "assistant", "content": f"{i}"}]) + "\n")
        fh.write('[{"role": "assistant", "content": "no user turn"}]\n')
    custom = build(ws, out=tmp_path / "custom", engine="none", seed=1)
    assert custom.mixed == 0 and custom.custom_share == 1.0 and custom.warnings == []
    mixed = build(ws, out=tmp_path / "mixed", engine="none", seed=1, mix=[f"{general}:3"])
    assert mixed.mixed == round(3 * custom.train)
    assert mixed.train == custom.train + mixed.mixed and mixed.val == custom.val  # general data goes to train only
    assert mixed.custom_share == pytest.approx(custom.train / mixed.train, abs=1e-3) and mixed.custom_share < 0.3
    assert any(w.startswith("MIX_CUSTOM_SHARE_LOW") for w in mixed.warnings)
    bad = [r for r in _lines(tmp_path / "mixed" / "rejects.jsonl") if "MIX_BAD_LINE" in r["codes"]]
    assert len(bad) == 1 and bad[0]["line"] == 2001
    light = build(ws, out=tmp_path / "light", engine="none", seed=1, mix=[f"{general}:0.5"])
    assert light.custom_share > 0.6 and not any(w.startswith("MIX_CUSTOM_SHARE_LOW") for w in light.warnings)


@pytest.mark.parametrize("spec", ["general.jsonl", "general.jsonl:0", "general.jsonl:-1", "general.jsonl:x", ":0.5"])
def test_bad_mix_spec(spec):
    with pytest.raises(ValueError, match="MIX_BAD_SPEC"):
        MixSpec.parse(spec)


def test_question_sources_in_order_of_trust():
    commented_sql = "-- swaps per chain\nSELECT chain, count() FROM dex.swaps GROUP BY chain"
    (tagged,) = query_pairs(_record(commented_sql, "a", "Swaps by chain?"), machine=["How many swaps per chain?"])
    assert tagged.messages[0].content == "Swaps by chain?" and tagged.meta["question_from"] == "log_comment"
    assert tagged.meta["question_trust"] == 1 and "needs_review" not in tagged.meta
    (commented,) = query_pairs(_record(commented_sql, "b"))
    assert commented.messages[0].content == "swaps per chain" and commented.meta["question_from"] == "sql_comment"
    assert "--" not in commented.messages[1].content
    bare_sql = "SELECT chain, count() AS n FROM dex.swaps GROUP BY chain ORDER BY n DESC LIMIT 3"
    (bare,) = query_pairs(_record(bare_sql, "c"))
    assert bare.meta["needs_review"] is True and bare.meta["question_from"] == "description"
    assert bare.messages[0].content == ("Write a ClickHouse query over dex.swaps, returning chain, n, grouped by chain, "
                                        "ordered by n DESC, limited to 3 rows.")
    machine = query_pairs(_record(bare_sql, "c"), machine=["Which 3 chains see the most swaps?", "Top 3 chains by swaps?"], model="m")
    assert [c.meta["question_from"] for c in machine] == ["machine", "machine"] and machine[0].meta["question_model"] == "m"
    assert all(c.meta["needs_review"] for c in machine)
    # a reviewer's decision outranks every source: it was made looking at them
    (reviewed,) = query_pairs(_record(commented_sql, "a", "Swaps by chain?"), reviewed=["How many swaps did each chain have?"])
    assert reviewed.meta["question_from"] == "reviewed" and "needs_review" not in reviewed.meta
    assert reviewed.meta["fingerprint"] == fingerprint("SELECT chain, count() FROM dex.swaps GROUP BY chain")  # comment out
    trust = {name: rank for name, (rank, _) in QUESTION_SOURCES.items()}
    assert trust["log_comment"] < trust["reviewed"] < trust["machine"] < trust["description"]


def test_contrast_pairs_show_the_foreign_dialect_and_answer_with_the_original():
    sql = "SELECT wallet, sum(amount_usd) AS volume FROM dex.swaps GROUP BY wallet ORDER BY volume DESC LIMIT 10"
    pairs = {c.meta["task"]: c for c in contrast_pairs(_record(sql, "h"))}
    assert "contrast:tsql" in pairs
    tsql = pairs["contrast:tsql"]
    assert "TOP 10" in tsql.messages[0].content and "LIMIT" not in tsql.messages[0].content
    assert tsql.messages[1].content == f"```sql\n{sql}\n```"


def test_dedupe_check_exact_and_template():
    def item(q, line, task="query_log"):
        conv = Conversation(messages=[Message(role="user", content="Q?"), Message(role="assistant", content=f"```sql\n{q}\n```")],
                            meta={"task": task})
        return Item(conversation=conv, source="t", line=line)

    check = DedupeCheck()
    assert check.findings(item("SELECT a FROM t WHERE x = 1", 1)) == []
    assert [f.code for f in check.findings(item("SELECT a FROM t WHERE x = 1", 2))] == ["DEDUPE_EXACT"]
    assert [f.code for f in check.findings(item("select a from t where x = 2", 3))] == ["DEDUPE_TEMPLATE"]
    assert check.findings(item("SELECT a FROM t WHERE x = 3", 4, task="contrast:tsql")) == []
    assert fingerprint("SELECT a FROM t WHERE x = 1") == fingerprint("select a from t where x = 2")


@pytest.mark.parametrize("sql", [
    "SELECT wallet, uniqExact(chain) AS chains FROM dex.swaps GROUP BY wallet",  # ClickHouse-only function
    "SELECT chain, quantile(0.5)(amount_usd) FROM dex.swaps GROUP BY chain",  # parameterized aggregate
])
def test_no_contrast_pair_for_clickhouse_only_functions(sql):
    assert contrast_pairs(_record(sql, "h")) == []


def test_contrast_count_becomes_count_star_and_tsql_derived_tables_need_an_alias():
    pairs = {c.meta["task"]: c for c in contrast_pairs(_record("SELECT count() AS n FROM dex.swaps WHERE chain = 'base'", "h"))}
    assert "COUNT(*)" in pairs["contrast:tsql"].messages[0].content
    assert "COUNT()" not in pairs["contrast:bigquery"].messages[0].content
    nested = contrast_pairs(_record("SELECT count() FROM (SELECT wallet FROM dex.swaps GROUP BY wallet)", "h"))
    assert "contrast:tsql" not in {c.meta["task"] for c in nested}


@pytest.mark.parametrize("sqlglot_log_level", [logging.NOTSET, logging.ERROR])  # ERROR: as the CLI sets it
def test_no_contrast_pair_when_sqlglot_can_only_approximate(sqlglot_log_level):
    # toMonday is a Monday week; sqlglot warns that the target's week starts on Sunday.
    logger = logging.getLogger("sqlglot")
    before = logger.level
    logger.setLevel(sqlglot_log_level)
    try:
        pairs = contrast_pairs(_record("SELECT toMonday(block_time) AS week, count() FROM dex.swaps GROUP BY week", "h"))
    finally:
        logger.setLevel(before)
    assert "contrast:bigquery" not in {c.meta["task"] for c in pairs}


def test_schema_questions_never_have_two_answers():
    from sqlcurate.build.schema_qa import schema_conversations
    from sqlcurate.records import Column, TableRecord

    def table(name, cols):
        return TableRecord(source="t", database="db", name=name, columns=[Column(name=n, type="String", comment=c) for n, c in cols])

    convs = schema_conversations([table("a", [("chain", "Chain name"), ("wallet", "Trader wallet")]),
                                  table("b", [("chain", "Chain name"), ("fee", "Fee in bps")]),
                                  table("c", [("wallet", "Trader wallet"), ("label", "Segment")])])
    questions = [c.messages[0].content for c in convs]
    assert len(questions) == len(set(questions))
    joins = {tuple(c.meta["tables"]) for c in convs if c.meta.get("question") == "join"}
    assert joins == {("db.a", "db.b"), ("db.a", "db.c")}


def test_a_dataform_description_is_the_question_of_the_same_query(tmp_path):
    from sqlcurate.build.docs_qa import dataform_descriptions
    from sqlcurate.connectors.docs import split_file

    action = tmp_path / "daily_volume.sqlx"
    action.write_text('config {\n  type: "view",\n  description: "Daily USD volume\n    on each chain"\n}\n'
                      "SELECT toDate(block_time) AS day, chain, sum(amount_usd) AS volume_usd\n"
                      "FROM dex.swaps\nGROUP BY day, chain\n")
    documented = dataform_descriptions(split_file(action))
    logged = _record("select toDate(block_time) as day, chain, sum(amount_usd) as volume_usd from dex.swaps group by day, chain", "d")
    (pair,) = query_pairs(logged, documented=documented)
    assert pair.messages[0].content == "Daily USD volume on each chain"
    assert pair.meta["question_from"] == "dataform" and pair.meta["question_trust"] == 1 and "needs_review" not in pair.meta
    (other,) = query_pairs(_record("SELECT count() FROM dex.swaps", "e"), documented=documented)
    assert other.meta["question_from"] == "description"
