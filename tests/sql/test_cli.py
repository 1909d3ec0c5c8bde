"""`sqlcurate transpile` and the SQL parts of `sqlcurate validate`, end to end through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from sqlcurate.cli import main

from .conftest import CORPUS


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


# ---------------------------------------------------------------- transpile

def test_transpile_stdin_one_statement_per_input_statement():
    r = invoke("transpile", "--from", "t-sql", input="SELECT TOP 10 name FROM dbo.users ORDER BY name;\n"
                                                      "SELECT ISNULL(a, 'x;y') FROM t -- trailing; comment\n")
    assert r.exit_code == 0, r.output
    # a semicolon inside a string or a comment does not split; comments are kept
    assert r.stdout == "SELECT name FROM users ORDER BY name LIMIT 10;\nSELECT COALESCE(a, 'x;y') FROM t /* trailing; comment */;\n"


def test_transpile_file_and_pretty(tmp_path):
    f = tmp_path / "q.sql"
    f.write_text("SELECT DATE_TRUNC(d, MONTH) AS m, COUNT(*) AS n FROM `p.ds.t` GROUP BY m")
    r = invoke("transpile", "--from", "bigquery", str(f))
    assert r.exit_code == 0 and r.stdout == "SELECT toStartOfMonth(d) AS m, COUNT(*) AS n FROM ds.t GROUP BY m;\n"
    r = invoke("transpile", "--from", "bigquery", "--pretty", str(f))
    assert r.exit_code == 0 and r.stdout.count("\n") > 2 and r.stdout.endswith(";\n")


def test_transpile_refuses_unfaithful_statement_and_writes_nothing():
    r = invoke("transpile", "--from", "bigquery", input="SELECT 1;\n\nSELECT x FROM t LEFT JOIN UNNEST(a) AS x WITH OFFSET AS o;\n")
    assert r.exit_code == 1
    assert r.stdout == ""
    assert "<stdin>:3: SQL_UNTRANSPILABLE LEFT JOIN UNNEST ... WITH OFFSET" in r.stderr
    assert "1 of 2 statement(s) not transpiled" in r.stderr


def test_transpile_carries_a_bigquery_declaration_into_later_statements():
    r = invoke("transpile", "--from", "bigquery", input="DECLARE since DATE DEFAULT '2024-01-01';\n"
                                                      "SELECT COUNT(*) AS n FROM `p.ds.t` WHERE d >= since;\n")
    assert r.exit_code == 0, r.output
    # the DECLARE writes no statement; its value (of its declared type) goes where it is used
    assert r.stdout == "SELECT COUNT(*) AS n FROM ds.t WHERE d >= CAST('2024-01-01' AS DATE);\n"
    assert "<stdin>:1: note: DECLARE since: no ClickHouse statement" in r.stderr
    assert "<stdin>:2: note: variable since written as its value" in r.stderr


def test_transpile_parse_error_names_line():
    r = invoke("transpile", "--from", "postgres", input="SELECT 1;\nSELECT (;\n")
    assert r.exit_code == 1 and "<stdin>:2: SQL_PARSE_ERROR Postgres parse error" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["--from", "cobol"], "unknown dialect 'cobol'"),
    (["--from", "mysql", "/no/such/file.sql"], "/no/such/file.sql: No such file or directory"),
    (["--from", "mysql"], "no SQL statement"),
])
def test_transpile_usage_and_io_errors_exit_2(args, message):
    r = invoke("transpile", *args, input="  \n")
    assert r.exit_code == 2 and message in r.output + r.stderr


def test_transpile_non_utf8_exit_2(tmp_path):
    f = tmp_path / "bad.sql"
    f.write_bytes(b"SELECT '\xff'")
    r = invoke("transpile", "--from", "mysql", str(f))
    assert r.exit_code == 2 and "not UTF-8" in r.stderr


# ---------------------------------------------------------------- validate

ROWS = [
    [{"role": "user", "content": "Top 10 users by revenue?"},
     {"role": "assistant", "content": "```sql\nSELECT TOP 10 user_id, sum(revenue) AS r FROM webstats.events GROUP BY user_id ORDER BY r DESC\n```"}],
    [{"role": "user", "content": "Events last week?"},
     {"role": "assistant", "content": "SELECT count() FROM webstats.events WHERE event_time > now() - INTERVAL 7 DAY"}],
    [{"role": "user", "content": "Broken"}, {"role": "assistant", "content": "```sql\nSELECT FROM WHERE (\n```"}],
    [{"role": "user", "content": "Typo'd function"},
     {"role": "assistant", "content": "```sql\nSELECT uniqExcat(user_id) FROM webstats.events\n```"}],
    [{"role": "user", "content": "T-SQL habit"},
     {"role": "assistant", "content": "```sql\nSELECT COUNT(*) FROM webstats.events WHERE event_time < GETDATE()\n```"}],
]


@pytest.fixture
def conversations(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return path


def test_validate_fix_rewrites_top_to_limit_with_change_log(conversations, tmp_path):
    out = tmp_path / "out.jsonl"
    r = invoke("validate", str(conversations), "--fix", "--out", str(out))
    assert r.exit_code == 1  # the unparsable row is quarantined
    assert "in.jsonl:3: SQL_PARSE_ERROR" in r.stderr
    kept = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(kept) == 4
    assert kept[0][1]["content"] == "```sql\nSELECT user_id, SUM(revenue) AS r FROM webstats.events GROUP BY user_id ORDER BY r DESC LIMIT 10\n```"
    assert kept[3][1]["content"] == "```sql\nSELECT COUNT(*) FROM webstats.events WHERE event_time < now()\n```"
    changes = [json.loads(line) for line in (tmp_path / "out.changes.jsonl").read_text().splitlines()]
    assert [(c["line"], c["code"]) for c in changes] == [(1, "SQL_NONCANONICAL"), (5, "SQL_FOREIGN_DIALECT")]
    assert changes[0]["before"].startswith("SELECT TOP 10") and changes[0]["after"].endswith("LIMIT 10")


def test_validate_reports_sql_findings_without_fix(conversations):
    r = invoke("validate", str(conversations))
    assert r.exit_code == 1
    assert "in.jsonl:1: SQL_NONCANONICAL message 1 (fenced_sql query at offset 7): T-SQL: TOP at 1:8" in r.stderr
    assert "in.jsonl:5: SQL_FOREIGN_DIALECT" in r.stderr and "GETDATE() at 1:57" in r.stderr


def test_validate_engine_check_in_subprocess(conversations, tmp_path):
    """--engine chdb opens its own engine directory, so it runs in a fresh process."""
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-c", "from sqlcurate.cli import main; main()", "validate", str(conversations),
           "--catalog", str(CORPUS / "schema.sql"), "--engine", "chdb", "--fix", "--out", str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stderr
    assert "in.jsonl:4: SQL_ENGINE_REJECTED message 1 (query at offset 7): UNKNOWN_FUNCTION: Function with name `uniqExcat` does not exist" in r.stderr
    assert len(out.read_text().splitlines()) == 3  # rows 1, 2, 5 (after fixing) pass the engine


# ---------------------------------------------------------------- transpile: dialects, hints, proof

@pytest.mark.parametrize("alias", ["trino", "presto", "athena", "duckdb", "sqlite", "sqlite3", "spark", "databricks",
                                   "hive", "redshift", "doris", "starrocks", "oracle", "fabric", "synapse"])
def test_transpile_accepts_every_sqlglot_dialect(alias):
    r = invoke("transpile", "--from", alias, input="SELECT a, COUNT(*) AS n FROM t GROUP BY a;\n")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "SELECT a, COUNT(*) AS n FROM t GROUP BY a;\n"


def test_transpile_drops_tsql_query_hints_with_a_note():
    r = invoke("transpile", "--from", "tsql", input="SELECT TOP 3 a FROM t WITH (NOLOCK) ORDER BY a OPTION (LABEL = 'q01');\n")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "SELECT a FROM t ORDER BY a LIMIT 3;\n"
    assert "<stdin>:1: note: dropped T-SQL query option LABEL = 'q01'" in r.stderr and "WITH (NOLOCK)" in r.stderr


def test_transpile_three_part_name_with_empty_schema_no_traceback():
    r = invoke("transpile", "--from", "tsql", input="SELECT number FROM master..spt_values")
    assert r.exit_code == 0 and r.stdout == "SELECT number FROM master.spt_values;\n"


def test_transpile_output_the_engine_rejects_exits_1_with_its_message():
    r = invoke("transpile", "--from", "sqlite", input="SELECT 1;\nSELECT zeroblob(b) || zeroblob(a) FROM t;\n")
    assert r.exit_code == 1 and r.stdout == ""
    assert "<stdin>:2: SQL_OUTPUT_REJECTED ClickHouse rejects the output: Unknown function zeroblob" in r.stderr
    assert "[SQLite: SELECT zeroblob(b) || zeroblob(a) FROM t]" in r.stderr


def test_transpile_json_reports_every_statement():
    r = invoke("transpile", "--from", "tsql", "--format", "json", input="SELECT TOP 1 a FROM t;\nSELECT GETDATE() + ;\n")
    assert r.exit_code == 1
    report = json.loads(r.stdout)
    first, second = report["statements"]
    assert report["written"] is False and report["source_dialect"] == "tsql"
    assert first["clickhouse"] == ["SELECT a FROM t LIMIT 1"] and first["code"] is None
    assert second["code"] == "SQL_PARSE_ERROR" and second["line"] == 2 and second["clickhouse"] == []


def test_transpile_with_catalog_plans_each_output(tmp_path):
    r = invoke("transpile", "--from", "postgres", "--catalog", str(CORPUS / "schema.sql"),
               input="SELECT country, COUNT(*) FROM webstats.users GROUP BY country;\nSELECT no_such_column FROM webstats.users;\n")
    assert r.exit_code == 1
    assert "<stdin>:2: SQL_OUTPUT_REJECTED" in r.stderr and "no_such_column" in r.stderr and "UNKNOWN_IDENTIFIER" in r.stderr
    assert "<stdin>:1:" not in r.stderr
