"""Find the SQL inside conversation text, keeping where it sits so a fix can be written back.

Three shapes count as SQL:

- ``fenced_sql``: a fenced block labelled with a SQL language (```sql, ```clickhouse, ```tsql, ...);
- ``fenced``: an unlabelled fenced block whose text starts like a query and parses as one;
- ``bare``: an answer that, as a whole, is a single query (no fences, no prose around it).

Offsets are character offsets into the message content of the SQL text itself (without the fence lines
and without surrounding blank space), so ``content[span.start:span.end] == span.sql``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Fence labels that say "this block is SQL" (lower-cased). The label may also name the dialect; the
# dialect detector decides on the text itself, so the label only decides *whether* it is SQL.
SQL_FENCE_LABELS = frozenset(
    {"sql", "clickhouse", "chsql", "tsql", "t-sql", "mssql", "sqlserver", "bigquery", "bq", "snowflake",
     "postgres", "postgresql", "psql", "pgsql", "mysql", "mariadb", "sqlite", "duckdb", "plsql", "googlesql"}
)

# A fence opens with 3+ backticks or tildes at the start of a line, optionally indented up to 3 spaces
# (CommonMark); it closes with the same character repeated at least as often.
_FENCE_OPEN = re.compile(r"^[ ]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<label>[^\s`]*)[^\n]*\n", re.MULTILINE)

# What a query starts with. Prose that starts with "Select the ..." is weeded out by the parse step.
_QUERY_START = re.compile(
    r"\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(?:SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|EXPLAIN|SHOW|DESCRIBE|OPTIMIZE|TRUNCATE)\b",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class SqlSpan:
    message_index: int
    start: int
    end: int
    sql: str
    kind: str  # "fenced_sql" | "fenced" | "bare"


def _looks_like_query(text: str) -> bool:
    """True if ``text`` starts like a query and sqlglot can parse it in some dialect we handle.

    Only unlabelled fences and bare answers pay for this parse; labelled ```sql fences are taken as SQL
    (a broken query in a ```sql fence is a finding, not prose)."""
    if not _QUERY_START.match(text):
        return False
    from sqlcurate.sql.transpile import parses_somewhere

    return parses_somewhere(text)


def _trimmed(content: str, start: int, end: int) -> tuple[int, int]:
    while start < end and content[start].isspace():
        start += 1
    while end > start and content[end - 1].isspace():
        end -= 1
    return start, end


def extract_sql(content: str, message_index: int = 0) -> list[SqlSpan]:
    """Every SQL span in one message's content, in order of position."""
    spans: list[SqlSpan] = []
    pos = 0
    saw_fence = False
    while (m := _FENCE_OPEN.search(content, pos)) is not None:
        saw_fence = True
        fence = m.group("fence")
        body_start = m.end()
        close = re.compile(rf"^[ ]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        c = close.search(content, body_start)
        body_end = c.start() if c else len(content)  # an unclosed fence runs to the end (CommonMark)
        pos = c.end() if c else len(content)
        start, end = _trimmed(content, body_start, body_end)
        if start == end:
            continue
        text = content[start:end]
        label = m.group("label").lower()
        if label in SQL_FENCE_LABELS:
            spans.append(SqlSpan(message_index, start, end, text, "fenced_sql"))
        elif not label and _looks_like_query(text):
            spans.append(SqlSpan(message_index, start, end, text, "fenced"))
    if not saw_fence:
        start, end = _trimmed(content, 0, len(content))
        text = content[start:end]
        if text and _looks_like_query(text):
            spans.append(SqlSpan(message_index, start, end, text, "bare"))
    return spans


def extract_from_conversation(conv, roles: tuple[str, ...] = ("assistant",)) -> list[SqlSpan]:
    """SQL spans of every message whose role is in ``roles`` (a ``Conversation`` or a list of dicts)."""
    messages = conv.messages if hasattr(conv, "messages") else conv
    out: list[SqlSpan] = []
    for i, msg in enumerate(messages):
        role = msg.role if hasattr(msg, "role") else msg["role"]
        if role in roles:
            out.extend(extract_sql(msg.content if hasattr(msg, "content") else msg["content"], i))
    return out


def replace_spans(content: str, replacements: list[tuple[SqlSpan, str]]) -> str:
    """``content`` with each span's text replaced; spans must not overlap and must still match."""
    out = content
    for span, new in sorted(replacements, key=lambda r: r[0].start, reverse=True):
        assert out[span.start:span.end] == span.sql, f"span {span.start}:{span.end} no longer matches its SQL"
        out = out[:span.start] + new + out[span.end:]
    return out
