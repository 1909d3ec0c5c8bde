"""The engine check: the real ClickHouse engine plans every query against the catalog's tables.

The tables are created empty (``sqlcurate.sql.engine.ScratchSchema``) and each distinct query, by
fingerprint, is planned once with ``EXPLAIN PLAN``; unknown functions, unknown
identifiers and type mismatches come back as ``SQL_ENGINE_REJECTED`` with ClickHouse's own error name
and message. The queries come from files we did not write, so they are planned in the SQL sandbox
(``sqlcurate.sql.sandbox``): what it refuses to plan (a table function that reads files, a SETTINGS
clause, a plan past the time limit...) is ``SQL_ENGINE_REFUSED`` with the sandbox's reason code.
Queries that do not parse or cannot be transpiled are the SQL check's to report.
"""

from __future__ import annotations

import os

from sqlglot import exp

from sqlcurate.checks.base import Check, Item
from sqlcurate.findings import Finding
from sqlcurate.sql.engine import EngineFailure, ScratchSchema
from sqlcurate.sql.extract import extract_from_conversation
from sqlcurate.sql.sandbox import CODES as SANDBOX_CODES
from sqlcurate.sql.transpile import analyze

CODES = {
    "SQL_ENGINE_REJECTED": "the ClickHouse engine rejects the query against the catalog (its error name and message given)",
    "SQL_ENGINE_REFUSED": "the SQL sandbox refused to plan the query (its reason code given, e.g. EXEC_REFUSED_TABLE_FUNCTION)",
}

# Two connections: the machines this runs on have few cores, and a plan is CPU-bound inside chdb.
WORKERS = min(2, os.cpu_count() or 1)


class EngineCheck(Check):
    name = "engine"
    CODES = CODES

    def __init__(self, catalog, source_dialect: str | None = None, roles: tuple[str, ...] = ("assistant",),
                 workers: int = WORKERS, timeout_s: float = 5.0):
        """``workers``: engine connections the distinct queries of one ``check_statements`` call are
        planned over, side by side (chdb releases the GIL while it plans). ``timeout_s``: the limit on
        one plan (ClickHouse runs scalar subqueries while planning)."""
        tables = list(catalog)
        assert tables, "the engine check needs a catalog with at least one table"
        self.catalog = catalog  # the transpile rewrites read its column types (fixups.apply)
        self.schema = ScratchSchema(tables, default_database=getattr(catalog, "default_database", None), workers=workers,
                                   timeout_s=timeout_s)
        self.source = source_dialect
        self.roles = roles
        self.cache: dict[str, EngineFailure | None] = {}
        self.planned = 0  # distinct queries sent to the engine

    def check_statements(self, statements: list[tuple[exp.Expression, str]]) -> list[EngineFailure | None]:
        """The engine's verdict on each (ClickHouse statement, key) pair, cached under its key (its
        fingerprint): queries that differ only in literals are planned once. The ones not cached yet
        are planned together, over the check's connections."""
        todo: dict[str, str] = {}  # key -> scratch SQL, in first-seen order
        for tree, key in statements:
            # EXPLAIN PLAN only plans queries; DDL and DML are out of scope
            if isinstance(tree, exp.Query) and key not in self.cache and key not in todo:
                todo[key] = self.schema.scratch_sql(tree)
        if todo:
            for key, error in zip(todo, self.schema.explain_many(list(todo.values())), strict=True):
                self.cache[key] = error
            self.planned += len(todo)
        return [self.cache[key] if isinstance(tree, exp.Query) else None for tree, key in statements]

    def check_statement(self, tree: exp.Expression, key: str) -> EngineFailure | None:
        """``check_statements`` of one statement."""
        return self.check_statements([(tree, key)])[0]

    def _statements(self, item: Item) -> tuple[list[tuple[int, int, int, int]], list[tuple[exp.Expression, str]]]:
        """The item's parsed statements with their cache keys, and where each one is (message index,
        offset, statement number, statements in its query), through the parse every check shares."""
        where: list[tuple[int, int, int, int]] = []
        statements: list[tuple[exp.Expression, str]] = []
        for span in extract_from_conversation(item.conversation, roles=self.roles):
            a = analyze(span.sql, self.source)
            if not a.ok:
                continue
            for n, tree in enumerate(a.statements, 1):
                where.append((span.message_index, span.start, n, len(a.statements)))
                statements.append((tree, f"{a.fingerprint}:{n}"))
        return where, statements

    def prepare(self, items: list[Item]) -> None:
        """Plan the distinct queries of a window of items together, over the check's connections; the
        verdicts land in the cache ``findings`` reads, in the items' order, so the first query of each
        fingerprint is the one planned, as item by item."""
        self.check_statements([st for item in items for st in self._statements(item)[1]])

    def findings(self, item: Item) -> list[Finding]:
        where, statements = self._statements(item)
        out: list[Finding] = []
        for (message_index, start, n, count), err in zip(where, self.check_statements(statements), strict=True):
            if err is not None:
                place = f"message {message_index} (query at offset {start}"
                place += f", statement {n})" if count > 1 else ")"
                code = "SQL_ENGINE_REFUSED" if err.name in SANDBOX_CODES else "SQL_ENGINE_REJECTED"
                out.append(Finding(code, f"{place}: {err.name}: {err.message}"))
        return out

    def close(self) -> None:
        self.schema.drop()
