"""Catalog -> schema questions, worded as analysts ask them, answered from the catalog's comments.

- what a table holds and which columns it has (the table comment is the answer, never the question);
- what a commented column means (its comment is the answer);
- where a column lives ("Which tables have a pool_address column?"), answered completely: every table
  that has it, each with its type and comment;
- how to join two tables. Join keys come from shared column names; a column only counts as a join key
  when it is shared by at most half of the tables (``chain`` in every table says nothing about how two
  relate), and the join then uses every shared column.

Each kind has several phrasings (``PHRASINGS``); which one a question gets is a stable hash of what it
is about, so rebuilds give the same file and the set reads varied.
"""

from __future__ import annotations

import hashlib
from itertools import combinations

from sqlcurate.build.query_pairs import sql_answer
from sqlcurate.conversation import Conversation, Message
from sqlcurate.records import Column, TableRecord

PHRASINGS = {
    "columns": ("What columns does {table} have?", "Which fields can I use from {table}?",
                "What's in {table}? Show me its columns.", "Describe the table {table} for me."),
    "purpose": ("What is {table} for?", "What does one row of {table} stand for?", "When should I use {table}?"),
    "meaning": ("What does {column} in {table} mean?", "How should I read the {column} column of {table}?",
                "What is {column} in {table}?"),
    "where": ("Which tables have a {column} column?", "Where can I find {column}?", "What tables is {column} in?",
              "Which of our tables carry {column}?"),
    "join": ("How do I join {a} and {b}?", "How do {a} and {b} relate? How do I join them?",
             "What do I join {a} to {b} on?"),
}


def phrase(kind: str, key: str, **fills: str) -> str:
    options = PHRASINGS[kind]
    pick = int.from_bytes(hashlib.blake2b(f"{kind}:{key}".encode(), digest_size=4).digest(), "big") % len(options)
    return options[pick].format(**fills)


def _conv(question: str, answer: str, meta: dict) -> Conversation:
    return Conversation(messages=[Message(role="user", content=question), Message(role="assistant", content=answer)],
                        meta=meta)


def _column_line(c: Column) -> str:
    return f"- `{c.name}` {c.type}" + (f": {c.comment}" if c.comment else "")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", ")")) else text + "."


def table_questions(table: TableRecord) -> list[Conversation]:
    """What the table holds, its columns, and what each commented column means."""
    t = table.qualified
    meta = {"source": table.source, "task": "schema", "tables": [t]}
    intro = f"`{t}`: {_sentence(table.comment)} " if table.comment else f"`{t}` "
    out = [_conv(phrase("columns", t, table=t),
                 f"{intro}It has {len(table.columns)} columns:\n\n" + "\n".join(_column_line(c) for c in table.columns),
                 meta | {"question": "columns"})]
    if table.comment:
        out.append(_conv(phrase("purpose", t, table=t), f"`{t}`: {_sentence(table.comment)}", meta | {"question": "purpose"}))
    for c in table.columns:
        if c.comment:
            out.append(_conv(phrase("meaning", f"{t}.{c.name}", column=c.name, table=t),
                             f"`{c.name}` ({c.type}) in `{t}`: {_sentence(c.comment)}",
                             meta | {"question": "meaning", "column": c.name}))
    return out


def where_questions(tables: list[TableRecord]) -> list[Conversation]:
    """For each column name with a comment somewhere: which tables have it, every one of them."""
    holders: dict[str, list[tuple[TableRecord, Column]]] = {}
    for t in sorted(tables, key=lambda t: t.qualified):
        for c in t.columns:
            holders.setdefault(c.name, []).append((t, c))
    out = []
    for name, found in sorted(holders.items()):
        if not any(c.comment for _, c in found):
            continue
        lines = [f"- `{t.qualified}`.`{c.name}` ({c.type})" + (f": {c.comment}" if c.comment else "") for t, c in found]
        head = "It is in one table:" if len(found) == 1 else f"It is in {len(found)} tables:"
        out.append(_conv(phrase("where", name, column=name), f"{head}\n\n" + "\n".join(lines),
                         {"source": "catalog", "task": "schema", "question": "where", "column": name,
                          "tables": [t.qualified for t, _ in found]}))
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
            phrase("join", f"{a}|{b}", a=a, b=b),
            f"Join them on {', '.join(f'`{c}`' for c in cols)}:\n\n{sql_answer(sql)}",
            {"source": "catalog", "task": "schema", "question": "join", "tables": [a, b]},
        ))
    return out


def schema_conversations(tables: list[TableRecord]) -> list[Conversation]:
    out = []
    for t in sorted(tables, key=lambda t: t.qualified):
        out.extend(table_questions(t))
    out.extend(where_questions(tables))
    out.extend(join_questions(tables))
    return out
