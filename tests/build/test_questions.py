"""The question writer's round trip against a real OpenAI-compatible HTTP server on 127.0.0.1 (a small
``http.server`` answering ``/v1/chat/completions``), through the real CLI and HTTP client: the key from
the environment variable the option names, the prompt with the SQL, the catalog's comments and sample
rows, the questions back into the provenance, and hostile replies turned into reason codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sqlcurate.build.questions import QuestionWriter, parse_questions, render_prompt
from sqlcurate.demo.history import HISTORY
from sqlcurate.errors import SqlcurateError
from sqlcurate.sql.fingerprint import fingerprint

KEY = "test-key-7f3a"
# the analysts' intended questions, by template: what the stand-in model answers with
MEANT = {fingerprint(e.sql.format(**e.variants[0])): e.meant for e in HISTORY if e.meant}


class ChatServer(ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.prompts: list[str] = []
        self.auth: set[str] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class ChatHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.auth.add(self.headers.get("Authorization", ""))
        if self.path != "/v1/chat/completions" or self.headers.get("Authorization") != f"Bearer {KEY}":
            return self._send(401, b'{"error": "bad key"}')
        prompt = request["messages"][-1]["content"]
        self.server.prompts.append(prompt)
        sql = re.search(r"```sql\n(.*?)\n```", prompt, re.S).group(1)
        if "max(block_number)" in sql:
            return self._send(200, b"<html>not a completion</html>")  # a proxy's error page
        if "uniqExact(wallet) AS traders" in sql:  # a runaway reply: read up to the limit, then refused
            return self._send(200, json.dumps({"choices": [{"message": {"content": "Why? " * 20000}}]}).encode())
        if "label, count() AS wallets" in sql:
            content = "SELECT label, count() FROM dex.wallets GROUP BY label"  # SQL where questions belong
        else:
            meant = MEANT.get(fingerprint(sql), "What does this query tell us about our traders?")
            content = f"1. {meant}\n2. \"{meant.rstrip('?')}, roughly?\"\n"
        reply = {"object": "chat.completion", "model": request["model"],
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}
        return self._send(200, json.dumps(reply).encode())


@pytest.fixture
def chat_server():
    server = ChatServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _build(ws, *args, key_env="SQLCURATE_TEST_QUESTION_KEY"):
    env = dict(os.environ, **{key_env: KEY})
    return subprocess.run([sys.executable, "-m", "sqlcurate", "build", "--workspace", str(ws), "--engine", "none", *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_question_writer_round_trip_on_a_real_local_server(demo_workspace, tmp_path, chat_server):
    demo, _ = demo_workspace
    ws = tmp_path / "ws"
    for part in ("training_data/raw", "schemas"):
        shutil.copytree(demo / part, ws / part)
    run = _build(ws, "--question-model", chat_server.url, "--question-model-name", "writer-1",
                 "--question-model-key-env", "SQLCURATE_TEST_QUESTION_KEY", "--sample-engine", str(demo / "engine"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert KEY not in run.stdout + run.stderr
    assert chat_server.auth == {f"Bearer {KEY}"}
    untagged = [e for e in HISTORY if not e.question and not e.sql.lstrip().startswith(("--", "/*"))]
    assert len(chat_server.prompts) == len(untagged)
    label_prompt = next(p for p in chat_server.prompts if "label, count() AS wallets" in p)
    assert "Segment: retail, whale, bot or market_maker" in label_prompt  # the catalog's column comment
    assert re.search(r"label \| wallets\n  retail \| \d+", label_prompt)  # sample rows, run in the sandbox

    out = ws / "training_data/curated"
    report = json.loads((out / "build_report.json").read_text())
    refused = 3
    assert report["question_model"] == {"asked": len(untagged), "answered": len(untagged) - refused,
                                        "QUESTION_MODEL_BAD_REPLY": 2, "QUESTION_MODEL_NO_QUESTION": 1}
    assert report["held_for_review"] == refused  # the refused templates keep their description, held
    rows = [(json.loads(r), json.loads(m)) for name in ("train", "val")
            for r, m in zip((out / f"{name}.jsonl").read_text().splitlines(), (out / f"{name}.meta.jsonl").read_text().splitlines(), strict=True)]
    machine = [(r[0]["content"], m) for r, m in rows if m.get("question_from") == "machine"]
    assert report["question_sources"]["machine"] == len(machine) == 2 * (len(untagged) - refused)
    assert all(m["question_model"] == "writer-1" and m["needs_review"] and m["question_trust"] == 3 for _, m in machine)
    asked = {q for q, _ in machine}
    assert "Top 10 pools by USD volume over the whole period" in asked
    assert "Top 10 pools by USD volume over the whole period, roughly?" in asked  # numbering and quotes taken off
    queue = [json.loads(x) for x in (out / "review_queue.jsonl").read_text().splitlines()]
    assert sum(not e["held"] for e in queue) == len(untagged) - refused  # machine-written: in train, listed for review


def test_an_endpoint_that_refuses_the_key_stops_the_build(demo_workspace, tmp_path, chat_server):
    demo, _ = demo_workspace
    ws = tmp_path / "ws"
    shutil.copytree(demo / "training_data/raw", ws / "training_data/raw")
    run = _build(ws, "--question-model", chat_server.url, "--question-model-key-env", "SOME_OTHER_VAR_UNSET_HERE",
                 key_env="SQLCURATE_TEST_QUESTION_KEY")
    assert run.returncode == 2 and "error: QUESTION_MODEL_UNREACHABLE" in run.stderr and "HTTP 401" in run.stderr
    closed = _build(ws, "--question-model", "http://127.0.0.1:9/v1")
    assert closed.returncode == 2 and "error: QUESTION_MODEL_UNREACHABLE" in closed.stderr
    with pytest.raises(SqlcurateError, match="expected an http") as refused:  # urllib would read a local file
        QuestionWriter(f"file://{ws}/training_data/raw/clickhouse_query_log.jsonl", "m")
    assert refused.value.code == "QUESTION_MODEL_BAD_URL"


def test_prompt_file_and_reply_parsing():
    prompt = render_prompt("SELECT 1", ["  dex.swaps: Swap events"], ["  x", "  1"], count=2)
    assert "{{" not in prompt and "SELECT 1" in prompt and "dex.swaps: Swap events" in prompt and "Write 2 different" in prompt
    reply = "1) How many swaps a day?\n- How many swaps a day?\n```sql\nSELECT 1\n```\nselect x from t\n" + "x" * 400 + "\n* Busiest pool?\nWith fees, which pool earned most?\nFifth?"
    assert parse_questions(reply) == ["How many swaps a day?", "Busiest pool?", "With fees, which pool earned most?"]
