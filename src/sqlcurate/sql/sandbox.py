"""A child process that owns an embedded ClickHouse engine and runs SQL we did not write, with limits.

Three layers, so that one missed case is not a hole (docs/security.md):

1. The statement allow-list (``sqlcurate.sql.allowlist``), decided on ClickHouse's own parse in the child.
2. The engine's own guards: untrusted SQL runs on a connection opened with ``readonly = 1`` and the limits
   as connection settings, so no query can change them (a ``SETTINGS`` clause or ``SET`` is a READONLY
   error), table functions that reach files or the network are READONLY errors too, and
   ``max_execution_time``, ``max_result_rows``/``bytes``, ``max_memory_usage`` and ``max_rows_to_read`` hold.
3. The OS: the child runs with a scrubbed environment, in an empty working directory, under ``RLIMIT_AS``,
   ``RLIMIT_CPU``, ``RLIMIT_FSIZE`` and no core files, in a network namespace of its own where the kernel
   allows one, and the parent kills its whole process group when an answer is later than the timeout plus
   ``GRACE_S``. The parent then records ``EXEC_TIMEOUT`` and starts a fresh child on the next request,
   replaying the trusted setup (scratch tables, sample rows) first.

chdb is one engine per process: the child is started once per ``Sandbox`` and serves every request of a
run (starting one costs a fraction of a second, see docs/benchmarks.md), so an eval of hundreds of answers
pays it once. Results travel as JSON with typed values tagged (``encode``/``decode``), never as pickles.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import math
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import weakref
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlcurate.errors import SqlcurateError
from sqlcurate.sql.allowlist import CODES as ALLOWLIST_CODES

CODES = {
    **ALLOWLIST_CODES,
    "EXEC_TIMEOUT": "the query ran past the time limit (the engine's, or the sandbox's hard kill)",
    "EXEC_MEMORY": "the query went over the memory limit",
    "EXEC_TOO_MANY_ROWS": "the query read or returned more rows or bytes than the limits allow",
    "EXEC_CRASHED": "the sandbox process died while running the query (it is restarted for the next one)",
}

# ClickHouse error names -> the sandbox's reason code; other engine errors are the caller's to name.
ENGINE_ERROR_CODES = {
    "TIMEOUT_EXCEEDED": "EXEC_TIMEOUT",
    "MEMORY_LIMIT_EXCEEDED": "EXEC_MEMORY",
    "CANNOT_ALLOCATE_MEMORY": "EXEC_MEMORY",
    "TOO_MANY_ROWS_OR_BYTES": "EXEC_TOO_MANY_ROWS",
    "TOO_MANY_ROWS": "EXEC_TOO_MANY_ROWS",
    "TOO_MANY_BYTES": "EXEC_TOO_MANY_ROWS",
}

MAX_ANSWER_BYTES = 256 * 1024**2  # a JSON answer line; the engine's max_result_bytes binds well before it
GRACE_S = 1.5  # the engine's own timer fires first; the kill is for what it cannot interrupt
START_TIMEOUT_S = 60.0  # a cold start on a loaded 2-core box


@dataclass(frozen=True)
class Limits:
    """Per-request limits; each distinct set gets its own read-only connection in the child."""

    timeout_s: float = 5.0
    max_rows: int = 100_000
    max_result_bytes: int = 64 * 1024**2
    max_memory_bytes: int = 2 * 1024**3
    max_rows_to_read: int = 1_000_000_000


@dataclass
class Outcome:
    """What the child answered: rows and columns, or a reason code (refusal, limit) or an engine error."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    code: str = ""  # one of CODES, or "" (success, or a plain engine error in ``error``)
    error: str = ""  # the engine's error text
    message: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.code and not self.error


class SandboxError(SqlcurateError):
    code = "SANDBOX_START"


# --- typed values as JSON -------------------------------------------------------------------------------

