"""Benchmark: what the SQL sandbox costs (sqlcurate.sql.sandbox) against running in-process.

Measures, on a freshly seeded demo workspace (its engine directory, as `eval --workspace` opens it):
- the start of a sandbox child (Python, chdb, the engine), median of STARTS;
- per query, the 26 demo gold queries, REPEAT times, best of ROUNDS alternating rounds: in-process on a raw chdb connection (the old path)
  vs. in the sandbox (formatQuery + EXPLAIN AST screen + run + JSON transfer), and EXPLAIN in the sandbox.
The in-process numbers run in a second process so each side owns its one engine.

    python benchmarks/sandbox_overhead.py
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
RESULTS = ROOT / "benchmarks" / "results" / "sandbox_overhead.json"
STARTS = 5
REPEAT = 5
ROUNDS = 3


def gold_queries() -> list[str]:
    from sqlcurate.eval.items import load_items

    return [it.gold_sql for it in load_items(ROOT / "src/sqlcurate/demo/assets/eval/dex_eval.jsonl", None)]


def seed(workspace: Path) -> Path:
    code = f"from pathlib import Path; from sqlcurate.demo.workspace import seed_workspace; seed_workspace(Path({str(workspace)!r}))"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    return workspace / "engine"


def in_process(queries: list[str], engine_dir: str) -> float:
    """Seconds per query on a raw in-process chdb connection, the pre-sandbox path."""
    import chdb

    conn = chdb.connect(engine_dir)
    for sql in queries:  # warm, as the sandbox side is
        conn.query(sql, "ArrowTable")
    t0 = time.perf_counter()
    for _ in range(REPEAT):
        for sql in queries:
            conn.query(sql, "ArrowTable")
    return (time.perf_counter() - t0) / (REPEAT * len(queries))


def main() -> None:

    if sys.argv[1:2] == ["--in-process"]:
        print(json.dumps(in_process(gold_queries(), sys.argv[2])))
        return
    queries = gold_queries()
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        measure(queries, seed(Path(tmp)))


def measure(queries: list[str], engine_dir: Path) -> None:
    from sqlcurate.sql.sandbox import Limits, Sandbox

    starts = []
    for _ in range(STARTS):
        with Sandbox(engine_dir, databases={"dex"}) as sb:
            t0 = time.perf_counter()
            sb.start()
            starts.append(time.perf_counter() - t0)
    def per_query(sb: Sandbox, explain: bool) -> float:
        t0 = time.perf_counter()
        for _ in range(REPEAT):
            for sql in queries:
                sb.run(sql, sb.databases, Limits(), explain=explain)
        return (time.perf_counter() - t0) / (REPEAT * len(queries))

    # the two sides alternate, ROUNDS times, and the best round of each counts: the box is shared
    runs: dict[str, list[float]] = {"in_process": [], "run": [], "explain": []}
    for _ in range(ROUNDS):  # one engine per directory at a time: the sandbox closes before the other side
        runs["in_process"].append(json.loads(subprocess.run(
            [sys.executable, __file__, "--in-process", str(engine_dir)], capture_output=True, text=True,
            check=True).stdout))
        with Sandbox(engine_dir, databases={"dex"}) as sb:
            assert all(sb.run(q, sb.databases, Limits()).ok for q in queries)  # started and warm, as in-process
            runs["run"].append(per_query(sb, explain=False))
            runs["explain"].append(per_query(sb, explain=True))
    inproc_s, run_s, explain_s = min(runs["in_process"]), min(runs["run"]), min(runs["explain"])
    result = {
        "machine": f"{platform.machine()} {platform.processor() or ''} cores={__import__('os').cpu_count()}".strip(),
        "python": platform.python_version(), "queries": len(queries), "repeat": REPEAT, "rounds": ROUNDS,
        "start_s_median": round(statistics.median(starts), 3), "start_s_max": round(max(starts), 3),
        "in_process_ms_per_query": round(inproc_s * 1000, 2), "sandbox_ms_per_query": round(run_s * 1000, 2),
        "sandbox_explain_ms_per_query": round(explain_s * 1000, 2),
    }
    print(f"{'measure':34} {'value':>10}")
    for key in ("start_s_median", "start_s_max", "in_process_ms_per_query", "sandbox_ms_per_query",
                "sandbox_explain_ms_per_query"):
        print(f"{key:34} {result[key]:>10}")
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
