"""The SQL verdicts that travel with every answer: the project's own checks, run on the way out.

``sql`` (parses as canonical ClickHouse), ``grounding`` (every table and column is in the catalog)
and ``engine`` (the embedded ClickHouse plans it against empty scratch tables; no query is executed).
A check that is not configured (no catalog, no engine) is absent, never reported as passed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlcurate.checks.base import Check, Item
from sqlcurate.conversation import Conversation, Message
from sqlcurate.sql.catalog import Catalog
from sqlcurate.sql.extract import extract_sql


@dataclass
class SqlVerdict:
    has_sql: bool
    sql: str | None = None
    checks: dict[str, dict] = field(default_factory=dict)  # check name -> {"ok": bool, "findings": [...]}

    @property
    def ok(self) -> bool | None:
        """True when the answer's SQL passed every configured check; None when there is no SQL."""
        return all(c["ok"] for c in self.checks.values()) if self.has_sql else None

    def to_json(self) -> dict:
        return {"has_sql": self.has_sql, "ok": self.ok, "sql": self.sql, "checks": self.checks}

    def header(self) -> str:
        """Compact form for the ``X-SQL-Verdict`` header: ``ok``, ``none`` or the failing codes."""
        if not self.has_sql:
            return "none"
        codes = sorted({f["code"] for c in self.checks.values() for f in c["findings"]})
        return "ok" if self.ok else ",".join(codes) or "failed"


class AnswerChecker:
    def __init__(self, catalog: Catalog | None = None, engine: str = "none"):
        assert engine in ("chdb", "none"), f"engine must be chdb or none, got {engine!r}"
        from sqlcurate.checks.sql import SqlCheck

        self.checks: list[Check] = [SqlCheck()]
        if catalog is not None and len(catalog):
            from sqlcurate.checks.grounding import GroundingCheck

            self.checks.append(GroundingCheck(catalog))
            ch_tables = [t for t in catalog if t.dialect == "clickhouse"]
            if engine == "chdb" and ch_tables:
                from sqlcurate.checks.engine import EngineCheck

                self.checks.append(EngineCheck(Catalog(ch_tables, default_database=catalog.default_database,
                                                       dialect="clickhouse")))
        self._lock = threading.Lock()  # one embedded engine per process; checks keep caches

    def verdict(self, answer: str) -> SqlVerdict:
        spans = extract_sql(answer, message_index=1)
        if not spans:
            return SqlVerdict(has_sql=False)
        out = SqlVerdict(has_sql=True, sql=spans[0].sql)
        conv = Conversation(messages=[Message(role="user", content="-"), Message(role="assistant", content=answer)])
        item = Item(conversation=conv, source="answer", line=1)
        with self._lock:
            for check in self.checks:
                found = check.findings(item)
                out.checks[check.name] = {
                    "ok": not any(f.severity == "error" for f in found),
                    "findings": [{"code": f.code, "message": f.message, "severity": f.severity} for f in found]}
        return out

    def close(self) -> None:
        for check in self.checks:
            check.close()
