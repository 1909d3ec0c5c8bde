"""Real TPC-H and TPC-DS data for benchmarks/sql_real_world.py's ``--tpch`` / ``--tpcds`` row comparison.

sqlglot's fixture (the pinned sample in tests/sql/realworld/tpcds) is degenerate: its date_dim ends in 1927
while its sales start in 1998, so most TPC-DS queries return no rows and "same rows" says little. This
writes DuckDB's own dbgen/dsdgen output at a chosen scale factor in the fixture's layout, as
``reference.load_tables`` reads it: one ``<table>.parquet`` per table (the generator's own column types:
DECIMAL(7,2) money, CHAR zip codes; ``--format csv`` writes the fixture's '|'-separated ``<table>.csv.gz``,
whose re-detected types turn those into DOUBLE and BIGINT) and the query file of the pinned sample
(``tpc-h.sql`` / ``tpc-ds.sql``, sqlglot's queries with fixed parameters)

The generators are DuckDB extensions; the installed duckdb is newer than the newest extension wheels on
PyPI, so this runs in a venv of its own (not needed by tests, nothing fetched at run time):

    python -m venv /tmp/tpcgen-venv
    /tmp/tpcgen-venv/bin/pip install duckdb==1.5.5 duckdb-extension-tpcds==1.5.5 duckdb-extension-tpch==1.5.5
    /tmp/tpcgen-venv/bin/python benchmarks/generate_tpc.py --sf 0.01 --out /tmp/tpc
    # -> /tmp/tpc/tpch_sf001/ and /tmp/tpc/tpcds_sf001/, then:
    PYTHONPATH=$PWD/src python benchmarks/sql_real_world.py --tpch /tmp/tpc/tpch_sf001 --tpcds /tmp/tpc/tpcds_sf001
"""

from __future__ import annotations

import argparse
import importlib
import shutil
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "tests" / "sql" / "realworld"
# set name -> (extension wheel's module, generator call, the pinned sample whose query file it reuses)
SETS = {"tpch": ("duckdb_extension_tpch", "CALL dbgen(sf = {sf})", "tpch"),
        "tpcds": ("duckdb_extension_tpcds", "CALL dsdgen(sf = {sf})", "tpcds")}


def extension_file(module: str) -> Path:
    """The wheel ships the binary as package data (``extensions/v<duckdb version>/<name>.duckdb_extension``)
    and no loader code: it is LOADed by path, which must match the running duckdb's version."""
    package = Path(importlib.import_module(module).__path__[0])
    found = sorted(package.glob(f"extensions/v{duckdb.__version__}/*.duckdb_extension"))
    if not found:
        raise SystemExit(f"{module} has no extension built for duckdb {duckdb.__version__} under {package}/extensions")
    return found[0]


def generate(name: str, sf: float, out: Path, fmt: str = "parquet") -> Path:
    module, call, sample = SETS[name]
    target = out / f"{name}_sf{str(sf).replace('.', '')}"
    target.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"LOAD '{extension_file(module)}'")
    con.execute(call.format(sf=sf))
    for (table,) in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall():
        if fmt == "parquet":
            con.execute(f"COPY {table} TO '{target / table}.parquet' (FORMAT parquet)")
        else:
            con.execute(f"COPY {table} TO '{target / table}.csv.gz' (FORMAT csv, DELIMITER '|', HEADER true, COMPRESSION gzip)")
    for query_file in (SAMPLES / sample).glob("tpc-*.sql"):
        shutil.copyfile(query_file, target / query_file.name)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sf", type=float, default=0.01, help="scale factor (0.01: ~6 MB of TPC-DS files)")
    parser.add_argument("--out", type=Path, required=True, help="parent directory of <set>_sf<digits>/")
    parser.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    parser.add_argument("--sets", nargs="+", choices=sorted(SETS), default=sorted(SETS))
    args = parser.parse_args()
    for name in args.sets:
        print(f"{name} sf={args.sf} (duckdb {duckdb.__version__}): {generate(name, args.sf, args.out, args.format)}")


if __name__ == "__main__":
    main()
