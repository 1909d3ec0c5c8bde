"""Held pairs and the review loop on the demo workspace: described-from-SQL questions stay out of train,
a reviewer's decision is stored by fingerprint and survives rebuilds, and `sqlcurate review` works in a
real terminal (a pty)."""

from __future__ import annotations

import json
import sys

import pexpect
import pytest
from tests.build.conftest import copy_pulled, run_cli

from sqlcurate.build.pipeline import build
from sqlcurate.build.review import Decision, load_decisions, read_queue, record_decision
from sqlcurate.checks.question import quality_findings
from sqlcurate.demo.history import HISTORY
from sqlcurate.errors import SqlcurateError


def _rows(out, name):
    rows = [json.loads(x) for x in (out / f"{name}.jsonl").read_text().splitlines()]
    meta = [json.loads(x) for x in (out / f"{name}.meta.jsonl").read_text().splitlines()]
    return list(zip(rows, meta, strict=True))


def _written(out):
    return _rows(out, "train") + _rows(out, "val")


def test_the_demo_log_tags_a_minority_and_no_sql_shaped_question_reaches_train(demo_workspace, tmp_path):
    analyst_words = [e for e in HISTORY if e.question or e.sql.lstrip().startswith(("--", "/*"))]
    assert len(analyst_words) < len(HISTORY) / 2
    ws = copy_pulled(demo_workspace, tmp_path)
    report = build(ws, engine="none")
    out = ws / "training_data/curated"
    assert report.question_sources == {"log_comment": sum(bool(e.question) for e in HISTORY), "sql_comment": 3,
                                       "description": len(HISTORY) - len(analyst_words)}
    assert report.held_for_review == report.question_sources["description"]
    assert report.written == report.train + report.val + report.held_for_review
    for row, meta in _written(out):
        shaped = [f for f in quality_findings(row[0]["content"]) if f.code == "QUESTION_SQL_SHAPED"]
        assert not shaped, (row[0]["content"], meta)
        if meta["task"] == "query_log":
            assert meta["question_from"] in ("log_comment", "sql_comment") and meta["question_trust"] == 1
    queue = read_queue(out / "review_queue.jsonl")
    assert len(queue) == report.held_for_review and all(e.held and e.question_from == "description" for e in queue)
    everything = build(ws, out=tmp_path / "all", engine="none", include_unreviewed=True)
    assert everything.held_for_review == 0 and everything.train + everything.val == report.written


def test_a_reviewed_decision_survives_rebuilds(demo_workspace, tmp_path):
    ws = copy_pulled(demo_workspace, tmp_path)
    out = ws / "training_data/curated"
    build(ws, engine="none")
    edit, reject = read_queue(out / "review_queue.jsonl")[:2]
    decisions = ws / "training_data/review.jsonl"
    record_decision(decisions, Decision(fingerprint=edit.fingerprint, decision="edit",
                                        questions=["Which segment trades the most?", "Who trades more, bots or whales?"],
                                        was=edit.questions, sql=edit.sql))
    record_decision(decisions, Decision(fingerprint=reject.fingerprint, decision="reject", was=reject.questions, sql=reject.sql))
    for _ in range(2):  # a rebuild, and another one: the decisions are the review file's, not the output's
        report = build(ws, engine="none")
        assert report.review_decisions == {"edit": 1, "reject": 1}
        mine = [(row, meta) for row, meta in _written(out) if meta.get("fingerprint") == edit.fingerprint]
        assert sorted(row[0]["content"] for row, _ in mine) == ["Which segment trades the most?", "Who trades more, bots or whales?"]
        assert all(meta["question_from"] == "reviewed" and "needs_review" not in meta for _, meta in mine)
        assert not [m for _, m in _written(out) if m.get("fingerprint") == reject.fingerprint and m["task"] == "query_log"]
        left = {e.fingerprint for e in read_queue(out / "review_queue.jsonl")}
        assert edit.fingerprint not in left and reject.fingerprint not in left
        assert report.question_sources["reviewed"] == 2


def test_a_bad_review_file_names_file_and_line(tmp_path):
    path = tmp_path / "review.jsonl"
    path.write_text('{"fingerprint": "a", "decision": "accept", "questions": ["Fine question here?"]}\n'
                    '{"fingerprint": "b", "decision": "maybe"}\n')
    with pytest.raises(SqlcurateError, match=r"review.jsonl:2: decision") as e:
        load_decisions(path)
    assert e.value.code == "REVIEW_BAD_FILE"
    path.write_text('{"fingerprint": "a", "decision": "edit", "questions": ["  "]}\n')
    with pytest.raises(SqlcurateError, match=r"review.jsonl:1: an edit decision without a question"):
        load_decisions(path)


def test_review_in_a_terminal_then_build_applies_it(demo_workspace, tmp_path):
    demo, _ = demo_workspace
    ws = copy_pulled(demo_workspace, tmp_path)
    out = ws / "training_data/curated"
    assert run_cli("build", "--workspace", str(ws), "--engine", "none").returncode == 0
    first, second = read_queue(out / "review_queue.jsonl")[:2]
    term = pexpect.spawn(sys.executable, ["-m", "sqlcurate", "review", "--workspace", str(ws), "--sample-engine", str(demo / "engine")],
                         encoding="utf-8", timeout=60, dimensions=(50, 160))
    term.expect(r"\[1/\d+\] held out of train; question from description")
    term.expect("Result sample:")
    term.expect(r"Catalog:\r\n  dex\.")
    term.expect(r"\[a\]ccept \[e\]dit \[r\]eject \[s\]kip \[q\]uit > ")
    term.sendline("e")
    term.expect("question .*> ")
    term.sendline("How did each chain do this week?")
    term.expect("saved: edit")
    term.expect(r"\[2/\d+\]")
    term.expect(r"\[q\]uit > ")
    term.sendline("r")
    term.expect("saved: reject")
    term.expect(r"\[q\]uit > ")
    term.sendline("q")
    term.expect("reviewed: 0 accepted, 1 edited, 1 rejected, 0 skipped")
    term.expect(pexpect.EOF)
    term.close()
    assert term.exitstatus == 0
    decisions = load_decisions(ws / "training_data/review.jsonl")
    assert decisions[first.fingerprint].questions == ["How did each chain do this week?"]
    assert decisions[second.fingerprint].decision == "reject"
    rebuilt = run_cli("build", "--workspace", str(ws), "--engine", "none")
    assert "review edit 1; review reject 1" in rebuilt.stdout, rebuilt.stdout
    asked = [row[0]["content"] for row, meta in _written(out) if meta.get("fingerprint") == first.fingerprint]
    assert asked == ["How did each chain do this week?"]


def test_review_without_a_queue_or_with_a_broken_one_says_so(tmp_path):
    missing = run_cli("review", "--workspace", str(tmp_path))
    assert missing.returncode == 2 and missing.stderr.startswith("error: REVIEW_NO_QUEUE"), missing.stderr
    queue = tmp_path / "training_data/curated/review_queue.jsonl"
    queue.parent.mkdir(parents=True)
    queue.write_text('{"fingerprint": "a", "sql": "SELECT 1", "questions": ["Q?"], "question_from": "description", "held": true}\n{"oops": 1}\n')
    broken = run_cli("review", "--workspace", str(tmp_path))
    assert broken.returncode == 2 and "error: REVIEW_BAD_QUEUE" in broken.stderr and "review_queue.jsonl:2:" in broken.stderr
