"""Dedupe: drop a conversation already seen, exactly or as the same SQL template.

- ``DEDUPE_EXACT``: the same messages (roles and contents, whitespace-trimmed) as a kept row.
- ``DEDUPE_TEMPLATE``: the same task and the same assistant SQL templates (``sqlcurate.sql.fingerprint``:
  literals out, case and spacing normalized) as ``max_per_template`` kept rows. Rows without SQL are
  only deduped exactly. The task (``meta["task"]``) is part of the key, so a query-log pair and its
  dialect-contrast pair, which share the answer, are not duplicates of each other; so is the question
  slot (``meta["question_slot"]``: a template asked in several reviewed or machine-written wordings has
  one pair per wording).

Stateful across items: one instance per build run, items in a fixed order, so the first row wins.
"""

from __future__ import annotations

import hashlib
import json

from sqlcurate.checks.base import Check, Item
from sqlcurate.findings import Finding
from sqlcurate.sql.extract import extract_from_conversation
from sqlcurate.sql.fingerprint import fingerprint

CODES = {
    "DEDUPE_EXACT": "the same conversation as an earlier row",
    "DEDUPE_TEMPLATE": "the same task and SQL template as an earlier row (literals differ at most)",
}


class DedupeCheck(Check):
    name = "dedupe"
    CODES = CODES

    def __init__(self, max_per_template: int = 1):
        assert max_per_template >= 1, "max_per_template must be at least 1"
        self.max_per_template = max_per_template
        self.exact: dict[str, int] = {}  # message hash -> line of the kept row
        self.templates: dict[tuple, list[int]] = {}

    def findings(self, item: Item) -> list[Finding]:
        messages = [(m.role, m.content.strip()) for m in item.conversation.messages]
        key = hashlib.blake2b(json.dumps(messages, ensure_ascii=False).encode(), digest_size=16).hexdigest()
        if key in self.exact:
            return [Finding("DEDUPE_EXACT", f"same messages as row {self.exact[key]}")]
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
