"""Pull a ClickHouse query log and catalog through clickhouse-connect.

The query log is grouped ON THE SERVER by ``normalized_query_hash`` (literals folded), so the client holds
one row per query template, never one per query: memory is bounded by the number of templates. Rows are
streamed in blocks. Every value the user gives (``--since``, ``--users``, the watermark) is bound as a
server-side parameter (``{name:Type}``); the only text spliced into SQL is the log table, and only after
it matched a strict identifier / ``clusterAllReplicas(cluster, db.table)`` pattern.

Read-only: the session runs with ``readonly`` set. The embedded engine (chdb) gets ``readonly=1`` on a
client of its own (it reads ``system.query_log``/``system.tables`` fine under it, measured); a server gets
``readonly=2`` (no writes or DDL, but clickhouse-connect may still send per-query settings).

Incremental: the latest ``event_time_microseconds`` pulled is kept in ``training_data/raw/.watermarks.json``
per (target, log table); the next pull asks only for later rows and merges their counts into the records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlcurate.connectors.profiles import Profile, ProfileError, scrub
from sqlcurate.connectors.store import read_watermarks, write_catalog, write_watermark
from sqlcurate.errors import SqlcurateError
from sqlcurate.fileio import write_jsonl
from sqlcurate.records import Column, QueryRecord, TableRecord
from sqlcurate.workspace import QUERY_LOG, QUERY_LOG_PENDING

CODES = {
    "CH_UNREACHABLE": "the ClickHouse server could not be reached within the connect timeout",
    "CH_AUTH_FAILED": "the server refused the user or password",
    "CH_LOG_TABLE_INVALID": "--log-table is neither db.table nor clusterAllReplicas(cluster, db.table)",
    "CH_LOG_TABLE_MISSING": "the query log table does not exist (query_log off, or a copy not made)",
    "CH_QUERY_FAILED": "the server rejected a pull query (e.g. a --since it cannot parse)",
    "CH_SKIPPED_FAILED": "query log rows of failed queries, skipped",
    "CH_SKIPPED_NOT_SELECT": "query log rows of INSERT/DDL/SET and other non-SELECT queries, skipped",
    "CH_SKIPPED_NOT_INITIAL": "query log rows of secondary (distributed sub-)queries, skipped",
    "CH_SKIPPED_INTERNAL": "query log rows that read only system tables or table functions (clients, tools), skipped",
    "CH_SKIPPED_TOO_LARGE": "query log rows over the query size bound, skipped",
    "CH_BELOW_MIN_COUNT": "templates seen fewer than --min-count times, held back in the pending file",
}

SYSTEM_DATABASES = ("system", "INFORMATION_SCHEMA", "information_schema")
MAX_QUERY_CHARS = 20_000
MAX_USERS_PER_TEMPLATE = 50

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_LOG_TABLE = re.compile(rf"^(?:{_IDENT}\.)?{_IDENT}$")
_CLUSTER_LOG_TABLE = re.compile(rf"^clusterAllReplicas\(\s*'?(?P<cluster>{_IDENT})'?\s*,\s*(?P<table>(?:{_IDENT}\.)?{_IDENT})\s*\)$")

# clickhouse-connect appends its settings and output format to every query; the log keeps them.
_CLIENT_TRAILER = re.compile(
    r"\s*(?:\bSETTINGS\s+(?:[A-Za-z_][A-Za-z0-9_]*\s*=\s*(?:'(?:[^'\\]|\\.|'')*'|[^\s,']+)\s*,?\s*)+)?\bFORMAT\s+Native\s*$",
    re.S,
)


class PullError(SqlcurateError, RuntimeError):
    """A pull that cannot go on; ``code`` from a connector's CODES, message already scrubbed."""


@dataclass
class PullSummary:
    """What a pull did, for the CLI to print and the demo to check."""

    records_path: Path | None = None
    templates_new: int = 0  # templates first seen in this pull
    templates_total: int = 0  # templates in the records file after merging
    queries: int = 0  # kept query executions in this pull's window
    skipped: dict[str, int] = field(default_factory=dict)  # reason code -> rows
    pending: int = 0  # templates held back under --min-count
    watermark: str = ""
    catalog_paths: list[Path] = field(default_factory=list)
    tables: int = 0


def strip_client_trailer(query: str) -> str:
    """The query as the analyst wrote it, without clickhouse-connect's ``SETTINGS ... FORMAT Native``."""
    return _CLIENT_TRAILER.sub("", query).strip()


