"""validate wires in the other engineers' checks (real ones: SQL, catalog grounding, redaction)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sqlcurate.cli import main


def chat(sql: str, question: str = "q") -> list[dict]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": f"```sql\n{sql}\n```"}]


def write(tmp_path, rows) -> str:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(src)


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def codes(stderr: str) -> dict[int, str]:
    return {int(line.split(":")[1]): line.split(" ")[1] for line in stderr.splitlines() if line.count(":") >= 2
            and line.split(":")[1].isdigit()}


def test_sql_check_runs_by_default_and_no_sql_turns_it_off(tmp_path):
    pytest.importorskip("sqlcurate.checks.sql")
    src = write(tmp_path, [chat("SELECT count() FROM t"), chat("SELEC FROM WHERE")])
    result = invoke("validate", src, "--format", "json")
    assert result.exit_code == 1 and codes(result.stderr) == {2: "SQL_PARSE_ERROR"}
    assert json.loads(result.stdout)["checks"]["sql"]["dropped"] == 1
    result = invoke("validate", "--no-sql", src, "--format", "json")
    assert result.exit_code == 0 and "sql" not in json.loads(result.stdout)["checks"]


def test_fix_writes_fixed_rows_and_change_log(tmp_path):
    pytest.importorskip("sqlcurate.checks.sql")
    src = write(tmp_path, [chat("SELECT TOP 10 user_id FROM users"), chat("SELECT 1")])
    out = tmp_path / "fixed.jsonl"
    result = invoke("validate", src, "--fix", "--out", str(out))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert "LIMIT 10" in rows[0][1]["content"] and "TOP" not in rows[0][1]["content"]
    change = json.loads((tmp_path / "fixed.changes.jsonl").read_text())
    assert change["line"] == 1 and change["check"] == "sql" and "TOP 10" in change["before"] and "LIMIT 10" in change["after"]
    assert result.exit_code in (0, 1)


def test_catalog_grounding_and_redaction(tmp_path, repo):
    pytest.importorskip("sqlcurate.checks.grounding")
    catalog = repo / "schemas" / "samples" / "clickhouse" / "analytics.sql"
    src = write(tmp_path, [chat("SELECT count() FROM analytics.events"), chat("SELECT count() FROM analytics.evnts"),
                           chat("SELECT 1", "mail me at dana.lee@acme.io")])
    out = tmp_path / "o.jsonl"
    result = invoke("validate", src, "--catalog", str(catalog), "--redact", "--out", str(out), "--format", "json")
    assert result.exit_code == 1 and codes(result.stderr) == {2: "CATALOG_UNKNOWN_TABLE"}
    kept = out.read_text()
    assert "dana.lee@acme.io" not in kept and "<EMAIL_1>" in kept
    rejected = json.loads((tmp_path / "o.rejected.jsonl").read_text())
    assert rejected["line"] == 2 and rejected["codes"] == ["CATALOG_UNKNOWN_TABLE"]
    change = json.loads((tmp_path / "o.changes.jsonl").read_text())
    assert change["line"] == 3 and change["code"] == "SECRET_EMAIL" and "dana.lee" not in change["before"]
    checks = json.loads(result.stdout)["checks"]
    # policies, then fixers, contract re-checked last
    assert list(checks) == ["untrained", "redaction", "sql", "grounding", "schema"]


def test_bad_catalog_is_an_input_error(tmp_path):
    pytest.importorskip("sqlcurate.checks.grounding")
    src = write(tmp_path, [chat("SELECT 1")])
    result = invoke("validate", src, "--catalog", str(tmp_path / "nope.sql"))
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.engine
def test_engine_check_in_its_own_process(tmp_path, repo):
    """--engine chdb plans each query on the real embedded ClickHouse (a subprocess: one engine per process)."""
    import subprocess
    import sys

    pytest.importorskip("sqlcurate.checks.engine")
    catalog = repo / "schemas" / "samples" / "clickhouse" / "analytics.sql"
    src = write(tmp_path, [chat("SELECT count() FROM analytics.users"),
                           chat("SELECT noSuchFunction(user_id) FROM analytics.users")])
    result = subprocess.run([sys.executable, "-c", "from sqlcurate.cli import main; main()", "validate", src,
                             "--catalog", str(catalog), "--engine", "chdb", "--format", "json"],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert codes(result.stderr) == {2: "SQL_ENGINE_REJECTED"}
    assert json.loads(result.stdout)["checks"]["engine"]["dropped"] == 1


def test_redact_without_out_reports_secrets(tmp_path):
    pytest.importorskip("sqlcurate.checks.redaction")
    src = write(tmp_path, [chat("SELECT 1", "mail me at dana.lee@acme.io"), chat("SELECT 1")])
    result = invoke("validate", "--no-sql", "--redact", src)
    assert result.exit_code == 1 and codes(result.stderr) == {1: "SECRET_EMAIL"}
    assert "dana.lee@acme.io" not in result.stderr  # the diagnostic masks what it warns about
