"""Benchmark: pull and group query_log-shaped rows from the embedded ClickHouse (chdb).

Each configuration runs in its own process (one chdb engine per process, and a clean peak RSS): it
inserts ROWS rows shaped like system.query_log (the columns the pull reads) into a MergeTree table with
numbers() on the server, then runs the real pull (`pull_query_log`, `--log-table` path) into a scratch
workspace. Peak RSS is the process's (the engine runs in-process, so its aggregation memory counts too).

    python benchmarks/pull_query_log.py            # 1M rows x 1k templates, 1M x 20k, 200k x 1k
    python benchmarks/pull_query_log.py --one ROWS TEMPLATES
"""

from __future__ import annotations

import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIGS = [(1_000_000, 1_000), (1_000_000, 20_000), (200_000, 1_000)]
RESULTS = Path(__file__).resolve().parent / "results" / "pull_query_log.json"

SCHEMA = """
CREATE TABLE bench_logs.query_log (
    type Enum8('QueryStart' = 1, 'QueryFinish' = 2, 'ExceptionBeforeStart' = 3, 'ExceptionWhileProcessing' = 4),
    query_kind LowCardinality(String), is_initial_query UInt8, event_time DateTime,
    event_time_microseconds DateTime64(6), normalized_query_hash UInt64, user LowCardinality(String),
    query_duration_ms UInt64, query String, log_comment String, tables Array(LowCardinality(String))
) ENGINE = MergeTree ORDER BY event_time_microseconds
"""
# One finished initial SELECT per row, TEMPLATES distinct templates; every 49th row a failed query.
FILL = """
INSERT INTO bench_logs.query_log
SELECT if(number % 49 = 0, 'ExceptionWhileProcessing', 'QueryFinish'), 'Select', 1,
       toDateTime('2026-10-01 00:00:00') + intDiv(number, 10),
       toDateTime64('2026-10-01 00:00:00', 6) + number / 10,
       cityHash64(number % {templates:UInt64}), concat('analyst', toString(number % 20)), number % 900,
       concat('SELECT count() FROM dex.swaps WHERE pool_id = ', toString(number), ' AND kind = ', toString(number % {templates:UInt64})),
       if(number % 3 = 0, concat('question about template ', toString(number % {templates:UInt64})), ''),
       ['dex.swaps']
FROM numbers({rows:UInt64})
"""


def run_one(rows: int, templates: int) -> dict:
    from sqlcurate.connectors.clickhouse import pull_query_log
    from sqlcurate.connectors.profiles import profile_from_dsn
    from sqlcurate.sql.engine_conn import engine_client

    with tempfile.TemporaryDirectory(prefix="sqlcurate-bench-") as tmp:
        client = engine_client(Path(tmp) / "engine")
        client.command("CREATE DATABASE bench_logs")
        client.command(SCHEMA)
        t0 = time.perf_counter()
        client.command(FILL, parameters={"rows": rows, "templates": templates})
        fill_s = time.perf_counter() - t0
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        profile = profile_from_dsn(f"chdb://{Path(tmp) / 'engine'}")
        t0 = time.perf_counter()
        summary = pull_query_log(client, profile, Path(tmp) / "ws", log_table="bench_logs.query_log")
        pull_s = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert summary.templates_total == templates, (summary.templates_total, templates)
        return {"rows": rows, "templates": templates, "fill_s": round(fill_s, 2), "pull_s": round(pull_s, 2),
                "kept_queries": summary.queries, "skipped": summary.skipped,
                "rss_before_pull_mib": round(rss_before), "peak_rss_mib": round(peak)}


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(run_one(int(sys.argv[2]), int(sys.argv[3]))))
        return
    results = []
    for rows, templates in CONFIGS:
        out = subprocess.run([sys.executable, __file__, "--one", str(rows), str(templates)], check=True,
                             capture_output=True, text=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    print(f"{'rows':>10} {'templates':>10} {'fill s':>8} {'pull s':>8} {'RSS before MiB':>15} {'peak RSS MiB':>13}")
    for r in results:
        print(f"{r['rows']:>10,} {r['templates']:>10,} {r['fill_s']:>8} {r['pull_s']:>8} {r['rss_before_pull_mib']:>15} {r['peak_rss_mib']:>13}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": f"{platform.machine()} {platform.processor()}, Python {platform.python_version()}",
                                   "results": results}, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
