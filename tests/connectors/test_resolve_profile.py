"""Which profile a pull uses (connectors.profiles.resolve_profile), and where pulls write (store, workspace)."""

from __future__ import annotations

import json

import pytest

from sqlcurate.connectors.profiles import ProfileError, resolve_profile
from sqlcurate.connectors.store import read_watermarks, workspace_writes, write_watermark
from sqlcurate.errors import SqlcurateError
from sqlcurate.workspace import WATERMARKS, Workspace


def test_named_default_and_empty_profiles(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ws = Workspace(tmp_path / "ws")
    assert resolve_profile(None, None, ws.root, "clickhouse").kind == "clickhouse"  # nothing on disk: empty
    ws.profile("default").parent.mkdir(parents=True)
    ws.profile("default").write_text('dsn = "chdb://../engine"\nlog_table = "logs.q"\n')
    default = resolve_profile(None, None, ws.root, "clickhouse")
    assert default.log_table == "logs.q" and default.chdb_path() == (ws.root / "engine").resolve()
    # a DSN overrides the location, and keeps the named profile's other settings
    over = resolve_profile("default", f"chdb://{tmp_path / 'other'}", ws.root, "clickhouse")
    assert over.chdb_path() == (tmp_path / "other").resolve() and over.log_table == "logs.q"


def test_a_profile_of_the_other_warehouse_is_refused(tmp_path):
    ws = Workspace(tmp_path)
    ws.profile("bq").parent.mkdir(parents=True)
    ws.profile("bq").write_text('kind = "bigquery"\nproject = "p"\n')
    with pytest.raises(ProfileError) as e:
        resolve_profile("bq", None, ws.root, "clickhouse")
    assert e.value.code == "PROFILE_INVALID" and "is a bigquery profile, not clickhouse" in e.value.message
    assert isinstance(e.value, SqlcurateError)


def test_watermarks_land_where_the_layout_says(tmp_path):
    write_watermark(tmp_path, "chdb://x", "2026-01-01 00:00:00")
    assert json.loads((tmp_path / WATERMARKS).read_text()) == {"chdb://x": "2026-01-01 00:00:00"}
    assert read_watermarks(tmp_path) == {"chdb://x": "2026-01-01 00:00:00"}


def test_a_workspace_that_cannot_be_written_is_one_pull_io_error(tmp_path):
    (tmp_path / "training_data").write_text("a file where a directory belongs")
    with pytest.raises(SqlcurateError) as e, workspace_writes(tmp_path):
        write_watermark(tmp_path, "k", "v")
    assert e.value.code == "PULL_IO_ERROR" and "training_data" in e.value.message
