"""Fixtures of the SQL tests: the transpile corpus and its sample tables on the session engine."""

from __future__ import annotations

import datetime as dt
import decimal
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent / "corpus"
sys.path.insert(0, str(CORPUS))

from loader import load_cases, load_sample_tables  # noqa: E402

CASES = load_cases()


@pytest.fixture(scope="session")
def corpus_engine(engine):
    """The session engine with the corpus tables (webstats.*, dexlog.*) created and filled."""
    load_sample_tables(engine.command)
    return engine


def normalize(value):
    """A value in a form two equivalent result sets agree on (types differ between idioms: UInt64 vs
    Int64, Float64 rounding, Date vs its string)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return round(float(value), 6) + 0.0
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return tuple(normalize(v) for v in value)
    return value


def rows(engine, sql: str) -> list[tuple]:
    return [tuple(normalize(v) for v in row) for row in engine.query(sql).result_rows]