def encode(value: Any) -> Any:
    """A JSON value for a result cell; types JSON lacks are tagged ``{"~type": text}``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"~f": repr(value)}
    if isinstance(value, Decimal):
        return {"~dec": str(value)}
    if isinstance(value, dt.datetime):
        return {"~dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"~d": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"~td": value.total_seconds()}
    if isinstance(value, bytes):
        return {"~b": value.hex()}
    if isinstance(value, uuid.UUID):
        return {"~uuid": str(value)}
    if isinstance(value, (list, tuple)):
        return {"~t": [encode(v) for v in value]} if isinstance(value, tuple) else [encode(v) for v in value]
    if isinstance(value, dict):
        return {"~map": [[encode(k), encode(v)] for k, v in value.items()]}
    return str(value)


_DECODERS = {
    "~f": float, "~dec": Decimal, "~dt": dt.datetime.fromisoformat, "~d": dt.date.fromisoformat,
    "~td": lambda s: dt.timedelta(seconds=s), "~b": bytes.fromhex, "~uuid": uuid.UUID,
    "~t": lambda items: tuple(decode(v) for v in items),
    "~map": lambda pairs: {_hashable(decode(k)): decode(v) for k, v in pairs},
}


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        ((tag, inner),) = value.items()
        return _DECODERS[tag](inner)
    return value


# --- the OS layer, applied in the forked child before exec ----------------------------------------------

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


def _own_network_namespace() -> bool:
    """A network namespace with no interfaces: no connection out, not even to 127.0.0.1. Needs root or
    unprivileged user namespaces; where neither is allowed the other layers still stop network access."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) == 0:
        return True
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0:
        return False
    # the same user inside the new user namespace, so files keep their owner as the engine sees them
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)
    return True


