"""`sqlcurate redact IN OUT`: counts per kind, quarantine of unreadable lines, atomic, never over the input."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sqlcurate.cli import main

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "training_data" / "samples" / "redact_demo.jsonl"


def _run(*args):
    return CliRunner().invoke(main, ["redact", *map(str, args)])


def test_demo_file_redacted_counts_and_quarantine(tmp_path):
    out = tmp_path / "clean.jsonl"
    res = _run(DEMO, out, "--format", "json")
    assert res.exit_code == 1, res.output  # one unreadable line was quarantined
    summary = json.loads(res.stdout[res.stdout.index("{"):])
    rows_in = sum(1 for line in DEMO.read_text().splitlines() if line.strip())
    assert summary["rows_in"] == rows_in == summary["rows_out"] + summary["quarantined"]
    assert summary["quarantined"] == 1
    assert summary["redacted"] == {"API_KEY": 1, "EMAIL": 1, "EVM_ADDRESS": 2, "IPV4": 2, "CARD_NUMBER": 2, "PHONE": 1}
    text = out.read_text()
    for secret in ("dac17f958d2ee523a2206206994597c13d831ec7", "dana.lee@acme.io", "sk_live_", "10.12.0.7",
                   "4242", "555-0132"):
        assert secret not in text.lower()
    assert "<EVM_ADDRESS_1>" in text and "from_address = '<EVM_ADDRESS_1>'" in text
    rejected = [json.loads(x) for x in (tmp_path / "clean.rejected.jsonl").read_text().splitlines()]
    assert [(r["line"], r["codes"]) for r in rejected] == [(5, ["LINE_WRONG_TYPE"])]
    assert f"{DEMO}:5: LINE_WRONG_TYPE" in res.stderr


def test_text_summary_and_clean_exit(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps([{"role": "user", "content": "mail a@b.io"}, {"role": "assistant", "content": "ok"}]) + "\n")
    res = _run(src, tmp_path / "out.jsonl")
    assert res.exit_code == 0, res.output
    assert "1 rows in: 1 written" in res.stdout and "EMAIL" in res.stdout
    assert json.loads((tmp_path / "out.jsonl").read_text()) == [
        {"role": "user", "content": "mail <EMAIL_1>"}, {"role": "assistant", "content": "ok"}]
    assert not (tmp_path / "out.rejected.jsonl").exists()


def test_messages_input_keeps_its_shape(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"messages": [{"role": "user", "content": "ip 8.8.8.8"}, {"role": "assistant", "content": "ok"}],
                               "id": "r1"}) + "\n")
    res = _run(src, tmp_path / "out.jsonl")
    assert res.exit_code == 0, res.output
    row = json.loads((tmp_path / "out.jsonl").read_text())
    assert row["messages"][0]["content"] == "ip <IPV4_1>"


def test_quarantined_raw_lines_are_redacted_too(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"messages": [{"role": "user", "content": "my mail is eve@corp.io"}]}\n'  # no assistant turn
                   '[{"role": "user", "content": "key sk_live_FAKEdemo0000000000000000 broken json"\n')
    res = _run(src, tmp_path / "out.jsonl")
    assert res.exit_code == 1
    rejected = (tmp_path / "out.rejected.jsonl").read_text()
    assert rejected.count("\n") == 2
    assert "eve@corp.io" not in rejected and "sk_live_FAKE" not in rejected
    assert "<EMAIL_1>" in rejected and "<API_KEY_1>" in rejected


def test_parquet_in_and_out(tmp_path):
    from sqlcurate.conversation import check_messages
    from sqlcurate.formats.writers import open_writer

    conv, _ = check_messages([{"role": "user", "content": "wallet 0x" + "ab" * 20}, {"role": "assistant", "content": "ok"}])
    src = tmp_path / "in.parquet"
    with open_writer(src, "parquet") as w:
        w.write(conv)
    res = _run(src, tmp_path / "out.parquet", "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["redacted"] == {"EVM_ADDRESS": 1}
    import polars as pl

    rows = pl.read_parquet(tmp_path / "out.parquet")["messages"].to_list()
    assert rows[0][0]["content"] == "wallet <EVM_ADDRESS_1>"


def test_refuses_to_overwrite_input_and_missing_input(tmp_path):
    src = tmp_path / "in.jsonl"
    original = json.dumps([{"role": "user", "content": "a@b.io"}, {"role": "assistant", "content": "ok"}]) + "\n"
    src.write_text(original)
    res = _run(src, src)
    assert res.exit_code == 2 and "refusing to write over the input" in res.stderr
    assert src.read_text() == original
    res = _run(tmp_path / "missing.jsonl", tmp_path / "out.jsonl")
    assert res.exit_code == 2 and "FILE_MISSING" in res.stderr
    assert not (tmp_path / "out.jsonl").exists()
