"""``seed_workspace(dir)``: a complete demo workspace on the embedded ClickHouse engine, in the layout of
``sqlcurate.workspace``:

    engine/                     chdb data: database ``dex`` (schema.sql + generated rows) and
                                ``demo_logs.query_log`` (a persistent copy of the analysts' query log)
    docs/*.md                   the team's docs pages about the tables and conventions
    connectors/demo.toml        a profile pointing at the engine, pulling from the log copy

chdb keeps ``system.query_log`` only for the life of the process, so the history is run here (each
query tagged with its question as ``log_comment`` ), the log flushed and copied to ``demo_logs.query_log``, with ``user`` set to the analyst who ran
each query (chdb has a single user).
Seeding opens the engine in THIS process (chdb allows one data directory per process).

The demo's fixed inputs ship inside the package (``sqlcurate/demo/assets/``, read through
``importlib.resources``, so an installed wheel runs the demo from any directory): the nanochat v1
tokenizer and d2 base checkpoint the demo fine-tunes, and the eval set of held-out questions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlcurate.connectors.clickhouse import strip_client_trailer
from sqlcurate.demo.data import POOL_DAILY_SQL, generate
from sqlcurate.demo.history import HISTORY, NOISE
from sqlcurate.workspace import ENGINE_DIR, Workspace

LOG_TABLE = "demo_logs.query_log"
PROFILE = """# The demo workspace's embedded ClickHouse (chdb): no server, no password.
kind = "clickhouse"
dsn = "chdb://../{engine}"            # relative to this file
log_table = "demo_logs.query_log"  # chdb's system.query_log lives only as long as its process
databases = ["dex"]
"""


@dataclass(frozen=True)
class DemoAssets:
    base_dir: Path  # a NANOCHAT_BASE_DIR: tokenizer/ and base_checkpoints/d2/
    eval_set: Path  # questions with hand-written ClickHouse gold queries, none of them in the history

    @property
    def tokenizer(self) -> Path:
        return self.base_dir / "tokenizer"

    @property
    def base_checkpoint(self) -> Path:
        return self.base_dir / "base_checkpoints" / "d2"


@contextlib.contextmanager
def demo_assets() -> Iterator[DemoAssets]:
    """The packaged demo files as real paths (the training and eval processes open them by path)."""
    with resources.as_file(resources.files("sqlcurate.demo").joinpath("assets")) as root:
        yield DemoAssets(base_dir=root / "nanochat_base", eval_set=root / "eval" / "dex_eval.jsonl")


# How the demo fine-tunes its toy base model. The d2 checkpoint is 2 layers, 128 wide, pre-trained for 7
# steps: at nanochat's SFT rates (2 % of its base-training rates, meant for a converged d20-d34) it stays
# at noise, so the demo trains at the full base rates (init_lr_frac 1.0) for 20 epochs. Its ~120
# conversations make only ~10 steps of ~12 conversations per epoch (train warns: a real set should have
# more); on this toy model that beat smaller steps (6 or 3 conversations, 20-35 steps per epoch), which
# learned the SQL shape but less often a parseable, grounded query (docs/train.md, "The demo").
DEMO_TRAINING = {"epochs": 20, "max_seq_len": 1024, "conversations_per_step": 12, "init_lr_frac": 1.0}


@dataclass
class SeededWorkspace:
    workspace: Path
    engine_dir: Path
    profile: Path
    docs_dir: Path
    queries_run: int
    log_rows: int


def _statements(sql: str) -> list[str]:
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def seed_workspace(workspace: Path, seed: int = 7) -> SeededWorkspace:
    """Create (or recreate) the demo workspace under ``workspace``; returns where everything is."""
    from sqlcurate.sql.engine_conn import engine_client

    layout = Workspace(workspace)
    engine_dir = layout.engine_dir
    client = engine_client(engine_dir)
    client.command("DROP DATABASE IF EXISTS dex SYNC")
    client.command("DROP DATABASE IF EXISTS demo_logs SYNC")
    for stmt in _statements(resources.files("sqlcurate.demo").joinpath("schema.sql").read_text(encoding="utf-8")):
        client.command(stmt)
    for table, (columns, rows) in generate(seed).items():
        client.insert(table, rows, column_names=columns)
    client.command(POOL_DAILY_SQL)

    started = client.query("SELECT now64(6)").first_row[0]
    analyst_of: dict[str, str] = {}  # query text as run -> analyst
    for entry in HISTORY:
        for variant in entry.variants:
            sql = entry.sql.format(**variant)
            analyst_of[sql] = entry.analyst
            client.query(sql, settings={"log_comment": entry.question.format(**variant)} if entry.question else None)
    for analyst, sql in NOISE:
        analyst_of[sql] = analyst
        try:
            client.command(sql)
        except Exception:  # noqa: BLE001 - the failing one is meant to fail; the log records it
            pass
    client.command("SYSTEM FLUSH LOGS")
    # chdb has one user and ignores query ids, so give each logged query its analyst by its text.
    ids, users = [], []
    for query_id, query in client.query(
        "SELECT query_id, query FROM system.query_log WHERE event_time_microseconds >= {started:DateTime64(6)}",
        parameters={"started": started},
    ).result_rows:
        if (analyst := analyst_of.get(strip_client_trailer(query))) is not None:
            ids.append(query_id)
            users.append(analyst)
    client.command("CREATE DATABASE demo_logs")
    client.command(
        f"CREATE TABLE {LOG_TABLE} ENGINE = MergeTree ORDER BY event_time_microseconds AS "
        "SELECT * REPLACE (transform(query_id, {ids:Array(String)}, {users:Array(String)}, user) AS user) "
        "FROM system.query_log WHERE has({ids:Array(String)}, query_id)",
        parameters={"ids": ids, "users": users},
    )
    log_rows = client.query(f"SELECT count() FROM {LOG_TABLE}").first_row[0]

    docs_dir = layout.docs_dir
    docs_dir.mkdir(parents=True, exist_ok=True)
    for page in resources.files("sqlcurate.demo").joinpath("docs").iterdir():
        if page.name.endswith(".md"):
            (docs_dir / page.name).write_text(page.read_text(encoding="utf-8"), encoding="utf-8")
    profile = layout.profile("demo")
    profile.parent.mkdir(parents=True, exist_ok=True)
    profile.write_text(PROFILE.format(engine=ENGINE_DIR.as_posix()), encoding="utf-8")
    return SeededWorkspace(layout.root, engine_dir, profile, docs_dir, len(analyst_of), int(log_rows))

