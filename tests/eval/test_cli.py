"""`sqlcurate eval` and `sqlcurate chat` end to end, in subprocesses (each needs its own engine
directory): the demo eval set's gold queries verified on the demo data, hand-made answers, a tiny model
trained from the d2 fixture against its base (with retention), sample data, and usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.engine, pytest.mark.train]

DATA = Path(__file__).parent / "data"


def sqlcurate(*args, cwd, stdin=None, timeout=240):
    return subprocess.run([sys.executable, "-c", "from sqlcurate.cli import main; main()", *map(str, args)], cwd=cwd, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, repo):
    ws = tmp_path_factory.mktemp("demo_ws")
    code = f"from pathlib import Path; from sqlcurate.demo.workspace import seed_workspace; seed_workspace(Path({str(ws)!r}))"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=repo, timeout=240)
    return ws


@pytest.fixture(scope="module")
def demo_catalog(repo):
    return repo / "src" / "sqlcurate" / "demo" / "schema.sql"


def test_demo_eval_set_gold_queries_run_and_match_themselves(repo, workspace, demo_catalog, tmp_path):
    data = repo / "src/sqlcurate/demo/assets/eval" / "dex_eval.jsonl"
    n = sum(1 for line in data.read_text().splitlines() if line.strip())
    assert 20 <= n <= 30
    out = tmp_path / "gold.json"
    res = sqlcurate("eval", "--answers", data, "--data", data, "--catalog", demo_catalog, "--workspace", workspace,
                    "--out", out, cwd=repo)
    assert res.returncode == 0, res.stderr
    report = json.loads(out.read_text())
    items = report["runs"][0]["items"]
    assert len(items) == n
    for v in items:
        assert v["exec_match"] is True and v["gold_rows"] > 0, v
        assert v["grounded"] and v["engine_ok"] and v["parses"], v


def test_handmade_answers_get_their_verdicts(repo, workspace, demo_catalog, tmp_path):
    data = tmp_path / "four.jsonl"
    data.write_text("".join(line + "\n" for line in (repo / "src/sqlcurate/demo/assets/eval/dex_eval.jsonl").read_text().splitlines()[:4]))
    out, chart = tmp_path / "r.json", tmp_path / "c.png"
    res = sqlcurate("eval", "--answers", DATA / "answers_handmade.jsonl", "--answers", data, "--label", "handmade",
                    "--label", "gold", "--data", data, "--catalog", demo_catalog, "--workspace", workspace,
                    "--out", out, "--chart", chart, "--items", cwd=repo)
    assert res.returncode == 0, res.stderr
    assert "handmade" in res.stdout and "change" in res.stdout and "execution accuracy" in res.stdout
    assert f"[handmade] {data}:2: EVAL_DIALECT T-SQL TOP at 1:8" in res.stdout
    assert f"[handmade] {data}:3: CATALOG_UNKNOWN_TABLE" in res.stdout
    report = json.loads(out.read_text())
    handmade, gold = report["runs"]
    assert [v["outcome"] for v in handmade["items"]] == ["EVAL_CORRECT", "EVAL_DIALECT", "EVAL_UNGROUNDED", "EVAL_NO_SQL"]
    assert handmade["totals"]["exec_match"]["count"] == 1 and gold["totals"]["exec_match"]["count"] == 4
    assert handmade["totals"]["exec_match"]["ci95"][0] < 0.25 < handmade["totals"]["exec_match"]["ci95"][1]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_static_only_without_engine(repo, demo_catalog, tmp_path):
    data = tmp_path / "four.jsonl"
    data.write_text("".join(line + "\n" for line in (repo / "src/sqlcurate/demo/assets/eval/dex_eval.jsonl").read_text().splitlines()[:4]))
    out = tmp_path / "r.json"
    res = sqlcurate("eval", "--answers", DATA / "answers_handmade.jsonl", "--data", data, "--catalog", demo_catalog,
                    "--engine", "none", "--out", out, cwd=repo)
    assert res.returncode == 0, res.stderr
    items = json.loads(out.read_text())["runs"][0]["items"]
    assert [v["outcome"] for v in items] == ["EVAL_UNVERIFIED", "EVAL_DIALECT", "EVAL_UNGROUNDED", "EVAL_NO_SQL"]
    assert all(v["exec_match"] is None and v["engine_ok"] is None for v in items)
    # the engine without data: EXPLAIN on empty scratch tables built from the catalog
    res = sqlcurate("eval", "--answers", DATA / "answers_handmade.jsonl", "--data", data, "--catalog", demo_catalog,
                    "--out", out, cwd=repo)
    assert res.returncode == 0, res.stderr
    items = json.loads(out.read_text())["runs"][0]["items"]
    assert [v["engine_ok"] for v in items] == [True, None, False, False]
    assert [v["outcome"] for v in items] == ["EVAL_UNVERIFIED", "EVAL_DIALECT", "EVAL_UNGROUNDED", "EVAL_NO_SQL"]


def test_bad_lines_and_usage_errors_exit_2(repo, demo_catalog, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('[{"role": "user", "content": "q"}, {"role": "assistant", "content": "no sql here"}]\n{oops\n')
    res = sqlcurate("eval", "--answers", DATA / "answers_handmade.jsonl", "--data", bad, "--catalog", demo_catalog,
                    "--engine", "none", cwd=repo)
    assert res.returncode == 2
    assert f"{bad}:1: EVAL_ITEM_NO_GOLD" in res.stderr and f"{bad}:2: LINE_INVALID_JSON" in res.stderr
    assert "Traceback" not in res.stderr
    res = sqlcurate("eval", "--answers", DATA / "answers_handmade.jsonl", "--data", repo / "src/sqlcurate/demo/assets/eval/dex_eval.jsonl",
                    "--catalog", demo_catalog, "--engine", "none", cwd=repo)
    assert res.returncode == 2 and "EVAL_ANSWERS_MISMATCH 4 answers for 26 eval items" in res.stderr
    res = sqlcurate("eval", "--data", bad, "--catalog", demo_catalog, cwd=repo)
    assert res.returncode == 2 and "--checkpoint or --answers" in res.stderr


def test_chat_one_shot_and_piped_repl(repo):
    one = sqlcurate("chat", "--checkpoint", repo / "src/sqlcurate/demo/assets/nanochat_base", "--source", "base", "--prompt", "How many swaps?",
                    "--max-tokens", "6", cwd=repo)
    assert one.returncode == 0, one.stderr
    assert "d2 step 7" in one.stderr and one.stdout.strip()
    repl = sqlcurate("chat", "--base-dir", repo / "src/sqlcurate/demo/assets/nanochat_base", "--source", "base", "--max-tokens", "6", cwd=repo,
                     stdin="How many swaps?\n\n/clear\nHow many swaps?\n/quit\nnever read\n")
    assert repl.returncode == 0, repl.stderr
    answers = repl.stdout.splitlines()
    # two answers; after /clear the same question in a new conversation gets the one-shot answer again
    assert len(answers) == 2 and answers[0] == answers[1] == one.stdout.splitlines()[0]
    missing = sqlcurate("chat", "--checkpoint", repo / "src/sqlcurate/demo/assets", "--source", "sft", "-p", "x", cwd=repo)
    assert missing.returncode == 2 and "error: CHECKPOINT_NOT_FOUND" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_sample_data_mode(repo, tmp_path):
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "shop.sql").write_text(
        "CREATE TABLE shop.orders (id UInt32, customer String, amount Float64) ENGINE = MergeTree ORDER BY id;\n")
    (tmp_path / "rows").mkdir()
    (tmp_path / "rows" / "shop.orders.csv").write_text("id,customer,amount\n1,ada,5.5\n2,ada,4.5\n3,bob,7.25\n")
    data = tmp_path / "val.jsonl"
    data.write_text(json.dumps([{"role": "user", "content": "Revenue per customer?"}, {"role": "assistant", "content":
                    "```sql\nSELECT customer, sum(amount) AS revenue FROM shop.orders GROUP BY customer\n```"}]) + "\n")
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps("```sql\nSELECT sum(amount), customer FROM shop.orders GROUP BY customer ORDER BY customer\n```") + "\n")
    out = tmp_path / "r.json"
    res = sqlcurate("eval", "--answers", answers, "--data", data, "--catalog", tmp_path / "schema",
                    "--sample-data", tmp_path / "rows", "--out", out, cwd=repo)
    assert res.returncode == 0, res.stderr
    assert "3 rows in 1 tables" in res.stdout
    (v,) = json.loads(out.read_text())["runs"][0]["items"]
    assert v["outcome"] == "EVAL_CORRECT" and v["gold_rows"] == 2
    # a gold query that fails on the data is the eval set's problem: exit 1, named by file and line
    with data.open("a") as fh:
        fh.write(json.dumps([{"role": "user", "content": "Tax?"}, {"role": "assistant", "content": "```sql\nSELECT tax FROM shop.orders\n```"}]) + "\n")
    with answers.open("a") as fh:
        fh.write(json.dumps("SELECT 1") + "\n")
    res = sqlcurate("eval", "--answers", answers, "--data", data, "--catalog", tmp_path / "schema",
                    "--sample-data", tmp_path / "rows", cwd=repo)
    assert res.returncode == 1
    assert f"{data}:2: EVAL_GOLD_FAILED UNKNOWN_IDENTIFIER" in res.stderr


def test_tiny_trained_model_base_vs_sft(repo, workspace, demo_catalog, tmp_path):
    """The issue's "done when": a tiny model trained by `sqlcurate train`, evaluated against its base on
    the demo eval set, end to end (the numbers are meaningless; every stage must run)."""
    eval_set = repo / "src/sqlcurate/demo/assets/eval" / "dex_eval.jsonl"
    lines = eval_set.read_text().splitlines()
    train, data = tmp_path / "train.jsonl", tmp_path / "val.jsonl"
    train.write_text("\n".join(lines[3:]) + "\n")
    data.write_text("\n".join(lines[:3]) + "\n")
    trained = subprocess.run([sys.executable, "-c", "from sqlcurate.cli import main; main()", "train", "--data", str(train),
                              "--base", str(repo / "src/sqlcurate/demo/assets/nanochat_base/base_checkpoints/d2"), "--epochs", "2",
                              "--out", str(tmp_path / "runs"), "--tag", "tiny", "--device", "cpu", "--device-batch", "8",
                              "--target-batch-tokens", "2048"], cwd=repo, capture_output=True, text=True, timeout=240)
    assert trained.returncode == 0, trained.stderr
    out, chart = tmp_path / "r.json", tmp_path / "c.png"
    res = sqlcurate("eval", "--checkpoint", repo / "src/sqlcurate/demo/assets/nanochat_base/base_checkpoints/d2", "--label", "base",
                    "--checkpoint", tmp_path / "runs" / "chatsft_checkpoints" / "tiny", "--label", "sft",
                    "--tokenizer", repo / "src/sqlcurate/demo/assets/nanochat_base/tokenizer", "--data", data, "--catalog", demo_catalog,
                    "--workspace", workspace, "--max-tokens", "12", "--retention", DATA / "mc_arc.jsonl",
                    "--out", out, "--chart", chart, "--items", cwd=repo)
    assert res.returncode == 0, res.stderr
    assert "retention: mc_arc.jsonl" in res.stdout and "change" in res.stdout
    report = json.loads(out.read_text())
    base, sft = report["runs"]
    assert base["meta"]["step"] == 7 and base["meta"]["generated_tokens"] <= 3 * 12
    assert sft["source"].endswith("chatsft_checkpoints/tiny") and sft["meta"]["step"] >= 1
    assert len(base["items"]) == len(sft["items"]) == 3 and sft["totals"]["items"] == 3
    assert all(v["answer"] for v in base["items"])
    assert [v["answer"] for v in base["items"]] != [v["answer"] for v in sft["items"]]  # the trained weights answer
    assert [(r["label"], r["items"]) for r in report["retention"]] == [("base", 2), ("sft", 2)]
    assert [it["id"] for it in report["items"]] == ["val.jsonl:1", "val.jsonl:2", "val.jsonl:3"]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
