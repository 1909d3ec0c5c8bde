"""The one description of a workspace: where every verb reads and writes under its root directory.

    connectors/<name>.toml                          connection profiles (`pull --profile NAME`)
    training_data/raw/clickhouse_query_log.jsonl    QueryRecord per template (`pull clickhouse`)
    training_data/raw/bigquery_jobs.jsonl           QueryRecord per template (`pull bigquery`)
    training_data/raw/docs.jsonl                    DocSection per section (`pull docs`)
    training_data/raw/feedback.jsonl                QueryRecord per rated answer or correction (`pull feedback`)
    training_data/eval/feedback_unresolved.jsonl    answers rated down without a correction (`pull feedback`)
    training_data/raw/.watermarks.json              last event time pulled, per source
    schemas/<warehouse>/<database>.sql, catalog.json the catalog as pulled (`--catalog` of later verbs)
    training_data/curated/                          train/val conversations (`build`)
    training_data/review.jsonl                      review decisions by query fingerprint (`review`, read by `build`)
    engine/                                         an embedded ClickHouse data directory (the demo's warehouse)
    docs/                                           docs pages to pull (the demo's)

The relative paths are the layout; ``Workspace(root)`` gives them under a root.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RAW_DIR = Path("training_data") / "raw"
QUERY_LOG = RAW_DIR / "clickhouse_query_log.jsonl"
# templates under `pull --min-count` wait here; a later pull that sees them again adds up their counts
QUERY_LOG_PENDING = RAW_DIR / "clickhouse_query_log.pending.jsonl"
BIGQUERY_JOBS = RAW_DIR / "bigquery_jobs.jsonl"
DOCS_RECORDS = RAW_DIR / "docs.jsonl"
FEEDBACK_RECORDS = RAW_DIR / "feedback.jsonl"
FEEDBACK_UNRESOLVED = Path("training_data") / "eval" / "feedback_unresolved.jsonl"
WATERMARKS = RAW_DIR / ".watermarks.json"
SCHEMAS_DIR = Path("schemas")
CURATED_DIR = Path("training_data") / "curated"
REVIEW_FILE = Path("training_data") / "review.jsonl"
CONNECTORS_DIR = Path("connectors")
ENGINE_DIR = Path("engine")
DOCS_DIR = Path("docs")


@dataclass(frozen=True)
class Workspace:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def raw_dir(self) -> Path:
        return self.root / RAW_DIR

    @property
    def schemas_dir(self) -> Path:
        return self.root / SCHEMAS_DIR

    @property
    def curated_dir(self) -> Path:
        return self.root / CURATED_DIR

    @property
    def engine_dir(self) -> Path:
        return self.root / ENGINE_DIR

    @property
    def docs_dir(self) -> Path:
        return self.root / DOCS_DIR

    def catalog_dir(self, warehouse: str) -> Path:
        return self.schemas_dir / warehouse

    def profile(self, name: str) -> Path:
        return self.root / CONNECTORS_DIR / f"{name}.toml"

    def engine_dir_or_root(self) -> Path:
        """The workspace's engine directory, or the root itself when it is a bare chdb data directory."""
        return self.engine_dir if self.engine_dir.is_dir() else self.root
