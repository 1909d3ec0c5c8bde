"""The README's first command: `sqlcurate demo` runs pull -> build -> validate -> stats -> train -> eval
on the bundled demo workspace, each stage its own process, from nothing but the repository."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

pytestmark = [pytest.mark.engine, pytest.mark.train]


def run_demo(ws, repo):
    return subprocess.run([sys.executable, "-m", "sqlcurate", "demo", "--workspace", str(ws), "--max-tokens", "16"],
                          cwd=repo, capture_output=True, text=True, timeout=900)


def test_demo_runs_the_whole_path_and_again(tmp_path, repo):
    ws = tmp_path / "demo"
    result = run_demo(ws, repo)
    assert result.returncode == 0, result.stderr[-4000:]
    for stage in ("pull clickhouse", "pull docs", "build", "validate", "stats", "train", "eval"):
        assert f"$ sqlcurate {stage}" in result.stderr

    # pull wrote the catalog and query templates from the engine's real query log
    catalog = json.loads((ws / "schemas" / "clickhouse" / "catalog.json").read_text())
    assert {t["name"] for t in catalog["tables"]} >= {"swaps", "pools", "tokens"}
    templates = (ws / "training_data" / "raw" / "clickhouse_query_log.jsonl").read_text().splitlines()
    assert len(templates) >= 40 and all(json.loads(t)["log_comment"] for t in templates[:5])

    # validate kept every built row (it exits non-zero otherwise), and nanochat lines are bare arrays
    train = (ws / "training_data" / "curated" / "train.jsonl").read_text().splitlines()
    assert train and all(isinstance(json.loads(line), list) for line in train)
    assert f"{len(train)} rows = {len(train)} kept + 0 quarantined" in result.stdout + result.stderr

    # train: 3 epochs, validation loss went down, checkpoints with the run's tokenizer beside them
    (run_dir,) = (ws / "nanochat" / "chatsft_checkpoints").iterdir()
    val = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    val = [r for r in val if r["kind"] == "val"]
    assert [r["epoch"] for r in val] == [1, 2, 3] and val[-1]["val_loss"] < val[0]["val_loss"]
    assert (ws / "nanochat" / "tokenizer" / "tokenizer.pkl").exists()

    # eval compared the base and the fine-tuned model on every demo eval item
    report = json.loads((ws / "eval.json").read_text())
    assert [r["label"] for r in report["runs"]] == ["base", "sft"]
    items = len((repo / "src/sqlcurate/demo/assets/eval" / "dex_eval.jsonl").read_text().splitlines())
    assert all(r["totals"]["items"] == items for r in report["runs"])
    assert (ws / "eval.png").stat().st_size > 1000 and (ws / "train_tokens.png").stat().st_size > 1000

    # a second demo on the same workspace trains a new run, and eval picks that newer run by itself
    time.sleep(1.1)  # run tags carry the UTC second
    again = run_demo(ws, repo)
    assert again.returncode == 0, again.stderr[-4000:]
    runs = sorted((ws / "nanochat" / "chatsft_checkpoints").iterdir())
    assert len(runs) == 2
    newest = max(runs, key=lambda d: json.loads(sorted(d.glob("meta_*.json"))[-1].read_text())["created_at"])
    assert json.loads((ws / "eval.json").read_text())["runs"][1]["source"] == str(newest)
