"""Dialect contrast: "rewrite this SQL Server / BigQuery query for ClickHouse", answered with our own
ClickHouse query. The foreign query is made by transpiling the ClickHouse original out with sqlglot; a
pair is kept only when the foreign text really differs and transpiling it back gives the original's
template (so the answer is a faithful rewrite, not a different query)."""

from __future__ import annotations

import sqlglot
from sqlglot.errors import ParseError, TokenError, UnsupportedError

from sqlcurate.build.query_pairs import sql_answer, split_leading_comment
from sqlcurate.conversation import Conversation, Message
from sqlcurate.records import QueryRecord
from sqlcurate.sql.fingerprint import template

# sqlglot dialect -> (how the prompt names it, fence label)
TARGETS = {"tsql": ("SQL Server (T-SQL)", "tsql"), "bigquery": ("BigQuery", "bigquery")}


def _transpile(sql: str, read: str, write: str) -> str | None:
    try:
        out = sqlglot.transpile(sql, read=read, write=write, pretty=True, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except (ParseError, TokenError, UnsupportedError):
        return None
    return out[0] if len(out) == 1 else None


def contrast_pairs(rec: QueryRecord) -> list[Conversation]:
    _, sql = split_leading_comment(rec.query)
    out = []
    for dialect, (display, label) in TARGETS.items():
        foreign = _transpile(sql, "clickhouse", dialect)
        if foreign is None or template(foreign, dialect) == template(sql, "clickhouse"):
            continue
        back = _transpile(foreign, dialect, "clickhouse")
        if back is None or template(back, "clickhouse") != template(_transpile(sql, "clickhouse", "clickhouse") or sql, "clickhouse"):
            continue
        question = f"Rewrite this {display} query for ClickHouse:\n\n```{label}\n{foreign}\n```"
        out.append(Conversation(
            messages=[Message(role="user", content=question), Message(role="assistant", content=sql_answer(sql))],
            meta={"source": rec.source, "task": f"contrast:{dialect}", "query_hash": rec.normalized_hash,
                  "tables": rec.tables},
        ))
    return out
