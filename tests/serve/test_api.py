"""The API with the official openai client against a real server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import replace

import httpx
import openai
import pytest
import torch

from sqlcurate.eval.generate import Generator
from sqlcurate.serve.limits import Limits

QUESTION = [{"role": "user", "content": "How many trades per day on dex.trades?"}]


def test_models_lists_the_served_model(server):
    models = server.client(server.keys["alice"]).models.list()
    assert [m.id for m in models.data] == ["demo-d2"]


def test_chat_answers_what_our_engine_answers_greedy(server, demo_model):
    raw = server.client(server.keys["alice"]).chat.completions.with_raw_response.create(
        model="demo-d2", messages=QUESTION, max_tokens=12)
    resp = raw.parse()
    expected = Generator(demo_model).answer(QUESTION, max_tokens=12, temperature=0.0)
    assert resp.choices[0].message.content == expected.texts[0]
    assert resp.usage.prompt_tokens == expected.prompt_tokens
    assert resp.usage.completion_tokens == expected.new_tokens
    assert resp.choices[0].finish_reason == ("length" if expected.new_tokens == 12 else "stop")
    verdict = resp.model_extra["sqlcurate"]["verdict"]
    assert verdict["has_sql"] is False or "sql" in verdict["checks"]
    assert raw.headers["x-sql-verdict"] in ("none", "ok") or raw.headers["x-sql-verdict"].startswith("SQL_")


def test_streaming_pieces_add_up_to_the_plain_answer(server):
    client = server.client(server.keys["alice"])
    plain = client.chat.completions.create(model="demo-d2", messages=QUESTION, max_tokens=16)
    chunks = list(client.chat.completions.create(model="demo-d2", messages=QUESTION, max_tokens=16, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == plain.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == plain.choices[0].finish_reason
    assert chunks[-1].model_extra["sqlcurate"]["verdict"]["has_sql"] == plain.model_extra["sqlcurate"]["verdict"]["has_sql"]
    assert len({c.id for c in chunks}) == 1


def test_missing_wrong_and_revoked_keys_get_401(make_server):
    srv = make_server(labels=("alice", "carol"))
    assert httpx.get(srv.url + "/v1/models").status_code == 401  # no Authorization header at all
    for key in ("sk-sqlc-not-a-key", srv.keys["alice"] + "x"):
        with pytest.raises(openai.AuthenticationError) as e:
            srv.client(key).chat.completions.create(model="m", messages=QUESTION, max_tokens=2)
        assert e.value.body["code"] == "invalid_api_key"
    assert srv.client(srv.keys["carol"]).models.list().data
    from sqlcurate.serve.keys import KeyStore

    KeyStore(srv.store.path).revoke("carol")  # another process (the CLI) edits the file
    with pytest.raises(openai.AuthenticationError):
        srv.client(srv.keys["carol"]).models.list()
    assert srv.client(srv.keys["alice"]).models.list().data  # the others keep working
    r = httpx.post(srv.url + "/v1/chat/completions", json={"messages": QUESTION}, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401 and r.json()["error"]["type"] == "invalid_request_error"


def test_rate_limit_per_key_gives_429(make_server):
    srv = make_server(replace(Limits(), requests_per_minute=2, max_tokens=2))
    alice, bob = srv.client(srv.keys["alice"]), srv.client(srv.keys["bob"])
    for _ in range(2):
        alice.chat.completions.create(model="m", messages=QUESTION, max_tokens=2)
    with pytest.raises(openai.RateLimitError) as e:
        alice.chat.completions.create(model="m", messages=QUESTION, max_tokens=2)
    assert e.value.body["code"] == "rate_limit_exceeded" and e.value.response.headers["retry-after"] == "1"
    assert bob.chat.completions.create(model="m", messages=QUESTION, max_tokens=2).choices  # per key


def test_concurrency_limit_and_a_disconnect_frees_the_slot(make_server, slow_model):
    srv = make_server(replace(Limits(), concurrent_per_key=1, max_tokens=1500), model=slow_model)
    headers = {"Authorization": f"Bearer {srv.keys['alice']}"}
    long_prompt = {"messages": QUESTION, "stream": True, "max_tokens": 1500}  # about 3 s of decoding
    with httpx.stream("POST", srv.url + "/v1/chat/completions", json=long_prompt, headers=headers, timeout=30) as r:
        assert r.status_code == 200
        lines = r.iter_lines()
        for _ in range(3):
            assert next(lines).startswith("data: ")
            assert next(lines) == ""
        # the stream is in flight: a second request of the same key is refused
        with pytest.raises(openai.RateLimitError) as e:
            srv.client(srv.keys["alice"]).chat.completions.create(model="m", messages=QUESTION, max_tokens=2)
        assert "in flight" in e.value.body["message"]
    # leaving the `with` closed the connection mid-stream: the slot and the batch row come back
    batcher = srv.state.service.batcher
    deadline = time.monotonic() + 2
    while _in_flight(srv):
        assert time.monotonic() < deadline, "the disconnected stream still holds its slot"
        time.sleep(0.02)
    steps = batcher.steps
    time.sleep(0.3)
    assert batcher.steps - steps <= 1, "the batch still decodes for a client that left"
    assert batcher.steps < 1000, "the abandoned answer was not decoded to its end"
    # clients that hang up right after sending, before any byte of the answer: every slot comes back
    body = json.dumps(long_prompt).encode()
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", srv.port)) as raw:
            raw.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + f"Authorization: Bearer {srv.keys['alice']}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
        deadline = time.monotonic() + 5
        while _in_flight(srv) or srv.state.service.batcher.waiting.qsize():
            assert time.monotonic() < deadline, "a request whose client hung up still holds its slot"
            time.sleep(0.02)
    time.sleep(0.5)  # let the server see all three before counting
    assert _in_flight(srv) == 0 and batcher.steps < 1000, "a hung-up request was decoded to its end"
    assert srv.client(srv.keys["alice"]).chat.completions.create(model="m", messages=QUESTION, max_tokens=2).choices
    log = [json.loads(line) for line in srv.log_path.read_text().splitlines()]
    assert len(log) == 1, "the abandoned stream is not logged as an exchange"


def _in_flight(srv) -> int:
    return srv.app.state.limiter.in_flight("alice")


def test_concurrent_clients_are_batched_and_match_one_at_a_time(server, demo_model):
    questions = [[{"role": "user", "content": f"Question {i}: top {i} pools by volume?"}] for i in range(6)]
    gen = Generator(demo_model)
    expected = [gen.answer(q, max_tokens=24).texts[0] for q in questions]
    got: list[str | None] = [None] * len(questions)
    client = server.client(server.keys["bob"])

    def ask(i):
        got[i] = client.chat.completions.create(model="m", messages=questions[i], max_tokens=24).choices[0].message.content

    steps0 = server.state.service.batcher.steps
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]  # bob's concurrency limit is 4
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for i in (4, 5):
        ask(i)
    assert got == expected
    assert server.state.service.batcher.peak_rows > 1
    # 6 answers of up to 24 tokens, 4 of them decoded together: fewer steps than one at a time
    assert server.state.service.batcher.steps - steps0 < sum(len(demo_model.tokenizer.encode(t)) + 1 for t in expected)


@pytest.mark.parametrize("body, status, code", [
    ({"messages": [{"role": "user", "content": "hi\x00there"}]}, 400, "invalid_content"),
    ({"messages": [{"role": "user", "content": "bell\x07"}]}, 400, "invalid_content"),
    # a lone surrogate: the JSON parser refuses it before any tokenizer sees it
    ('{"messages": [{"role": "user", "content": "lone \\ud800 surrogate"}]}', 400, "invalid_request"),
    ({"messages": ["just a string"]}, 400, "invalid_request"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": "x"}]}]}, 400, "invalid_content"),
    ({"messages": [{"role": "assistant", "content": "hi"}]}, 400, "invalid_conversation"),
    ({"messages": [{"role": "tool", "content": "hi"}]}, 400, "invalid_message"),
    ({"messages": []}, 400, "invalid_request"),
    ({"messages": QUESTION, "max_tokens": 100000}, 400, "max_tokens_too_large"),
    ({"messages": QUESTION, "n": 3}, 400, "invalid_request"),
    ({"messages": [{"role": "user", "content": "x " * 2000}]}, 400, "context_length_exceeded"),
])
def test_bad_requests_get_openai_errors(server, body, status, code):
    headers = {"Authorization": f"Bearer {server.keys['alice']}"}
    if isinstance(body, str):
        r = httpx.post(server.url + "/v1/chat/completions", content=body.encode(), headers=headers)
    else:
        r = httpx.post(server.url + "/v1/chat/completions", json=body, headers=headers)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and set(r.json()["error"]) == {"message", "type", "param", "code"}


def test_oversized_bodies_are_refused(server):
    headers = {"Authorization": f"Bearer {server.keys['alice']}", "Content-Type": "application/json"}
    big = json.dumps({"messages": [{"role": "user", "content": "a" * 70_000}]})
    r = httpx.post(server.url + "/v1/chat/completions", content=big, headers=headers)
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_too_large"

    def chunks():  # no Content-Length: counted while read
        for _ in range(70):
            yield b"a" * 1024

    r = httpx.post(server.url + "/v1/chat/completions", content=chunks(), headers=headers)
    assert r.status_code == 413


@pytest.mark.parametrize("path", ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2fetc/passwd",
                                  "/page.html", "/..%5c..%5cserve%5ckeys.py", "/v1/../keys.json"])
def test_no_route_serves_files(server, path):
    r = httpx.get(server.url + path)
    assert r.status_code == 404 or (r.status_code == 200 and r.text.startswith("<!doctype html>")), path
    assert "root:" not in r.text and "sha256" not in r.text


def test_log_holds_labels_and_redacted_prompts_never_keys(server):
    key = server.keys["alice"]
    secret = "AKIAIOSFODNN7EXAMPLE"
    client = server.client(key)
    resp = client.chat.completions.create(model="m", messages=[{"role": "user", "content": f"my key is {key} and aws {secret}"}],
                                          max_tokens=2)
    text = server.log_path.read_text()
    assert key not in text and secret not in text
    record = next(json.loads(line) for line in text.splitlines() if json.loads(line)["id"] == resp.id)
    assert record["key"] == "alice" and record["kind"] == "exchange"
    assert "<API_KEY_1>" in record["messages"][0]["content"]


def test_feedback_is_logged_and_its_sql_checked(server):
    client = server.client(server.keys["bob"])
    resp = client.chat.completions.create(model="m", messages=QUESTION, max_tokens=4)
    headers = {"Authorization": f"Bearer {server.keys['bob']}"}
    r = httpx.post(server.url + "/v1/feedback", headers=headers,
                   json={"id": resp.id, "rating": "down", "corrected_sql": "SELECT TOP 5 * FROM dex.trades"})
    assert r.status_code == 200
    assert r.json()["corrected_sql_verdict"]["checks"]["sql"]["ok"] is False  # T-SQL, flagged at once
    assert httpx.post(server.url + "/v1/feedback", headers=headers, json={"id": "chatcmpl-nope", "rating": "up"}).status_code == 404
    assert httpx.post(server.url + "/v1/feedback", headers=headers, json={"id": resp.id, "rating": "meh"}).status_code == 400
    assert httpx.post(server.url + "/v1/feedback", json={"id": resp.id, "rating": "up"}).status_code == 401
    lines = [json.loads(line) for line in server.log_path.read_text().splitlines()]
    fb = [rec for rec in lines if rec["kind"] == "feedback" and rec["id"] == resp.id]
    assert fb == [{**fb[0], "key": "bob", "rating": "down", "corrected_sql": "SELECT TOP 5 * FROM dex.trades"}]


def test_healthz_and_page_need_no_key(server):
    assert httpx.get(server.url + "/healthz").json()["status"] == "ok"
    page = httpx.get(server.url + "/")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers and "/v1/feedback" in page.text


def test_a_failing_model_answers_500_and_the_server_keeps_serving(make_server, demo_model):
    from sqlcurate.eval.generate import LoadedModel

    class Broken(torch.nn.Module):
        """The demo model, failing (a real exception in the worker) once a row's cache passes 40 positions."""

        def __init__(self, inner):
            super().__init__()
            self.inner, self.config = inner, inner.config

        def get_device(self):
            return self.inner.get_device()

        def forward(self, idx, kv_cache=None):
            if kv_cache is not None and kv_cache.length >= 40:
                raise RuntimeError("CUDA error: out of memory (simulated)")
            return self.inner(idx, kv_cache=kv_cache)

    broken = LoadedModel(Broken(demo_model.model), demo_model.tokenizer, demo_model.directory, 7, "", {})
    srv = make_server(replace(Limits(), max_tokens=200), model=broken)
    client = srv.client(srv.keys["alice"])
    with pytest.raises(openai.InternalServerError) as e:
        client.chat.completions.create(model="m", messages=QUESTION, max_tokens=200)
    assert e.value.body["code"] == "generation_failed" and "out of memory" in e.value.body["message"]
    headers = {"Authorization": f"Bearer {srv.keys['alice']}"}
    with httpx.stream("POST", srv.url + "/v1/chat/completions", headers=headers,
                      json={"messages": QUESTION, "max_tokens": 200, "stream": True}) as r:
        events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: {")]
    assert events[-1]["error"]["code"] == "generation_failed"
    assert client.chat.completions.create(model="m", messages=QUESTION, max_tokens=4).choices  # short: fine
    assert srv.app.state.limiter.in_flight("alice") == 0
