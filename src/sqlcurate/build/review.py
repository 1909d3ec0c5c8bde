"""The review loop: ``build`` writes the pairs that need a person (``<out>/review_queue.jsonl``), a reviewer
accepts, edits or rejects them in ``sqlcurate review``, and the decisions land in a review file
(``WORKSPACE/training_data/review.jsonl`` by default) keyed by the query's fingerprint, which the next
``build`` applies. The fingerprint is the SQL template's hash (literals out), so a decision survives a
rebuild, a re-pull and a re-run of the same query with other literals.

The review file is append-only history (the last decision for a fingerprint wins), each write atomic.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from sqlcurate.errors import SqlcurateError
from sqlcurate.fileio import atomic_open

CODES = {
    "REVIEW_BAD_FILE": "a line of the review file that is not a valid decision",
    "REVIEW_NO_QUEUE": "no review queue in the build output (run `sqlcurate build` first)",
    "REVIEW_BAD_QUEUE": "a line of the review queue that is not an entry `build` writes",
    "REVIEW_BAD_CATALOG": "the catalog shown beside each query cannot be read",
}
ACTIONS = {"a": "accept", "e": "edit", "r": "reject", "s": "skip", "q": "quit"}
SAMPLE_ROWS = 5
MAX_COLUMNS_SHOWN = 60  # a wide table's columns past this are counted, not listed (prompt and screen stay short)


class Decision(BaseModel):
    """One reviewer decision for one SQL template."""

    fingerprint: str
    decision: Literal["accept", "edit", "reject"]
    questions: list[str] = []  # what the template is asked as from now on (empty for reject)
    was: list[str] = []  # the questions the reviewer saw
    sql: str = ""
    at: str = ""


@dataclass
class QueueEntry:
    """One template that needs review, as ``build`` left it: its questions, SQL and why it is here."""

    fingerprint: str
    sql: str
    questions: list[str]
    question_from: str
    held: bool  # left out of train.jsonl until reviewed
    findings: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


def load_decisions(path: Path) -> dict[str, Decision]:
    """fingerprint -> the latest decision; a bad line stops the run, naming file and line."""
    if not path.is_file():
        return {}
    out: dict[str, Decision] = {}
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = Decision.model_validate_json(line)
        except ValidationError as e:
            first = e.errors()[0]
            raise SqlcurateError("REVIEW_BAD_FILE", f"{path}:{line_no}: {'.'.join(map(str, first['loc'])) or 'line'}: {first['msg']}") from None
        if d.decision != "reject" and not any(q.strip() for q in d.questions):
            raise SqlcurateError("REVIEW_BAD_FILE", f"{path}:{line_no}: an {d.decision} decision without a question")
        out[d.fingerprint] = d
    return out


def record_decision(path: Path, decision: Decision) -> None:
    """Append one decision to the review file (the whole file rewritten atomically)."""
    before = path.read_text(encoding="utf-8") if path.is_file() else ""
    if before and not before.endswith("\n"):
        before += "\n"
    decision.at = decision.at or datetime.now(UTC).isoformat(timespec="seconds")
    with atomic_open(path) as fh:
        fh.write(before + decision.model_dump_json() + "\n")


def read_queue(path: Path) -> list[QueueEntry]:
    if not path.is_file():
        raise SqlcurateError("REVIEW_NO_QUEUE", f"{path}: no review queue (run `sqlcurate build` first)")
    out = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(QueueEntry(**json.loads(line)))
        except (ValueError, TypeError) as e:  # not JSON, or not the fields build writes
            raise SqlcurateError("REVIEW_BAD_QUEUE", f"{path}:{line_no}: {e}") from None
    return out


def describe_tables(tables: list[str], catalog) -> list[str]:
    """The catalog's words about the tables a query reads: the comment, then each column's."""
    lines = []
    for name in tables:
        table = catalog.table(name) if catalog is not None else None
        if table is None:
            lines.append(f"  {name}: not in the catalog")
            continue
        lines.append(f"  {name}: {table.comment or '(no comment)'}")
        lines.extend(f"    {c.name} {c.type}" + (f": {c.comment}" if c.comment else "") for c in table.columns[:MAX_COLUMNS_SHOWN])
        if len(table.columns) > MAX_COLUMNS_SHOWN:
            lines.append(f"    ... and {len(table.columns) - MAX_COLUMNS_SHOWN} more columns")
    return lines


def sample_lines(sql: str, runner) -> list[str]:
    """A few result rows of the query, run by the sandboxed runner; a refusal is shown as its code;
    nothing without sample data."""
    if runner is None:
        return []
    run = runner.run(f"SELECT * FROM ({sql}) LIMIT {SAMPLE_ROWS}")
    if not run.ok:
        return [f"  {run.code} {run.message}"]
    return ["  " + " | ".join(run.columns)] + ["  " + " | ".join(str(v) for v in row) for row in run.rows]


def review_session(queue: list[QueueEntry], decisions_path: Path, catalog=None, runner=None,
                   ask: Callable[[str], str] = input, say: Callable[[str], None] = print) -> dict[str, int]:
    """The terminal review: each undecided template with its questions, why it is here, its SQL, a
    result sample and the catalog; the reviewer types a/e/r/s/q. Each decision is saved at once."""
    decided = load_decisions(decisions_path)
    todo = [e for e in queue if e.fingerprint not in decided]
    counts = {"accept": 0, "edit": 0, "reject": 0, "skip": 0}
    for i, entry in enumerate(todo, 1):
        say(f"\n[{i}/{len(todo)}] {'held out of train' if entry.held else 'in train, unreviewed'}; "
            f"question from {entry.question_from}" + (f"; {', '.join(entry.findings)}" if entry.findings else ""))
        for q in entry.questions:
            say(f"Q: {q}")
        say("SQL:\n" + "\n".join("  " + line for line in entry.sql.splitlines()))
        say("Result sample:\n" + "\n".join(sample_lines(entry.sql, runner) or ["  (no sample data: pass --sample-engine DIR)"]))
        say("Catalog:\n" + "\n".join(describe_tables(entry.tables, catalog)))
        try:
            action, questions = _decide(entry, ask)
        except EOFError:  # the terminal closed: what was decided is saved already
            break
        if action == "quit":
            break
        if action == "skip":
            counts["skip"] += 1
            continue
        record_decision(decisions_path, Decision(fingerprint=entry.fingerprint, decision=action, questions=questions,
                                                 was=entry.questions, sql=entry.sql))
        counts[action] += 1
        say(f"saved: {action}")
    say(f"\nreviewed: {counts['accept']} accepted, {counts['edit']} edited, {counts['reject']} rejected, "
        f"{counts['skip']} skipped; decisions in {decisions_path}")
    return counts


def _decide(entry: QueueEntry, ask: Callable[[str], str]) -> tuple[str, list[str]]:
    action = ""
    while action not in ACTIONS.values():
        action = ACTIONS.get(ask("[a]ccept [e]dit [r]eject [s]kip [q]uit > ").strip().lower()[:1], "")
    questions = entry.questions if action == "accept" else []
    while action == "edit" and not questions:
        questions = [q.strip() for q in ask("question (several: separate with ' | ') > ").split("|") if q.strip()]
    return action, questions
