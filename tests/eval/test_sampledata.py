"""--sample-data: per-table files loaded through the catalog's DDL into the engine."""

from __future__ import annotations

import pytest

from sqlcurate.eval.sampledata import SampleDataError, load_sample_data
from sqlcurate.sql.catalog import Catalog, parse_ddl

pytestmark = pytest.mark.engine

DDL = """
CREATE TABLE eval_sd.events (id UInt32, kind LowCardinality(String), at DateTime, value Nullable(Float64))
ENGINE = MergeTree ORDER BY id;
CREATE TABLE eval_sd.users (id UInt32, name String) ENGINE = MergeTree ORDER BY id;
"""


@pytest.fixture(scope="module")
def catalog():
    return Catalog(parse_ddl(DDL, "clickhouse", "<eval_sd>"))


def test_csv_and_jsonl_load_typed(engine, catalog, tmp_path):
    (tmp_path / "eval_sd.events.csv").write_text("id,kind,at,value\n1,click,2026-01-01 10:00:00,1.5\n2,view,2026-01-02 00:00:00,\\N\n")
    (tmp_path / "eval_sd.users.jsonl").write_text('{"id": 1, "name": "ada"}\n{"id": 2, "name": "bob"}\n{"id": 3, "name": "cy"}\n')
    loaded = load_sample_data(engine, catalog, tmp_path)
    assert [(t.table, t.rows) for t in loaded] == [("eval_sd.events", 2), ("eval_sd.users", 3)]
    rows = engine.query("SELECT id, kind, toString(at), value FROM eval_sd.events ORDER BY id").result_rows
    assert rows == [(1, "click", "2026-01-01 10:00:00", 1.5), (2, "view", "2026-01-02 00:00:00", None)]
    # loading again replaces the rows instead of appending
    assert [t.rows for t in load_sample_data(engine, catalog, tmp_path)] == [2, 3]


def test_errors_name_the_file(engine, catalog, tmp_path):
    (tmp_path / "eval_sd.nope.csv").write_text("a\n1\n")
    with pytest.raises(SampleDataError, match=r"eval_sd\.nope\.csv:0: EVAL_SAMPLE_UNKNOWN_TABLE"):
        load_sample_data(engine, catalog, tmp_path)
    (tmp_path / "eval_sd.nope.csv").unlink()
    (tmp_path / "eval_sd.users.xlsx").write_text("x")
    with pytest.raises(SampleDataError, match="EVAL_SAMPLE_FORMAT"):
        load_sample_data(engine, catalog, tmp_path)
    (tmp_path / "eval_sd.users.xlsx").unlink()
    (tmp_path / "eval_sd.users.csv").write_text("id,name\nnot-a-number,ada\n")
    with pytest.raises(SampleDataError, match=r"eval_sd\.users\.csv:0: EVAL_SAMPLE_LOAD"):
        load_sample_data(engine, catalog, tmp_path)
