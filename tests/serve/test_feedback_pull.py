"""`pull feedback` on logs as a crash, a hand edit or a change of mind leave them."""

from __future__ import annotations

import json

from sqlcurate.connectors.feedback import pull_feedback
from sqlcurate.serve.feedback_log import FeedbackLog


def exchange(log: FeedbackLog, cid: str, question: str, answer: str) -> None:
    log.exchange(cid, "alice", "m", [{"role": "user", "content": question}], answer, {"has_sql": True}, "stop", {})


def test_last_rating_wins_and_torn_or_orphan_lines_are_reported(tmp_path):
    path = tmp_path / "log.jsonl"
    log = FeedbackLog(path)
    exchange(log, "c1", "Daily trades?", "```sql\nSELECT toDate(ts), count() FROM dex.trades GROUP BY 1\n```")
    exchange(log, "c2", "Pools?", "```sql\nSELECT DISTINCT pool FROM dex.trades\n```")
    log.feedback("c1", "alice", "up", None, "")
    log.feedback("c2", "bob", "up", None, "")
    log.feedback("c2", "bob", "down", None, "wrong table, ask ops@example.com")  # changed their mind
    log.feedback("c9", "bob", "up", None, "")  # an id no exchange has (e.g. a log cut by hand)
    log.close()
    with path.open("a") as fh:
        fh.write('{"kind": "feedback", "id": "c1", "rat')  # the torn last line of a crash
    ws = tmp_path / "ws"
    summary = pull_feedback(path, ws)
    assert (summary.exchanges, summary.rated_up, summary.corrected, summary.unresolved) == (2, 1, 0, 1)
    assert summary.diagnostics() == [f"{path}:6: FEEDBACK_UNKNOWN_ID feedback on 'c9', which is not in the log",
                                     f"{path}:7: FEEDBACK_BAD_LINE not a JSON log record"]  # the torn line, by number
    records = [json.loads(line) for line in summary.records_path.read_text().splitlines()]
    assert [(r["log_comment"], r["query"], r["source"]) for r in records] == [
        ("Daily trades?", "SELECT toDate(ts), count() FROM dex.trades GROUP BY 1", f"feedback:{path}:1")]
    unresolved = [json.loads(line) for line in summary.unresolved_path.read_text().splitlines()]
    assert unresolved[0]["question"] == "Pools?" and unresolved[0]["comment"] == "wrong table, ask <EMAIL_1>"


def test_secrets_in_a_hand_edited_log_are_redacted_on_the_way_in(tmp_path):
    path = tmp_path / "log.jsonl"
    rows = [{"kind": "exchange", "id": "c1", "key": "alice", "messages": [{"role": "user", "content": "Trades of 0x52908400098527886E0F7030069857D2E4169EE7?"}],
             "answer": "x"},
            {"kind": "feedback", "id": "c1", "key": "alice", "rating": "down",
             "corrected_sql": "SELECT count() FROM dex.trades WHERE trader = '0x52908400098527886E0F7030069857D2E4169EE7'"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    summary = pull_feedback(path, tmp_path / "ws")
    text = summary.records_path.read_text()
    assert "0x5290" not in text and summary.redacted == 2 and "<EVM_ADDRESS_1>" in text
