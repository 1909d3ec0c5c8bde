"""The pinned real-world corpora (see README.md) and the one measurement the tests and
benchmarks/sql_real_world.py share: what ``transpile`` and the SQL check do with each statement."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlcurate.checks.base import Item
from sqlcurate.checks.sql import SqlCheck
from sqlcurate.conversation import check_messages
from sqlcurate.sql.native import NativeParser
from sqlcurate.sql.proven import Prover, transpile_statement

HERE = Path(__file__).resolve().parent
FOREIGN_CORPORA = ("spider2", "sql_eval", "sqlglot_dialects", "bird_mini_dev")
NATIVE_CORPUS = "clickhouse_reference"


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (HERE / f"{name}.jsonl").read_text().splitlines()]


@dataclass
class Tally:
    """Per corpus and dialect: statements, written (every output proven), refused by reason code, and
    crashes (an exception out of the library: must stay 0)."""

    statements: int = 0
    written: int = 0
    refused: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)  # code + the construct named, for the docs' list
    crashes: int = 0

    @property
    def written_share(self) -> float:
        return self.written / self.statements if self.statements else 1.0


_CONSTRUCT = re.compile(r"^(?:statement \d+: )?(.{0,70}?)(?:[:;(]| at \d|$)")


def reason(code: str, message: str) -> str:
    """A short key for a refusal: its code and the construct its message starts with."""
    if code == "SQL_OUTPUT_REJECTED":
        m = re.search(r"(Unknown (?:function|table function|data type) \S+|\([A-Z_]+\))", message)
        return f"{code} {m.group(1) if m else ''}".strip()
    if code == "SQL_PARSE_ERROR":
        return code
    m = _CONSTRUCT.match(message)
    return f"{code} {m.group(1).strip() if m else ''}".strip()


def measure_foreign(rows: list[dict], prover: Prover | None) -> dict[str, Tally]:
    out: dict[str, Tally] = {}
    for row in rows:
        t = out.setdefault(row["dialect"], Tally())
        t.statements += 1
        try:
            r = transpile_statement(row["sql"], 1, row["dialect"], prover=prover)
        except Exception:  # counted, never raised: the tests assert there are none
            t.crashes += 1
            continue
        if r.ok:
            t.written += 1
        else:
            t.refused[r.code] += 1
            t.reasons[reason(r.code, r.message or "")] += 1
    return out


@dataclass
class NativeTally:
    statements: int = 0
    engine_valid: int = 0  # ClickHouse's parser accepts it and knows every function it names
    flagged: list[tuple[str, str]] = field(default_factory=list)  # (id, finding) among the engine-valid
    crashes: int = 0


def measure_native(rows: list[dict], native: NativeParser) -> NativeTally:
    t = NativeTally()
    check = SqlCheck()
    for row in rows:
        t.statements += 1
        if not native.check(row["sql"]).ok:
            continue
        t.engine_valid += 1
        conv, _ = check_messages([{"role": "user", "content": "q"},
                                  {"role": "assistant", "content": f"```sql\n{row['sql']}\n```"}])
        try:
            found = check.findings(Item(conversation=conv, source=row["id"], line=1))
        except Exception:
            t.crashes += 1
            continue
        if found:
            t.flagged.append((row["id"], f"{found[0].code} {found[0].message}"))
    return t
