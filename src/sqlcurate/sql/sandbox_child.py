"""The sandbox child's loop: one JSON request per stdin line, one JSON answer per stdout line.

Started only by ``sqlcurate.sql.sandbox.Sandbox`` (under its OS limits). It owns the process's one chdb
engine: a writable connection for the parent's trusted setup, and for untrusted SQL one connection per
set of limits, opened with ``readonly = 1`` and the limits as connection settings (so the query cannot
lift them). Every untrusted statement is canonicalized by ``formatQuery`` and screened on ClickHouse's
``EXPLAIN AST`` (``sqlcurate.sql.allowlist``) before it runs; what runs is the canonical text screened.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
from pathlib import Path
from urllib.parse import urlencode

from sqlcurate.sql.allowlist import Refusal, screen
from sqlcurate.sql.sandbox import encode

BATCH_FORMAT_BYTES = 200_000  # under ClickHouse's max_query_size (256 KiB) for one statement

_CONFIG = """<clickhouse>
  <user_files_path>{files}/</user_files_path>
</clickhouse>
"""


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


class _Engine:
    def __init__(self, engine_dir: str, workdir: str):
        import chdb

        self.chdb = chdb
        config = Path(workdir).parent / "engine-config.xml"
        config.write_text(_CONFIG.format(files=workdir))
        self.base = f"{engine_dir}?{urlencode({'config-file': str(config)})}"
        self.writer = chdb.connect(self.base)
        names = self.writer.query("SELECT name FROM system.table_functions", "JSONCompactColumns").bytes()
        self.table_functions = frozenset(json.loads(names)[0])
        self.readers: dict[tuple, object] = {}

    def reader(self, limits: dict, slot: int = 0, semantic: dict[str, str] | None = None):
        """A readonly connection with ``limits`` (and a query's ``semantic`` settings) preset."""
        key = (*sorted(limits.items()), slot, *sorted((semantic or {}).items()))
        if key not in self.readers:
            settings = {**(semantic or {}),
                "readonly": 1, "log_queries": 0,
                "max_execution_time": limits["timeout_s"], "timeout_overflow_mode": "throw",
                "max_result_rows": limits["max_rows"], "max_result_bytes": limits["max_result_bytes"],
                "result_overflow_mode": "throw", "max_memory_usage": limits["max_memory_bytes"],
                "max_rows_to_read": limits["max_rows_to_read"], "read_overflow_mode": "throw",
            }
            self.readers[key] = self.chdb.connect(f"{self.base}&{urlencode(settings)}")
        return self.readers[key]

    def discard(self, conn) -> None:
        """Close a connection after an engine error: chdb (4.4) prepends what a query wrote before it
        failed (a division by zero in its 70,000th row, a timeout) to the next answer on the same
        connection, and a fresh connection starts clean. The writer is reopened before the old one
        closes, so the engine (and its Memory tables) never loses its last connection."""
        if conn is self.writer:
            self.writer = self.chdb.connect(self.base)
            conn.close()
            return
        for key, reader in list(self.readers.items()):
            if reader is conn:
                del self.readers[key]
                conn.close()

    def formatted(self, conn, sqls: list[str]) -> list[str | None]:
        """``formatQueryOrNull`` of many statements in one engine call (None where one does not parse, or
        where the batch is too long for one call): ``canonical`` then skips its own call."""
        literal = "[" + ", ".join(_quote(sql) for sql in sqls) + "]"
        if len(literal) > BATCH_FORMAT_BYTES:
            return [None] * len(sqls)
        try:
            return json.loads(conn.query(f"SELECT arrayMap(q -> formatQueryOrNull(q), {literal}) AS f",
                                         "JSONEachRow").bytes())["f"]
        except Exception:  # noqa: BLE001 - each statement then asks on its own, and gets its own error
            self.discard(conn)
            return [None] * len(sqls)

    def canonical(self, conn, sql: str, databases: list[str], text: str | None = None) -> dict | tuple[str, dict]:
        """The screened canonical text of ``sql`` (``text``: its ``formatQuery``, when known) with the
        semantic settings it carries, or the answer that refuses it."""
        try:
            if text is None:
                text = json.loads(conn.query(f"SELECT formatQuery({_quote(sql)}) AS q", "JSONEachRow").bytes())["q"]
        except Exception as e:  # noqa: BLE001 - chdb's error carries ClickHouse's text: a syntax error
            self.discard(conn)
            return {"error": str(e)}
        try:
            # only a plain query parses as a subquery; the newline keeps a trailing comment from eating ")"
            ast = conn.query(f"EXPLAIN AST SELECT * FROM (\n{text}\n)", "TSVRaw").bytes().decode()
        except Exception:  # noqa: BLE001 - parses alone but not as a subquery: not one plain query
            self.discard(conn)
            return {"refused": "EXEC_REFUSED_STATEMENT", "message": "only one plain SELECT/WITH query may run "
                    "(no INSERT, DDL, SET, SYSTEM, INTO OUTFILE or FORMAT)"}
        verdict = screen(ast, text, set(databases), self.table_functions)
        if isinstance(verdict, Refusal):
            return {"refused": verdict.code, "message": verdict.message}
        return text, verdict

    def databases(self) -> list[str]:
        """The engine's databases but its own catalogs (what a sandbox without a list may read)."""
        names = self.writer.query("SELECT name FROM system.databases WHERE lower(name) NOT IN "
                                  "('system', 'information_schema')", "JSONCompactColumns").bytes()
        return json.loads(names)[0] if names.strip() else []

    def answer(self, request: dict) -> dict:
        op = request["op"]
        try:
            if op == "setup":
                self.writer.query(request["sql"], "TSVRaw")
                return {"ok": True, "databases": self.databases()}
            if op == "trusted":
                table = self.writer.query(request["sql"], "ArrowTable")
                return _rows(table)
        except Exception as e:  # noqa: BLE001 - reported to the parent with ClickHouse's text
            self.discard(self.writer)
            return {"error": str(e)}
        limits = request["limits"]
        _cpu_budget(limits["timeout_s"])
        return self.untrusted(op, request["sql"], request["databases"], limits)

    def untrusted(self, op: str, sql: str, databases: list[str], limits: dict, slot: int = 0,
                  formatted: str | None = None) -> dict:
        conn = self.reader(limits, slot)  # looked up each time: an engine error replaces it
        screened = self.canonical(conn, sql, databases, formatted)
        if isinstance(screened, dict):
            return screened
        text, semantic = screened
        if semantic:  # the query's own semantic settings, preset; the engine refuses any other change
            conn = self.reader(limits, slot, semantic)
        try:
            if op == "explain":
                conn.query(f"EXPLAIN PLAN {text}", "TSVRaw")  # the plan itself is not needed
                return {"ok": True}
            return _rows(conn.query(text, "ArrowTable"))
        except Exception as e:  # noqa: BLE001
            self.discard(conn)
            return {"error": str(e)}


def _rows(table) -> dict:
    columns = [c.to_pylist() for c in table.columns]
    return {"columns": list(table.column_names),
            "rows": [[encode(v) for v in row] for row in zip(*columns, strict=True)] if columns else []}


def _cpu_budget(timeout_s: float) -> None:
    """RLIMIT_CPU's soft limit at this query's budget (every core for the timeout, plus a margin): a
    query that spins past it gets SIGXCPU even if the parent's kill were late."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = used.ru_utime + used.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    budget = int(spent + 2 + timeout_s * max(1, len(os.sched_getaffinity(0))))
    resource.setrlimit(resource.RLIMIT_CPU, (min(budget, hard) if hard != resource.RLIM_INFINITY else budget, hard))


def _network_isolated() -> bool:
    try:
        lines = Path("/proc/self/net/dev").read_text().splitlines()[2:]
    except OSError:
        return False
    return {line.split(":", 1)[0].strip() for line in lines} <= {"lo"}


def _explain_many(engine: _Engine, request: dict, send) -> None:
    """Plan a batch over ``workers`` connections, one answer line per query as it completes."""
    from concurrent.futures import ThreadPoolExecutor

    sqls, workers, limits = request["sqls"], request["workers"], request["limits"]
    _cpu_budget(limits["timeout_s"] * len(sqls))

    formatted = engine.formatted(engine.reader(limits), sqls)

    def plan(slot: int) -> None:
        for i in range(slot, len(sqls), workers):
            send({"i": i, **engine.untrusted("explain", sqls[i], request["databases"], limits, slot, formatted[i])})

    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(plan, k) for k in range(min(workers, len(sqls)))]:
            future.result()


def serve(engine_dir: str, workdir: str) -> None:
    engine = _Engine(engine_dir, workdir)
    out = sys.stdout.buffer
    lock = threading.Lock()

    def send(answer: dict) -> None:
        line = json.dumps(answer, default=str).encode() + b"\n"
        with lock:
            out.write(line)
            out.flush()

    send({"ready": True, "network_isolated": _network_isolated(), "databases": engine.databases()})
    for line in sys.stdin.buffer:
        request = json.loads(line)
        if request["op"] == "explain_many":
            _explain_many(engine, request, send)
        else:
            send(engine.answer(request))
