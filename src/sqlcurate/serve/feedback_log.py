"""The feedback log: every exchange and every rating, one JSON object per line, appended crash-safely.

Each line is written with a single ``write`` on a file opened ``O_APPEND`` and fsynced before the
request is answered, so a crash loses at most the line being written and never tears an earlier one
(``sqlcurate pull feedback`` reports a torn last line and goes on). Secrets and personal data are
redacted (``sqlcurate.sql.redact``) before a line is written; the API key never is: a line holds the
key's label.

    {"kind": "exchange", "id": "chatcmpl-...", "time": ..., "key": "alice", "model": ..., "messages": [...],
     "answer": "...", "verdict": {...}, "finish_reason": "stop", "usage": {...}}
    {"kind": "feedback", "id": "chatcmpl-...", "time": ..., "key": "alice", "rating": "up" | "down",
     "corrected_sql": "..." | null, "comment": "..."}
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from sqlcurate.sql.redact import Placeholders, redact_conversation, redact_meta


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class FeedbackLog:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._lock = threading.Lock()
        self.ids: set[str] = set()  # exchanges of this process, that feedback may refer to
        self.ids.update(_exchange_ids(self.path))

    def _append(self, record: dict) -> None:
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            os.write(self._fd, line)
            os.fsync(self._fd)

    def exchange(self, id: str, key: str, model: str, messages: list[dict], answer: str, verdict: dict,
                 finish_reason: str, usage: dict) -> None:
        convo, _ = redact_conversation([*messages, {"role": "assistant", "content": answer}])
        placeholders = Placeholders()
        verdict, _ = redact_meta(verdict, placeholders)
        self._append({"kind": "exchange", "id": id, "time": now(), "key": key, "model": model,
                      "messages": convo[:-1], "answer": convo[-1]["content"], "verdict": verdict,
                      "finish_reason": finish_reason, "usage": usage})
        self.ids.add(id)

    def feedback(self, id: str, key: str, rating: str, corrected_sql: str | None, comment: str) -> None:
        fields, _ = redact_meta({"corrected_sql": corrected_sql, "comment": comment}, Placeholders())
        self._append({"kind": "feedback", "id": id, "time": now(), "key": key, "rating": rating, **fields})

    def close(self) -> None:
        os.close(self._fd)


def _exchange_ids(path: Path) -> set[str]:
    """Ids of the exchanges already in the log (a restarted server still takes feedback on them)."""
    ids: set[str] = set()
    if not path.is_file():
        return ids
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a torn line; `pull feedback` reports it
            if isinstance(record, dict) and record.get("kind") == "exchange":
                ids.add(str(record.get("id")))
    return ids
