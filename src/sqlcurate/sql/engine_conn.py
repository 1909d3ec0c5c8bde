"""The process-wide embedded ClickHouse (chdb) connection.

chdb runs one engine per process, bound to one data directory. Everything in sqlcurate that needs the
embedded engine (engine checks, the demo workspace, pulls from a ``chdb://`` DSN, eval) gets its client
here, so two parts of one process never try to open two directories. The first connection passes a
small config file that turns ``system.query_log`` on (chdb keeps it off by default).
"""

from __future__ import annotations

import atexit
import os
import tempfile
import threading
from pathlib import Path

from sqlcurate.errors import SqlcurateError

_QUERY_LOG_CONFIG = """<clickhouse>
  <query_log>
    <database>system</database>
    <table>query_log</table>
    <flush_interval_milliseconds>1000</flush_interval_milliseconds>
  </query_log>
</clickhouse>
"""

_lock = threading.Lock()
_path: str | None = None


class EngineError(SqlcurateError):
    """The embedded engine cannot be opened (missing extra, a second data directory in one process).
    Errors of queries are not exceptions of ours: ``sqlcurate.sql.engine.parse_engine_error`` reads them."""

    code = "ENGINE_UNAVAILABLE"


def _config_file() -> str:
    path = Path(tempfile.gettempdir()) / "sqlcurate-chdb-query-log.xml"
    if not path.exists() or path.read_text() != _QUERY_LOG_CONFIG:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(_QUERY_LOG_CONFIG)
        os.replace(tmp, path)
    return str(path)


def engine_client(path: str | os.PathLike | None = None, **settings):
    """A clickhouse-connect client on the process's embedded engine.

    ``path``: the engine's data directory (created if missing). ``None`` means: reuse the directory this
    process already opened, or open a private temporary one. Asking for a second, different directory in
    the same process is an error (chdb cannot do it), reported clearly instead of failing deep inside.
    """
    global _path
    try:
        import clickhouse_connect
    except ImportError as e:  # pragma: no cover - depends on the install
        raise EngineError(None, "the embedded ClickHouse engine needs `pip install 'sqlcurate[clickhouse]'`") from e
    with _lock:
        if path is None:
            wanted = _path or tempfile.mkdtemp(prefix="sqlcurate-chdb-")
        else:
            Path(path).mkdir(parents=True, exist_ok=True)
            wanted = os.path.realpath(path)
        if _path is not None and wanted != _path:
            raise EngineError(
                None,
                f"this process already uses the embedded engine at {_path}; chdb cannot open a second "
                f"directory ({wanted}) in one process"
            )
        client = clickhouse_connect.get_client(
            dsn=f"chdb://{wanted}", chdb_options={"config-file": _config_file()}, settings=settings or None
        )
        _path = wanted
        return client


def engine_path() -> str | None:
    """The data directory of this process's engine, or None if none was opened yet."""
    return _path


_raw = None


def engine_connection(path: str | os.PathLike | None = None):
    """The process's embedded engine as a raw ``chdb`` connection (same directory as ``engine_client``).

    For hot loops such as the engine check's thousands of ``EXPLAIN PLAN`` calls: it skips
    clickhouse-connect's Native-format decoding and the ``SETTINGS``/``FORMAT`` suffix it appends, which
    roughly halves the cost of a tiny query. Errors raise ``chdb`` exceptions carrying ClickHouse's text.
    """
    global _raw
    engine_client(path)  # opens (or checks) the one directory, exactly as every other caller does
    with _lock:
        if _raw is None:
            from urllib.parse import urlencode

            import chdb

            _raw = chdb.connect(f"{_path}?{urlencode({'config-file': _config_file()})}")
            # chdb crashes (SIGSEGV) at interpreter exit when this connection is still open beside a
            # clickhouse-connect client of the same engine: close it first
            atexit.register(_raw.close)
        return _raw


def extra_engine_connection():
    """Another raw ``chdb`` connection to the process's engine (opened by ``engine_connection`` first):
    one per thread that plans queries side by side. The caller closes it."""
    engine_connection()
    from urllib.parse import urlencode

    import chdb

    return chdb.connect(f"{_path}?{urlencode({'config-file': _config_file()})}")
