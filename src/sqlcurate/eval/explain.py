"""The "accepted by the engine" verdict: ClickHouse's EXPLAIN on the query, without running it.

Where the eval has real tables (a workspace or loaded sample data) EXPLAIN runs on them directly, with
the runner's read-only limits. Without data it is the project's engine check (``sqlcurate.checks.engine``),
which builds empty scratch tables from the catalog first; eval only adapts its findings to SQL text.
"""

from __future__ import annotations

from sqlcurate.checks.base import Item
from sqlcurate.conversation import Conversation, Message
from sqlcurate.eval.runner import QueryRunner
from sqlcurate.findings import Finding
from sqlcurate.sql.catalog import Catalog


def explain_on_tables(runner: QueryRunner):
    def check(sql: str) -> list[Finding]:
        res = runner.run(f"EXPLAIN PLAN {sql.strip().rstrip(';')}")
        if res.ok:
            return []
        return [Finding("EVAL_ENGINE_REJECTED", f"{res.engine_error or res.code}: {res.message}")]

    return check


def explain_on_scratch_tables(catalog: Catalog):
    """The project's EngineCheck as a function of SQL text, or None if this install has none."""
    try:
        from sqlcurate.checks.engine import EngineCheck
    except ImportError:
        return None
    engine_check = EngineCheck(catalog)

    def check(sql: str) -> list[Finding]:
        conv = Conversation(messages=[Message(role="user", content="eval"),
                                      Message(role="assistant", content=f"```sql\n{sql}\n```")])
        found = engine_check.findings(Item(conversation=conv, source="<eval>", line=0))
        return [Finding("EVAL_ENGINE_REJECTED", f"{f.code}: {f.message}") for f in found if f.severity == "error"]

    return check


def make_engine_check(client, catalog: Catalog, tables_present: bool, timeout_s: float = 5.0):
    if tables_present:
        return explain_on_tables(QueryRunner(client, timeout_s=timeout_s))
    return explain_on_scratch_tables(catalog)
