"""The grounding check: every SQL query an assistant writes names only tables and columns the catalog has.

The rules live in ``sqlcurate.sql.grounding``; this check finds the queries (``sqlcurate.sql.extract``),
parses them and prefixes each finding with where it is (message index, query number in that message).
A query that does not parse is skipped here: the SQL check reports it with its own code.
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


class GroundingCheck(Check):
    name = "grounding"
    CODES = GROUNDING_CODES

    def __init__(self, catalog: Catalog, dialect: str = "clickhouse", roles: tuple[str, ...] = ("assistant",)):
        assert len(catalog) > 0, "grounding needs a catalog with at least one table"
        self.catalog = catalog
        self.dialect = dialect
        self.roles = roles

    def findings(self, item: Item) -> list[Finding]:
        out: list[Finding] = []
        for span in extract_from_conversation(item.conversation, roles=self.roles):
            try:
                statements = sqlglot.parse(span.sql, read=self.dialect)
            except (ParseError, TokenError):
                continue
            for f in ground(statements, self.catalog):
                out.append(Finding(f.code, f"message {span.message_index} (offset {span.start}): {f.message}", f.severity))
        return out
