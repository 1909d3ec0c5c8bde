"""Pull a BigQuery catalog (and optionally recent query history) with google-cloud-bigquery.

Catalog: ``INFORMATION_SCHEMA.COLUMNS`` (types, order), ``COLUMN_FIELD_PATHS`` (descriptions, nested
STRUCT fields), ``TABLE_OPTIONS`` (table descriptions) and ``TABLES`` (the ``ddl`` column where the service
has it; the local emulator does not, so the CREATE statement is rebuilt from the columns). Written like the
ClickHouse catalog: ``schemas/bigquery/<dataset>.sql`` + ``schemas/bigquery/catalog.json``.

Credentials come from the client library's own mechanisms: Application Default Credentials, or a
service-account key file named in the profile. A profile with ``emulator_endpoint`` talks to a local
emulator with anonymous credentials.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlcurate.connectors.clickhouse import PullError, PullSummary
from sqlcurate.connectors.profiles import Profile, scrub
from sqlcurate.connectors.store import read_watermarks, write_catalog, write_watermark
from sqlcurate.fileio import write_jsonl
from sqlcurate.records import Column, QueryRecord, TableRecord
from sqlcurate.workspace import BIGQUERY_JOBS

CODES = {
    "BQ_NO_CREDENTIALS": "no BigQuery credentials found (ADC, key file or emulator endpoint)",
    "BQ_BAD_NAME": "a project or dataset name that is not a BigQuery identifier",
    "BQ_QUERY_FAILED": "BigQuery rejected an INFORMATION_SCHEMA query",
    "BQ_JOBS_UNAVAILABLE": "INFORMATION_SCHEMA.JOBS could not be read; query history skipped",
}

_PROJECT = re.compile(r"^[a-z][a-z0-9\-]{0,62}$")
_DATASET = re.compile(r"^[A-Za-z0-9_]{1,1024}$")


def connect(profile: Profile):
    from google.cloud import bigquery

    try:
        if profile.emulator_endpoint:
            from google.api_core.client_options import ClientOptions
            from google.auth.credentials import AnonymousCredentials

            return bigquery.Client(project=profile.project or "local", credentials=AnonymousCredentials(),
                                   client_options=ClientOptions(api_endpoint=profile.emulator_endpoint),
                                   location=profile.location)
        if profile.credentials_file:
            return bigquery.Client.from_service_account_json(profile.credentials_file, project=profile.project or None,
                                                             location=profile.location)
        return bigquery.Client(project=profile.project or None, location=profile.location)
    except Exception as e:  # google.auth raises several types; one clear message for all
        raise PullError("BQ_NO_CREDENTIALS", f"{profile.target()}: cannot create a BigQuery client: "
                        f"{scrub(str(e), profile).splitlines()[0][:300]} (run `gcloud auth application-default "
                        f"login`, set credentials_file in the profile, or emulator_endpoint for a local emulator)") from None


def _rows(client, sql: str, profile: Profile, params=()) -> list[dict]:
    from google.cloud import bigquery

    try:
        job = client.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=list(params)))
        return [dict(r.items()) for r in job.result()]
    except Exception as e:
        raise PullError("BQ_QUERY_FAILED", f"{profile.target()}: {scrub(str(e), profile).splitlines()[0][:400]}") from None


def _option_text(value: str | None) -> str:
    """TABLE_OPTIONS values are SQL literals (``"All orders"``); the text inside."""
    if not value:
        return ""
    try:
        decoded = json.loads(value)
        return decoded if isinstance(decoded, str) else value
    except json.JSONDecodeError:
        return value.strip("'\"")


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def rebuild_ddl(dataset: str, table: str, columns: list[Column], nullable: dict[str, bool], comment: str) -> str:
    """A BigQuery CREATE TABLE from the catalog, for services that do not report ``ddl``."""
    lines = []
    for c in columns:
        not_null = "" if nullable.get(c.name, True) or c.type.startswith("ARRAY") else " NOT NULL"
        options = f" OPTIONS(description={_quote(c.comment)})" if c.comment else ""
        lines.append(f"  {c.name} {c.type}{not_null}{options}")
    tail = f"\nOPTIONS(description={_quote(comment)})" if comment else ""
    return f"CREATE TABLE `{dataset}.{table}`\n(\n" + ",\n".join(lines) + f"\n){tail}"


def pull_catalog(client, profile: Profile, datasets: list[str]) -> list[TableRecord]:
    project = client.project
    if not _PROJECT.match(project):
        raise PullError("BQ_BAD_NAME", f"project {project!r} is not a BigQuery project id")
    tables: list[TableRecord] = []
    for dataset in datasets:
        if not _DATASET.match(dataset):
            raise PullError("BQ_BAD_NAME", f"dataset {dataset!r} is not a BigQuery dataset name")
        schema = f"`{project}.{dataset}`.INFORMATION_SCHEMA"
        table_rows = _rows(client, f"SELECT * FROM {schema}.TABLES ORDER BY table_name", profile)
        column_rows = _rows(client, f"SELECT table_name, column_name, ordinal_position, is_nullable, data_type "
                                    f"FROM {schema}.COLUMNS ORDER BY table_name, ordinal_position", profile)
        path_rows = _rows(client, f"SELECT table_name, column_name, field_path, description "
                                  f"FROM {schema}.COLUMN_FIELD_PATHS", profile)
        option_rows = _rows(client, f"SELECT table_name, option_name, option_value FROM {schema}.TABLE_OPTIONS", profile)
        descriptions = {(r["table_name"], r["field_path"]): r["description"] or "" for r in path_rows}
        table_comment = {r["table_name"]: _option_text(r["option_value"]) for r in option_rows
                         if r["option_name"] == "description"}
        by_table: dict[str, list[dict]] = {}
        for r in column_rows:
            by_table.setdefault(r["table_name"], []).append(r)
        for t in table_rows:
            name = t["table_name"]
            cols, nullable = [], {}
            for r in by_table.get(name, []):
                col = r["column_name"]
                nested = [f"{path[len(col) + 1:]}: {text}" for (tn, path), text in sorted(descriptions.items())
                          if tn == name and path.startswith(col + ".") and text]
                comment = "; ".join(filter(None, [descriptions.get((name, col), "")] + nested))
                cols.append(Column(name=col, type=r["data_type"], comment=comment))
                nullable[col] = r["is_nullable"] != "NO"
            comment = table_comment.get(name, "")
            ddl = t.get("ddl") or rebuild_ddl(dataset, name, cols, nullable, comment)
            tables.append(TableRecord(source=f"bigquery:{project}", database=dataset, name=name, columns=cols,
                                      comment=comment, engine=t.get("table_type", ""), ddl=ddl, dialect="bigquery"))
    return tables


def pull_jobs(client, profile: Profile, workspace: Path) -> tuple[int, str]:
    """Finished SELECT jobs since the watermark, grouped by query text -> ``bigquery_jobs.jsonl``.
    Returns (templates written, warning or "")."""
    from google.cloud import bigquery

    region = f"region-{profile.location.lower()}"
    key = f"{profile.target()}|{region}.INFORMATION_SCHEMA.JOBS"
    after = read_watermarks(workspace).get(key, "1970-01-01T00:00:00+00:00")
    jobs_view = f"`{client.project}`.`{region}`.INFORMATION_SCHEMA.JOBS"
    try:
        # The service reports failures in error_result (a STRUCT); the emulator in error_reason.
        columns = {f.name for f in client.query(f"SELECT * FROM {jobs_view} WHERE FALSE").result().schema}
        failed = next((c for c in ("error_result", "error_reason") if c in columns), None)
        sql = (f"SELECT query, COUNT(*) AS n, MIN(creation_time) AS first_seen, MAX(creation_time) AS last_seen, "
               f"ARRAY_AGG(DISTINCT user_email) AS users FROM {jobs_view} "
               f"WHERE job_type = 'QUERY' AND statement_type = 'SELECT' AND state = 'DONE' "
               f"{f'AND {failed} IS NULL ' if failed else ''}"
               f"AND creation_time > @after AND NOT REGEXP_CONTAINS(query, r'(?i)INFORMATION_SCHEMA') GROUP BY query")
        rows = _rows(client, sql, profile, [bigquery.ScalarQueryParameter("after", "TIMESTAMP", after)])
    except Exception as e:
        return 0, f"BQ_JOBS_UNAVAILABLE {scrub(str(e), profile).splitlines()[0][:300]}"
    records = {}
    path = workspace / BIGQUERY_JOBS
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = QueryRecord.model_validate_json(line)
            records[rec.normalized_hash] = rec
    from sqlcurate.sql.fingerprint import fingerprint

    high = after
    for r in rows:
        h = fingerprint(r["query"], dialect="bigquery")
        first, last = r["first_seen"].isoformat(), r["last_seen"].isoformat()
        high = max(high, last)
        old = records.get(h)
        records[h] = QueryRecord(
            source=f"bigquery:{region}.INFORMATION_SCHEMA.JOBS", query=r["query"], normalized_hash=h,
            count=int(r["n"]) + (old.count if old else 0), first_seen=min(filter(None, [first, old and old.first_seen])),
            last_seen=last, users=sorted(set(r["users"] or []) | set(old.users if old else [])), dialect="bigquery")
    write_jsonl(path, sorted(records.values(), key=lambda r: (-r.count, r.normalized_hash)))
    if high != after:
        write_watermark(workspace, key, high)
    return len(records), ""


def pull_bigquery(profile: Profile, workspace: Path = Path("."), datasets: list[str] | None = None,
                  jobs: bool = True, client=None) -> tuple[PullSummary, list[str]]:
    """The whole ``sqlcurate pull bigquery``: catalog, then (optionally) query history. Returns the
    summary and warnings (e.g. the history could not be read)."""
    workspace = Path(workspace)
    client = client or connect(profile)
    wanted = list(datasets or profile.datasets)
    if not wanted:
        wanted = [d.dataset_id for d in client.list_datasets()]
    tables = pull_catalog(client, profile, wanted)
    summary = PullSummary(tables=len(tables))
    if tables:
        summary.catalog_paths = write_catalog(workspace, "bigquery", tables, profile.target())
    warnings = []
    if jobs:
        summary.templates_total, warning = pull_jobs(client, profile, workspace)
        summary.records_path = workspace / BIGQUERY_JOBS if not warning else None
        warnings += [warning] if warning else []
    return summary, warnings
