"""The "accepted by the engine" verdict: ClickHouse's EXPLAIN on the query, without running it.

Where the eval has real tables (a workspace or loaded sample data) EXPLAIN runs on them directly, in the
runner's sandbox with its limits. Without data it is the project's engine check
(``sqlcurate.checks.engine``), which builds empty scratch tables from the catalog in a sandbox first; eval
only adapts it to SQL text. Either way a sandbox refusal is a finding under its own reason code.
"""

from __future__ import annotations

from sqlcurate.eval.runner import QueryRunner
from sqlcurate.findings import Finding
from sqlcurate.sql.catalog import Catalog
from sqlcurate.sql.sandbox import CODES as SANDBOX_CODES


def _finding(name: str, message: str) -> Finding:
    if name in SANDBOX_CODES:
        return Finding(name, message)
    return Finding("EVAL_ENGINE_REJECTED", f"{name}: {message}")


def explain_on_tables(runner: QueryRunner):
    def check(sql: str) -> list[Finding]:
        res = runner.explain(sql)
        if res.ok:
            return []
        return [_finding(res.engine_error or res.code, res.message) if res.code == "EVAL_EXEC_ERROR"
                else Finding(res.code, res.message)]

    return check


def explain_on_scratch_tables(catalog: Catalog, timeout_s: float = 5.0):
    """The project's engine check (EXPLAIN on empty scratch tables built from the catalog) as a function
    of SQL text. Returns None for a query sqlglot cannot parse: the scratch tables are reached by
    rewriting the parsed query's table names, so such a query cannot be asked about."""
    from sqlcurate.checks.engine import EngineCheck
    from sqlcurate.sql.transpile import analyze

    engine_check = EngineCheck(catalog, source_dialect="clickhouse", timeout_s=timeout_s)

    def check(sql: str) -> list[Finding] | None:
        try:
            a = analyze(sql, "clickhouse")  # as written: an eval must not transpile the model's answer
        except RecursionError:  # nested past the parser's recursion: cannot be asked about either
            return None
        if not a.ok:
            return None
        errors = [engine_check.check_statement(t, f"{a.fingerprint}:{n}") for n, t in enumerate(a.statements, 1)]
        return [_finding(e.name, e.message) for e in errors if e is not None]

    return check


def make_engine_check(catalog: Catalog, tables_present: bool, timeout_s: float = 5.0, runner: QueryRunner | None = None):
    """``runner``: the one whose sandbox holds the tables (needed when ``tables_present``)."""
    if tables_present:
        return explain_on_tables(runner if runner is not None else QueryRunner(timeout_s=timeout_s))
    return explain_on_scratch_tables(catalog, timeout_s)
