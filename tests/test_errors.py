"""One error type for every run-stopping problem (errors.py): library exceptions carry their codes and
render as the one line the CLI prints."""

from __future__ import annotations

import pytest

from sqlcurate.build.pipeline import BuildError
from sqlcurate.connectors.clickhouse import PullError
from sqlcurate.connectors.profiles import ProfileError
from sqlcurate.errors import LocatedError, SqlcurateError
from sqlcurate.eval.items import EvalDataError, load_items
from sqlcurate.eval.retention import MCDataError, load_mc
from sqlcurate.eval.sampledata import SampleDataError
from sqlcurate.sql.catalog import CatalogError, load_catalog


@pytest.mark.parametrize("cls", [BuildError, PullError, ProfileError, CatalogError, EvalDataError, MCDataError,
                                 SampleDataError])
def test_library_errors_are_sqlcurate_errors(cls):
    assert issubclass(cls, SqlcurateError)


def test_located_errors_say_the_code_once(tmp_path):
    with pytest.raises(CatalogError) as e:
        load_catalog(tmp_path / "missing.sql")
    assert str(e.value) == f"{tmp_path / 'missing.sql'}:0: CATALOG_NOT_FOUND no such file or directory"
    assert e.value.render() == f"error: {e.value}" and e.value.code == "CATALOG_NOT_FOUND"
    bad = tmp_path / "mc.jsonl"
    bad.write_text('{"question": "q", "choices": ["a"], "answer": 0}\n')
    with pytest.raises(MCDataError) as e:
        load_mc(bad)
    assert e.value.code == "EVAL_MC_BAD_ITEM" and e.value.render().startswith(f"error: {bad}:1: EVAL_MC_BAD_ITEM ")
    assert isinstance(e.value, LocatedError) and e.value.line == 1


def test_eval_data_error_keeps_every_line_and_the_first_code(tmp_path):
    data = tmp_path / "val.jsonl"
    data.write_text('[{"role": "user", "content": "q"}, {"role": "assistant", "content": "prose"}]\n{oops\n')
    with pytest.raises(EvalDataError) as e:
        load_items(data)
    assert e.value.code == "EVAL_ITEM_NO_GOLD"
    codes = [d.removeprefix(f"{data}:").split(" ", 2)[1] for d in e.value.diagnostics]
    assert codes == ["EVAL_ITEM_NO_GOLD", "LINE_INVALID_JSON"]
    assert [d.split(":")[1] for d in e.value.diagnostics] == ["1", "2"]
    assert e.value.render() == "error: " + "\n".join(e.value.diagnostics)


def test_plain_errors_render_code_then_message():
    assert SqlcurateError("X_CODE", "what went wrong").render() == "error: X_CODE what went wrong"


def test_codes_of_the_shared_modules_are_declared_once_and_documented(repo):
    import importlib

    docs = "\n".join(p.read_text() for p in (repo / "docs").glob("*.md"))
    seen: dict[str, str] = {}
    for name in ("sqlcurate.api", "sqlcurate.config", "sqlcurate.file_stats", "sqlcurate.connectors.store",
                 "sqlcurate.eval.evaluate"):
        for code in importlib.import_module(name).CODES:
            assert code not in seen, f"{code} declared in {seen[code]} and {name}"
            seen[code] = name
            assert f"`{code}`" in docs, f"{code} ({name}) is not documented in docs/"