def validate_log_table(log_table: str) -> tuple[str, str]:
    """(SQL to put after FROM, the table's db.name as query_log lists it). Raises PullError otherwise."""
    text = log_table.strip()
    if _LOG_TABLE.match(text):
        name = text if "." in text else f"system.{text}"
        return name, name
    if m := _CLUSTER_LOG_TABLE.match(text):
        return f"clusterAllReplicas({m['cluster']}, {m['table']})", m["table"]
    raise PullError(
        "CH_LOG_TABLE_INVALID",
        f"--log-table {log_table!r} must be db.table (e.g. system.query_log) or "
        f"clusterAllReplicas(cluster, db.table)",
    )


# --------------------------------------------------------------------------------------------- connect


def connect(profile: Profile):
    """A read-only clickhouse-connect client for the profile; errors are PullError/ProfileError, scrubbed."""
    if (path := profile.chdb_path()) is not None:
        from sqlcurate.sql.engine_conn import engine_client

        return engine_client(path, readonly=1)
    import clickhouse_connect

    password = profile.password()  # raises PROFILE_PASSWORD_ENV_UNSET before any network traffic
    kwargs = dict(
        username=profile.user, password=password, connect_timeout=profile.connect_timeout,
        send_receive_timeout=max(30.0, profile.connect_timeout), settings={"readonly": 2},
        autogenerate_session_id=False,
    )
    if profile.dsn:
        kwargs["dsn"] = profile.dsn
    else:
        kwargs.update(host=profile.host or "localhost", port=profile.port or 0, secure=profile.secure,
                      database=profile.database or None)
        if not kwargs["port"]:
            kwargs.pop("port")
    try:
        return clickhouse_connect.get_client(**kwargs)
    except Exception as e:  # the driver raises many types; all become one clear message
        raise _as_pull_error(e, profile) from None


def _as_pull_error(e: Exception, profile: Profile) -> PullError:
    text = scrub(str(e), profile)
    # ClickHouse repeats the whole query after "In scope"; the reason is what comes before it.
    text = re.sub(r"\s+In scope .*?(?=\s*\(\w+\)\s*(?:\(version [^)]*\))?\.?\s*$|$)", "", text.splitlines()[0] if text else "")
    where = profile.target()
    if any(s in text for s in ("AUTHENTICATION_FAILED", "Authentication failed", "REQUIRED_PASSWORD", "password is incorrect")):
        return PullError("CH_AUTH_FAILED", f"{where}: the server refused user {profile.user!r}: {text[:300]}")
    if any(s in text for s in ("UNKNOWN_TABLE", "Unknown table", "doesn't exist")) and "query_log" in text:
        hint = (" (the embedded engine keeps system.query_log only while its process lives: pull a persistent "
                "copy with --log-table, as the demo's demo_logs.query_log)") if profile.chdb_path() else \
            " (is query_log enabled on the server, or the copy's name right?)"
        return PullError("CH_LOG_TABLE_MISSING", f"{where}: {text[:300]}{hint}")
    if any(s in text for s in ("Connection refused", "timed out", "Timeout", "Name or service not known",
                                "Failed to establish", "Max retries", "unreachable", "No route")):
        return PullError("CH_UNREACHABLE", f"{where}: cannot connect within {profile.connect_timeout:g}s "
                                           f"(is the host/port right and the server up?): {text[:200]}")
    return PullError("CH_QUERY_FAILED", f"{where}: {text[:500] or type(e).__name__}")


# ---------------------------------------------------------------------------------------------- queries

# Each kept row is a finished, initial SELECT over at least one real table, of a bounded size.
_FAILED = "type IN ('ExceptionBeforeStart', 'ExceptionWhileProcessing')"
_FINISHED_SELECT = "type = 'QueryFinish' AND query_kind = 'Select'"
_INTERNAL = (
    "(arrayExists(t -> match(t, '^(system|INFORMATION_SCHEMA|information_schema)\\\\.'), tables)"
    " OR empty(arrayFilter(t -> NOT startsWith(t, '_table_function.'), tables))"
    " OR has(tables, {log_table_name:String}))"
)
_KEPT_BUT_SIZE = f"{_FINISHED_SELECT} AND is_initial_query AND NOT {_INTERNAL}"
_KEPT = f"{_KEPT_BUT_SIZE} AND length(query) <= {{max_chars:UInt32}}"

