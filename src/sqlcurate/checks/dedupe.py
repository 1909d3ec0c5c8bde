"""Dedupe: drop a conversation already seen, exactly or as the same SQL template.

- ``DEDUPE_EXACT``: the same messages (roles and contents, whitespace-trimmed) as a kept row.
- ``DEDUPE_TEMPLATE``: the same task and the same assistant SQL templates (``sqlcurate.sql.fingerprint``:
  literals out, case and spacing normalized) as ``max_per_template`` kept rows. Rows without SQL are
  only deduped exactly. The task (``meta["task"]``) is part of the key, so a query-log pair and its
  dialect-contrast pair, which share the answer, are not duplicates of each other; so is the question
  slot (``meta["question_slot"]``: a template asked in several reviewed or machine-written wordings has
  one pair per wording).

Modes (``--dedupe`` on validate/convert; build uses ``sql-template``):
- ``exact``: only DEDUPE_EXACT.
- ``normalized``: DEDUPE_NORMALIZED, the same messages up to case and runs of whitespace.
- ``sql-template``: DEDUPE_EXACT, then DEDUPE_TEMPLATE.

Stateful across items: one instance per run, items in a fixed order, so the first row wins. Memory: one
16-byte digest and a line number per kept row.
"""

from __future__ import annotations

import hashlib
import json
import re

from sqlcurate.checks.base import Check, Item
from sqlcurate.findings import Finding
from sqlcurate.sql.extract import extract_from_conversation
from sqlcurate.sql.fingerprint import fingerprint

CODES = {
    "DEDUPE_EXACT": "the same conversation as an earlier row",
    "DEDUPE_TEMPLATE": "the same task and SQL template as an earlier row (literals differ at most)",
    "DEDUPE_NORMALIZED": "the same conversation as an earlier row up to letter case and whitespace",
}
MODES = ("exact", "normalized", "sql-template")
_SPACE = re.compile(r"\s+")


class DedupeCheck(Check):
    name = "dedupe"
    CODES = CODES

    def __init__(self, max_per_template: int = 1, mode: str = "sql-template"):
        assert max_per_template >= 1, "max_per_template must be at least 1"
        assert mode in MODES, f"unknown dedupe mode {mode!r}; expected one of {MODES}"
        self.max_per_template, self.mode = max_per_template, mode
        self.exact: dict[bytes, int] = {}  # message digest -> line of the kept row
        self.templates: dict[tuple, list[int]] = {}

    def findings(self, item: Item) -> list[Finding]:
        normalized = self.mode == "normalized"
        messages = [(m.role, _SPACE.sub(" ", m.content.strip()).casefold() if normalized else m.content.strip(),
                     m.trained) for m in item.conversation.messages]
        key = hashlib.blake2b(json.dumps(messages, ensure_ascii=False).encode("utf-8", "surrogatepass"),
                              digest_size=16).digest()
        if key in self.exact:
            code = "DEDUPE_NORMALIZED" if normalized else "DEDUPE_EXACT"
            return [Finding(code, f"same messages as row {self.exact[key]}")]
        if self.mode != "sql-template":
            self.exact[key] = item.line
            return []
        templates = tuple(fingerprint(s.sql) for s in extract_from_conversation(item.conversation))
        if templates:
            meta = item.conversation.meta
            tkey = (meta.get("task", ""), meta.get("question_slot", 0), templates)
            kept = self.templates.setdefault(tkey, [])
            if len(kept) >= self.max_per_template:
                return [Finding("DEDUPE_TEMPLATE", f"same task and SQL template {','.join(templates)} as row {kept[0]}")]
            kept.append(item.line)
        self.exact[key] = item.line
        return []
