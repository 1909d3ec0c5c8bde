"""The README path on the demo workspace, through the CLI: seed -> pull -> pull again -> build."""

from __future__ import annotations

import json

from tests.build.conftest import run_cli

from sqlcurate.demo.history import HISTORY
from sqlcurate.sql.catalog import load_catalog


def test_demo_pull_skips_noise_and_keeps_every_analyst_template(demo_workspace):
    ws, out = demo_workspace
    records = [json.loads(x) for x in (ws / "training_data/raw/clickhouse_query_log.jsonl").read_text().splitlines()]
    assert len(records) == len(HISTORY), (out, [r["query"][:60] for r in records])
    assert "skipped 1: CH_SKIPPED_FAILED" in out, out and "CH_SKIPPED_NOT_SELECT" in out and "CH_SKIPPED_INTERNAL" in out
    analysts = {e.analyst for e in HISTORY}
    assert {u for r in records for u in r["users"]} == analysts, [(r["users"], r["query"][:40]) for r in records]
    repeated = [r for r in records if r["count"] > 1]
    assert repeated and all(r["log_comment"] for r in repeated)
    catalog = load_catalog(ws / "schemas" / "clickhouse")
    assert catalog.databases == {"dex"}, "the log copy's database is not analyst data"
    assert len(catalog) == 6


def test_second_pull_is_incremental(demo_workspace):
    ws, _ = demo_workspace
    before = (ws / "training_data/raw/clickhouse_query_log.jsonl").read_text()
    again = run_cli("pull", "clickhouse", "--profile", str(ws / "connectors" / "demo.toml"), "--workspace", str(ws))
    assert again.returncode == 0, again.stderr
    assert "(0 new, 0 queries in this pull)" in again.stdout
    assert (ws / "training_data/raw/clickhouse_query_log.jsonl").read_text() == before


def test_cli_build_on_the_demo(demo_workspace, tmp_path):
    ws, _ = demo_workspace
    run = run_cli("build", "--workspace", str(ws), "--out", str(tmp_path / "curated"))
    report = json.loads((tmp_path / "curated" / "build_report.json").read_text())
    assert run.returncode == (1 if report["rejected"] else 0), run.stdout + run.stderr  # 1: see rejects.jsonl
    assert report["candidates"] == report["written"] + report["rejected"]
    assert report["rejected"] <= 2, report["reject_codes"]  # the analysts' queries all ran on ClickHouse
    assert report["train"] > 100 and report["val"] > 0
    assert set(report["by_task"]) == {"query_log", "contrast:tsql", "contrast:bigquery", "schema", "docs"}
    for name in ("train", "val"):
        lines = (tmp_path / "curated" / f"{name}.jsonl").read_text().splitlines()
        meta = (tmp_path / "curated" / f"{name}.meta.jsonl").read_text().splitlines()
        assert len(lines) == len(meta)
        assert all(isinstance(json.loads(x), list) for x in lines), "nanochat lines are bare arrays"
