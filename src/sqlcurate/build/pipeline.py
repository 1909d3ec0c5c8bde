"""``sqlcurate build``: pulled records -> checked, deduped, split training conversations.

    training_data/raw/clickhouse_query_log.jsonl -> question/SQL pairs + dialect-contrast pairs
    schemas/ (catalog)                           -> schema questions
    training_data/raw/docs.jsonl                 -> one Q/A per doc section
        -> checks (SQL dialect, grounding in the catalog, the engine, dedupe), rejects kept with reasons
        -> split by SQL template -> <out>/train.jsonl, <out>/val.jsonl (+ .meta.jsonl provenance)
        -> optional mixing by explicit ratio, train only
        -> <out>/rejects.jsonl, <out>/build_report.json

Counts always add up: candidates = written + rejected, and the report says so.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from sqlcurate.build.contrast import contrast_pairs
from sqlcurate.build.docs_qa import doc_conversation
from sqlcurate.build.query_pairs import query_pair
from sqlcurate.build.schema_qa import schema_conversations
from sqlcurate.build.split import MIN_CUSTOM_SHARE, MixSpec, sample_mix, split_grouped
from sqlcurate.checks.base import CheckRunner, Item
from sqlcurate.checks.dedupe import DedupeCheck
from sqlcurate.checks.grounding import GroundingCheck
from sqlcurate.checks.sql import SqlCheck
from sqlcurate.conversation import Conversation, SystemPolicy
from sqlcurate.errors import SqlcurateError
from sqlcurate.fileio import atomic_open
from sqlcurate.formats.writers import JsonlLog, open_writer
from sqlcurate.records import DocSection, QueryRecord
from sqlcurate.sql.catalog import Catalog, load_catalog

CODES = {
    "BUILD_BAD_RECORD": "a line of a raw records file that is not a valid record (quarantined)",
    "BUILD_NO_INPUT": "no records and no catalog to build from",
}

QUERY_LOG = Path("training_data/raw/clickhouse_query_log.jsonl")
DOCS = Path("training_data/raw/docs.jsonl")


class BuildError(SqlcurateError, RuntimeError):
    def __init__(self, code: str, message: str):
        assert code in CODES, code
        super().__init__(code, message)


@dataclass
class BuildReport:
    out_dir: str
    candidates: int = 0
    written: int = 0
    rejected: int = 0
    train: int = 0
    val: int = 0
    mixed: int = 0
    custom_share: float = 1.0
    bad_records: int = 0
    needs_review: int = 0
    by_task: dict[str, dict[str, int]] = field(default_factory=dict)
    reject_codes: dict[str, int] = field(default_factory=dict)
    checks: dict[str, dict[str, float]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _read_records(path: Path, model: type[BaseModel], rejects: list[dict]) -> list:
    if not path.is_file():
        return []
    out = []
    with path.open(encoding="utf-8") as fh:
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                out.append(model.model_validate_json(line))
            except ValidationError as e:
                first = e.errors()[0]
                rejects.append({"source": str(path), "line": line_no, "codes": ["BUILD_BAD_RECORD"],
                                "reasons": [f"{'.'.join(map(str, first['loc'])) or 'line'}: {first['msg']}"],
                                "raw": line.rstrip("\n")})
    return out


def candidates(queries: list[QueryRecord], catalog: Catalog | None, docs: list[DocSection]) -> list[Conversation]:
    """Every conversation the records can teach, in a fixed order (query pairs first, so dedupe keeps
    the analysts' own questions over generated ones)."""
    ch_queries = [q for q in queries if q.dialect == "clickhouse"]
    convs = [query_pair(q) for q in ch_queries]
    for q in ch_queries:
        convs.extend(contrast_pairs(q))
    if catalog is not None:
        convs.extend(schema_conversations(list(catalog)))
    convs.extend(doc_conversation(d) for d in docs)
    return convs


def _checks(catalog: Catalog | None, engine: str) -> list:
    checks = [SqlCheck(fix=False)]  # a training answer is written as it is, or rejected with the reason
    if catalog is not None and len(catalog):
        checks.append(GroundingCheck(catalog))
        ch_tables = [t for t in catalog if t.dialect == "clickhouse"]
        if engine == "chdb" and ch_tables:
            from sqlcurate.checks.engine import EngineCheck

            checks.append(EngineCheck(Catalog(ch_tables, default_database=catalog.default_database, dialect="clickhouse")))
    checks.append(DedupeCheck())  # last: only rows every other check kept count as seen
    return checks


def build(
    workspace: Path = Path("."), out: Path | None = None, catalog_path: Path | None = None, engine: str = "chdb",
    val_fraction: float = 0.1, mix: list[str] | None = None, seed: int = 0, fmt: str = "nanochat",
    system: SystemPolicy = SystemPolicy.MERGE,
) -> BuildReport:
    """Build ``<out>/train.jsonl`` and ``<out>/val.jsonl`` from a workspace's pulled records."""
    t0 = time.perf_counter()
    assert engine in ("chdb", "none"), f"--engine must be chdb or none, got {engine!r}"
    workspace = Path(workspace)
    out = Path(out) if out is not None else workspace / "training_data" / "curated"
    catalog_path = Path(catalog_path) if catalog_path is not None else workspace / "schemas"
    specs = [MixSpec.parse(m) for m in mix or []]
    report = BuildReport(out_dir=str(out))

    raw_rejects: list[dict] = []
    queries = _read_records(workspace / QUERY_LOG, QueryRecord, raw_rejects)
    docs = _read_records(workspace / DOCS, DocSection, raw_rejects)
    catalog = load_catalog(catalog_path) if catalog_path.exists() and any(catalog_path.rglob("*")) else None
    report.bad_records = len(raw_rejects)
    convs = candidates(queries, catalog, docs)
    if not convs:
        raise BuildError("BUILD_NO_INPUT", f"nothing to build from: no records under {workspace / 'training_data/raw'} "
                                           f"and no catalog at {catalog_path} (run `sqlcurate pull` first)")
    report.candidates = len(convs)

    inputs = [p for p in (workspace / QUERY_LOG, workspace / DOCS) if p.exists()]
    rejects = JsonlLog(out / "rejects.jsonl", inputs=inputs)
    runner = CheckRunner(_checks(catalog, engine))
    kept: list[Conversation] = []
    tasks: dict[str, Counter] = {}
    try:
        for row in raw_rejects:
            rejects.add(row)
        for start in range(0, len(convs), runner.WINDOW):
            # the checks take a window of candidates together (the engine plans their queries at once)
            window = list(enumerate(convs[start:start + runner.WINDOW], start + 1))
            items = [Item(conversation=conv, source=conv.meta.get("source", ""), line=n) for n, conv in window]
            for (n, conv), item, found in zip(window, items, runner.run_window(items), strict=True):
                task = conv.meta.get("task", "")
                tasks.setdefault(task, Counter())["candidates"] += 1
                errors = [f for f in found if f.severity == "error"]
                if errors:
                    tasks[task]["rejected"] += 1
                    rejects.add({"source": item.source, "line": n, "task": task, "codes": [f.code for f in errors],
                                 "reasons": [f.message for f in errors], "messages": conv.as_messages(), "meta": conv.meta})
                    continue
                tasks[task]["written"] += 1
                kept.append(conv)
    finally:
        runner.close()

    train, val = split_grouped(kept, val_fraction, seed)
    custom_train = len(train)
    for spec in specs:
        sample, bad = sample_mix(spec, round(spec.ratio * custom_train), seed)
        for row in bad:
            rejects.add(row)
        report.bad_records += len(bad)
        if len(sample) < round(spec.ratio * custom_train):
            report.warnings.append(f"{spec.path}: asked for {round(spec.ratio * custom_train)} rows, the file has {len(sample)} valid ones")
        train.extend(sample)
        report.mixed += len(sample)
    report.custom_share = round(custom_train / len(train), 4) if train else 1.0
    if report.mixed and report.custom_share < MIN_CUSTOM_SHARE:
        report.warnings.append(
            f"MIX_CUSTOM_SHARE_LOW custom rows are {report.custom_share:.0%} of train (under {MIN_CUSTOM_SHARE:.0%}): "
            f"{custom_train} custom among {len(train)}; a small custom set diluted this far teaches little")

    try:
        for name, rows in (("train", train), ("val", val)):
            suffix = ".parquet" if fmt == "parquet" else ".jsonl"
            with open_writer(out / f"{name}{suffix}", fmt, system, inputs=inputs) as writer:
                for conv in rows:
                    writer.write(conv)
    except BaseException:
        rejects.abort()
        raise
    rejects.close()

    report.written, report.rejected = len(kept), sum(t["rejected"] for t in tasks.values())
    report.train, report.val = len(train), len(val)
    report.needs_review = sum(1 for c in kept if c.meta.get("needs_review"))
    report.by_task = {k: dict(v) for k, v in sorted(tasks.items())}
    report.reject_codes = dict(runner.codes.most_common())
    report.checks = {name: {"seen": s.seen, "dropped": s.dropped, "seconds": round(s.seconds, 3)} for name, s in runner.stats.items()}
    report.seconds = round(time.perf_counter() - t0, 3)
    assert report.candidates == report.written + report.rejected, "every candidate is written or rejected"
    with atomic_open(out / "build_report.json") as fh:
        json.dump(asdict(report), fh, indent=1)
        fh.write("\n")
    return report
