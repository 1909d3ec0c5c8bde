"""Helpers for the conversation-file tests: a mixed-format file with one defect per bad line, and a loader
that applies nanochat v1 CustomJSON's rules to a file (what nanochat would do when it loads our output)."""

from __future__ import annotations

import json
from pathlib import Path

GOOD = [{"role": "user", "content": "How many orders yesterday?"},
         {"role": "assistant", "content": "```sql\nSELECT count() FROM shop.orders WHERE toDate(ts) = yesterday()\n```"}]


def _j(value) -> bytes:
    return json.dumps(value).encode()


def u(text: str) -> dict:
    return {"role": "user", "content": text}


def a(text: str) -> dict:
    return {"role": "assistant", "content": text}


# (raw line without its LF, expected code or None for a clean line, kept?)
MIXED_LINES: list[tuple[bytes, str | None, bool]] = [
    (b"\xef\xbb\xbf" + _j(GOOD), "LINE_BOM", True),
    (_j({"messages": [{"role": "system", "content": "You write ClickHouse SQL."}, u("q1"), {**a("a1"), "name": "bot"}],
         "id": "row-2", "metadata": {"source": "support"}}), None, True),
    (b"", None, False),  # blank
    (_j({"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}], "id": 4}), None, True),
    (_j({"instruction": "Count rows", "input": "table t", "output": "SELECT count() FROM t"}), None, True),
    (_j(GOOD) + b"\r", "LINE_CRLF", True),  # the LF is added when the file is written
    (b'[{"role": "user", "content": "q"},', "LINE_INVALID_JSON", False),
    (b"42", "LINE_WRONG_TYPE", False),
    (b'[{"role": "user", "content": "caf\xe9"}, {"role": "assistant", "content": "a"}]', "LINE_INVALID_UTF8", False),
    (b"[" * 100_000 + b"]" * 100_000, "LINE_TOO_DEEP", False),
    (_j({"text": "q"}), "FORMAT_UNKNOWN", False),  # TRL language modeling: no turns to train
    (_j({"prompt": "q", "completion": "a"}), None, True),  # TRL prompt/completion
    (_j({"messages": [u("<image>Who is he?"), a("a")], "images": ["1.jpg"]}), "MEDIA_UNSUPPORTED", False),
    (_j({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}, a("a")]}),
     "MEDIA_UNSUPPORTED", False),
    (_j({"conversations": [{"from": "human", "value": "q"}, {"from": "function_call", "value": "{}"}]}),
     "TOOL_ROLE_UNSUPPORTED", False),
    (_j({"conversations": [{"from": "human", "value": "q"}], "chosen": {"from": "gpt", "value": "a"},
         "rejected": {"from": "gpt", "value": "b"}}), "PREFERENCE_PAIR", False),
    (_j({"messages": [u("q"), a("a")], "label": False}), "KTO_UNDESIRABLE", False),
    (_j({"messages": [u("q"), {**a("a"), "weight": 0.5}]}), "TRAIN_FLAG_INVALID", False),
    (_j({"messages": [u("q"), {**a("a"), "weight": 0}]}), "NOTHING_TRAINED", False),
    (_j({"instruction": "q"}), "FORMAT_MISSING_FIELD", False),
    (_j({"instruction": "q", "input": 3, "output": "a"}), "FORMAT_FIELD_TYPE", False),
    (_j({"messages": "hello"}), "NOT_A_LIST", False),
    (_j([u("q"), "a"]), "MESSAGE_NOT_OBJECT", False),
    (_j([{"content": "q"}, a("a")]), "MISSING_ROLE", False),
    (_j([u("q"), {"role": "assistant"}]), "MISSING_CONTENT", False),
    (_j([u("q"), {"role": "tool", "content": "x"}]), "TOOL_ROLE_UNSUPPORTED", False),
    (_j([u("q"), {"role": "critic", "content": "x"}]), "BAD_ROLE", False),
    (_j([u("q"), {"role": "assistant", "content": ["part"]}]), "CONTENT_NOT_STRING", False),
    (_j([u("   "), a("a")]), "EMPTY_CONTENT", False),
    (_j([u("q\x00"), a("a")]), "CONTROL_CHAR", False),
    (b'[{"role": "user", "content": "q\\ud800"}, {"role": "assistant", "content": "a"}]', "UNPAIRED_SURROGATE", False),
    (_j([u("q"), {"role": "system", "content": "s"}, a("a")]), "SYSTEM_NOT_FIRST", False),
    (_j([u("q")]), "TOO_FEW_TURNS", False),
    (_j([a("a"), u("q")]), "BAD_ALTERNATION", False),
    (_j([u("q"), a("a"), u("q2")]), "LAST_NOT_ASSISTANT", False),
    (b"   \t", None, False),  # blank: whitespace only
    (_j(GOOD), None, True),
]



def load_customjson(path: Path) -> list[list[dict]]:
    """nanochat v1 CustomJSON's loading rules, applied as it applies them: skip blank lines, each line a
    JSON list of >= 2 messages, roles alternating user/assistant from the user, content a string."""
    conversations = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            messages = json.loads(line)
            assert isinstance(messages, list), f"Expected list of messages, got {type(messages)}"
            assert len(messages) >= 2, f"Conversation must have at least 2 messages, got {len(messages)}"
            for i, message in enumerate(messages):
                assert "role" in message and "content" in message, f"Message {i} lacks role or content"
                expected = "user" if i % 2 == 0 else "assistant"
                assert message["role"] == expected, f"Message {i} has role {message['role']} but should be {expected}"
                assert isinstance(message["content"], str), f"Message {i} content must be a string"
            conversations.append(messages)
    return conversations


def count_lines(path: Path) -> int:
    """What `wc -l` prints."""
    return path.read_bytes().count(b"\n")
