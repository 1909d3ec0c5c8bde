"""Run gold and generated queries on sample data in the embedded engine, safely.

A generated query is untrusted: it may scan ``system.numbers`` forever, return a billion rows, or try to
``DROP`` a table. Every query therefore runs with ClickHouse's own guards rather than a Python timer
(chdb runs in-process, and a Python thread cannot interrupt it):
- ``readonly = 2``: reads only, while still letting us set the limits below per query;
- ``max_execution_time`` with ``timeout_overflow_mode = 'throw'``: a runaway query fails with
  TIMEOUT_EXCEEDED instead of returning a partial answer;
- ``max_result_rows`` / ``max_memory_usage`` with ``result_overflow_mode = 'throw'``.

``readonly = 2`` lets a query's own ``SETTINGS`` clause change settings too, so a query that names one
of these guard settings is refused before it reaches the engine (``readonly = 1`` would forbid that,
but also the per-query limits themselves).

The runner opens its own client on the process's engine: chdb keeps a ``readonly`` sent with one query
on that client's handle for good, so sharing a client would leave its other users unable to write.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

CODES = {
    "EVAL_TIMEOUT": "the query ran past --timeout-s (ClickHouse max_execution_time)",
    "EVAL_TOO_MANY_ROWS": "the query returned more rows than the result limit",
    "EVAL_EXEC_ERROR": "the engine raised an error while running the query",
    "EVAL_GUARD_OVERRIDE": "the query tries to change a limit the runner sets (SETTINGS max_execution_time = 0, ...)",
}

# ClickHouse error names -> our reason code; anything else is EVAL_EXEC_ERROR.
ENGINE_ERROR_CODES = {
    "TIMEOUT_EXCEEDED": "EVAL_TIMEOUT",
    "TOO_MANY_ROWS_OR_BYTES": "EVAL_TOO_MANY_ROWS",
    "TOO_MANY_ROWS": "EVAL_TOO_MANY_ROWS",
}

_ERROR_NAME = re.compile(r"\(([A-Z][A-Z0-9_]+)\)")
# What clickhouse-connect appends after the message: the query echo and the SETTINGS/FORMAT tail.
_ECHO = re.compile(r"\s*(In scope|SETTINGS)\b.*", re.DOTALL)


@dataclass(slots=True)
class Execution:
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    code: str = ""  # "" on success, else one of CODES
    engine_error: str = ""  # the ClickHouse error name, e.g. UNKNOWN_FUNCTION
    message: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.code


def short_engine_message(text: str) -> tuple[str, str]:
    """(ClickHouse error name, the message without the query echo) from an engine exception text."""
    names = _ERROR_NAME.findall(text)
    name = names[-1] if names else ""
    msg = text.split("DB::Exception:", 1)[-1].strip()
    msg = _ECHO.sub("", msg).strip().rstrip(".:")
    return name, msg[:300]


class QueryRunner:
    """Runs read-only queries with a time and size budget on its own client of the process's engine."""

    def __init__(self, timeout_s: float = 5.0, max_rows: int = 100_000, max_memory_bytes: int = 2 * 1024**3):
        from sqlcurate.sql.engine_conn import engine_client

        assert timeout_s > 0, f"timeout_s must be positive, got {timeout_s}"
        self.client = engine_client()  # a handle of its own (see the module docstring)
        self.settings = {
            "readonly": 2,
            "max_execution_time": timeout_s,
            "timeout_overflow_mode": "throw",
            "max_result_rows": max_rows,
            "result_overflow_mode": "throw",
            "max_memory_usage": max_memory_bytes,
        }
        self._guard_names = re.compile(r"\b(?:" + "|".join(self.settings) + r")\b", re.IGNORECASE)

    def run(self, sql: str) -> Execution:
        t0 = time.perf_counter()
        if m := self._guard_names.search(sql):
            return Execution(code="EVAL_GUARD_OVERRIDE", message=f"the query names the guard setting {m.group(0)!r}")
        try:
            result = self.client.query(sql.strip().rstrip(";"), settings=self.settings)
        except Exception as e:  # the driver raises its own DatabaseError subclasses; all mean "failed"
            name, msg = short_engine_message(str(e))
            return Execution(code=ENGINE_ERROR_CODES.get(name, "EVAL_EXEC_ERROR"), engine_error=name,
                             message=msg, seconds=time.perf_counter() - t0)
        return Execution(rows=[tuple(r) for r in result.result_rows], columns=list(result.column_names),
                         seconds=time.perf_counter() - t0)
