"""How the pinned corpora in this folder were made from the public repositories (fetched as git mirrors;
see README.md for the commits). Not run by the tests: they read only the JSONL files written here.

    python tests/sql/realworld/extract.py /work/.mirror

Each output line is {"id", "dialect", "sql"}: one statement, with the dialect its source says it is in.
Samples are deterministic (sorted, then every k-th item), so a rerun on the same commits writes the same files.
"""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPIDER2 = ("xlang-ai+Spider2", "e12c5f1e6550a5df88995520c3bf00bbe7bad2d2")
SQL_EVAL = ("defog-ai+sql-eval", "b83332416ea2d424b0cd12994a0a9ba100f4b4af")
SQLGLOT = ("tobymao+sqlglot", "37362f4fc1d63c4687149cec3a8aab109c1eb989")
CH_PARSER = ("ClickHouse+clickhouse-node-parser", "174e3fc945fc46f4c021332632ddd552d5ebc9c9")
# bird-bench/mini_dev keeps its data out of git (a zip download); this fork commits BIRD's SQLite gold file
BIRD = ("soonbee207+bird_mini_dev", "4d13be50c64f6ecf0457584415a4ba8c52e27cc6")
SPIDER2_PREFIX = {"bq": "bigquery", "ga": "bigquery", "sf": "snowflake", "lo": "sqlite"}
SQL_EVAL_DIALECTS = ("postgres", "mysql", "sqlite", "tsql", "bigquery", "snowflake")
SQLGLOT_DIALECTS = ("athena", "bigquery", "databricks", "doris", "duckdb", "fabric", "hive", "mysql", "oracle",
                    "postgres", "presto", "redshift", "snowflake", "spark", "sqlite", "starrocks", "teradata",
                    "trino", "tsql")
QUERY = re.compile(r"^\s*(?:SELECT|WITH)\b", re.IGNORECASE)


def git(mirror: Path, repo: tuple[str, str], *args: str) -> str:
    """Text output of a git command on a mirror; a file that is not UTF-8 reads as empty (skipped)."""
    out = subprocess.run(["git", "-C", str(mirror / repo[0] / "repo"), *args], check=True, capture_output=True).stdout
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        return ""


def show(mirror: Path, repo: tuple[str, str], path: str) -> str:
    return git(mirror, repo, "show", f"{repo[1]}:{path}")


def files(mirror: Path, repo: tuple[str, str], under: str) -> list[str]:
    return sorted(git(mirror, repo, "ls-tree", "-r", "--name-only", repo[1], under).split())


