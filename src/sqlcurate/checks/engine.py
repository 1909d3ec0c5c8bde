"""The engine check: the real ClickHouse engine plans every query against the catalog's tables.

The tables are created empty (``sqlcurate.sql.engine.ScratchSchema``) and each distinct query, by
fingerprint, is planned once with ``EXPLAIN PLAN``; unknown functions, unknown
identifiers and type mismatches come back as ``SQL_ENGINE_REJECTED`` with ClickHouse's own error name
and message. Queries that do not parse or cannot be transpiled are the SQL check's to report.
"""

from __future__ import annotations

from sqlglot import exp

from sqlcurate.checks.base import Check, Item
from sqlcurate.findings import Finding
from sqlcurate.sql.engine import EngineError, ScratchSchema
from sqlcurate.sql.extract import extract_from_conversation
from sqlcurate.sql.transpile import analyze, generate

CODES = {
    "SQL_ENGINE_REJECTED": "the ClickHouse engine rejects the query against the catalog (its error name and message given)",
}


class EngineCheck(Check):
    name = "engine"
    CODES = CODES

    def __init__(self, catalog, source_dialect: str | None = None, roles: tuple[str, ...] = ("assistant",)):
        tables = list(catalog)
        assert tables, "the engine check needs a catalog with at least one table"
        self.schema = ScratchSchema(tables, default_database=getattr(catalog, "default_database", None))
        self.source = source_dialect
        self.roles = roles
        self.cache: dict[str, EngineError | None] = {}
        self.planned = 0  # distinct queries sent to the engine

    def check_statement(self, tree: exp.Expression, key: str) -> EngineError | None:
        """The engine's verdict on one ClickHouse statement, cached under ``key`` (its fingerprint):
        queries that differ only in literals are planned once."""
        if not isinstance(tree, exp.Query):
            return None  # EXPLAIN PLAN only plans queries; DDL and DML are out of scope
        if key not in self.cache:
            self.cache[key] = self.schema.explain(generate(self.schema.point_at_scratch(tree)))
            self.planned += 1
        return self.cache[key]

    def findings(self, item: Item) -> list[Finding]:
        out: list[Finding] = []
        for span in extract_from_conversation(item.conversation, roles=self.roles):
            a = analyze(span.sql, self.source)
            if not a.ok:
                continue
            for n, tree in enumerate(a.statements, 1):
                err = self.check_statement(tree, f"{a.fingerprint}:{n}")
                if err is not None:
                    where = f"message {span.message_index} (query at offset {span.start}"
                    where += f", statement {n})" if len(a.statements) > 1 else ")"
                    out.append(Finding("SQL_ENGINE_REJECTED", f"{where}: {err.name}: {err.message}"))
        return out

    def close(self) -> None:
        self.schema.drop()
