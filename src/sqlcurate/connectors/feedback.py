"""`sqlcurate pull feedback LOG`: the serve feedback log -> query records that `sqlcurate build` reads.

    an answer rated up, with SQL           -> QueryRecord(question, the answer's SQL)
    an analyst's corrected SQL             -> QueryRecord(question, the corrected SQL)
    an answer rated down, no correction    -> eval only: training_data/eval/feedback_unresolved.jsonl
    an exchange nobody rated               -> not used (counted)

Records land in ``training_data/raw/feedback.jsonl``; ``build`` sends them through every check (SQL,
grounding, engine, dedupe) like the query log's, and their ``source`` (``feedback:<log>:<line>``) is the
provenance in the built rows' ``.meta.jsonl``. The log is the source of truth: each pull rewrites both
files from the whole log. The last rating of an exchange wins (an analyst may change their mind).
Questions and SQL are redacted again here (the server redacts before writing; a log edited by hand
may not be).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlcurate.errors import SqlcurateError
from sqlcurate.fileio import write_jsonl
from sqlcurate.findings import Finding
from sqlcurate.records import FEEDBACK_SOURCE, QueryRecord
from sqlcurate.sql.extract import extract_sql
from sqlcurate.sql.fingerprint import fingerprint
from sqlcurate.sql.redact import redact_conversation
from sqlcurate.workspace import FEEDBACK_RECORDS, FEEDBACK_UNRESOLVED

CODES = {
    "FEEDBACK_BAD_LINE": "a log line that is not a JSON log record (e.g. the torn last line of a crash)",
    "FEEDBACK_UNKNOWN_ID": "feedback about an exchange that is not in the log",
    "FEEDBACK_NO_SQL": "an answer rated up that holds no SQL: nothing to teach",
    "FEEDBACK_IO_ERROR": "the log cannot be read",
}


@dataclass
class FeedbackSummary:
    records_path: Path
    unresolved_path: Path
    exchanges: int = 0
    rated_up: int = 0
    corrected: int = 0
    unresolved: int = 0
    unrated: int = 0
    redacted: int = 0
    log: str = ""
    findings: list[tuple[int, Finding]] = field(default_factory=list)  # (log line, finding)

    @property
    def records(self) -> int:
        return self.rated_up + self.corrected

    def diagnostics(self) -> list[str]:
        return [f.render(self.log, line) for line, f in self.findings]


def _read(log: Path, findings: list[tuple[int, Finding]]) -> tuple[dict[str, tuple[int, dict]], dict[str, tuple[int, dict]]]:
    """(exchange id -> (line, record), exchange id -> (line, its last feedback))."""
    exchanges: dict[str, tuple[int, dict]] = {}
    ratings: dict[str, tuple[int, dict]] = {}
    with log.open(encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                kind, rid = rec["kind"], str(rec["id"])
            except (ValueError, KeyError, TypeError):
                findings.append((n, Finding("FEEDBACK_BAD_LINE", "not a JSON log record", "warning")))
                continue
            if kind == "exchange":
                exchanges[rid] = (n, rec)
            elif kind == "feedback":
                if rid not in exchanges:
                    findings.append((n, Finding("FEEDBACK_UNKNOWN_ID", f"feedback on {rid!r}, which is not in the log", "warning")))
                    continue
                ratings[rid] = (n, rec)
    return exchanges, ratings


def _question(exchange: dict) -> str:
    users = [m.get("content", "") for m in exchange.get("messages", []) if m.get("role") == "user"]
    return users[-1] if users else ""


def pull_feedback(log: Path, workspace: Path) -> FeedbackSummary:
    log, workspace = Path(log), Path(workspace)
    summary = FeedbackSummary(workspace / FEEDBACK_RECORDS, workspace / FEEDBACK_UNRESOLVED, log=str(log))
    try:
        exchanges, ratings = _read(log, summary.findings)
    except OSError as e:
        raise SqlcurateError("FEEDBACK_IO_ERROR", f"{log}: {e.strerror or e}") from None
    summary.exchanges = len(exchanges)
    records: list[QueryRecord] = []
    unresolved: list[dict] = []
    for rid, (ex_line, ex) in exchanges.items():
        if rid not in ratings:
            summary.unrated += 1
            continue
        fb_line, fb = ratings[rid]
        question = _question(ex)
        if fb.get("corrected_sql"):
            sql, line, how = fb["corrected_sql"].strip(), fb_line, "corrected"
        elif fb.get("rating") == "up":
            spans = extract_sql(ex.get("answer", ""))
            if not spans:
                summary.findings.append((ex_line, Finding("FEEDBACK_NO_SQL", f"answer {rid} was rated up but holds no SQL", "warning")))
                continue
            sql, line, how = spans[0].sql, ex_line, "rated_up"
        else:
            unresolved.append({"question": question, "answer": ex.get("answer", ""), "verdict": ex.get("verdict"),
                               "comment": fb.get("comment", ""), "source": f"{FEEDBACK_SOURCE}{log}:{fb_line}", "exchange": rid})
            summary.unresolved += 1
            continue
        (redacted, counts) = redact_conversation([{"role": "user", "content": question}, {"role": "assistant", "content": sql}])
        summary.redacted += sum(counts.values())
        question, sql = redacted[0]["content"], redacted[1]["content"]
        records.append(QueryRecord(source=f"{FEEDBACK_SOURCE}{log}:{line}", query=sql, normalized_hash=fingerprint(sql),
                                   first_seen=ex.get("time"), last_seen=fb.get("time"), users=[str(fb.get("key", ""))],
                                   log_comment=question))
        summary.corrected += how == "corrected"
        summary.rated_up += how == "rated_up"
    write_jsonl(summary.records_path, records)
    write_jsonl(summary.unresolved_path, unresolved)
    return summary

