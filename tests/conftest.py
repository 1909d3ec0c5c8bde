"""Shared fixtures. The embedded ClickHouse engine is one per process, so every in-process engine test
uses the session-wide ``engine`` fixture; tests that need a different data directory run the CLI in a
subprocess."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Written by the real nanochat v1 code (tests/fixtures/nanochat_v1/README.md says how); carried in the
# repository so that a fresh clone alone runs the suite.
NANOCHAT_FIXTURES = Path(os.environ.get("SQLCURATE_NANOCHAT_FIXTURES", REPO / "tests" / "fixtures" / "nanochat_v1"))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def nanochat_fixtures() -> Path:
    if not NANOCHAT_FIXTURES.is_dir():
        pytest.fail(f"nanochat v1 fixtures not found at {NANOCHAT_FIXTURES} (set SQLCURATE_NANOCHAT_FIXTURES)")
    return NANOCHAT_FIXTURES


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    """A clickhouse-connect client on this process's one embedded engine (chdb), query_log enabled."""
    from sqlcurate.sql.engine_conn import engine_client, engine_path

    # a test may have opened the process's engine already (transpile proves its output on it)
    return engine_client(tmp_path_factory.mktemp("chdb") if engine_path() is None else None)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models gain nothing from more threads, and the nanochat reference values were computed with one:
    a module that wants it names it in ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
