"""Real-world SQL through `transpile` and the SQL check: the pinned public corpora of
tests/sql/realworld (Spider2 gold queries, defog sql-eval, sqlglot's dialect tests, ClickHouse's own test
queries), per corpus and dialect: statements, written (every output passed ClickHouse's parser and
function list), refused by reason code, crashes; for the ClickHouse queries, how many the engine accepts
and how many of those the SQL check flags. Then the cost of the proof: a 10,000-statement file (the
sql-eval statements repeated) through `transpile_text` with the engine against bare `sqlglot.transpile`.

    python benchmarks/sql_real_world.py     # prints the tables, writes benchmarks/results/sql_real_world.json
    python benchmarks/sql_real_world.py --tpch DIR --tpcds DIR   # also: result rows against DuckDB

``--tpch DIR`` / ``--tpcds DIR``: sqlglot's fixture (``tests/fixtures/optimizer/tpc-h`` or ``tpc-ds``:
``tpc-h.sql`` / ``tpc-ds.sql`` and the ``<table>.csv.gz`` files) from a checkout of tobymao/sqlglot, or real
generated data in the same layout (``benchmarks/generate_tpc.py``: sqlglot's TPC-DS tables are degenerate). Each
query runs as written on DuckDB (the reference engine) and, transpiled from DuckDB by our proven
``transpile`` with the catalog proof on (``EXPLAIN PLAN`` against the fixture's tables, as
``transpile --catalog`` does), on the embedded ClickHouse over the same tables (``tests/sql/realworld/reference.py``); the
rows must agree as multisets (``eval.compare``: numbers to a relative 1e-6).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import sqlglot

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "sql" / "realworld"))

from corpora import FOREIGN_CORPORA, NATIVE_CORPUS, load, measure_foreign, measure_native  # noqa: E402
from reference import catalog_prover, load_tables, run_against_duckdb, split_queries  # noqa: E402

from sqlcurate.sql.native import NativeParser, shared_parser  # noqa: E402
from sqlcurate.sql.proven import Prover, transpile_text  # noqa: E402

FILE_STATEMENTS = 10_000
REPEATS = 3


def proof_cost(native) -> dict:
    rows = load("sql_eval")
    by_dialect: dict[str, list[str]] = {}
    for r in rows:
        by_dialect.setdefault(r["dialect"], []).append(r["sql"].rstrip().rstrip(";"))
    out = {}
    for dialect, sqls in sorted(by_dialect.items()):
        n = FILE_STATEMENTS // len(by_dialect)
        statements = [sqls[i % len(sqls)] for i in range(n)]
        text = ";\n".join(statements) + ";\n"
        bare = ours = float("inf")
        for _ in range(REPEATS):  # the best of a few alternating runs: the machine is shared
            t0 = time.perf_counter()
            for sql in statements:
                try:
                    sqlglot.transpile(sql, read=dialect, write="clickhouse")
                except sqlglot.errors.SqlglotError:
                    pass
            bare = min(bare, time.perf_counter() - t0)
            fresh = NativeParser(native.conn)  # an empty cache: every template costs its engine call here
            t0 = time.perf_counter()
            results = transpile_text(text, dialect, prover=Prover(fresh))
            ours = min(ours, time.perf_counter() - t0)
        out[dialect] = {"statements": n, "distinct": len(set(statements)), "bare_sqlglot_s": round(bare, 2),
                        "transpile_proven_s": round(ours, 2), "ratio": round(ours / bare, 2),
                        "engine_calls": fresh.calls, "written": sum(r.ok for r in results)}
    return out


def reference_rows(directory: Path, native) -> dict:
    """The row comparison with the proof of ``transpile --catalog``: what it writes runs on ClickHouse,
    what it refuses is counted by the engine's reason."""
    duck = duckdb.connect()
    tables = load_tables(directory, duck, native.conn)
    queries = split_queries(next(directory.glob("tpc-*.sql")).read_text())
    with tempfile.TemporaryDirectory() as tmp:
        run = run_against_duckdb(queries, duck, native.conn, catalog_prover(native, tables, Path(tmp)))
    written = run.compared + run.outcome["ClickHouse error"]
    return {"queries": run.queries, "outcome": dict(run.outcome), "written": written, "non_empty": run.non_empty,
            "refused_by_engine_reason": dict(run.refused_by.most_common()), "details": run.details}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tpch", type=Path, help="sqlglot's TPC-H fixture directory (or generate_tpc.py's)")
    parser.add_argument("--tpcds", type=Path, help="sqlglot's TPC-DS fixture directory (or generate_tpc.py's)")
    args = parser.parse_args()
    native = shared_parser()
    prover = Prover(native)
    report: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                               f"sqlglot {sqlglot.__version__}", "corpora": {}}
    print(f"{'corpus':18} {'dialect':11} {'stmts':>5} {'written':>8} {'share':>7} {'crashes':>7}  refused by code")
    for name in FOREIGN_CORPORA:
        t0 = time.perf_counter()
        tallies = measure_foreign(load(name), prover)
        seconds = time.perf_counter() - t0
        report["corpora"][name] = {"seconds": round(seconds, 2), "dialects": {}}
        for dialect, t in sorted(tallies.items()):
            print(f"{name:18} {dialect:11} {t.statements:5} {t.written:8} {t.written_share:7.1%} {t.crashes:7}  "
                  + ", ".join(f"{c} {n}" for c, n in t.refused.most_common()))
            report["corpora"][name]["dialects"][dialect] = {
                "statements": t.statements, "written": t.written, "crashes": t.crashes,
                "refused": dict(t.refused), "reasons": dict(t.reasons.most_common())}
    t0 = time.perf_counter()
    nt = measure_native(load(NATIVE_CORPUS), native)
    report["native"] = {"statements": nt.statements, "engine_valid": nt.engine_valid, "flagged": nt.flagged,
                        "crashes": nt.crashes, "seconds": round(time.perf_counter() - t0, 2)}
    print(f"\n{NATIVE_CORPUS}: {nt.statements} statements, {nt.engine_valid} accepted by ClickHouse's parser, "
          f"{len(nt.flagged)} of those flagged by the SQL check, {nt.crashes} crashes")
    for ident, finding in nt.flagged:
        print(f"  {ident}: {finding[:160]}")
    report["proof_cost"] = proof_cost(native)
    print(f"\n{'10,000-statement file':22} {'distinct':>8} {'bare s':>7} {'proven s':>9} {'ratio':>6} {'engine calls':>12}")
    for dialect, c in report["proof_cost"].items():
        print(f"{dialect:22} {c['distinct']:8} {c['bare_sqlglot_s']:7} {c['transpile_proven_s']:9} {c['ratio']:6} {c['engine_calls']:12}")
    for name, directory in (("tpch", args.tpch), ("tpcds", args.tpcds)):
        if directory:
            report[name] = reference_rows(directory, native)
            r = report[name]
            print(f"\n{name} against DuckDB, proven with the catalog: {r['queries']} queries, {r['written']} written, "
                  f"{r['outcome']}, {r['non_empty']} with a non-empty row on DuckDB; "
                  f"refused by engine reason: {r['refused_by_engine_reason']}")
            for n, why in report[name]["details"].items():
                print(f"  Q{n}: {why}")
    path = REPO / "benchmarks" / "results" / "sql_real_world.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {path.relative_to(REPO)} ({report['machine']})")


if __name__ == "__main__":
    main()
