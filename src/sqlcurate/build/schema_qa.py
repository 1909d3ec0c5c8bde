"""Catalog -> schema questions: which table holds X, what columns Y has (types and comments), how to
join A and B. Joins come from shared column names; a column only counts as a join key when it is
shared by at most half of the tables (``chain`` in every table says nothing about how two relate), and
the join then uses every shared column."""

from __future__ import annotations

import re
from itertools import combinations

from sqlcurate.build.query_pairs import sql_answer
from sqlcurate.conversation import Conversation, Message
from sqlcurate.records import TableRecord

_TRAILING_NOTE = re.compile(r"\s*\([^()]*\)\s*$")


def _conv(question: str, answer: str, meta: dict) -> Conversation:
    return Conversation(messages=[Message(role="user", content=question), Message(role="assistant", content=answer)],
                        meta=meta)


def _column_lines(table: TableRecord) -> str:
    return "\n".join(f"- `{c.name}` {c.type}" + (f": {c.comment}" if c.comment else "") for c in table.columns)


def table_questions(table: TableRecord, shared_comments: frozenset[str] = frozenset()) -> list[Conversation]:
    """Questions about one table. A column comment in ``shared_comments`` (the same text on columns of
    several tables, like ``chain``) gets no "where do we store" question: it would have several answers."""
    meta = {"source": table.source, "task": "schema", "tables": [table.qualified]}
    out = [_conv(
        f"What columns does the table {table.qualified} have?",
        f"`{table.qualified}` has {len(table.columns)} columns:\n\n{_column_lines(table)}",
        meta | {"question": "columns"},
    )]
    if table.comment:
        out.append(_conv(
            f"Which table should I query for this: {table.comment.rstrip('.')}?",
            f"Use `{table.qualified}`: {table.comment.rstrip('.')}. Its columns:\n\n{_column_lines(table)}",
            meta | {"question": "which_table"},
        ))
    for c in table.columns:
        if c.comment and c.comment not in shared_comments:
            what = _TRAILING_NOTE.sub("", c.comment).rstrip(".")  # "(see dex.pools)" is for the answer's reader
            if not what:
                continue
            out.append(_conv(
                f"Where do we store the {what[0].lower() + what[1:]}?",
                f"In the column `{c.name}` ({c.type}) of `{table.qualified}`.",
                meta | {"question": "which_column", "column": c.name},
            ))
    return out


def join_keys(tables: list[TableRecord]) -> dict[tuple[str, str], list[str]]:
    """(table A, table B) -> the columns to join on, for pairs that share an identifying column."""
    share: dict[str, int] = {}
    for t in tables:
        for name in {c.name for c in t.columns}:
            share[name] = share.get(name, 0) + 1
    identifying = {name for name, n in share.items() if n <= max(2, len(tables) // 2)}
    keys = {}
    for a, b in combinations(sorted(tables, key=lambda t: t.qualified), 2):
        common = [c.name for c in a.columns if c.name in {x.name for x in b.columns}]
        if any(name in identifying for name in common):
            keys[(a.qualified, b.qualified)] = common
    return keys


def join_questions(tables: list[TableRecord]) -> list[Conversation]:
    """How to join each pair of ClickHouse tables that share an identifying column."""
    ch = [t for t in tables if t.dialect == "clickhouse"]
    out = []
    for (a, b), cols in sorted(join_keys(ch).items()):
        on = " AND ".join(f"a.{c} = b.{c}" for c in cols)
        sql = f"SELECT count() AS matched_rows\nFROM {a} AS a\nINNER JOIN {b} AS b ON {on}"
        out.append(_conv(
            f"How do I join {a} and {b}?",
            f"Join them on {', '.join(f'`{c}`' for c in cols)}:\n\n{sql_answer(sql)}",
            {"source": "catalog", "task": "schema", "question": "join", "tables": [a, b]},
        ))
    return out


def schema_conversations(tables: list[TableRecord]) -> list[Conversation]:
    seen: dict[str, int] = {}
    for t in tables:
        for c in t.columns:
            if c.comment:
                seen[c.comment] = seen.get(c.comment, 0) + 1
    shared = frozenset(text for text, n in seen.items() if n > 1)
    out = []
    for t in sorted(tables, key=lambda t: t.qualified):
        out.extend(table_questions(t, shared))
    out.extend(join_questions(tables))
    return out
