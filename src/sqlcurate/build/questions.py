"""The question writer: 1-3 questions in an analyst's words for a query that the log has none for, asked
of any OpenAI-compatible chat endpoint (``POST {url}/chat/completions``).

The prompt is ``prompts/questions.md`` (placeholders ``{{sql}}``, ``{{tables}}``, ``{{sample}}``,
``{{count}}``): the SQL, the catalog's table and column comments, and a few result rows run through the
sandboxed ``QueryRunner`` when sample data is there.

The reply is untrusted text: it is read up to ``MAX_REPLY_BYTES``, must be a chat completion, and each
line becomes a question only when it is short plain prose; anything else is a reason code for that
template (which then keeps its description and stays held for review). An endpoint that cannot be reached
or refuses the key stops the build: every later call would fail the same way.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from importlib import resources

from sqlcurate.errors import SqlcurateError
from sqlcurate.findings import Finding

CODES = {
    "QUESTION_MODEL_UNREACHABLE": "the question model's endpoint cannot be reached or refused the request (stops the build)",
    "QUESTION_MODEL_BAD_URL": "--question-model is not an http(s) URL (stops the build)",
    "QUESTION_MODEL_BAD_REPLY": "the question model's reply is not a chat completion (the template keeps its description)",
    "QUESTION_MODEL_NO_QUESTION": "the question model's reply holds no usable question (the template keeps its description)",
}
MAX_REPLY_BYTES = 64 * 1024
MAX_QUESTIONS = 3
MAX_QUESTION_CHARS = 300
_NUMBERING = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s*")
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
_NOT_PROSE = re.compile(r"^(?:select|with\s+\w+\s+as|insert|update|delete|create|drop|alter)\b|\bselect\b.+\bfrom\b|`", re.I)


def prompt_template() -> str:
    return resources.files("sqlcurate.build").joinpath("prompts/questions.md").read_text(encoding="utf-8")


def render_prompt(sql: str, tables: list[str], sample: list[str], count: int = MAX_QUESTIONS) -> str:
    fills = {"sql": sql.strip(), "tables": "\n".join(tables) or "(not in the catalog)",
             "sample": "\n".join(sample) or "(no sample data)", "count": str(count)}
    text = prompt_template()
    for name, value in fills.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def parse_questions(content: str) -> list[str]:
    """Lines of the reply that can be questions: numbering and quotes taken off, code and SQL refused."""
    out: list[str] = []
    for line in _FENCE.sub("\n", content).splitlines():
        q = _NUMBERING.sub("", line).strip().strip('"\u201c\u201d').strip()
        if q and len(q) <= MAX_QUESTION_CHARS and not _NOT_PROSE.search(q) and q not in out:
            out.append(q)
    return out[:MAX_QUESTIONS]


@dataclass
class QuestionWriter:
    url: str  # the API base, e.g. http://127.0.0.1:8000/v1 (or the full .../chat/completions)
    model: str
    api_key: str = ""
    timeout_s: float = 60.0

    def __post_init__(self) -> None:
        if urllib.parse.urlsplit(self.url).scheme not in ("http", "https"):  # urllib would also open file:// URLs
            raise SqlcurateError("QUESTION_MODEL_BAD_URL", f"--question-model {self.url!r}: expected an http:// or https:// URL")

    @property
    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/chat/completions") else base + "/chat/completions"

    def complete(self, prompt: str) -> str:
        """The assistant text of one chat completion; raises SqlcurateError when the endpoint fails."""
        body = json.dumps({"model": self.model, "temperature": 0,
                           "messages": [{"role": "user", "content": prompt}]}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310 - a URL the user gave
                raw = response.read(MAX_REPLY_BYTES + 1)
        except urllib.error.HTTPError as e:
            raise SqlcurateError("QUESTION_MODEL_UNREACHABLE", f"{self.endpoint}: HTTP {e.code} {e.reason}") from None
        except (urllib.error.URLError, OSError) as e:
            raise SqlcurateError("QUESTION_MODEL_UNREACHABLE", f"{self.endpoint}: {getattr(e, 'reason', e)}") from None
        if len(raw) > MAX_REPLY_BYTES:
            raise ValueError(f"reply longer than {MAX_REPLY_BYTES} bytes")
        reply = json.loads(raw)
        content = reply["choices"][0]["message"]["content"]
        if not isinstance(content, str):
            raise ValueError("message content is not text")
        return content

    def questions(self, sql: str, tables: list[str], sample: list[str]) -> tuple[list[str], Finding | None]:
        """(questions, None), or ([], why not) for one template."""
        try:
            content = self.complete(render_prompt(sql, tables, sample))
        except (ValueError, KeyError, IndexError, TypeError) as e:  # json.JSONDecodeError is a ValueError
            return [], Finding("QUESTION_MODEL_BAD_REPLY", f"{type(e).__name__}: {str(e)[:200]}")
        found = parse_questions(content)
        return (found, None) if found else ([], Finding("QUESTION_MODEL_NO_QUESTION", f"reply: {content[:200]!r}"))
