"""Readers and line parsing: each format's mapping, and a test per reason code the module declares."""

from __future__ import annotations

import json

import pytest
from fmt_helpers import GOOD, MIXED_LINES

from sqlcurate import conversation
from sqlcurate.checks import base, length, schema
from sqlcurate.formats import lines, readers, sources
from sqlcurate.formats.lines import DEFAULT_MAX_LINE_BYTES, FileLevelError, parse_line
from sqlcurate.formats.readers import ROLE_ALIASES, detect_format, read_file, to_conversation


def parse(raw: bytes) -> lines.Line:
    return parse_line(1, raw, len(raw), False, DEFAULT_MAX_LINE_BYTES)


@pytest.mark.parametrize(("raw", "code"), [(raw, code) for raw, code, _ in MIXED_LINES if code])
def test_each_defect_gets_its_code(raw, code):
    """One finding per defective line, with the code the line was built to trigger."""
    line = parse(raw + b"\n")
    found = list(line.findings)
    if line.parsed:
        conv, more, _ = to_conversation(line.value, "auto")
        found += more
    assert [f.code for f in found] == [code]


def test_every_declared_code_is_exercised():
    """A code nobody can trigger, or one raised without being declared, fails here."""
    declared = {*conversation.CODES, *lines.CODES, *readers.CODES, *sources.CODES, *length.LengthCheck.CODES,
                *base.CODES, *schema.UntrainedTurnCheck.CODES}
    exercised = {code for _, code, _ in MIXED_LINES if code}
    # the rest are exercised by name in test_fmt_cli.py / tests/checks/test_length_check.py
    elsewhere = {"LINE_TOO_LONG", "SYSTEM_REJECTED", "FILE_MISSING", "FILE_IS_DIRECTORY", "FILE_EMPTY",
                 "FILE_UNREADABLE", "LENGTH_OVER_MAX", "LENGTH_TRUNCATED", "CHECK_FAILED",
                 # test_fmt_streams.py / test_fmt_training.py
                 "FILE_IS_SIDECAR", "FILE_CORRUPT", "FILE_NEEDS_PACKAGE", "UNTRAINED_TURN_UNSUPPORTED"}
    assert declared == exercised | elsewhere
    assert schema.SchemaCheck.CODES == {} and schema.SystemCheck.CODES == {}  # they reuse the contract's codes


def test_invalid_json_reports_column_and_utf8_reports_byte_offset():
    assert parse(b'[{"role": "user",, }]').findings[0].message.endswith("column 18")
    # json's own message may already end in "at": the column follows it once
    assert parse(b'["unterminated').findings[0].message == "Unterminated string starting at column 2"
    bad = parse(b'["ok", "\xc3\x28"]').findings[0]
    assert bad.code == "LINE_INVALID_UTF8" and "byte offset 8" in bad.message
    with_bom = parse(b'\xef\xbb\xbf["\xff"]').findings  # offset counts the BOM bytes too
    assert [f.code for f in with_bom] == ["LINE_BOM", "LINE_INVALID_UTF8"] and "byte offset 5" in with_bom[1].message


def test_warnings_keep_the_row():
    line = parse(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\r\n")
    assert line.parsed and [f.severity for f in line.findings] == ["warning", "warning"]
    assert line.value == GOOD


def test_bounded_readline_splits_and_skips(tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"[1]\n" + b"x" * 1000 + b"\n[2]\n" + b"y" * 1000)  # last line over the limit, no LF
    with open(path, "rb") as fh:
        got = [(ln.number, [f.code for f in ln.findings], ln.value) for ln in lines.read_lines(fh, 100)]
    assert got == [(1, [], [1]), (2, ["LINE_TOO_LONG"], None), (3, [], [2]), (4, ["LINE_TOO_LONG"], None)]


@pytest.mark.parametrize(("name", "role"), sorted(ROLE_ALIASES.items()))
def test_sharegpt_role_names(name, role):
    turns = [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]
    if role == "system":
        turns.insert(0, {"from": name, "value": "s"})
    else:
        turns[0 if role == "user" else 1]["from"] = name.upper()  # names match case-insensitively
    conv, found, fmt = to_conversation({"conversations": turns}, "auto")
    assert fmt == "sharegpt" and found == [] and conv.messages[0].role == ("system" if role == "system" else "user")


def test_sharegpt_unknown_role_is_bad_role():
    conv, found, _ = to_conversation({"conversations": [{"from": "human", "value": "q"}, {"from": "bing", "value": "a"}]},
                                     "sharegpt")
    assert conv is None and [f.code for f in found] == ["BAD_ROLE"] and "'bing'" in found[0].message


def test_messages_extras_are_provenance_not_errors():
    value = {"messages": [{"role": "user", "content": "q", "name": "ana"}, {"role": "assistant", "content": "a"}],
             "id": "x1", "metadata": {"team": "bi"}}
    conv, found, fmt = to_conversation(value, "messages")
    assert found == [] and fmt == "messages"
    assert conv.meta == {"id": "x1", "metadata": {"team": "bi"}, "message_extra": [{"name": "ana"}, {}]}


def test_alpaca_without_input_and_with_system():
    conv, _, _ = to_conversation({"instruction": "q", "input": "", "output": "a", "system": "s", "source": "kb"}, "alpaca")
    assert conv.as_messages() == [{"role": "system", "content": "s"}, {"role": "user", "content": "q"},
                                  {"role": "assistant", "content": "a"}]
    assert conv.meta == {"source": "kb"}


def test_detect_format():
    assert detect_format([]) == "nanochat"
    assert detect_format({"messages": []}) == "messages"
    assert detect_format({"conversations": []}) == "sharegpt"
    assert detect_format({"instruction": "x"}) == "alpaca"
    assert detect_format({"text": "x"}) is None and detect_format("x") is None


def test_parquet_rows_of_no_known_shape_are_quarantined_and_junk_is_a_file_error(tmp_path):
    import polars as pl

    path = tmp_path / "t.parquet"
    pl.DataFrame({"text": ["a", "b"]}).write_parquet(path)
    assert [[f.code for f in r.findings] for r in read_file(path, "parquet")] == [["FORMAT_UNKNOWN"]] * 2
    (tmp_path / "junk.parquet").write_text("not parquet")
    with pytest.raises(FileLevelError) as err:
        list(read_file(tmp_path / "junk.parquet", "parquet"))
    assert err.value.code == "FILE_UNREADABLE"


def test_runner_turns_a_crashing_check_into_a_finding():
    from sqlcurate.checks.base import Check, CheckRunner, Item

    class Fragile(Check):
        name = "fragile"

        def findings(self, item):
            return [] if item.line == 1 else [][0]  # IndexError on the second row

    conv, _, _ = to_conversation(GOOD, "nanochat")
    runner = CheckRunner([Fragile()])
    assert runner.run(Item(conv, "f", 1)) == []
    found = runner.run(Item(conv, "f", 2))
    assert [f.code for f in found] == ["CHECK_FAILED"] and "IndexError" in found[0].message
    assert runner.stats["fragile"].dropped == 1 and runner.codes["CHECK_FAILED"] == 1


def test_diagnostics_stay_one_short_line_whatever_the_input():
    huge = "x" * 100_000
    for value, fmt in (([{"role": huge, "content": "q"}, {"role": "assistant", "content": "a"}], "nanochat"),
                       ({huge: 1}, "auto"), ({huge: 1}, "messages"), ([{"role": "user", "content": "q"}] * 5000, "nanochat")):
        _, found, _ = to_conversation(value, fmt)
        assert found and all(len(f.message) < 300 and "\n" not in f.message for f in found)
