"""Query log -> question/SQL pairs.

The question is, in order of trust: the ``log_comment`` the analyst's tool attached; a leading SQL
comment (``-- ...`` or ``/* ... */``, taken out of the answer); otherwise a deterministic description of
what the query reads and computes, marked ``needs_review`` in the provenance so a person rewrites it
before it teaches anything.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from sqlcurate.conversation import Conversation, Message
from sqlcurate.records import QueryRecord

_LEADING_COMMENT = re.compile(r"^\s*(?:--\s*(?P<line>[^\n]*)\n|/\*\s*(?P<block>.*?)\s*\*/)", re.S)


def sql_answer(sql: str) -> str:
    return f"```sql\n{sql.strip()}\n```"


def split_leading_comment(sql: str) -> tuple[str, str]:
    """(comment text, the SQL without it); ("", sql) when the query does not start with a comment."""
    m = _LEADING_COMMENT.match(sql)
    if not m:
        return "", sql
    return (m.group("line") or m.group("block") or "").strip(), sql[m.end():].strip()


def describe(sql: str, tables: list[str]) -> str:
    """A plain, deterministic request that the query answers: which tables, what it computes, how it is
    grouped, filtered, ordered and limited. Not a natural question: it is marked for review."""
    try:
        tree = sqlglot.parse_one(sql, read="clickhouse")
    except (ParseError, TokenError):
        tree = None
    select = tree.find(exp.Select) if tree is not None else None
    names = tables or sorted({t.sql("clickhouse") for t in tree.find_all(exp.Table)}) if tree is not None else tables
    parts = [f"Write a ClickHouse query over {', '.join(names) or 'the warehouse'}"]
    if select is not None:
        outputs = [e.alias_or_name or e.sql("clickhouse") for e in select.expressions]
        parts.append(f"returning {', '.join(outputs)}")
        if select.args.get("where"):
            parts.append(f"where {select.args['where'].this.sql('clickhouse')}")
        if group := select.args.get("group"):
            parts.append(f"grouped by {', '.join(e.sql('clickhouse') for e in group.expressions)}")
        if order := select.args.get("order"):
            parts.append(f"ordered by {', '.join(e.sql('clickhouse') for e in order.expressions)}")
        if limit := select.args.get("limit"):
            parts.append(f"limited to {limit.expression.sql('clickhouse')} rows")
    return ", ".join(parts) + "."


def query_pair(rec: QueryRecord) -> Conversation:
    comment, sql = split_leading_comment(rec.query)
    if rec.log_comment.strip():
        question, source = rec.log_comment.strip(), "log_comment"
    elif comment:
        question, source = comment, "sql_comment"
    else:
        question, source = describe(sql, rec.tables), "description"
    meta = {"source": rec.source, "task": "query_log", "query_hash": rec.normalized_hash, "tables": rec.tables,
            "question_from": source, "count": rec.count}
    if source == "description":
        meta["needs_review"] = True
    return Conversation(messages=[Message(role="user", content=question), Message(role="assistant", content=sql_answer(sql))],
                        meta=meta)