def every(items: list, n: int) -> list:
    step = max(1, len(items) // n)
    return items[::step][:n]


def spider2(mirror: Path) -> list[dict]:
    out = []
    for folder in ("spider2-lite", "spider2-snow"):
        for path in files(mirror, SPIDER2, f"{folder}/evaluation_suite/gold/sql"):
            name = Path(path).stem
            dialect = "snowflake" if folder == "spider2-snow" else SPIDER2_PREFIX.get(name[:2])
            if dialect and path.endswith(".sql"):
                out.append({"id": f"{folder}/{name}", "dialect": dialect, "sql": show(mirror, SPIDER2, path).strip()})
    return out


def sql_eval(mirror: Path, per_dialect: int = 60) -> list[dict]:
    out = []
    for dialect in SQL_EVAL_DIALECTS:
        rows = list(csv.DictReader(io.StringIO(show(mirror, SQL_EVAL, f"data/questions_gen_{dialect}.csv"))))
        for i, row in every(list(enumerate(rows)), per_dialect):
            out.append({"id": f"questions_gen_{dialect}/{i}", "dialect": dialect, "sql": row["query"].strip()})
    return out


def bird_mini_dev(mirror: Path, n: int = 250) -> list[dict]:
    """BIRD mini-dev's SQLite gold queries (500, in the file's order): every 2nd."""
    rows = json.loads(show(mirror, BIRD, "mini_dev_data/mini_dev_sqlite.json"))
    return [{"id": f"mini_dev_sqlite/{r['question_id']}", "dialect": "sqlite", "sql": r["SQL"].strip()}
            for r in every(rows, n)]


def _strings(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def sqlglot_tests(mirror: Path, per_dialect: int = 40) -> list[dict]:
    """The source-dialect queries of sqlglot's dialect tests: validate_identity("...") and the SQL of
    validate_all("...") in each test_<dialect>.py."""
    out = []
    for dialect in SQLGLOT_DIALECTS:
        tree = ast.parse(show(mirror, SQLGLOT, f"tests/dialects/test_{dialect}.py"))
        found = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args \
                    and node.func.attr in ("validate_identity", "validate_all"):
                sql = _strings(node.args[0])
                if sql and QUERY.match(sql) and sql not in found:
                    found.append(sql)
        for i, sql in enumerate(every(found, per_dialect)):
            out.append({"id": f"test_{dialect}/{i}", "dialect": dialect, "sql": sql})
    return out


def clickhouse_reference(mirror: Path, n: int = 400, per_file: int = 3) -> list[dict]:
    """ClickHouse's own test queries (clickhouse-node-parser's copy of tests/queries/0_stateless): up to
    ``per_file`` SELECT/WITH statements of each sampled file (split at a ``;`` that ends a line)."""
    paths = [p for p in files(mirror, CH_PARSER, "tests/clickhouse-reference") if re.search(r"\d+_[^.]+\.sql$", p)]
    found = []
    for path in every(paths, n):
        statements = [st.strip() for st in re.split(r";[ \t]*(?:--[^\n]*)?\n", show(mirror, CH_PARSER, path) + "\n")]
        picked = [st for st in statements if QUERY.match(st) and ";" not in st and len(st) < 4000][:per_file]
        found.extend({"id": f"{Path(path).stem}/{i}", "dialect": "clickhouse", "sql": st} for i, st in enumerate(picked))
    return every(found, n)


TPCH_FIXTURE = "tests/fixtures/optimizer/tpc-h"


def _table(mirror: Path, name: str, fixture: str = TPCH_FIXTURE) -> tuple[str, list[list[str]]]:
    """A '|'-separated fixture table of sqlglot's TPC-H or TPC-DS: (header line, rows)."""
    raw = subprocess.run(["git", "-C", str(mirror / SQLGLOT[0] / "repo"), "show", f"{SQLGLOT[1]}:{fixture}/{name}.csv.gz"],
                         check=True, capture_output=True).stdout
    header, *lines = gzip.decompress(raw).decode().splitlines()
    return header, [line.split("|") for line in lines]


def tpch_sample(mirror: Path, order_step: int = 8, extra_customer_step: int = 20) -> None:
    """A join-consistent sample of sqlglot's TPC-H tables into tpch/: every ``order_step``-th order with
    all its line items, and the customers, parts, suppliers and part-supplier rows those reference (plus
    every ``extra_customer_step``-th customer, so that Q13/Q22 see customers without orders); nation and
    region whole. And the 22 queries as written (sqlglot's optimized forms after each are left out)."""
    out = HERE / "tpch"
    out.mkdir(exist_ok=True)
    tables = {name: _table(mirror, name) for name in
              ("region", "nation", "orders", "lineitem", "customer", "part", "partsupp", "supplier")}
    orders = tables["orders"][1][::order_step]
    order_keys = {r[0] for r in orders}
    lineitem = [r for r in tables["lineitem"][1] if r[0] in order_keys]
    part_keys = {r[1] for r in lineitem}
    partsupp = [r for r in tables["partsupp"][1] if r[0] in part_keys]
    supplier_keys = {r[2] for r in lineitem} | {r[1] for r in partsupp}
    customers = tables["customer"][1]
    customer_keys = {r[1] for r in orders} | {r[0] for r in customers[::extra_customer_step]}
    keep = {"region": tables["region"][1], "nation": tables["nation"][1], "orders": orders, "lineitem": lineitem,
            "customer": [r for r in customers if r[0] in customer_keys],
            "part": [r for r in tables["part"][1] if r[0] in part_keys], "partsupp": partsupp,
            "supplier": [r for r in tables["supplier"][1] if r[0] in supplier_keys]}
    for name, rows in keep.items():
        text = "\n".join([tables[name][0], *("|".join(r) for r in rows)]) + "\n"
        (out / f"{name}.csv.gz").write_bytes(gzip.compress(text.encode(), mtime=0))
        print(f"tpch/{name}.csv.gz: {len(rows)} rows")
    queries = show(mirror, SQLGLOT, f"{TPCH_FIXTURE}/tpc-h.sql")
    banner = re.compile(r"(-{10,}\n-- TPC-H \d+\n-{10,}\n)")
    parts = banner.split(queries)
    (out / "tpc-h.sql").write_text("".join(b + body.split(";")[0].strip() + ";\n" for b, body in zip(parts[1::2], parts[2::2], strict=True)))


TPCDS_FIXTURE = "tests/fixtures/optimizer/tpc-ds"


def tpcds_sample(mirror: Path, step: int = 8, whole_below: int = 1000) -> None:
    """A sample of sqlglot's TPC-DS tables into tpcds/: every ``step``-th row of each table of more than
    ``whole_below`` rows, the others whole; and the 99 queries as written (without sqlglot's optimized
    forms and its ``# execute`` directive lines). sqlglot's tables are the first rows of each table
    (date_dim stops in 1927, the sales start in 1998), so most queries join to nothing in the fixture
    itself; this sample keeps every query's result non-empty that is non-empty on the whole fixture."""
    out = HERE / "tpcds"
    out.mkdir(exist_ok=True)
    for path in files(mirror, SQLGLOT, TPCDS_FIXTURE):
        name = path.rsplit("/", 1)[1]
        if not name.endswith(".csv.gz"):
            continue
        header, rows = _table(mirror, name.removesuffix(".csv.gz"), TPCDS_FIXTURE)
        keep = rows[::step] if len(rows) > whole_below else rows
        text = "\n".join([header, *("|".join(r) for r in keep)]) + "\n"
        (out / name).write_bytes(gzip.compress(text.encode(), mtime=0))
        print(f"tpcds/{name}: {len(keep)} of {len(rows)} rows")
    queries = show(mirror, SQLGLOT, f"{TPCDS_FIXTURE}/tpc-ds.sql")
    banner = re.compile(r"(-{10,}\n-- TPC-DS \d+\n-{10,}\n)")
    parts = banner.split(queries)
    directives = re.compile(r"^#.*\n", re.MULTILINE)
    (out / "tpc-ds.sql").write_text("".join(b + directives.sub("", body.split(";")[0]).strip() + ";\n"
                                            for b, body in zip(parts[1::2], parts[2::2], strict=True)))


def write(name: str, rows: list[dict]) -> None:
    path = HERE / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    print(f"{path.name}: {len(rows)} statements")


def main(mirror: Path) -> None:
    if "--only-clickhouse" not in sys.argv:
        write("spider2", spider2(mirror))
        write("sql_eval", sql_eval(mirror))
        write("sqlglot_dialects", sqlglot_tests(mirror))
        write("bird_mini_dev", bird_mini_dev(mirror))
    write("clickhouse_reference", clickhouse_reference(mirror))
    tpch_sample(mirror)
    tpcds_sample(mirror)
    for repo, license_path, name in ((SPIDER2, "LICENSE", "LICENSE.spider2"), (SQL_EVAL, "LICENSE", "LICENSE.sql-eval"),
                                     (SQLGLOT, "LICENSE", "LICENSE.sqlglot"), (CH_PARSER, "LICENSE", "LICENSE.clickhouse-node-parser")):
        (HERE / name).write_text(show(mirror, repo, license_path))
    # BIRD is CC BY-SA 4.0 (the badge of bird-bench/mini_dev's README), with no LICENSE file in either
    # repository: LICENSE.bird holds the license's legal code, copied from Debian's packaging of it.


if __name__ == "__main__":
    main(Path(sys.argv[1]))
