"""LengthCheck against the real nanochat v1 tokenizer of the demo workspace."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sqlcurate.checks.base import Item
from sqlcurate.checks.length import LengthCheck
from sqlcurate.cli import main
from sqlcurate.conversation import check_messages


@pytest.fixture(scope="module")
def tokenizer_dir(repo):
    return repo / "src/sqlcurate/demo/assets/nanochat_base" / "tokenizer"


def conv(*texts: str):
    roles = ["user", "assistant"] * len(texts)
    c, found = check_messages([{"role": r, "content": t} for r, t in zip(roles, texts, strict=False)])
    assert not found
    return c


def test_count_is_the_rendered_length(tokenizer_dir):
    from nanochat.tokenizer import Tokenizer

    tok = Tokenizer.from_directory(tokenizer_dir)
    c = conv("SELECT count() FROM t " * 100, "ok " * 1500)
    ids, mask = tok.render_conversation(c.as_nanochat(), max_tokens=10**9)
    check = LengthCheck(tokenizer_dir, 10**6)
    assert check.count(c) == (len(ids), sum(mask))
    assert len(ids) > 2048  # longer than render_conversation's default cut, so the count is not capped


def test_drop_over_max(tokenizer_dir):
    check = LengthCheck(tokenizer_dir, 50)
    short, long = conv("hi", "SELECT 1"), conv("q " * 100, "a")
    assert check.findings(Item(short, "f", 1)) == []
    found = check.findings(Item(long, "f", 2))
    assert [f.code for f in found] == ["LENGTH_OVER_MAX"]
    assert f"{check.count(long)[0]} tokens" in found[0].message


def test_truncate_keeps_whole_exchanges(tokenizer_dir):
    check = LengthCheck(tokenizer_dir, 60, "truncate")
    c = conv("q1", "a1", "q2", "a2 " * 100, "q3", "a3")
    item = Item(c, "f", 1)
    found = check.findings(item)
    assert [(f.code, f.severity) for f in found] == [("LENGTH_TRUNCATED", "warning")]
    assert [m.content for m in item.conversation.messages] == ["q1", "a1"]
    assert item.changes[0].code == "LENGTH_TRUNCATED" and item.changes[0].before.startswith("6 turns")
    # a first exchange that alone is too long cannot be truncated: dropped
    assert [f.code for f in check.findings(Item(conv("q " * 100, "a"), "f", 2))] == ["LENGTH_OVER_MAX"]


def test_validate_with_tokenizer(tmp_path, tokenizer_dir):
    src = tmp_path / "in.jsonl"
    rows = [[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "SELECT 1"}],
            [{"role": "user", "content": "q " * 200}, {"role": "assistant", "content": "a"}]]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(main, ["validate", "--no-sql", "--tokenizer", str(tokenizer_dir), "--max-tokens", "64",
                                       "--format", "json", str(src), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert f"{src}:2: LENGTH_OVER_MAX" in result.stderr
    summary = json.loads(result.stdout)
    assert summary["checks"]["length"] == {"seen": 2, "dropped": 1, "warned": 0, "seconds": summary["checks"]["length"]["seconds"]}
    assert out.read_text().count("\n") == 1
