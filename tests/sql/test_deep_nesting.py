"""SQL nested past the parser's recursion (a hostile or generated query) is a reason code through the CLI,
never a traceback or a hang: parentheses past MAX_NESTING are SQL_TOO_DEEP before sqlglot sees them, and a
deep tree without parentheses (a long operator chain) is SQL_INTERNAL_ERROR naming the query."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sqlcurate.cli import main
from sqlcurate.sql.transpile import MAX_NESTING, analyze

DEPTH = 3000
DEEP = {
    "parentheses": "SELECT " + "(" * DEPTH + "1" + ")" * DEPTH,
    "subqueries": "SELECT * FROM " + "(SELECT * FROM " * DEPTH + "t" + ")" * DEPTH,
    "in-subqueries": "SELECT 1 FROM t WHERE a IN " + "(SELECT a FROM t WHERE a IN " * DEPTH + "(1)" + ")" * DEPTH,
}


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


def test_deep_tree_without_parentheses_is_an_internal_error_not_a_hang():
    """`1 + 1 + ... + 1` read as T-SQL: sqlglot's rewrite recurses past the limit. The finding used to
    print the tree with repr(), which ran for minutes on a tree this deep."""
    r = invoke("transpile", "--from", "tsql", "-q", input="SELECT " + "1 + " * DEPTH + "1")
    assert r.exit_code == 1 and "SQL_INTERNAL_ERROR" in r.stderr and "RecursionError" in r.stderr
    assert "Traceback" not in r.stderr


def test_nesting_up_to_the_limit_still_parses():
    at_limit = "SELECT " + "(" * MAX_NESTING + "1" + ")" * MAX_NESTING
    assert analyze(at_limit, "clickhouse").ok
    over = analyze("SELECT " + "(" * (MAX_NESTING + 1) + "1" + ")" * (MAX_NESTING + 1), "clickhouse")
    assert not over.ok and over.too_deep and not over.statements
