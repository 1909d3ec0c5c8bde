"""The local BigQuery emulator (local-bigquery on Python 3.13, set up by .ci/bigquery_emulator.sh),
started once per session on a free loopback port and seeded through the official client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EMULATOR = REPO / ".venv-bq" / "bin" / "local-bigquery"
PROJECT = "sqlcurate-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def bigquery_emulator(tmp_path_factory):
    """(endpoint URL, project) of a running, seeded emulator."""
    if not EMULATOR.exists():
        # Set it up on first use, so the README's test command works on a fresh machine. Only a machine
        # that cannot have it (no Python 3.13) skips, and never CI, where the emulator is required.
        setup = subprocess.run(["bash", str(REPO / ".ci" / "bigquery_emulator.sh")], capture_output=True, text=True, timeout=900)
        if setup.returncode != 0 or not EMULATOR.exists():
            message = f"BigQuery emulator setup failed: {setup.stderr[-2000:]}"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
    port, grpc_port = free_port(), free_port()
    data = tmp_path_factory.mktemp("bq-emulator")
    log = (data / "emulator.log").open("w")
    proc = subprocess.Popen(
        [str(EMULATOR), "serve", "--host", "127.0.0.1", "--port", str(port), "--grpc-port", str(grpc_port),
         "--data-dir", str(data), "--project", PROJECT],
        stdout=log, stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/bigquery/v2/projects/{PROJECT}/datasets", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"BigQuery emulator did not start: {(data / 'emulator.log').read_text()[-2000:]}")
                time.sleep(0.3)
        _seed(endpoint)
        yield endpoint, PROJECT
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _seed(endpoint: str) -> None:
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    client = bigquery.Client(project=PROJECT, credentials=AnonymousCredentials(),
                             client_options=ClientOptions(api_endpoint=endpoint))
    client.create_dataset("shop", exists_ok=True)
    orders = bigquery.Table(f"{PROJECT}.shop.orders", schema=[
        bigquery.SchemaField("order_id", "INT64", mode="REQUIRED", description="Order identifier"),
        bigquery.SchemaField("customer", "RECORD", description="Who placed the order", fields=[
            bigquery.SchemaField("id", "INT64", description="Customer identifier"),
            bigquery.SchemaField("email", "STRING"),
        ]),
        bigquery.SchemaField("items", "RECORD", mode="REPEATED", fields=[
            bigquery.SchemaField("sku", "STRING", description="Stock keeping unit"),
            bigquery.SchemaField("quantity", "INT64"),
        ]),
        bigquery.SchemaField("created_at", "TIMESTAMP", description="When the order was placed"),
    ])
    orders.description = "One row per customer order"
    client.create_table(orders, exists_ok=True)
    customers = bigquery.Table(f"{PROJECT}.shop.customers", schema=[
        bigquery.SchemaField("id", "INT64", mode="REQUIRED", description="Customer identifier"),
        bigquery.SchemaField("country", "STRING", description="ISO country code"),
    ])
    client.create_table(customers, exists_ok=True)
    # Query history for INFORMATION_SCHEMA.JOBS.
    client.query(f"SELECT order_id FROM `{PROJECT}.shop.orders` WHERE order_id > 3").result()
    client.query(f"SELECT country, COUNT(*) AS n FROM `{PROJECT}.shop.customers` GROUP BY country").result()


def run_cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``sqlcurate ARGS`` in its own process (its own embedded engine)."""
    return subprocess.run([sys.executable, "-c", "from sqlcurate.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=timeout, env=env)
