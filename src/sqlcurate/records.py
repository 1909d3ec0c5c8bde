"""What connectors produce and builders consume: query templates, tables, doc sections.

Each is one JSON object per line in ``training_data/raw/*.jsonl``; ``kind`` tells them apart.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# the source prefix of records pulled from `sqlcurate serve`'s feedback log: `feedback:<log>:<line>`
FEEDBACK_SOURCE = "feedback:"


class QueryRecord(BaseModel):
    """One query template from a query log, grouped by normalized query hash."""

    kind: Literal["query"] = "query"
    source: str  # e.g. "clickhouse:system.query_log", "bigquery:region-us.INFORMATION_SCHEMA.JOBS", FEEDBACK_SOURCE...
    query: str  # one real example of the template
    normalized_hash: str
    count: int = 1
    first_seen: str | None = None  # ISO 8601
    last_seen: str | None = None
    users: list[str] = Field(default_factory=list)
    mean_duration_ms: float | None = None
    log_comment: str = ""
    tables: list[str] = Field(default_factory=list)  # database.table as the engine reported them
    dialect: str = "clickhouse"


class Column(BaseModel):
    name: str
    type: str
    comment: str = ""


class TableRecord(BaseModel):
    """One table (or view) of a catalog."""

    kind: Literal["table"] = "table"
    source: str
    database: str
    name: str
    columns: list[Column]
    comment: str = ""
    engine: str = ""
    ddl: str = ""  # CREATE statement in the warehouse's dialect
    dialect: str = "clickhouse"

    @property
    def qualified(self) -> str:
        return f"{self.database}.{self.name}"


class DocSection(BaseModel):
    """One section of a document, with the headings above it."""

    kind: Literal["doc"] = "doc"
    source: str  # file path
    heading_path: list[str]
    text: str  # the section's text, code blocks kept intact (fences included)
    line: int = 1  # first line of the section in the file
