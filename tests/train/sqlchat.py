"""Small SQL chat conversations for trainer tests (deterministic, ClickHouse flavoured)."""

from __future__ import annotations

import json
import random
from pathlib import Path

TABLES = {
    "orders": ["order_id", "customer_id", "amount", "created_at"],
    "events": ["event_id", "user_id", "event_type", "ts"],
    "customers": ["customer_id", "country", "signup_date"],
}


def conversations(n: int, seed: int = 0) -> list[list[dict]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        table = rng.choice(sorted(TABLES))
        col = rng.choice(TABLES[table][1:])
        limit = rng.choice([5, 10, 20])
        kind = rng.randrange(3)
        if kind == 0:
            q = f"Show the top {limit} {table} by {col}."
            a = f"```sql\nSELECT *\nFROM {table}\nORDER BY {col} DESC\nLIMIT {limit}\n```"
        elif kind == 1:
            q = f"How many distinct {col} values are in {table}?"
            a = f"```sql\nSELECT uniqExact({col}) AS n\nFROM {table}\n```"
        else:
            q = f"Count {table} per {col}, largest first."
            a = f"```sql\nSELECT {col}, count() AS n\nFROM {table}\nGROUP BY {col}\nORDER BY n DESC\n```"
        out.append([{"role": "user", "content": q}, {"role": "assistant", "content": a}])
    return out


def write_jsonl(path: Path, convs: list) -> Path:
    path.write_text("".join(json.dumps(c) + "\n" for c in convs), encoding="utf-8")
    return path
