"""The grounding check: every SQL query an assistant writes names only tables and columns the catalog has.

The rules live in ``sqlcurate.sql.grounding``; this check finds the queries (``sqlcurate.sql.extract``),
parses them and prefixes each finding with where it is (message index, query number in that message).
A query that does not parse is skipped here: the SQL check reports it with its own code. Results are
cached by query text: curated sets repeat the same query in many conversations (query-log templates,
dialect-contrast pairs), and a repeat then costs one dict lookup instead of a parse and a walk.
"""

from __future__ import annotations

import sqlglot
from sqlglot.errors import ParseError, TokenError

from sqlcurate.checks.base import Check, Item
from sqlcurate.findings import Finding
from sqlcurate.sql.catalog import Catalog
from sqlcurate.sql.extract import extract_from_conversation
from sqlcurate.sql.grounding import CODES as GROUNDING_CODES
from sqlcurate.sql.grounding import ground

CACHE_SIZE = 100_000  # distinct query texts remembered; the oldest half is dropped when full


class GroundingCheck(Check):
    name = "grounding"
    CODES = GROUNDING_CODES

    def __init__(self, catalog: Catalog, dialect: str = "clickhouse", roles: tuple[str, ...] = ("assistant",)):
        assert len(catalog) > 0, "grounding needs a catalog with at least one table"
        self.catalog = catalog
        self.dialect = dialect
        self.roles = roles
        self._cache: dict[str, list[Finding]] = {}

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
            try:
                found = ground(sqlglot.parse(sql, read=self.dialect), self.catalog)
            except (ParseError, TokenError):
                found = []
            if len(self._cache) >= CACHE_SIZE:
                for key in list(self._cache)[: CACHE_SIZE // 2]:
                    del self._cache[key]
            self._cache[sql] = found
        return found
