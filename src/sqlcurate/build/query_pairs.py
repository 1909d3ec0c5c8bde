"""Query log -> question/SQL pairs.

Where the question comes from, in order of trust (``QUESTION_SOURCES``; the provenance records it as
``question_from``): the analyst's own words (the ``log_comment`` their tool attached, a leading SQL
comment, taken out of the answer, or the description of the same query in a Dataform action); a question a person wrote or accepted in ``sqlcurate review``; questions
a model wrote from the SQL, the catalog and a few result rows (``build.questions``); last, a deterministic
description of what the query computes. The last two are marked ``needs_review``.
"""

from __future__ import annotations

import re

from sqlglot import exp

from sqlcurate.conversation import Conversation, Message
from sqlcurate.records import FEEDBACK_SOURCE, QueryRecord
from sqlcurate.sql.fingerprint import fingerprint
from sqlcurate.sql.transpile import TranspileError, guarded_parse_one

# question source -> (trust: 1 is the most trusted, needs a person's review before it is trusted)
QUESTION_SOURCES = {
    "log_comment": (1, False),  # the analyst's words, attached to the query by their tool
    "sql_comment": (1, False),  # the analyst's words, written above the query
    "dataform": (1, False),  # the description of the same query in a Dataform action's config
    "feedback": (1, False),  # the analyst's question to `sqlcurate serve`, with SQL they rated up or corrected
    "reviewed": (2, False),  # written or accepted by a reviewer in `sqlcurate review`
    "machine": (3, True),  # written by a question model from the SQL, catalog comments and result rows
    "description": (4, True),  # the SQL's shape in words: a specification, not a question
}

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
        tree = guarded_parse_one(sql, "clickhouse")
    except TranspileError:  # unreadable or nested too deep: described by its tables alone
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


def analyst_question(rec: QueryRecord, documented: dict[str, str] | None = None) -> tuple[str, str]:
    """(question, source) in the analyst's own words, or ("", "") when there are none. ``documented``:
    fingerprint -> the description a Dataform action gives the same query (``docs_qa.dataform_descriptions``)."""
    comment, sql = split_leading_comment(rec.query)
    if rec.log_comment.strip():
        return rec.log_comment.strip(), "feedback" if rec.source.startswith(FEEDBACK_SOURCE) else "log_comment"
    if comment:
        return comment, "sql_comment"
    if documented and (description := documented.get(fingerprint(sql))):
        return description, "dataform"
    return "", ""


def query_pairs(rec: QueryRecord, reviewed: list[str] | None = None, machine: list[str] | None = None,
                model: str = "", documented: dict[str, str] | None = None) -> list[Conversation]:
    """The template's pairs, one per question, from the most trusted source that has any (see
    ``QUESTION_SOURCES``): the analyst's words, else the reviewer's, else the question model's, else a
    description of the SQL. ``reviewed`` is the review file's questions for this template (a reviewer's
    decision overrides every source: it was made looking at them)."""
    _, sql = split_leading_comment(rec.query)
    question, source = analyst_question(rec, documented)
    if reviewed:
        questions, source = reviewed, "reviewed"
    elif question:
        questions = [question]
    elif machine:
        questions, source = machine, "machine"
    else:
        questions, source = [describe(sql, rec.tables)], "description"
    meta = {"source": rec.source, "task": "query_log", "query_hash": rec.normalized_hash, "tables": rec.tables,
            "question_from": source, "question_trust": QUESTION_SOURCES[source][0], "count": rec.count,
            "fingerprint": fingerprint(sql)}
    if model and source == "machine":
        meta["question_model"] = model
    if QUESTION_SOURCES[source][1]:
        meta["needs_review"] = True
    return [Conversation(messages=[Message(role="user", content=q), Message(role="assistant", content=sql_answer(sql))],
                         meta=meta | ({"question_slot": i} if i else {})) for i, q in enumerate(questions)]
