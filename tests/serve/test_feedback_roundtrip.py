"""serve -> POST /v1/feedback -> `pull feedback` -> `build` -> the row in the training file, with provenance."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

DDL = """CREATE TABLE dex.trades (ts DateTime, pool String, amount_usd Float64) ENGINE = MergeTree ORDER BY ts;
"""
GOOD_SQL = "SELECT toDate(ts) AS day, count() AS trades FROM dex.trades GROUP BY day ORDER BY day"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from sqlcurate.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120)


def test_feedback_becomes_training_rows_with_provenance(make_server, tmp_path):
    server = make_server()  # a log of its own
    client = server.client(server.keys["alice"])
    headers = {"Authorization": f"Bearer {server.keys['alice']}"}

    def ask(question: str) -> str:
        return client.chat.completions.create(model="m", messages=[{"role": "user", "content": question}], max_tokens=4).id

    def rate(cid: str, rating: str, sql: str | None = None) -> None:
        r = httpx.post(server.url + "/v1/feedback", headers=headers, json={"id": cid, "rating": rating, "corrected_sql": sql})
        assert r.status_code == 200, r.text

    corrected = ask("How many trades per day?")
    rate(corrected, "down", GOOD_SQL)
    foreign = ask("Top 5 pools?")
    rate(foreign, "down", "SELECT TOP 5 pool FROM dex.trades")  # T-SQL: build's SQL check rejects it
    unresolved = ask("Which pool lost the most? Mail the answer to bob.smith@example.com")
    rate(unresolved, "down")
    no_sql = ask("Say hi")
    rate(no_sql, "up")  # the tiny demo model answers without SQL
    ask("Never rated")

    ws = tmp_path / "ws"
    (ws / "schemas" / "clickhouse").mkdir(parents=True)
    (ws / "schemas" / "clickhouse" / "dex.sql").write_text(DDL)
    pulled = cli("pull", "feedback", str(server.log_path), "--workspace", str(ws))
    assert pulled.returncode == 1, pulled.stderr  # 1: with findings (the rated-up answer without SQL)
    assert "FEEDBACK_NO_SQL" in pulled.stderr
    records = [json.loads(line) for line in (ws / "training_data/raw/feedback.jsonl").read_text().splitlines()]
    questions = {r["log_comment"]: r for r in records}
    assert set(questions) == {"How many trades per day?", "Top 5 pools?"}
    eval_rows = [json.loads(line) for line in (ws / "training_data/eval/feedback_unresolved.jsonl").read_text().splitlines()]
    assert [r["question"] for r in eval_rows] == ["Which pool lost the most? Mail the answer to <EMAIL_1>"]  # redacted

    built = cli("build", "--workspace", str(ws), "--engine", "chdb", "--val-fraction", "0")
    assert built.returncode == 1, built.stderr + built.stdout  # 1: a row was rejected
    out = ws / "training_data" / "curated"
    train = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    meta = [json.loads(line) for line in (out / "train.meta.jsonl").read_text().splitlines()]
    row = next(i for i, conv in enumerate(train) if conv[0]["content"].startswith("How many trades per day?"))
    assert train[row][1]["content"] == f"```sql\n{GOOD_SQL}\n```"
    line = questions["How many trades per day?"]["source"].rsplit(":", 1)[1]
    log_line = json.loads(server.log_path.read_text().splitlines()[int(line) - 1])
    assert log_line == {**log_line, "kind": "feedback", "id": corrected, "corrected_sql": GOOD_SQL}
    assert meta[row]["source"] == f"feedback:{server.log_path}:{line}"
    assert meta[row]["question_from"] == "feedback"  # the analyst's own words, ranked with the log's comments
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert any(r["source"].startswith(f"feedback:{server.log_path}:") and r["codes"] == ["SQL_NONCANONICAL"] for r in rejects)
    assert not any("Which pool lost the most?" in json.dumps(conv) for conv in train)
