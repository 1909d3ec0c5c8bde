"""Run gold and generated queries on sample data, in the SQL sandbox.

A generated query is untrusted: it may scan ``numbers()`` forever, return a billion rows, read
``/etc/passwd`` through ``file()``, or write a file with ``INTO OUTFILE``. Every query therefore runs in
``sqlcurate.sql.sandbox``: a child process that owns the engine, screens the statement on ClickHouse's
own parse, runs it on a ``readonly = 1`` connection whose limits the query cannot change, and is killed
when it outlives the timeout (docs/security.md). What the sandbox refuses or stops is a reason code of
its own (``EXEC_REFUSED_TABLE_FUNCTION``, ``EXEC_TIMEOUT``, ``EXEC_MEMORY``...); any other engine error is
``EVAL_EXEC_ERROR`` with ClickHouse's error name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlcurate.errors import SqlcurateError
from sqlcurate.sql.engine import parse_engine_error
from sqlcurate.sql.engine_conn import engine_path
from sqlcurate.sql.sandbox import Limits, Outcome, Sandbox

CODES = {
    "EVAL_EXEC_ERROR": "the engine raised an error while running the query",
}


@dataclass(slots=True)
class Execution:
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    code: str = ""  # "" on success, else EVAL_EXEC_ERROR or one of sqlcurate.sql.sandbox.CODES
    engine_error: str = ""  # the ClickHouse error name, e.g. UNKNOWN_FUNCTION
    message: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.code


class QueryRunner:
    """Runs untrusted read queries with a time, size and memory budget in a sandbox."""

    def __init__(self, timeout_s: float = 5.0, max_rows: int = 100_000, max_memory_bytes: int = 2 * 1024**3, *,
                 sandbox: Sandbox | None = None, engine_dir: str | os.PathLike | None = None,
                 databases: Iterable[str] | None = None):
        """Where the tables are: ``sandbox`` (one the caller filled, e.g. with sample data), or
        ``engine_dir`` (an engine directory the runner's own sandbox opens; this process must not have it
        open: chdb lets one process hold a directory). Neither: an empty engine of the runner's own.
        ``databases``: the only databases a query may read (default: the sandbox's ``databases``)."""
        assert timeout_s > 0, f"timeout_s must be positive, got {timeout_s}"
        if sandbox is None and engine_dir is None and engine_path() is not None:
            raise SqlcurateError("ENGINE_NOT_SHARED", f"this process holds the engine at {engine_path()}; the "
                                 "runner's sandbox cannot open it beside this process: pass engine_dir= (and do "
                                 "not open it here) or a sandbox= filled with the tables")
        self.sandbox = sandbox if sandbox is not None else Sandbox(engine_dir, databases=None if engine_dir else ())
        self._databases = frozenset(databases) if databases is not None else None
        self.limits = Limits(timeout_s=timeout_s, max_rows=max_rows, max_memory_bytes=max_memory_bytes)

    @property
    def databases(self) -> frozenset[str]:
        return self._databases if self._databases is not None else self.sandbox.databases

    def _execution(self, outcome: Outcome) -> Execution:
        if outcome.ok:
            return Execution(rows=outcome.rows, columns=outcome.columns, seconds=outcome.seconds)
        failure = parse_engine_error(outcome.error) if outcome.error else None
        return Execution(code=outcome.code or "EVAL_EXEC_ERROR", engine_error=failure.name if failure else "",
                         message=(failure.message[:300] if failure else outcome.message), seconds=outcome.seconds)

    def run(self, sql: str) -> Execution:
        return self._execution(self.sandbox.run(sql, self.databases, self.limits))

    def explain(self, sql: str) -> Execution:
        """``EXPLAIN PLAN`` of ``sql`` under the same screen and limits (scalar subqueries run while planning)."""
        return self._execution(self.sandbox.run(sql, self.databases, self.limits, explain=True))
