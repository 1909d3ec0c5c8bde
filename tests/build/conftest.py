"""The demo workspace, seeded and pulled by the real CLI in subprocesses (its engine is its own
directory; this process keeps the session engine for the checks)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from sqlcurate.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory):
    ws = tmp_path_factory.mktemp("demo")
    seed = subprocess.run([sys.executable, "-c", f"from sqlcurate.demo import seed_workspace; seed_workspace({str(ws)!r})"],
                          capture_output=True, text=True, timeout=300)
    assert seed.returncode == 0, seed.stderr
    docs = run_cli("pull", "docs", str(ws / "docs"), "--workspace", str(ws))
    assert docs.returncode == 0, docs.stderr
    pull = run_cli("pull", "clickhouse", "--profile", str(ws / "connectors" / "demo.toml"), "--workspace", str(ws))
    assert pull.returncode == 0, pull.stderr
    return ws, pull.stdout


def copy_pulled(demo_workspace, tmp_path) -> Path:
    """A private copy of the pulled demo workspace's records and catalog, for a test that builds into it."""
    ws, _ = demo_workspace
    dst = tmp_path / "ws"
    for part in ("training_data/raw", "schemas"):
        shutil.copytree(ws / part, dst / part)
    return dst
