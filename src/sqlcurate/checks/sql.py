"""The SQL check: every query an assistant writes is ClickHouse, and canonical ClickHouse at that.

For each SQL span (``sqlcurate.sql.extract``) it reads the one cached analysis (``sqlcurate.sql.transpile
.analyze``: parse once, detect, transpile) and answers:

- the query does not parse -> ``SQL_PARSE_ERROR``;
- it is written in another dialect -> ``SQL_FOREIGN_DIALECT`` with the evidence ("T-SQL: TOP at 1:8,
  GETDATE() at 1:40") and the ClickHouse rewrite;
- ClickHouse accepts it but the training target is written differently (``SELECT TOP 10``) ->
  ``SQL_NONCANONICAL``;
- it cannot be rewritten faithfully -> ``SQL_UNTRANSPILABLE``.

ClickHouse's own parser is the authority on ClickHouse (``sqlcurate.sql.native``, when the embedded
engine is installed): a query sqlglot cannot parse but ClickHouse can (``GROUP BY toYear(t) AS year``,
``LIMIT 1 BY k LIMIT 50``) is no parse error, and a query whose only foreign evidence is syntax
ClickHouse reads the same way (``dialects.NATIVE_WHEN_PARSED``: ``INTERVAL '7 days'``, ``x::Int32``, its
own ``flatten()``) is ClickHouse when the engine parses it and knows every function and type it names.

With ``fix=True`` the foreign and non-canonical queries are rewritten in place (a ``Change`` per query;
dropped query hints are ``SQL_HINT_DROPPED`` changes), each rewrite first proven by ClickHouse's parser
and function list (``SQL_OUTPUT_REJECTED`` if it fails); only what could not be fixed is reported.
"""

from __future__ import annotations

from sqlcurate.checks.base import Change, Check, Item
from sqlcurate.conversation import Conversation, Message
from sqlcurate.findings import Finding
from sqlcurate.sql.dialects import (
    DISPLAY,
    HINT,
    NATIVE_WHEN_PARSED,
    NATIVE_WHEN_SOURCE_FAILS,
    normalize_dialect,
)
from sqlcurate.sql.extract import SqlSpan, extract_from_conversation, replace_spans
from sqlcurate.sql.fingerprint import template
from sqlcurate.sql.native import NativeParser, engine_available, shared_parser
from sqlcurate.sql.transpile import Analysis, TranspileError, analyze, split_statements, tune_gc

CODES = {
    "SQL_PARSE_ERROR": "a query in an assistant message does not parse",
    "SQL_FOREIGN_DIALECT": "a query is written in another SQL dialect (evidence and ClickHouse rewrite given)",
    "SQL_NONCANONICAL": "ClickHouse accepts the query, but the training target is written differently (e.g. TOP n -> LIMIT n)",
    "SQL_UNTRANSPILABLE": "a query in another dialect has no faithful ClickHouse rewrite",
    "SQL_TOO_DEEP": "a query nests parentheses, or its parsed tree, deeper than we accept (sqlcurate.sql.transpile.MAX_NESTING, MAX_DEPTH)",
    "SQL_INTERNAL_ERROR": "sqlglot or a rewrite failed on the query (a bug to report; the query is named)",
    "SQL_OUTPUT_REJECTED": "ClickHouse's parser or function list rejects the ClickHouse rewrite (the engine's message given)",
}

_SHOWN = 160  # characters of a rewrite shown in a finding


def _short(sql: str) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= _SHOWN else flat[: _SHOWN - 3] + "..."


class SqlCheck(Check):
    name = "sql"
    CODES = CODES

    def __init__(self, source_dialect: str | None = None, fix: bool = False, roles: tuple[str, ...] = ("assistant",),
                 native: bool | None = None):
        """``native``: ask ClickHouse's own parser (None: when the embedded engine is installed; it is
        opened on the first query that needs it)."""
        self.source = normalize_dialect(source_dialect) if source_dialect else None
        self.fix = fix
        self.roles = roles
        self.native = engine_available() if native is None else native
        self._parser: NativeParser | None = None
        tune_gc()  # the process now analyses many queries: see transpile.tune_gc

    def _native_error(self, sql: str) -> str | None:
        """None if ClickHouse parses every statement of ``sql`` and knows what it names, else why not
        ("" when the engine is not used)."""
        if not self.native:
            return ""
        if self._parser is None:
            self._parser = shared_parser()
            if self._parser is None:  # installed but not importable after all: the check goes on without it
                self.native = False
                return ""
        try:
            statements = split_statements(sql, "clickhouse")
        except TranspileError as e:
            return str(e)
        for st in statements:
            verdict = self._parser.check(st.sql)
            if not verdict.ok:
                return verdict.error
        return None

    @staticmethod
    def _only_native_evidence(a: Analysis) -> bool:
        """The query's foreign evidence is all syntax ClickHouse reads with the same meaning."""
        strong = [e for e in a.detection.evidence if e.standing != HINT]
        allowed = NATIVE_WHEN_SOURCE_FAILS if a.parse_error else NATIVE_WHEN_PARSED
        return bool(strong) and all(e.label in allowed for e in strong)

    def _verdict(self, a: Analysis) -> tuple[str, str] | None:
        """(code, message) for one analysed query, or None if it is canonical ClickHouse."""
        if a.too_deep:
            return "SQL_TOO_DEEP", a.too_deep
        if a.internal_error:
            return "SQL_INTERNAL_ERROR", a.internal_error
        native_candidate = a.source == "clickhouse" or (not a.declared and self._only_native_evidence(a))
        if native_candidate and (a.parse_error or a.source != "clickhouse") and self._native_error(a.sql) is None:
            return None  # ClickHouse's own parser accepts it, with the meaning its author gave it
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
                rejected = self._native_error(new)
                if rejected:
                    code, message = "SQL_OUTPUT_REJECTED", f"ClickHouse rejects the rewrite: {rejected}; rewrite: {_short(new)}"
                else:
                    fixes.setdefault(span.message_index, []).append((span, new))
                    item.changes.append(Change(self.name, code, span.sql, new))
                    item.changes.extend(Change(self.name, "SQL_HINT_DROPPED", note, "") for note in a.notes)
                    continue
            out.append(Finding(code, f"message {span.message_index} ({span.kind} query at offset {span.start}): {message}"))
        if fixes:
            messages = list(item.conversation.messages)
            for index, replacements in fixes.items():
                m = messages[index]
                messages[index] = Message(role=m.role, content=replace_spans(m.content, replacements))
            item.conversation = Conversation(messages=messages, meta=item.conversation.meta)
        return out
