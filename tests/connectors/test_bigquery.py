"""BigQuery pull against the local emulator, through the official google-cloud-bigquery client."""

from __future__ import annotations

import json

import pytest
from tests.connectors.conftest import run_cli

from sqlcurate.connectors.bigquery import pull_bigquery, rebuild_ddl
from sqlcurate.connectors.clickhouse import PullError
from sqlcurate.connectors.profiles import Profile
from sqlcurate.records import Column
from sqlcurate.sql.catalog import load_catalog, parse_ddl

pytestmark = pytest.mark.bigquery


def _profile(endpoint: str, project: str) -> Profile:
    return Profile(name="emu", kind="bigquery", project=project, emulator_endpoint=endpoint, datasets=["shop"])


def test_catalog_with_nested_fields_and_descriptions(bigquery_emulator, tmp_path):
    summary, warnings = pull_bigquery(_profile(*bigquery_emulator), tmp_path)
    assert summary.tables == 2
    catalog = load_catalog(tmp_path / "schemas" / "bigquery" / "catalog.json")
    orders = catalog.table("shop.orders")
    assert orders is not None and orders.comment == "One row per customer order"
    cols = {c.name: c for c in orders.columns}
    assert list(cols) == ["order_id", "customer", "items", "created_at"]
    assert cols["customer"].type.startswith("STRUCT<")
    assert "Who placed the order" in cols["customer"].comment and "id: Customer identifier" in cols["customer"].comment
    assert cols["items"].type.startswith("ARRAY<STRUCT<")
    assert catalog.fields_of(orders, "customer") == frozenset({"id", "email"})
    # The emulator has no ddl column: the CREATE statement is rebuilt and reads back the same columns.
    ddl_tables = parse_ddl((tmp_path / "schemas" / "bigquery" / "shop.sql").read_text(), "bigquery")
    rebuilt = {t.name: t for t in ddl_tables}["orders"]
    assert [c.name for c in rebuilt.columns] == list(cols)
    assert rebuilt.comment == "One row per customer order"


def test_query_history_from_jobs_is_incremental(bigquery_emulator, tmp_path):
    profile = _profile(*bigquery_emulator)
    summary, warnings = pull_bigquery(profile, tmp_path)
    assert warnings == []
    lines = [json.loads(x) for x in (tmp_path / "training_data/raw/bigquery_jobs.jsonl").read_text().splitlines()]
    queries = {r["query"] for r in lines}
    assert any("shop.orders" in q and "order_id > 3" in q for q in queries)
    assert not any("INFORMATION_SCHEMA" in q for q in queries), "our own catalog queries are not history"
    assert all(r["dialect"] == "bigquery" for r in lines)
    before = {r["normalized_hash"]: r["count"] for r in lines}
    pull_bigquery(profile, tmp_path)  # nothing new since the watermark: counts must not double
    again = {json.loads(x)["normalized_hash"]: json.loads(x)["count"]
             for x in (tmp_path / "training_data/raw/bigquery_jobs.jsonl").read_text().splitlines()}
    assert again == before


def test_bad_dataset_name_is_refused(bigquery_emulator, tmp_path):
    with pytest.raises(PullError) as e:
        pull_bigquery(_profile(*bigquery_emulator), tmp_path, datasets=["shop`; DROP SCHEMA shop; --"])
    assert e.value.code == "BQ_BAD_NAME"


def test_cli_pull_bigquery_with_profile(bigquery_emulator, tmp_path):
    endpoint, project = bigquery_emulator
    (tmp_path / "connectors").mkdir()
    (tmp_path / "connectors" / "emu.toml").write_text(
        f'kind = "bigquery"\nproject = "{project}"\nemulator_endpoint = "{endpoint}"\ndatasets = ["shop"]\n')
    run = run_cli("pull", "bigquery", "--profile", "emu", "--workspace", str(tmp_path), "--no-jobs")
    assert run.returncode == 0, run.stderr
    assert "catalog: 2 tables" in run.stdout
    assert len(load_catalog(tmp_path / "schemas")) == 2


def test_rebuild_ddl_round_trips_through_the_catalog_parser():
    cols = [Column(name="id", type="INT64", comment='Say "hi"'), Column(name="tags", type="ARRAY<STRING>")]
    ddl = rebuild_ddl("ds", "t", cols, {"id": False, "tags": True}, "A table")
    (table,) = parse_ddl(ddl, "bigquery")
    assert table.qualified == "ds.t" and table.comment == "A table"
    assert [(c.name, c.comment) for c in table.columns] == [("id", 'Say "hi"'), ("tags", "")]


def test_validate_uses_the_pulled_bigquery_catalog(bigquery_emulator, tmp_path):
    pull_bigquery(_profile(*bigquery_emulator), tmp_path, jobs=False)
    data = tmp_path / "conv.jsonl"
    rows = [[{"role": "user", "content": "Order ids?"}, {"role": "assistant", "content": "```sql\nSELECT order_id FROM shop.orders\n```"}],
            [{"role": "user", "content": "Order ids?"}, {"role": "assistant", "content": "```sql\nSELECT order_id FROM shop.order_lines\n```"}]]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = run_cli("validate", str(data), "--catalog", str(tmp_path / "schemas" / "bigquery"))
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{data}:2: CATALOG_UNKNOWN_TABLE" in run.stdout + run.stderr
    assert f"{data}:1:" not in run.stdout + run.stderr
