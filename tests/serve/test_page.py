"""The analyst page in a real headless Chromium, driven over the W3C WebDriver protocol (chromedriver)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium and chromedriver are not installed "
                                "(.ci/run installs them: apt-get install chromium chromium-driver)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]


class Browser:
    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.driver = subprocess.Popen([DRIVER, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(self.url + "/status").json()["value"]["ready"]:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "chromedriver did not start"
                time.sleep(0.1)
        caps = {"browserName": "chrome", "goog:chromeOptions": {"binary": CHROMIUM, "args": FLAGS}}
        self.sid = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})["sessionId"]

    def _call(self, method: str, path: str, body: dict | None = None):
        r = httpx.request(method, self.url + path, json=body, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()["value"]

    def do(self, method: str, path: str, body: dict | None = None):
        return self._call(method, f"/session/{self.sid}{path}", body)

    def find(self, css: str) -> str:
        return next(iter(self.do("POST", "/element", {"using": "css selector", "value": css}).values()))

    def type(self, css: str, text: str) -> None:
        self.do("POST", f"/element/{self.find(css)}/value", {"text": text})

    def click(self, css: str) -> None:
        self.do("POST", f"/element/{self.find(css)}/click", {})

    def js(self, script: str, *args):
        return self.do("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait_status(self, expected: str) -> str:
        deadline = time.monotonic() + 20
        while (status := self.js("return document.getElementById('status').textContent")) and not status.startswith(expected):
            assert time.monotonic() < deadline, f"status stayed {status!r}"
            time.sleep(0.1)
        return status

    def quit(self) -> None:
        try:
            self.do("DELETE", "")
        finally:
            self.driver.terminate()
            self.driver.wait(10)


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.quit()


def log_records(server) -> list[dict]:
    return [json.loads(line) for line in server.log_path.read_text().splitlines()]


def test_ask_rate_and_correct_from_the_page(browser, server):
    browser.do("POST", "/url", {"url": server.url + "/"})
    browser.type("#key", server.keys["alice"])
    browser.type("#question", "How many trades per day?")
    browser.click("#send")
    browser.wait_status("done")
    answer = browser.js("return document.querySelector('.turn.assistant').innerText")
    verdict = browser.js("return document.querySelector('.turn.assistant .verdict').textContent")
    exchange = [r for r in log_records(server) if r["kind"] == "exchange"][-1]
    assert exchange["messages"] == [{"role": "user", "content": "How many trades per day?"}] and exchange["key"] == "alice"
    assert exchange["answer"].split()[:3] == answer.split()[:3]
    assert verdict == ("no SQL in this answer" if not exchange["verdict"]["has_sql"] else verdict)

    browser.click(".actions button[data-rating='up']")
    browser.wait_status("thanks")
    browser.click(".actions button.correct")
    browser.js("document.querySelector('textarea.corrected').value = ''")
    browser.type("textarea.corrected", "SELECT toDate(ts) AS day, count() FROM dex.trades GROUP BY day")
    browser.js("document.getElementById('status').textContent = ''")
    browser.click(".actions button.send-correction")
    assert browser.wait_status("thanks") == "thanks: feedback recorded; your SQL: sql ok"  # checked at once
    feedback = [r for r in log_records(server) if r["kind"] == "feedback" and r["id"] == exchange["id"]]
    assert [(f["rating"], f["corrected_sql"]) for f in feedback] == [
        ("up", None), ("down", "SELECT toDate(ts) AS day, count() FROM dex.trades GROUP BY day")]


def test_page_highlights_sql_and_never_renders_model_html(browser, server):
    browser.do("POST", "/url", {"url": server.url + "/"})
    html = browser.js("const d = document.createElement('div');"
                      "render(d, 'Try <img src=x onerror=alert(1)>:\\n```sql\\nSELECT count() FROM t WHERE a = \\'<b>\\'\\n```');"
                      "return d.innerHTML")
    assert "<img" not in html and "&lt;img" in html
    assert '<span class="kw">SELECT</span>' in html and "&lt;b&gt;" in html


def test_a_wrong_key_shows_the_error(browser, server):
    browser.do("POST", "/url", {"url": server.url + "/"})
    browser.type("#key", "sk-sqlc-wrong")
    browser.type("#question", "hello")
    browser.click("#send")
    assert "valid API key is required" in browser.wait_status("error")
