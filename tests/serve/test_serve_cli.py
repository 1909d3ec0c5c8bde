"""`sqlcurate serve` and `serve keys` as a user runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx

CLI = [sys.executable, "-c", "from sqlcurate.cli import main; main()"]


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


def test_keys_add_list_revoke(tmp_path):
    keys = str(tmp_path / "keys.json")
    added = cli("serve", "keys", "add", "alice", "--keys", keys)
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip()
    assert key.startswith("sk-sqlc-") and len(key) > 40
    stored = (tmp_path / "keys.json").read_text()
    assert key not in stored and json.loads(stored)["keys"][0]["label"] == "alice"
    assert oct(os.stat(keys).st_mode & 0o777) == "0o600"
    assert cli("serve", "keys", "add", "alice", "--keys", keys).stderr.startswith("error: KEYS_LABEL_TAKEN")
    assert cli("serve", "keys", "add", "../etc", "--keys", keys).stderr.startswith("error: KEYS_LABEL_INVALID")
    listed = cli("serve", "keys", "list", "--keys", keys).stdout
    assert "alice" in listed and key not in listed
    assert cli("serve", "keys", "revoke", "alice", "--keys", keys).returncode == 0
    assert "revoked" in cli("serve", "keys", "list", "--keys", keys).stdout
    gone = cli("serve", "keys", "revoke", "alice", "--keys", keys)
    assert gone.returncode == 2 and gone.stderr.startswith("error: KEYS_UNKNOWN")


def test_serve_refuses_to_start_open(tmp_path, repo):
    ckpt = str(repo / "src/sqlcurate/demo/assets/nanochat_base/base_checkpoints/d2")
    no_keys = cli("serve", "--checkpoint", ckpt, "--keys", str(tmp_path / "none.json"))
    assert no_keys.returncode == 2 and no_keys.stderr.startswith("error: SERVE_NO_KEYS")
    public = cli("serve", "--checkpoint", ckpt, "--no-auth", "--host", "0.0.0.0")
    assert public.returncode == 2 and public.stderr.startswith("error: SERVE_NO_AUTH_PUBLIC")


def test_serve_runs_and_answers_on_loopback(tmp_path, repo):
    keys = str(tmp_path / "keys.json")
    key = cli("serve", "keys", "add", "ci", "--keys", keys).stdout.strip()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([*CLI, "serve", "--checkpoint", str(repo / "src/sqlcurate/demo/assets/nanochat_base/base_checkpoints/d2"),
                             "--keys", keys, "--log", str(tmp_path / "log.jsonl"), "--port", str(port), "--device", "cpu"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        from openai import OpenAI

        client = OpenAI(base_url=url + "/v1", api_key=key, max_retries=0)
        resp = client.chat.completions.create(model="x", messages=[{"role": "user", "content": "Daily trades?"}], max_tokens=5)
        assert resp.model == "d2@7" and resp.usage.completion_tokens <= 5
        assert json.loads((tmp_path / "log.jsonl").read_text())["key"] == "ci"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
