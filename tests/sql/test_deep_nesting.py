"""SQL nested past the parser's recursion (a hostile or generated query) is a reason code through the CLI,
never a traceback or a hang: parentheses past MAX_NESTING are SQL_TOO_DEEP before sqlglot sees them, and a
deep tree without parentheses (a long `+` chain, which sqlglot parses without recursing) is SQL_TOO_DEEP
once parsed, past MAX_DEPTH. A chain of AND, OR or || is one level, as in ClickHouse's own parser, up to
MAX_CHAIN_TERMS terms."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from sqlcurate.cli import main
from sqlcurate.sql.transpile import MAX_CHAIN_TERMS, MAX_DEPTH, MAX_NESTING, analyze, to_clickhouse

DEPTH = 3000
DEEP = {
    "parentheses": "SELECT " + "(" * DEPTH + "1" + ")" * DEPTH,
    "subqueries": "SELECT * FROM " + "(SELECT * FROM " * DEPTH + "t" + ")" * DEPTH,
    "in-subqueries": "SELECT 1 FROM t WHERE a IN " + "(SELECT a FROM t WHERE a IN " * DEPTH + "(1)" + ")" * DEPTH,
}


def chain(kind: str, terms: int) -> str:
    """An operator chain without parentheses; sqlglot parses it into a tree one level per operator."""
    return {"plus": "SELECT " + " + ".join(["1"] * terms),
            "times": "SELECT " + " * ".join(["1"] * terms),
            "and": "SELECT a FROM t WHERE " + " AND ".join(["a = 1"] * terms),
            "or": "SELECT a FROM t WHERE " + " OR ".join(f"a = {i}" for i in range(terms)),
            "concat": "SELECT " + " || ".join(["a"] * terms) + " FROM t"}[kind]


# ClickHouse nests `+` and `*` (plus(plus(a, b), c): TOO_DEEP_AST from about 500 terms) but reads a chain
# of AND, OR or || as one function of many arguments
CHAINS = ["plus", "times"]
FLAT_CHAINS = ["and", "or", "concat"]
# long but flat: a wide SELECT and a long IN list are one level deep however many items they have
FLAT = {"in-list": "SELECT a FROM t WHERE a IN (" + ", ".join(str(i) for i in range(500)) + ")",
        "wide-select": "SELECT " + ", ".join(f"c{i}" for i in range(300)) + " FROM t"}


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.mark.parametrize("dialect", ["clickhouse", "tsql"])
@pytest.mark.parametrize("kind", sorted(DEEP))
def test_transpile_refuses_deep_nesting_with_a_reason_code(kind, dialect):
    r = invoke("transpile", "--from", dialect, "-q", input=DEEP[kind] + ";\nSELECT a FROM t;\n")
    assert r.exit_code == 1 and r.stdout == ""  # nothing written when a statement is refused
    assert "<stdin>:1: SQL_TOO_DEEP parentheses nested 300" in r.stderr, r.stderr[:300]
    assert "Traceback" not in r.stderr and "1 of 2 statement(s) not transpiled" in r.stderr


def test_validate_quarantines_deep_nesting_and_keeps_the_rest(tmp_path):
    rows = [[{"role": "user", "content": "q?"}, {"role": "assistant", "content": f"```sql\n{sql}\n```"}]
            for sql in (DEEP["subqueries"], "SELECT count() FROM t", DEEP["parentheses"])]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"messages": m}) + "\n" for m in rows))
    out = tmp_path / "out.jsonl"
    r = invoke("validate", "-q", str(src), "--out", str(out))
    assert r.exit_code == 1, r.output[-500:]
    assert "in.jsonl:1: SQL_TOO_DEEP" in r.stderr and "in.jsonl:3: SQL_TOO_DEEP" in r.stderr
    assert "Traceback" not in r.stderr
    assert len(out.read_text().splitlines()) == 1  # row 2
    rejected = [json.loads(line) for line in (tmp_path / "out.rejected.jsonl").read_text().splitlines()]
    assert len(rejected) == 2


def validate_rows(tmp_path, sqls: list[str]):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"messages": [{"role": "user", "content": "q?"},
                                                    {"role": "assistant", "content": f"```sql\n{sql}\n```"}]}) + "\n"
                           for sql in sqls))
    out = tmp_path / "out.jsonl"
    return invoke("validate", "-q", str(src), "--out", str(out)), out


@pytest.mark.parametrize("dialect", ["clickhouse", "tsql"])
@pytest.mark.parametrize("kind", CHAINS)
def test_transpile_refuses_a_long_operator_chain(kind, dialect):
    """3,000 terms: ClickHouse itself refuses a `+` chain from 499 terms (TOO_DEEP_AST), and the T-SQL
    rewrite used to fail with a RecursionError (SQL_INTERNAL_ERROR) from 498."""
    r = invoke("transpile", "--from", dialect, "-q", input=chain(kind, DEPTH) + ";\nSELECT a FROM t;\n")
    assert r.exit_code == 1 and r.stdout == ""
    assert f"<stdin>:1: SQL_TOO_DEEP expression tree deeper than {MAX_DEPTH} levels" in r.stderr, r.stderr[:300]
    assert "Traceback" not in r.stderr and "1 of 2 statement(s) not transpiled" in r.stderr


def test_validate_quarantines_long_operator_chains_and_keeps_the_rest(tmp_path):
    r, out = validate_rows(tmp_path, [chain(kind, DEPTH) for kind in CHAINS] + ["SELECT count() FROM t"])
    assert r.exit_code == 1, r.output[-500:]
    for line in range(1, len(CHAINS) + 1):
        assert re.search(rf"in\.jsonl:{line}: SQL_TOO_DEEP .*: expression tree deeper than {MAX_DEPTH}", r.stderr), r.stderr[:500]
    assert "Traceback" not in r.stderr
    assert len(out.read_text().splitlines()) == 1  # the last row
    assert len((tmp_path / "out.rejected.jsonl").read_text().splitlines()) == len(CHAINS)


def test_long_flat_queries_are_accepted(tmp_path):
    r, out = validate_rows(tmp_path, list(FLAT.values()))
    assert r.exit_code == 0 and "SQL_TOO_DEEP" not in r.stderr, r.stderr[:500]
    assert len(out.read_text().splitlines()) == len(FLAT)
    r = invoke("transpile", "--from", "postgres", "-q", input=";\n".join(FLAT.values()) + ";\n")
    assert r.exit_code == 0 and "SQL_TOO_DEEP" not in r.stderr, r.stderr[:500]
    assert len(r.stdout.strip().split(";\n")) == len(FLAT)


@pytest.mark.parametrize("kind", CHAINS)
def test_chain_depth_limit(kind):
    """A chain one term under MAX_DEPTH's reach parses; one well past it does not. The statement's wrapper
    (SELECT, WHERE, the comparison) adds a few levels, so the bounds are MAX_DEPTH +- 10."""
    assert analyze(chain(kind, MAX_DEPTH - 10), "clickhouse").ok
    over = analyze(chain(kind, MAX_DEPTH + 10), "clickhouse")
    assert not over.ok and over.too_deep and not over.statements


def test_nesting_up_to_the_limit_still_parses():
    at_limit = "SELECT " + "(" * MAX_NESTING + "1" + ")" * MAX_NESTING
    assert analyze(at_limit, "clickhouse").ok
    over = analyze("SELECT " + "(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1), "clickhouse")
    assert not over.ok and over.too_deep and not over.statements


# ---------------------------------------------------------------- AND / OR / || chains: one level each

def test_a_long_or_chain_transpiles_and_clickhouse_runs_it(corpus_engine):
    """2,000 OR terms (how generated SQL often spells an IN list): written, and ClickHouse returns the rows
    the same filter written as IN returns."""
    ids = list(range(1, 4001, 2))
    source = "SELECT event_id FROM webstats.events WHERE " + " OR ".join(f"event_id = {i}" for i in ids)
    (ours,) = to_clickhouse(source, "postgres")
    assert ours.count(" OR ") == len(ids) - 1
    got = corpus_engine.query(f"{ours} ORDER BY event_id").result_rows
    expected = corpus_engine.query("SELECT event_id FROM webstats.events WHERE event_id IN "
                                   f"({', '.join(map(str, ids))}) ORDER BY event_id").result_rows
    assert got == expected and got


@pytest.mark.parametrize("kind", FLAT_CHAINS)
def test_long_and_or_concat_chains_pass_the_cli(kind):
    """5,000 terms through transpile (with the engine's proof): written, nothing refused."""
    r = invoke("transpile", "--from", "postgres", "-q", input=chain(kind, 5000) + ";\nSELECT a FROM t;\n")
    assert r.exit_code == 0, r.stderr[:300]
    assert len(r.stdout.strip().split(";\n")) == 2


def test_a_chain_past_the_term_limit_is_refused():
    over = analyze(chain("or", MAX_CHAIN_TERMS + 1), "postgres")
    assert not over.ok and over.too_deep == f"a chain of {MAX_CHAIN_TERMS + 1} OR terms (at most {MAX_CHAIN_TERMS} are accepted)"


@pytest.mark.parametrize("sql", [
    # each term nested inside the next: one level per term again
    "SELECT a FROM t WHERE " + "(a = 1 OR " * 300 + "a = 2" + ")" * 300,
    # a flat chain whose terms are too deep
    "SELECT a FROM t WHERE " + " OR ".join(["a = " + " + ".join(["1"] * (MAX_DEPTH + 10))] * 3),
    # a flat chain inside a `+` chain too long
    "SELECT " + " + ".join(["(a OR b)"] * (MAX_DEPTH + 10)) + " FROM t",
])
def test_nesting_around_or_inside_a_chain_is_still_refused(sql):
    a = analyze(sql, "postgres")
    assert not a.ok and a.too_deep, (a.parse_error, a.internal_error)


@pytest.mark.parametrize("sql", [
    "SELECT " + "NOT " * 3000 + "a FROM t",
    "SELECT " + "- " * 3000 + "1",
    "SELECT " + "CASE WHEN a THEN " * 3000 + "1" + " END" * 3000 + " FROM t",
])
def test_nesting_without_parentheses_is_too_deep_not_an_internal_error(sql):
    """sqlglot's parser recurses on these; its RecursionError is the reason SQL_TOO_DEEP, not a crash."""
    a = analyze(sql, "postgres")
    assert not a.ok and a.too_deep and not a.internal_error, a.internal_error
