"""The public API (sqlcurate/__init__.py): every example of docs/api.md runs, `import sqlcurate` stays
light, and the functions return what the commands report."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sqlcurate

REPO = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
REQUIRES = re.compile(r"^# requires: (.+)$", re.M)


def doc_blocks() -> list[str]:
    return BLOCK.findall((REPO / "docs" / "api.md").read_text(encoding="utf-8"))


def run_python(code: str, cwd: Path = REPO, timeout: int = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_docs_have_an_example_per_function():
    text = "\n".join(doc_blocks())
    for name in ("validate", "convert", "transpile", "build", "redact", "stats", "evaluate", "train"):
        assert f"sqlcurate.{name}(" in text, f"docs/api.md has no runnable example of sqlcurate.{name}"


@pytest.mark.parametrize("block", doc_blocks(), ids=lambda b: b.split("sqlcurate.", 1)[-1].split("(", 1)[0][:30])
def test_docs_api_example_runs(block):
    # each example alone, in a fresh process (one embedded engine per process), from the repository root
    missing = [m.strip() for m in (REQUIRES.search(block).group(1).split(",") if REQUIRES.search(block) else [])
               if importlib.util.find_spec(m.strip()) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}, not in this tree")
    result = run_python(block)
    assert result.returncode == 0, result.stderr[-3000:]


def test_import_is_light_until_a_function_runs():
    result = run_python("import sys, sqlcurate\n"
                        "sqlcurate.validate, sqlcurate.evaluate, sqlcurate.transpile, sqlcurate.EvalSettings\n"
                        "print(sorted(m for m in ('torch', 'chdb', 'sqlglot', 'polars') if m in sys.modules))")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.replace("'", '"')) == []


def test_exports_resolve_and_are_listed():
    assert set(sqlcurate.__all__) == {*sqlcurate._EXPORTS, "__version__"}
    for name, module in sqlcurate._EXPORTS.items():
        if importlib.util.find_spec(module) is not None:
            assert getattr(sqlcurate, name) is getattr(importlib.import_module(module), name)
    with pytest.raises(AttributeError):
        sqlcurate.no_such_function  # noqa: B018


def test_package_is_typed():
    assert (REPO / "src" / "sqlcurate" / "py.typed").is_file()
    assert '"py.typed"' in (REPO / "pyproject.toml").read_text()


def test_validate_reports_rows_findings_and_paths(tmp_path):
    good = [{"role": "user", "content": "Count users?"}, {"role": "assistant", "content": "```sql\nSELECT count() FROM u\n```"}]
    data = tmp_path / "in.jsonl"
    data.write_text(json.dumps(good) + "\n\n" + json.dumps([{"role": "user", "content": "no answer"}]) + "\n")
    report = sqlcurate.validate(data, sql=False, out=tmp_path / "out.jsonl")
    assert (report.rows, report.kept, report.quarantined) == (2, 1, 1)
    (finding,) = report.findings
    assert (finding.path, finding.line, finding.severity) == (str(data), 3, "error")
    assert report.codes == {finding.code: 1} and not report.ok
    rejected = [json.loads(x) for x in Path(report.paths["rejected"]).read_text().splitlines()]
    assert [r["line"] for r in rejected] == [3]
    assert json.loads((tmp_path / "out.jsonl").read_text()) == good
    assert not (tmp_path / "out.jsonl").samefile(data)


def test_validate_refuses_impossible_arguments(tmp_path):
    with pytest.raises(sqlcurate.SqlcurateError) as e:
        sqlcurate.validate(tmp_path / "x.jsonl", fix=True)
    assert e.value.code == "API_USAGE"


def test_transpile_gives_dialect_evidence_and_keeps_clickhouse_as_written():
    (st,) = sqlcurate.transpile("SELECT count() FROM events WHERE toDate(ts) = today()")
    assert st.dialect == "clickhouse" and st.evidence == () and not st.changed and st.error is None
    (st,) = sqlcurate.transpile("SELECT `p.d.t`.x FROM `p.d.t` WHERE SAFE_DIVIDE(a, b) > 1", source="bigquery")
    assert st.dialect == "bigquery" and st.clickhouse and "SAFE_DIVIDE" not in st.clickhouse
    with pytest.raises(sqlcurate.SqlcurateError) as e:
        sqlcurate.transpile("SELECT 1", source="no-such-dialect")
    assert e.value.code == "API_USAGE"


def test_build_stays_the_function_after_the_subpackage_is_imported(tmp_path):
    # sqlcurate.build() imports the subpackage sqlcurate.build, whose import would rebind the name
    result = run_python("import tempfile, sqlcurate\n"
                        "for _ in range(2):\n"
                        "    try:\n"
                        "        sqlcurate.build(tempfile.mkdtemp())\n"
                        "    except sqlcurate.SqlcurateError as e:\n"
                        "        assert e.code == 'BUILD_NO_INPUT', e.code\n"
                        "from sqlcurate.build import pipeline\n"
                        "import sqlcurate.build.split\n"
                        "assert callable(sqlcurate.build) and pipeline.build is not sqlcurate.build\n"
                        "print('ok')")
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
