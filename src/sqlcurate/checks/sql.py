"""The SQL check: every query an assistant writes is ClickHouse, and canonical ClickHouse at that.

For each SQL span (``sqlcurate.sql.extract``) it reads the one cached analysis (``sqlcurate.sql.transpile
.analyze``: parse once, detect, transpile) and answers:

- the query does not parse -> ``SQL_PARSE_ERROR``;
- it is written in another dialect -> ``SQL_FOREIGN_DIALECT`` with the evidence ("T-SQL: TOP at 1:8,
  GETDATE() at 1:40") and the ClickHouse rewrite;
- ClickHouse accepts it but the training target is written differently (``SELECT TOP 10``) ->
  ``SQL_NONCANONICAL``;
- it cannot be rewritten faithfully -> ``SQL_UNTRANSPILABLE``.

With ``fix=True`` the foreign and non-canonical queries are rewritten in place (a ``Change`` per query)
and only what could not be fixed is reported.
"""

from __future__ import annotations

from sqlcurate.checks.base import Change, Check, Item
from sqlcurate.conversation import Conversation, Message
from sqlcurate.findings import Finding
from sqlcurate.sql.dialects import DISPLAY, normalize_dialect
from sqlcurate.sql.extract import SqlSpan, extract_from_conversation, replace_spans
from sqlcurate.sql.fingerprint import template
from sqlcurate.sql.transpile import Analysis, analyze, tune_gc

CODES = {
    "SQL_PARSE_ERROR": "a query in an assistant message does not parse",
    "SQL_FOREIGN_DIALECT": "a query is written in another SQL dialect (evidence and ClickHouse rewrite given)",
    "SQL_NONCANONICAL": "ClickHouse accepts the query, but the training target is written differently (e.g. TOP n -> LIMIT n)",
    "SQL_UNTRANSPILABLE": "a query in another dialect has no faithful ClickHouse rewrite",
}

_SHOWN = 160  # characters of a rewrite shown in a finding


def _short(sql: str) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= _SHOWN else flat[: _SHOWN - 3] + "..."


class SqlCheck(Check):
    name = "sql"
    CODES = CODES

    def __init__(self, source_dialect: str | None = None, fix: bool = False, roles: tuple[str, ...] = ("assistant",)):
        self.source = normalize_dialect(source_dialect) if source_dialect else None
        self.fix = fix
        self.roles = roles
        tune_gc()  # the process now analyses many queries: see transpile.tune_gc

    def _verdict(self, a: Analysis) -> tuple[str, str] | None:
        """(code, message) for one analysed query, or None if it is canonical ClickHouse."""
        if a.parse_error:
            return "SQL_PARSE_ERROR", a.parse_error
        if a.source == "clickhouse":
            return None
        evidence = a.detection.describe() if a.detection.evidence and a.detection.dialect == a.source else ""
        if a.untranspilable:
            return "SQL_UNTRANSPILABLE", f"{evidence or DISPLAY[a.source]}; cannot rewrite faithfully: {a.untranspilable}"
        rewritten = a.rewritten()
        assert rewritten is not None
        if a.declared and not a.detection.evidence and template(a.sql, a.source) == template(rewritten):
            return None  # declared as another dialect, but written the same way in ClickHouse
        if a.detection.foreign or (a.declared and not a.detection.noncanonical):
            why = evidence or f"declared {DISPLAY[a.source]}"
            return "SQL_FOREIGN_DIALECT", f"{why}; ClickHouse: {_short(rewritten)}"
        return "SQL_NONCANONICAL", f"{evidence}; canonical ClickHouse: {_short(rewritten)}"

    def findings(self, item: Item) -> list[Finding]:
        out: list[Finding] = []
        fixes: dict[int, list[tuple[SqlSpan, str]]] = {}
        for span in extract_from_conversation(item.conversation, roles=self.roles):
            a = analyze(span.sql, self.source)
            verdict = self._verdict(a)
            if verdict is None:
                continue
            code, message = verdict
            if self.fix and code in ("SQL_FOREIGN_DIALECT", "SQL_NONCANONICAL"):
                new = a.rewritten()
                fixes.setdefault(span.message_index, []).append((span, new))
                item.changes.append(Change(self.name, code, span.sql, new))
                continue
            out.append(Finding(code, f"message {span.message_index} ({span.kind} query at offset {span.start}): {message}"))
        if fixes:
            messages = list(item.conversation.messages)
            for index, replacements in fixes.items():
                m = messages[index]
                messages[index] = Message(role=m.role, content=replace_spans(m.content, replacements))
            item.conversation = Conversation(messages=messages, meta=item.conversation.meta)
        return out
