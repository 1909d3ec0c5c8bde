"""The grounding check: every SQL query an assistant writes names only tables and columns the catalog has.

The rules live in ``sqlcurate.sql.grounding``; this check finds the queries (``sqlcurate.sql.extract``)
and grounds the ClickHouse ASTs of ``sqlcurate.sql.transpile.analyze``: the same (cached) parse the SQL
check uses, so a query in T-SQL or BigQuery is grounded as the ClickHouse it becomes, and is parsed once
for both checks. Each finding is prefixed with where it is (message index, offset in the message). A
query that does not parse is skipped here: the SQL check reports it with its own code. Results are
cached by query text: curated sets repeat the same query in many conversations (query-log templates,
dialect-contrast pairs), and a repeat then costs one dict lookup instead of a parse and a walk.
"""

from __future__ import annotations

from sqlcurate.checks.base import Check, Item
from sqlcurate.findings import Finding
from sqlcurate.sql.catalog import Catalog
from sqlcurate.sql.extract import extract_from_conversation
from sqlcurate.sql.grounding import CODES as GROUNDING_CODES
from sqlcurate.sql.grounding import ground
from sqlcurate.sql.transpile import analyze, tune_gc

CACHE_SIZE = 100_000  # distinct query texts remembered; the oldest half is dropped when full


class GroundingCheck(Check):
    name = "grounding"
    CODES = GROUNDING_CODES

    def __init__(self, catalog: Catalog, source_dialect: str | None = None, roles: tuple[str, ...] = ("assistant",)):
        """``source_dialect``: the dialect the SQL is written in (None: detected per query, as the SQL
        check does; pass the same value as the SQL check so both share one parse)."""
        assert len(catalog) > 0, "grounding needs a catalog with at least one table"
        self.catalog = catalog
        self.source_dialect = source_dialect
        self.roles = roles
        self._cache: dict[str, list[Finding]] = {}
        tune_gc()  # the process now analyses many queries: see transpile.tune_gc

    def findings(self, item: Item) -> list[Finding]:
        out: list[Finding] = []
        for span in extract_from_conversation(item.conversation, roles=self.roles):
            for f in self.ground_text(span.sql):
                out.append(Finding(f.code, f"message {span.message_index} (offset {span.start}): {f.message}", f.severity))
        return out

    def ground_text(self, sql: str) -> list[Finding]:
        """Grounding findings of one SQL text (none if it does not parse), cached by the text."""
        found = self._cache.get(sql)
        if found is None:
            found = ground(analyze(sql, self.source_dialect).statements, self.catalog)
            if len(self._cache) >= CACHE_SIZE:
                for key in list(self._cache)[: CACHE_SIZE // 2]:
                    del self._cache[key]
            self._cache[sql] = found
        return found