_SKIP_REASONS = {
    "CH_SKIPPED_FAILED": _FAILED,
    "CH_SKIPPED_NOT_SELECT": "type = 'QueryFinish' AND query_kind != 'Select'",
    "CH_SKIPPED_NOT_INITIAL": f"{_FINISHED_SELECT} AND NOT is_initial_query",
    "CH_SKIPPED_INTERNAL": f"{_FINISHED_SELECT} AND is_initial_query AND {_INTERNAL}",
    "CH_SKIPPED_TOO_LARGE": f"{_KEPT_BUT_SIZE} AND length(query) > {{max_chars:UInt32}}",
}


def _window(since: str | None, users: list[str] | None, after: str | None) -> str:
    """The WHERE clause of this pull's rows; only placeholders, values go in as parameters."""
    conds = ["event_time_microseconds <= now64(6) - toIntervalSecond({settle:UInt32})"]
    if after:
        conds.append("event_time_microseconds > {after:DateTime64(6, 'UTC')}")
    if since:
        conds.append("event_time >= parseDateTimeBestEffort({since:String}, 'UTC')")
    if users:
        conds.append("has({users:Array(String)}, user)")
    return " AND ".join(conds)


def _ts(value: datetime | str) -> str:
    """ISO 8601 UTC with microseconds, from the server's UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def pull_query_log(
    client, profile: Profile, workspace: Path, log_table: str | None = None, since: str | None = None,
    users: list[str] | None = None, min_count: int = 1, max_query_chars: int = MAX_QUERY_CHARS,
    block_rows: int = 10_000,
) -> PullSummary:
    """Pull the query templates since the stored watermark and merge them into the records file."""
    assert min_count >= 1, "--min-count must be at least 1"
    from_sql, log_table_name = validate_log_table(log_table or profile.log_table)
    mark_key = f"{profile.target()}|{from_sql}"
    after = read_watermarks(workspace).get(mark_key)
    params = {"log_table_name": log_table_name, "max_chars": max_query_chars, "settle": profile.settle()}
    params.update({k: v for k, v in (("after", after), ("since", since), ("users", list(users or []))) if v})
    where = _window(since, users, after)
    summary = PullSummary(records_path=workspace / QUERY_LOG)
    source = f"clickhouse:{log_table_name}"

    counts_sql = (
        "SELECT " + ", ".join(f"countIf({cond}) AS {code}" for code, cond in _SKIP_REASONS.items())
        + f", countIf({_KEPT}) AS kept, toString(toTimeZone(max(event_time_microseconds), 'UTC')) AS high"
        + f" FROM {from_sql} WHERE {where}"
    )
    grouped_sql = f"""
        SELECT toString(normalized_query_hash) AS hash, count() AS n,
               toString(toTimeZone(min(event_time_microseconds), 'UTC')) AS first_seen,
               toString(toTimeZone(max(event_time_microseconds), 'UTC')) AS last_seen,
               groupUniqArray({MAX_USERS_PER_TEMPLATE})(user) AS user_names,
               avg(query_duration_ms) AS mean_ms,
               argMax((query, log_comment), (log_comment != '', event_time_microseconds)) AS example,
               groupUniqArrayArray(tables) AS table_names
        FROM {from_sql} WHERE {where} AND {_KEPT}
        GROUP BY normalized_query_hash"""  # the example and its question come from one row
    try:
        counts = client.query(counts_sql, parameters=params).first_row
        names = list(_SKIP_REASONS) + ["kept", "high"]
        row = dict(zip(names, counts, strict=True))
        summary.skipped = {code: int(row[code]) for code in _SKIP_REASONS if row[code]}
        summary.queries = int(row["kept"])
        new: dict[str, QueryRecord] = {}
        with client.query_row_block_stream(grouped_sql, parameters=params) as stream:
            for block in stream:
                for h, n, first, last, who, mean_ms, (example, comment), tables in block:
                    new[h] = QueryRecord(
                        source=source, query=strip_client_trailer(example), normalized_hash=h, count=int(n),
                        first_seen=_ts(first), last_seen=_ts(last), users=sorted(who),
                        mean_duration_ms=round(float(mean_ms), 3), log_comment=comment,
                        tables=sorted(t for t in tables if not t.startswith("_table_function.")),
                    )
    except (PullError, ProfileError):
        raise
    except Exception as e:
        raise _as_pull_error(e, profile) from None

    merged = _read_records(workspace / QUERY_LOG)
    pending = _read_records(workspace / QUERY_LOG_PENDING)
    before = set(merged) | set(pending)
    for h, rec in new.items():
        old = merged.get(h) or pending.pop(h, None)
        merged[h] = _merge(old, rec) if old else rec
    ready = {h: r for h, r in merged.items() if r.count >= min_count}
    pending.update({h: r for h, r in merged.items() if r.count < min_count})
    summary.templates_new = len(set(new) - before)
    summary.templates_total = write_jsonl(workspace / QUERY_LOG, sorted(ready.values(), key=_order))
    summary.pending = len(pending)
    if pending or (workspace / QUERY_LOG_PENDING).exists():
        write_jsonl(workspace / QUERY_LOG_PENDING, sorted(pending.values(), key=_order))
    if pending:
        summary.skipped["CH_BELOW_MIN_COUNT"] = len(pending)
    if row["high"] and summary.queries + sum(summary.skipped.values()) > 0:
        summary.watermark = row["high"]
        write_watermark(workspace, mark_key, row["high"])
    else:
        summary.watermark = after or ""
    return summary


def _order(rec: QueryRecord) -> tuple:
    return (-rec.count, rec.normalized_hash)


def _read_records(path: Path) -> dict[str, QueryRecord]:
    if not path.is_file():
        return {}
    out = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = QueryRecord.model_validate_json(line)
                out[rec.normalized_hash] = rec
    return out


def _merge(old: QueryRecord, new: QueryRecord) -> QueryRecord:
    """One template seen in two pulls: counts add, times widen, the newest example wins."""
    total = old.count + new.count
    mean = None
    if old.mean_duration_ms is not None and new.mean_duration_ms is not None:
        mean = round((old.mean_duration_ms * old.count + new.mean_duration_ms * new.count) / total, 3)
    return new.model_copy(update=dict(
        count=total,
        first_seen=min(filter(None, [old.first_seen, new.first_seen]), default=None),
        last_seen=max(filter(None, [old.last_seen, new.last_seen]), default=None),
        users=sorted(set(old.users) | set(new.users))[:MAX_USERS_PER_TEMPLATE],
        mean_duration_ms=mean,
        log_comment=new.log_comment or old.log_comment,
        tables=sorted(set(old.tables) | set(new.tables)),
    ))


# ---------------------------------------------------------------------------------------------- catalog


def pull_catalog(client, profile: Profile, databases: list[str] | None = None,
                 exclude: tuple[str, ...] = ()) -> list[TableRecord]:
    """Tables and columns (with comments and CREATE statements) of the chosen databases, or of every
    non-system database except ``exclude`` (the log copy's database, which is not analyst data)."""
    wanted = list(databases or profile.databases)
    params = {"system": list(SYSTEM_DATABASES), "wanted": wanted, "exclude": list(exclude)}
    filt = "has({wanted:Array(String)}, database)" if wanted else \
        "NOT has({system:Array(String)}, database) AND NOT has({exclude:Array(String)}, database)"
    try:
        tables = client.query(
            f"SELECT database, name, engine, create_table_query, comment FROM system.tables "
            f"WHERE {filt} AND NOT is_temporary ORDER BY database, name", parameters=params).result_rows
        columns = client.query(
            f"SELECT database, table, name, type, comment FROM system.columns WHERE {filt} "
            f"ORDER BY database, table, position", parameters=params).result_rows
    except Exception as e:
        raise _as_pull_error(e, profile) from None
    by_table: dict[tuple[str, str], list[Column]] = {}
    for db, table, name, type_, comment in columns:
        by_table.setdefault((db, table), []).append(Column(name=name, type=type_, comment=comment))
    source = f"clickhouse:{profile.target()}"
    return [
        TableRecord(source=source, database=db, name=name, columns=by_table.get((db, name), []), comment=comment,
                    engine=engine, ddl=ddl, dialect="clickhouse")
        for db, name, engine, ddl, comment in tables
    ]


def pull_clickhouse(
    profile: Profile, workspace: Path = Path("."), log_table: str | None = None, since: str | None = None,
    users: list[str] | None = None, min_count: int = 1, databases: list[str] | None = None,
    client=None,
) -> PullSummary:
    """The whole ``sqlcurate pull clickhouse``: query log templates, then the catalog."""
    workspace = Path(workspace)
    client = client or connect(profile)
    summary = pull_query_log(client, profile, workspace, log_table, since, users, min_count)
    _, log_table_name = validate_log_table(log_table or profile.log_table)
    log_db = log_table_name.split(".", 1)[0]
    tables = pull_catalog(client, profile, databases, exclude=(log_db,))
    summary.tables = len(tables)
    if tables:
        summary.catalog_paths = write_catalog(workspace, "clickhouse", tables, profile.target())
    return summary
