"""Read the transpile corpus (cases.sql) and load its sample tables (schema.sql + sample_data.py) into
an engine. Shared by tests/sql and benchmarks/sql_pipeline.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
_CASE = re.compile(r"^-- case: (?P<name>\S+)\n-- from: (?P<dialect>\S+)\n(?P<source>.*?)\n-- clickhouse:\n(?P<clickhouse>.*?)(?=\n\n-- case: |\Z)",
                   re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Case:
    name: str
    dialect: str
    source: str
    clickhouse: str


def load_cases(path: Path = HERE / "cases.sql") -> list[Case]:
    text = path.read_text()
    cases = [Case(m["name"], m["dialect"], m["source"].strip(), m["clickhouse"].strip()) for m in _CASE.finditer(text)]
    assert len(cases) == text.count("\n-- case: "), f"{path}: a case block is malformed"
    return cases


def schema_statements() -> list[str]:
    text = "\n".join(line for line in (HERE / "schema.sql").read_text().splitlines() if not line.startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def load_sample_tables(query) -> None:
    """Create and fill the sample tables; ``query`` runs one statement (e.g. a client's ``command``)."""
    import sys

    sys.path.insert(0, str(HERE))
    from sample_data import inserts

    for db in ("webstats", "dexlog"):
        query(f"DROP DATABASE IF EXISTS {db}")
    for stmt in schema_statements():
        query(stmt)
    for stmt in inserts():
        query(stmt)
