"""The "accepted by the engine" verdict: ClickHouse's EXPLAIN on the query, without running it.

Where the eval has real tables (a workspace or loaded sample data) EXPLAIN runs on them directly, with
the runner's read-only limits. Without data it is the project's engine check (``sqlcurate.checks.engine``),
which builds empty scratch tables from the catalog first; eval only adapts it to SQL text.
"""

from __future__ import annotations

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
    """The project's engine check (EXPLAIN on empty scratch tables built from the catalog) as a function
    of SQL text. Returns None for a query sqlglot cannot parse: the scratch tables are reached by
    rewriting the parsed query's table names, so such a query cannot be asked about."""
    from sqlcurate.checks.engine import EngineCheck
    from sqlcurate.sql.transpile import analyze

    engine_check = EngineCheck(catalog, source_dialect="clickhouse")

    def check(sql: str) -> list[Finding] | None:
        a = analyze(sql, "clickhouse")  # as written: an eval must not transpile the model's answer
        if not a.ok:
            return None
        errors = [engine_check.check_statement(t, f"{a.fingerprint}:{n}") for n, t in enumerate(a.statements, 1)]
        return [Finding("EVAL_ENGINE_REJECTED", f"{e.name}: {e.message}") for e in errors if e is not None]

    return check


def make_engine_check(catalog: Catalog, tables_present: bool, timeout_s: float = 5.0):
    if tables_present:
        return explain_on_tables(QueryRunner(timeout_s=timeout_s))
    return explain_on_scratch_tables(catalog)
