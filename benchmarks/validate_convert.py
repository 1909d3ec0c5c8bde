"""Throughput and peak memory of `sqlcurate validate --no-sql` and `sqlcurate convert` on a large file, as JSONL,
as one pretty-printed JSON array (LLaMA-Factory's layout), as one JSON array on a single line (what
``json.dump(rows, f)`` writes) and as gzip-compressed JSONL.

Generates a file of SQL chat conversations (lengths like real analyst Q&A: a question of a few dozen
words, an answer with a fenced ClickHouse query and a sentence or two; some multi-turn, some with a system
message, a mix of nanochat and messages lines), then runs each command in its own process and reads that
process's CPU time and peak RSS from ``wait4``. Lines/s per core = lines / CPU seconds of the process
(the commands are single-threaded; CPU time is steadier than wall time on a shared machine).

    python benchmarks/validate_convert.py                  # 1,000,000 lines
    python benchmarks/validate_convert.py --lines 100000   # quicker
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "validate_convert.json"

TABLES = ["shop.orders", "shop.customers", "web.events", "billing.invoices", "ads.clicks", "logs.requests"]
COLUMNS = ["user_id", "country", "amount", "status", "ts", "campaign", "device", "path", "duration_ms"]
QUESTIONS = [
    "How many {c} values did we see in {t} over the last {n} days, broken down by day?",
    "Which {c} has the highest total in {t} this month? Show the top {n}.",
    "Can you write a query that finds duplicate {c} rows in {t}, keeping only the newest one?",
    "What is the p95 of {c} per day in {t} for the last {n} days?",
]
ANSWER = ("Here is a query for ClickHouse:\n\n```sql\nSELECT toDate(ts) AS day, {c}, count() AS n, "
          "quantile(0.95)({c}) AS p95\nFROM {t}\nWHERE ts >= now() - INTERVAL {n} DAY\nGROUP BY day, {c}\n"
          "ORDER BY day, n DESC\nLIMIT {n}\n```\n\nIt groups by day and {c}; `quantile` is approximate, use "
          "`quantileExact` if you need the exact value.")


def conversation(rng: random.Random) -> list[dict[str, str]]:
    messages = []
    if rng.random() < 0.1:
        messages.append({"role": "system", "content": "You are a data analyst who writes ClickHouse SQL."})
    for _ in range(1 if rng.random() < 0.8 else 2):
        fill = {"c": rng.choice(COLUMNS), "t": rng.choice(TABLES), "n": rng.randint(3, 90)}
        messages.append({"role": "user", "content": rng.choice(QUESTIONS).format(**fill)})
        messages.append({"role": "assistant", "content": ANSWER.format(**fill)})
    return messages


def rows(lines: int, seed: int = 0):
    rng = random.Random(seed)
    for i in range(lines):
        messages = conversation(rng)
        yield {"messages": messages, "id": f"q{i}"} if i % 4 == 0 else messages


def generate(path: Path, lines: int, seed: int = 0) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows(lines, seed):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def generate_array(path: Path, lines: int, seed: int = 0) -> None:
    """The same rows as one JSON array, pretty-printed element by element (as json.dump(indent=2) lays it out)."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[\n")
        for i, row in enumerate(rows(lines, seed)):
            text = json.dumps(row, ensure_ascii=False, indent=2)
            fh.write(("  " if i == 0 else ",\n  ") + text.replace("\n", "\n  "))
        fh.write("\n]\n")


def generate_one_line_array(path: Path, lines: int, seed: int = 0) -> None:
    """The same rows as one JSON array on a single line, as json.dump(rows, f) writes it (no newline at all)."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[")
        for i, row in enumerate(rows(lines, seed)):
            fh.write(("" if i == 0 else ", ") + json.dumps(row, ensure_ascii=False))
        fh.write("]")


def gzip_copy(src: Path, dst: Path) -> None:
    with open(src, "rb") as fin, gzip.open(dst, "wb", compresslevel=6) as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)


def measure(args: list[str]) -> dict[str, float]:
    """Run one command; wall seconds, CPU seconds and peak RSS (MiB) of that process alone."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    assert code in (0, 1), f"{' '.join(args)} exited {code}"
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024,
            "exit_code": code}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000, help="a smaller file, to show RSS does not grow")
    parser.add_argument("--dir", type=Path, help="where to write the generated files (default: a temp dir)")
    opts = parser.parse_args()
    cli = [sys.executable, "-c", "from sqlcurate.cli import main; main()"]
    with tempfile.TemporaryDirectory(dir=opts.dir) as d:
        results = []
        for lines in sorted({opts.small, opts.lines}):
            src = Path(d) / f"chat_{lines}.jsonl"
            array = Path(d) / f"chat_{lines}.json"
            packed = Path(d) / f"chat_{lines}.jsonl.gz"
            one_line = Path(d) / f"chat_{lines}.oneline.json"
            t0 = time.perf_counter()
            generate(src, lines)
            generate_array(array, lines)
            gzip_copy(src, packed)
            generate_one_line_array(one_line, lines)
            print(f"generated {lines:,} rows ({src.stat().st_size / 2**20:,.0f} MiB JSONL, {array.stat().st_size / 2**20:,.0f} "
                  f"MiB array, {packed.stat().st_size / 2**20:,.0f} MiB gzip) in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
            runs = {
                "validate --no-sql": [*cli, "validate", "--no-sql", "--format", "json", str(src)],
                "convert auto->nanochat": [*cli, "convert", "--from", "auto", "--format", "json", str(src),
                                           str(Path(d) / "out.jsonl")],
                "convert auto->parquet": [*cli, "convert", "--from", "auto", "--format", "json", str(src),
                                          str(Path(d) / "out.parquet")],
                "validate JSON array": [*cli, "validate", "--no-sql", "--format", "json", str(array)],
                "convert JSON array": [*cli, "convert", "--format", "json", str(array), str(Path(d) / "out.jsonl")],
                "validate one-line array": [*cli, "validate", "--no-sql", "--format", "json", str(one_line)],
                "convert one-line array": [*cli, "convert", "--format", "json", str(one_line), str(Path(d) / "out.jsonl")],
                "validate gzip JSONL": [*cli, "validate", "--no-sql", "--format", "json", str(packed)],
            }
            for name, args in runs.items():
                m = measure(args)
                read = {"one-line": one_line, "JSON array": array, "gzip": packed}
                size = next((p for key, p in read.items() if key in name), src).stat().st_size
                results.append({"command": name, "lines": lines, "bytes": size, **m,
                             "lines_per_s": lines / m["wall_s"], "lines_per_cpu_s": lines / m["cpu_s"]})
                print(f"  {name}: {results[-1]['lines_per_cpu_s']:,.0f} rows/CPU-s, {m['peak_rss_mib']:.0f} MiB",
                      file=sys.stderr)
            for path in (src, array, packed, one_line):
                path.unlink()
    header = f"{'command':<24} {'lines':>10} {'wall s':>8} {'CPU s':>8} {'lines/s':>10} {'lines/CPU-s':>12} {'peak RSS MiB':>13}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['command']:<24} {r['lines']:>10,} {r['wall_s']:>8.1f} {r['cpu_s']:>8.1f} {r['lines_per_s']:>10,.0f} "
              f"{r['lines_per_cpu_s']:>12,.0f} {r['peak_rss_mib']:>13.0f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "targets": {"validate_lines_per_cpu_s": 30_000, "peak_rss_mib": 300},
        "runs": results,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
