"""A small shop schema of our own (database ``eval_fx``), loaded into the session engine, so the scoring
tests do not depend on the demo workspace."""

from __future__ import annotations

import pytest

from sqlcurate.sql.catalog import Catalog, parse_ddl

DDL = """
CREATE TABLE eval_fx.customers (id UInt32, name String, country LowCardinality(String), signup Date)
ENGINE = MergeTree ORDER BY id;
CREATE TABLE eval_fx.orders (order_id UInt32, customer_id UInt32, amount Float64, discount Nullable(Float64), created DateTime)
ENGINE = MergeTree ORDER BY order_id;
"""

ROWS = [
    "INSERT INTO eval_fx.customers VALUES (1,'ada','DE','2026-01-01'),(2,'bob','US','2026-01-02'),(3,'cy','DE','2026-01-03')",
    "INSERT INTO eval_fx.orders VALUES (10,1,5.5,NULL,'2026-02-01 10:00:00'),(11,1,4.5,0.5,'2026-02-02 11:00:00'),"
    "(12,2,7.25,NULL,'2026-02-03 12:00:00'),(13,3,1.0,0.1,'2026-02-04 13:00:00')",
]


@pytest.fixture(scope="session")
def shop_catalog() -> Catalog:
    return Catalog(parse_ddl(DDL, "clickhouse", "<eval_fx>"))


@pytest.fixture(scope="session")
def shop_engine(engine):
    engine.command("DROP DATABASE IF EXISTS eval_fx")
    engine.command("CREATE DATABASE eval_fx")
    for stmt in DDL.split(";"):
        if stmt.strip():
            engine.command(stmt)
    for stmt in ROWS:
        engine.command(stmt)
    return engine


@pytest.fixture(scope="session")
def shop_sandbox():
    """The same tables in a SQL sandbox (its own engine, in a child process): where eval runs queries."""
    from sqlcurate.sql.sandbox import Sandbox

    with Sandbox(databases={"eval_fx"}) as sandbox:
        sandbox.setup("CREATE DATABASE eval_fx")
        for stmt in [*DDL.split(";"), *ROWS]:
            if stmt.strip():
                sandbox.setup(stmt)
        yield sandbox