def _limit_child(address_space: int, cpu_s: int, file_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _own_network_namespace()


# --- the parent side --------------------------------------------------------------------------------------

class Sandbox:
    """One child process with its own engine, restarted after a kill; trusted setup is replayed."""

    def __init__(self, engine_dir: str | os.PathLike | None = None, *, databases: Iterable[str] | None = (),
                 address_space_bytes: int = 8 * 1024**3,
                 cpu_s: int = 3600, file_bytes: int = 8 * 1024**3):
        """``engine_dir``: an existing engine directory (a workspace's) the child opens; None: a private
        one under the sandbox's run directory, removed by ``close``. ``databases``: the databases its
        users let untrusted queries read, unless they say otherwise; None: every database of the engine
        but ``system`` and ``information_schema`` (an engine holding only sample data). ``address_space_bytes`` bounds the
        child's virtual memory (chdb reserves about 3 GiB at start), ``cpu_s`` its CPU seconds over its
        life, ``file_bytes`` any one file it writes."""
        self.run_dir = Path(tempfile.mkdtemp(prefix="sqlcurate-sandbox-"))
        self.workdir = self.run_dir / "cwd"  # the child's working directory and user_files_path: empty
        self.workdir.mkdir()
        self.private_engine = engine_dir is None
        self.engine_dir = self.run_dir / "engine" if engine_dir is None else Path(engine_dir).resolve()
        self.address_space_bytes = address_space_bytes
        self.cpu_s = cpu_s
        self.file_bytes = file_bytes
        self._databases = frozenset(databases) if databases is not None else None
        self._engine_databases: frozenset[str] = frozenset()  # the engine's own, as the child last said
        self.setup_log: list[str] = []  # trusted statements, replayed into a restarted child
        self.starts = 0
        self.kills = 0
        self.network_isolated: bool | None = None  # known after the first start
        self._proc: subprocess.Popen | None = None
        self._buffer = b""
        self._overflow = False
        # the run directory goes at interpreter exit too; the child leaves when its stdin closes
        weakref.finalize(self, shutil.rmtree, self.run_dir, True)

    # lifecycle
    def _start(self) -> None:
        src = str(Path(__file__).resolve().parents[2])  # this checkout's sqlcurate, not another install's
        boot = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from sqlcurate.sql.sandbox_child import serve; serve(sys.argv[2], sys.argv[3])")
        if self.private_engine and self.starts:
            shutil.rmtree(self.engine_dir, ignore_errors=True)  # a killed engine's files: rebuild from the log
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.workdir), "TMPDIR": str(self.workdir), "LANG": "C.UTF-8"}
        with open(self.run_dir / "stderr.log", "ab") as stderr:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-c", boot, src, str(self.engine_dir), str(self.workdir)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, cwd=self.workdir, env=env,
                start_new_session=True, close_fds=True,
                preexec_fn=lambda: _limit_child(self.address_space_bytes, self.cpu_s, self.file_bytes))
        self._buffer = b""
        self.starts += 1
        hello = self._read(START_TIMEOUT_S)
        if hello is None or "ready" not in hello:
            self._kill()
            raise SandboxError(None, f"the SQL sandbox did not start ({self._stderr_tail() or 'no message'})")
        self.network_isolated = hello["network_isolated"]
        self._engine_databases = frozenset(hello["databases"])
        for sql in self.setup_log:
            answer = self._call({"op": "setup", "sql": sql}, START_TIMEOUT_S)
            if answer is None or "error" in answer:
                self._kill()
                raise SandboxError(None, f"the SQL sandbox could not replay its setup: {sql[:80]}")

    def start(self) -> None:
        """Start the child now (it also starts on the first request, and after a kill)."""
        if self._proc is None:
            self._start()

    def _kill(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
            for pipe in (self._proc.stdin, self._proc.stdout):
                pipe.close()
            self._proc = None

    def close(self) -> None:
        self._kill()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def __del__(self) -> None:  # a sandbox dropped without close: its child goes with it
        if getattr(self, "_proc", None) is not None:
            self.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def databases(self) -> frozenset[str]:
        """What untrusted SQL may read unless a caller says otherwise: the ``databases`` given, else the
        engine's own (the child is started to learn them)."""
        if self._databases is not None:
            return self._databases
        self.start()
        return self._engine_databases

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _stderr_tail(self) -> str:
        try:
            lines = (self.run_dir / "stderr.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1][:300] if lines else ""

    # the pipe
    def _read(self, timeout_s: float) -> dict | None:
        """The child's next JSON line, or None when it is late, gone, garbled, or longer than
        MAX_ANSWER_BYTES (then ``_overflow`` is set)."""
        deadline = time.monotonic() + timeout_s
        fd = self._proc.stdout.fileno()
        chunks, size = [self._buffer], len(self._buffer)
        while b"\n" not in chunks[-1]:
            left = deadline - time.monotonic()
            if size > MAX_ANSWER_BYTES:
                self._overflow = True
                return None
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    return None
                chunks.append(chunk)
                size += len(chunk)
        line, self._buffer = b"".join(chunks).split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            return None

    def _call(self, request: dict, timeout_s: float) -> dict | None:
        if self._proc is None:
            self._start()
        try:
            self._proc.stdin.write(json.dumps(request).encode() + b"\n")
            self._proc.stdin.flush()
        except BrokenPipeError:
            return None
        return self._read(timeout_s)

    def _lost(self, started: float, timeout_s: float) -> Outcome:
        """The child did not answer in time (killed here) or died: the reason code, and a fresh start next."""
        late = self._proc is not None and self._proc.poll() is None
        status = None if late else (self._proc.returncode if self._proc is not None else None)
        self.kills += late
        self._kill()
        seconds = time.perf_counter() - started
        if self._overflow:
            self._overflow = False
            return Outcome(code="EXEC_TOO_MANY_ROWS", message=f"the answer was over {MAX_ANSWER_BYTES} bytes",
                           seconds=seconds)
        if late or status == -signal.SIGXCPU:
            return Outcome(code="EXEC_TIMEOUT", message=f"no answer after {timeout_s:g} s: the sandbox was killed",
                           seconds=seconds)
        return Outcome(code="EXEC_CRASHED", message=f"the sandbox exited with status {status} ({self._stderr_tail()})",
                       seconds=seconds)

    # requests
    def setup(self, sql: str) -> None:
        """Run a trusted statement (our own DDL or load) on the child's writable connection, and remember
        it for a restarted child. Raises SandboxError with the engine's text when it fails."""
        answer = self._call({"op": "setup", "sql": sql}, START_TIMEOUT_S)
        if answer is None:
            self._kill()
            raise SandboxError(None, f"the SQL sandbox died running setup: {sql[:80]}")
        if "error" in answer:
            raise SandboxError("SANDBOX_SETUP", answer["error"])
        self._engine_databases = frozenset(answer["databases"])
        self.setup_log.append(sql)

    def trusted_rows(self, sql: str) -> list[tuple]:
        """Rows of a trusted read (a count after a load); not replayed."""
        answer = self._call({"op": "trusted", "sql": sql}, START_TIMEOUT_S)
        if answer is None or "error" in answer:
            raise SandboxError("SANDBOX_SETUP", (answer or {}).get("error", "the SQL sandbox died"))
        return [tuple(decode(v) for v in row) for row in answer["rows"]]

    def explain_many(self, sqls: list[str], databases: frozenset[str] | set[str], limits: Limits = Limits(),
                     workers: int = 1) -> list[Outcome]:
        """``run(sql, explain=True)`` of each, planned by the child over ``workers`` connections side by
        side. Each answer must come within the timeout of the one before; when one does not, the child is
        killed and the unanswered queries are planned one by one, so only the runaway one times out."""
        if len(sqls) < 2 or workers == 1:
            return [self.run(sql, databases, limits, explain=True) for sql in sqls]
        t0 = time.perf_counter()
        out: list[Outcome | None] = [None] * len(sqls)
        request = {"op": "explain_many", "sqls": sqls, "databases": sorted(databases), "limits": asdict(limits),
                   "workers": workers}
        answer = self._call(request, limits.timeout_s + GRACE_S)
        while answer is not None:
            out[answer["i"]] = self._outcome(answer, time.perf_counter() - t0)
            if all(o is not None for o in out):
                return out
            answer = self._read(limits.timeout_s + GRACE_S)
        self._kill()
        self.kills += 1
        return [o if o is not None else self.run(sql, databases, limits, explain=True) for o, sql in zip(out, sqls, strict=True)]

    def run(self, sql: str, databases: frozenset[str] | set[str], limits: Limits = Limits(), *,
            explain: bool = False) -> Outcome:
        """Screen ``sql`` and run it (or only ``EXPLAIN PLAN`` it) under ``limits``; tables may come only
        from ``databases`` (bare names resolve in the engine's current database)."""
        self.start()
        t0 = time.perf_counter()  # the limit is on the query, not on (re)starting the child
        request = {"op": "explain" if explain else "query", "sql": sql, "databases": sorted(databases),
                   "limits": asdict(limits)}
        answer = self._call(request, limits.timeout_s + GRACE_S)
        if answer is None:
            return self._lost(t0, limits.timeout_s)
        return self._outcome(answer, time.perf_counter() - t0)

    @staticmethod
    def _outcome(answer: dict, seconds: float) -> Outcome:
        if "refused" in answer:
            return Outcome(code=answer["refused"], message=answer["message"], seconds=seconds)
        if "error" in answer:
            from sqlcurate.sql.engine import parse_engine_error

            code = ENGINE_ERROR_CODES.get(parse_engine_error(answer["error"]).name, "")
            return Outcome(code=code, error=answer["error"], seconds=seconds)
        rows = [tuple(decode(v) for v in row) for row in answer.get("rows", [])]
        return Outcome(rows=rows, columns=answer.get("columns", []), seconds=seconds)


class TrustedClient:
    """The sandbox's writable connection with the two calls ``load_sample_data`` makes on a client."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox

    def command(self, sql: str) -> None:
        self.sandbox.setup(sql)

    def query(self, sql: str):
        rows = self.sandbox.trusted_rows(sql)
        return type("Result", (), {"result_rows": rows, "first_row": rows[0] if rows else None})()
