"""The checks taken a window of rows at a time (``CheckRunner.run_window``, ``Check.prepare``) give
exactly what row by row gives: the same diagnostics in the same order, the same kept, quarantined and
changed rows, the same counts; and a window never holds more rows than ``CheckRunner.WINDOW``."""

from __future__ import annotations

import io
import json

import pytest

from sqlcurate.checks.base import Check, CheckRunner, Item
from sqlcurate.fileio import OutputSet
from sqlcurate.findings import Finding
from sqlcurate.formats.pipeline import Outputs, build_checks, run
from sqlcurate.formats.rejects import RejectsWriter
from sqlcurate.formats.writers import JsonlLog, open_writer


def chat(answer: str, question: str = "q") -> str:
    return json.dumps([{"role": "user", "content": question}, {"role": "assistant", "content": answer}])


# Every kind of row the engine check can meet, repeated so that windows split them differently.
ROWS = [
    chat("SELECT user_id, sum(amount) FROM analytics.orders GROUP BY user_id"),  # valid
    chat("SELECT order_id + 'x' FROM analytics.orders"),  # the engine rejects it (types)
    *(chat(f"SELECT order_id FROM analytics.orders WHERE amount > {n}") for n in range(4)),  # one fingerprint
    chat("SELECT user_id, sum(amount) FROM analytics.orders GROUP BY user_id"),  # exact duplicate
    chat("SELECT TOP 3 user_id FROM analytics.orders ORDER BY created_at"),  # T-SQL, fixable
    chat("SELECT TOP 3 order_id - 'x' FROM analytics.orders"),  # T-SQL, rejected once rewritten
    chat("SELECT ISNULL(status, 'none') FROM analytics.orders"),  # T-SQL function
    chat("```sql\nSELECT (user_id FROM analytics.orders\n```"),  # does not parse: the SQL check's, never the engine's
    chat("SELECT nope FROM analytics.orders"),  # unknown column
    chat("SELECT 1 FROM analytics.refunds"),  # unknown table
    "",  # blank
    "not json at all",  # unreadable
    chat("no SQL in this answer"),
    chat("```sql\nSELECT count() FROM analytics.users;\nSELECT plan + 1 FROM analytics.users\n```"),  # 2 statements
    chat("SELECT order_id + 'x' FROM analytics.orders"),  # a rejected query again
    chat("SELECT TOP 3 user_id FROM analytics.orders ORDER BY created_at"),  # the fixable one again
]


class RowByRow(CheckRunner):
    """The runner as it was before windows: every check on one row, then the next row."""

    def run_window(self, items: list[Item]) -> list[list[Finding]]:
        return [self.run(item) for item in items]


def validate(tmp_path, repo, runner_class, window: int, fix: bool, tag: str) -> dict:

    src = tmp_path / "in.jsonl"
    if not src.exists():
        src.write_text("".join(row + "\n" for row in ROWS * 3))
    catalog = repo / "schemas" / "samples" / "clickhouse" / "analytics.sql"
    checks = build_checks(to="nanochat", system="merge", sql=True, sql_dialect=None, fix=fix, catalog=catalog,
                          engine="chdb", redact=False, tokenizer=None, max_tokens=None, over_length="drop")
    runner = runner_class(checks)
    runner.WINDOW = window
    paths = {name: tmp_path / f"{tag}.{name}.jsonl" for name in ("out", "rejected", "changes")}
    files = OutputSet([src])
    outputs = Outputs(open_writer(paths["out"], "nanochat", "merge", [src], files), RejectsWriter(paths["rejected"], files=files),
                      JsonlLog(paths["changes"], files=files))
    diagnostics = io.StringIO()
    try:
        summary = run([src], "auto", runner, outputs, diagnostics)
    finally:
        runner.close()
    outputs.writer.finish()
    files.commit()
    engine = next(c for c in checks if c.name == "engine")
    return {
        "diagnostics": diagnostics.getvalue(),
        **{name: path.read_text() for name, path in paths.items()},
        "summary": (summary.lines, summary.blank, summary.kept, summary.quarantined, summary.changed,
                    list(summary.codes.items())),
        "stats": {name: (s.seen, s.dropped, s.warned) for name, s in runner.stats.items()},
        "codes": list(runner.codes.items()),
        "planned": engine.planned,
    }


@pytest.mark.engine
@pytest.mark.parametrize("fix", [False, True])
def test_windows_give_what_row_by_row_gives(tmp_path, repo, engine, fix):
    reference = validate(tmp_path, repo, RowByRow, 1, fix, "ref")
    # the file covers what the comparison is about
    assert "SQL_ENGINE_REJECTED" in reference["diagnostics"] and "SQL_PARSE_ERROR" in reference["diagnostics"]
    assert ("SQL_FOREIGN_DIALECT" in reference["diagnostics"]) != fix
    assert bool(reference["changes"]) == fix
    assert reference["summary"][2] and reference["summary"][3]  # some kept, some quarantined
    for window in (1, 5, 64):
        assert validate(tmp_path, repo, CheckRunner, window, fix, f"w{window}") == reference, f"window {window}"


class Recorder(Check):
    """Records what ``prepare`` and ``findings`` are given; drops the rows whose answer holds ``drop``."""

    def __init__(self, name: str):
        self.name = name
        self.prepared: list[list[int]] = []
        self.seen: list[int] = []

    def prepare(self, items: list[Item]) -> None:
        self.prepared.append([it.line for it in items])

    def findings(self, item: Item) -> list[Finding]:
        self.seen.append(item.line)
        return [Finding("CHECK_FAILED", "dropped on purpose")] if "drop" in item.conversation.messages[-1].content else []


def test_window_bound_and_prepare_gets_only_rows_that_reach_the_check(tmp_path):
    rows = [chat("drop" if n % 4 == 0 else "keep") for n in range(23)]
    rows[6] = ""  # a blank line and an unreadable one never reach the checks
    rows[9] = "{"
    src = tmp_path / "in.jsonl"
    src.write_text("".join(row + "\n" for row in rows))
    first, second = Recorder("first"), Recorder("second")
    runner = CheckRunner([first, second])
    runner.WINDOW = 5
    summary = run([src], "auto", runner, Outputs(), io.StringIO())

    readable = [n for n in range(1, 24) if n not in (7, 10)]
    kept = [n for n in readable if (n - 1) % 4 != 0]
    assert [len(w) for w in first.prepared] == [5, 3, 5, 5, 3]  # windows of 5 lines, less blank and unreadable
    assert [n for w in first.prepared for n in w] == first.seen == readable
    assert all(len(w) <= 5 for w in second.prepared)
    assert [n for w in second.prepared for n in w] == second.seen == kept
    assert (summary.kept, summary.quarantined, summary.blank) == (len(kept), len(readable) - len(kept) + 1, 1)
    assert (runner.stats["first"].seen, runner.stats["first"].dropped, runner.stats["second"].seen) == (
        len(readable), len(readable) - len(kept), len(kept))


def test_a_failing_prepare_changes_nothing(tmp_path):
    class BrokenPrepare(Recorder):
        def prepare(self, items: list[Item]) -> None:
            raise RuntimeError("a bug in a cache warmer")

    src = tmp_path / "in.jsonl"
    src.write_text("".join(chat(answer) + "\n" for answer in ("keep", "drop", "keep")))
    check = BrokenPrepare("broken")
    summary = run([src], "auto", CheckRunner([check]), Outputs(), io.StringIO())
    assert check.seen == [1, 2, 3]
    assert (summary.kept, summary.quarantined) == (2, 1)
