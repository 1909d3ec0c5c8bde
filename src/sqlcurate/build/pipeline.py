"""``sqlcurate build``: pulled records -> checked, deduped, split training conversations.

    training_data/raw/clickhouse_query_log.jsonl -> question/SQL pairs + dialect-contrast pairs
        (+ training_data/review.jsonl: reviewers' decisions; + an optional question model)
    schemas/ (catalog)                           -> schema questions
    training_data/raw/docs.jsonl                 -> one Q/A per doc section
        -> checks (SQL dialect, grounding in the catalog, the engine, question quality, dedupe),
           rejects kept with reasons
        -> pairs that need a person and have none (a described-from-SQL or flagged question) held out
        -> split by SQL template -> <out>/train.jsonl, <out>/val.jsonl (+ .meta.jsonl provenance)
        -> optional mixing by explicit ratio, train only
        -> <out>/rejects.jsonl, <out>/review_queue.jsonl, <out>/build_report.json

Counts always add up: candidates = written + rejected, written = train + val + held (before mixing),
and the report says so.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from sqlcurate.build.contrast import contrast_pairs
from sqlcurate.build.docs_qa import dataform_descriptions, doc_conversation
from sqlcurate.build.query_pairs import analyst_question, query_pairs, split_leading_comment
from sqlcurate.build.review import (
    Decision,
    QueueEntry,
    describe_tables,
    load_decisions,
    sample_lines,
)
from sqlcurate.build.schema_qa import schema_conversations
from sqlcurate.build.split import MixSpec, mix_general, split_grouped
from sqlcurate.checks.base import CheckRunner, Item
from sqlcurate.checks.dedupe import DedupeCheck
from sqlcurate.checks.grounding import GroundingCheck
from sqlcurate.checks.question import CODES as QUESTION_CODES
from sqlcurate.checks.question import QuestionCheck
from sqlcurate.checks.sql import SqlCheck
from sqlcurate.conversation import Conversation, SystemPolicy
from sqlcurate.errors import SqlcurateError
from sqlcurate.fileio import atomic_open, write_jsonl
from sqlcurate.formats.rejects import RejectsWriter
from sqlcurate.formats.writers import open_writer
from sqlcurate.records import DocSection, QueryRecord
from sqlcurate.sql.catalog import Catalog, load_catalog
from sqlcurate.sql.extract import extract_from_conversation
from sqlcurate.sql.fingerprint import fingerprint
from sqlcurate.workspace import (
    CURATED_DIR,
    DOCS_RECORDS,
    FEEDBACK_RECORDS,
    QUERY_LOG,
    REVIEW_FILE,
    SCHEMAS_DIR,
)

CODES = {
    "BUILD_BAD_RECORD": "a line of a raw records file that is not a valid record (quarantined)",
    "BUILD_NO_INPUT": "no records and no catalog to build from",
    "BUILD_INPUT": "an input that cannot be read: the catalog, a --mix spec or file, an output over an input",
}



class BuildError(SqlcurateError):
    codes = CODES


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
    needs_review: int = 0  # templates in review_queue.jsonl: held ones and unreviewed machine-written ones
    held_for_review: int = 0  # left out of train/val until a reviewer decides
    question_sources: dict[str, int] = field(default_factory=dict)  # written query-log pairs by question source
    review_decisions: dict[str, int] = field(default_factory=dict)  # decisions of the review file applied
    question_model: dict[str, int] = field(default_factory=dict)  # templates asked, answered, refused by code
    question_findings: dict[str, int] = field(default_factory=dict)  # question-check warnings on written pairs
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


def _machine_questions(rec: QueryRecord, writer, catalog: Catalog | None, runner, counts: Counter) -> list[str]:
    _, sql = split_leading_comment(rec.query)
    found, problem = writer.questions(sql, describe_tables(rec.tables, catalog), sample_lines(sql, runner))
    counts["asked"] += 1
    counts[problem.code if problem else "answered"] += 1
    return found


def candidates(queries: list[QueryRecord], catalog: Catalog | None, docs: list[DocSection],
               decisions: dict[str, Decision] | None = None, writer=None, runner=None,
               counts: dict[str, Counter] | None = None) -> list[Conversation]:
    """Every conversation the records can teach, in a fixed order (query pairs first, so dedupe keeps
    the analysts' own questions over generated ones). A template a reviewer rejected gives no query
    pair; one a reviewer accepted or edited is asked as they decided; the question ``writer`` is only
    asked for templates with neither the analyst's words nor a decision."""
    decisions = decisions or {}
    counts = counts if counts is not None else {}
    review, model = counts.setdefault("review", Counter()), counts.setdefault("model", Counter())
    ch_queries = [q for q in queries if q.dialect == "clickhouse"]
    documented = dataform_descriptions(docs)
    convs = []
    for q in ch_queries:
        decision = decisions.get(fingerprint(split_leading_comment(q.query)[1]))
        if decision is not None:
            review[decision.decision] += 1
            if decision.decision == "reject":
                continue
        machine = None
        if writer is not None and decision is None and not analyst_question(q, documented)[0]:
            machine = _machine_questions(q, writer, catalog, runner, model)
        convs.extend(query_pairs(q, reviewed=decision.questions if decision else None, machine=machine,
                                 model=writer.model if writer is not None else "", documented=documented))
    for q in ch_queries:
        convs.extend(contrast_pairs(q, runner, catalog))
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
    checks.append(QuestionCheck())
    checks.append(DedupeCheck())  # last: only rows every other check kept count as seen
    return checks


def build(
    workspace: Path = Path("."), out: Path | None = None, catalog_path: Path | None = None, engine: str = "chdb",
    val_fraction: float = 0.1, mix: list[str] | None = None, seed: int = 0, fmt: str = "nanochat",
    system: SystemPolicy = SystemPolicy.MERGE, review_path: Path | None = None, include_unreviewed: bool = False,
    writer=None, sample_engine: Path | None = None,
) -> BuildReport:
    """Build ``<out>/train.jsonl`` and ``<out>/val.jsonl`` from a workspace's pulled records.

    ``review_path``: the reviewers' decisions (default ``WORKSPACE/training_data/review.jsonl``).
    ``include_unreviewed``: write held pairs to train/val too (still marked ``needs_review``).
    ``writer``: a ``build.questions.QuestionWriter`` for templates without the analyst's words.
    ``sample_engine``: an embedded ClickHouse directory holding sample data, for result rows shown to
    the question writer (the engine check's scratch tables go beside them, in their own databases)."""
    t0 = time.perf_counter()
    assert engine in ("chdb", "none"), f"--engine must be chdb or none, got {engine!r}"
    workspace = Path(workspace)
    out = Path(out) if out is not None else workspace / CURATED_DIR
    catalog_path = Path(catalog_path) if catalog_path is not None else workspace / SCHEMAS_DIR
    specs = [MixSpec.parse(m) for m in mix or []]
    report = BuildReport(out_dir=str(out))

    raw_rejects: list[dict] = []
    queries = _read_records(workspace / QUERY_LOG, QueryRecord, raw_rejects)
    queries += _read_records(workspace / FEEDBACK_RECORDS, QueryRecord, raw_rejects)
    docs = _read_records(workspace / DOCS_RECORDS, DocSection, raw_rejects)
    catalog = load_catalog(catalog_path) if catalog_path.exists() and any(catalog_path.rglob("*")) else None
    report.bad_records = len(raw_rejects)
    decisions = load_decisions(Path(review_path) if review_path is not None else workspace / REVIEW_FILE)
    sample_runner = None
    if sample_engine is not None:
        from sqlcurate.eval.runner import QueryRunner

        # the sample engine is opened by the runner's sandbox process, not here (one process per directory)
        sample_runner = QueryRunner(timeout_s=5.0, max_rows=1000, engine_dir=sample_engine)
    counts: dict[str, Counter] = {}
    convs = candidates(queries, catalog, docs, decisions, writer, sample_runner, counts)
    report.review_decisions = dict(counts["review"])
    report.question_model = dict(counts["model"])
    if not convs:
        raise BuildError("BUILD_NO_INPUT", f"nothing to build from: no records under {workspace / 'training_data/raw'} "
                                           f"and no catalog at {catalog_path} (run `sqlcurate pull` first)")
    report.candidates = len(convs)

    inputs = [p for p in (workspace / QUERY_LOG, workspace / FEEDBACK_RECORDS, workspace / DOCS_RECORDS) if p.exists()]
    rejects = RejectsWriter(out / "rejects.jsonl", inputs=inputs)
    runner = CheckRunner(_checks(catalog, engine))
    kept: list[Conversation] = []
    held: list[Conversation] = []
    reject_codes: Counter[str] = Counter()
    question_codes: Counter[str] = Counter()  # warnings of written pairs: why they are held
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
                    reject_codes.update(f.code for f in errors)
                    rejects.reject(item.source, n, errors, task=task, messages=conv.as_messages(), meta=conv.meta)
                    continue
                tasks[task]["written"] += 1
                flagged = sorted({f.code for f in found if f.code in QUESTION_CODES})
                if flagged:
                    conv.meta["question_findings"] = flagged
                    question_codes.update(flagged)
                if conv.meta.get("question_from") != "reviewed" and (flagged or conv.meta.get("question_from") == "description"):
                    conv.meta["needs_review"] = conv.meta["held_for_review"] = True
                (held if conv.meta.get("held_for_review") and not include_unreviewed else kept).append(conv)
    finally:
        runner.close()

    report.needs_review = write_jsonl(out / "review_queue.jsonl", _queue(kept + held))
    report.held_for_review = len(held)
    train, val = split_grouped(kept, val_fraction, seed)
    mixed = mix_general(len(train), specs, seed)
    for row in mixed.bad_lines:
        rejects.add(row)
    report.bad_records += len(mixed.bad_lines)
    report.warnings.extend(mixed.warnings)
    train.extend(mixed.added)
    report.mixed, report.custom_share = len(mixed.added), mixed.custom_share

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

    report.written, report.rejected = len(kept) + len(held), sum(t["rejected"] for t in tasks.values())
    report.train, report.val = len(train), len(val)
    report.question_sources = dict(Counter(c.meta["question_from"] for c in kept + held if c.meta.get("task") == "query_log"))
    report.by_task = {k: dict(v) for k, v in sorted(tasks.items())}
    report.reject_codes = dict(reject_codes.most_common())
    report.question_findings = dict(question_codes.most_common())
    report.checks = {name: {"seen": s.seen, "dropped": s.dropped, "seconds": round(s.seconds, 3)} for name, s in runner.stats.items()}
    report.seconds = round(time.perf_counter() - t0, 3)
    assert report.candidates == report.written + report.rejected, "every candidate is written or rejected"
    assert report.written == report.train + report.val - report.mixed + report.held_for_review
    with atomic_open(out / "build_report.json") as fh:
        json.dump(asdict(report), fh, indent=1)
        fh.write("\n")
    return report


def _queue(convs: list[Conversation]) -> list[QueueEntry]:
    """The query-log templates a person should look at, one entry per template (a question model's
    several questions for one query are decided together)."""
    entries: dict[str, QueueEntry] = {}
    for conv in convs:
        meta = conv.meta
        if not meta.get("needs_review") or "fingerprint" not in meta:
            continue
        question = conv.messages[0].content
        entry = entries.get(meta["fingerprint"])
        if entry is None:
            spans = extract_from_conversation(conv)
            entries[meta["fingerprint"]] = QueueEntry(
                fingerprint=meta["fingerprint"], sql=spans[0].sql if spans else "", questions=[question],
                question_from=meta["question_from"], held=bool(meta.get("held_for_review")),
                findings=meta.get("question_findings", []), tables=meta.get("tables", []))
        elif question not in entry.questions:
            entry.questions.append(question)
    return list(entries.values())
