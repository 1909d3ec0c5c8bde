"""convert and validate end to end through the CLI: diagnostics, quarantine, counts, exit codes, atomicity."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from fmt_helpers import GOOD, MIXED_LINES, count_lines, load_customjson

from sqlcurate.cli import main

DIAG = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<code>[A-Z][A-Z0-9_]+) ")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def diagnostics(stderr: str) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for line in stderr.splitlines():
        if m := DIAG.match(line):
            out.setdefault(int(m["line"]), []).append(m["code"])
    return out


def expected_codes() -> dict[int, list[str]]:
    return {n: [code] for n, (_, code, _) in enumerate(MIXED_LINES, start=1) if code}


@pytest.mark.parametrize("verb", ["convert", "validate"])
def test_mixed_file_one_diagnostic_per_bad_line_and_nothing_lost(verb, mixed_file, tmp_path):
    out = tmp_path / "out.jsonl"
    args = ["convert", "--from", "auto", str(mixed_file), str(out)] if verb == "convert" else \
        ["validate", "--no-sql", str(mixed_file), "--out", str(out)]
    result = invoke(*args)
    assert result.exit_code == 1, result.output
    assert diagnostics(result.stderr) == expected_codes()
    assert all(line.startswith(f"{mixed_file}:") for line in result.stderr.splitlines() if DIAG.match(line))
    rejected = tmp_path / "out.rejected.jsonl"
    nonblank = sum(1 for raw, _, _ in MIXED_LINES if raw.strip())
    assert count_lines(out) + count_lines(rejected) == nonblank
    assert count_lines(out) == sum(kept for _, _, kept in MIXED_LINES)
    # quarantine: line, code, message and the raw line for every dropped row
    rows = [json.loads(line) for line in rejected.read_text().splitlines()]
    expected_dropped = {n: code for n, (_, code, kept) in enumerate(MIXED_LINES, start=1) if code and not kept}
    assert {r["line"]: r["codes"][0] for r in rows} == expected_dropped
    by_line = {r["line"]: r for r in rows}
    assert by_line[8]["raw"] == "42" and by_line[11]["raw"] == json.dumps({"text": "q"})
    assert "\\xe9" in by_line[9]["raw"]  # undecodable byte kept visibly
    assert all(r["reasons"][0] and r["source"] == str(mixed_file) for r in rows)
    # the output is what nanochat v1 CustomJSON loads, unchanged
    loaded = load_customjson(out)
    assert loaded[0] == GOOD
    assert loaded[1][0] == {"role": "user", "content": "You write ClickHouse SQL.\n\nq1"}  # system merged
    assert loaded[3] == [{"role": "user", "content": "Count rows\n\ntable t"},
                         {"role": "assistant", "content": "SELECT count() FROM t"}]
    # provenance line-aligned beside the nanochat file
    meta = [json.loads(line) for line in (tmp_path / "out.meta.jsonl").read_text().splitlines()]
    assert len(meta) == len(loaded)
    assert meta[1] == {"id": "row-2", "metadata": {"source": "support"}, "message_extra": [{}, {}, {"name": "bot"}]}
    assert meta[0] == {} and meta[2] == {"id": 4}


def test_convert_json_summary_counts(mixed_file, tmp_path):
    result = invoke("convert", "--from", "auto", "--format", "json", str(mixed_file), str(tmp_path / "o.jsonl"))
    summary = json.loads(result.stdout)
    assert summary["lines"] == len(MIXED_LINES)
    assert summary["blank"] == 2
    assert summary["kept"] + summary["quarantined"] == summary["rows"] == len(MIXED_LINES) - 2
    by_key = {"messages": b'{"messages"', "sharegpt": b'{"conversations"', "trl": b'{"prompt"'}
    for fmt, start in by_key.items():
        assert summary["read_as"][fmt] == sum(raw.startswith(start) for raw, _, _ in MIXED_LINES), fmt
    assert summary["read_as"]["alpaca"] == 3  # two of them are bad alpaca rows
    assert summary["codes"]["LINE_CRLF"] == {"count": 1, "severity": "warning"}
    assert summary["exit_code"] == 1 and summary["outputs"]["rejected"].endswith("o.rejected.jsonl")


def test_verbose_reports_format_per_line(mixed_file, tmp_path):
    result = invoke("convert", "--from", "auto", "-v", str(mixed_file), str(tmp_path / "o.jsonl"))
    assert f"{mixed_file}:4: read as sharegpt" in result.stderr
    assert f"{mixed_file}:5: read as alpaca" in result.stderr


def test_clean_file_exits_0_and_writes_no_meta(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n\n" + json.dumps(GOOD) + "\n")
    result = invoke("convert", "--from", "nanochat", str(src), str(tmp_path / "o.jsonl"))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert count_lines(tmp_path / "o.jsonl") == 2 and count_lines(tmp_path / "o.rejected.jsonl") == 0
    assert not (tmp_path / "o.meta.jsonl").exists()
    assert "blank lines (skipped)" in result.stdout


def test_wrong_explicit_format_is_reported_per_line(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n" + json.dumps({"messages": GOOD}) + "\n")
    result = invoke("convert", "--from", "messages", str(src), str(tmp_path / "o.jsonl"))
    assert result.exit_code == 1
    assert diagnostics(result.stderr) == {1: ["LINE_WRONG_TYPE"]}


def test_system_reject_quarantines_and_drop_removes(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps([{"role": "system", "content": "s"}, *GOOD]) + "\n" + json.dumps(GOOD) + "\n")
    result = invoke("convert", "--from", "nanochat", "--system", "reject", str(src), str(tmp_path / "r.jsonl"))
    assert result.exit_code == 1 and diagnostics(result.stderr) == {1: ["SYSTEM_REJECTED"]}
    assert count_lines(tmp_path / "r.jsonl") == 1 and count_lines(tmp_path / "r.rejected.jsonl") == 1
    result = invoke("convert", "--from", "nanochat", "--system", "drop", str(src), str(tmp_path / "d.jsonl"))
    assert result.exit_code == 0
    assert load_customjson(tmp_path / "d.jsonl") == [GOOD, GOOD]


def test_too_long_line_is_skipped_in_bounded_memory(tmp_path):
    src = tmp_path / "big.jsonl"
    with open(src, "wb") as fh:
        fh.write(json.dumps(GOOD).encode() + b"\n")
        fh.write(b'[{"role": "user", "content": "' + b"x" * (50 * 1024 * 1024) + b'"}]\n')
        fh.write(json.dumps(GOOD).encode() + b"\n")
    out = tmp_path / "o.jsonl"
    result = invoke("convert", "--from", "nanochat", str(src), str(out))
    assert diagnostics(result.stderr) == {2: ["LINE_TOO_LONG"]}
    assert count_lines(out) == 2
    row = json.loads((tmp_path / "o.rejected.jsonl").read_text())
    assert row["raw_truncated"] is True and row["raw_bytes"] == 50 * 1024 * 1024 + 34
    assert len(row["raw"]) <= 2000
    # the limit is configurable
    result = invoke("convert", "--from", "nanochat", "--max-line-bytes", "50", str(src), str(out))
    assert diagnostics(result.stderr) == {1: ["LINE_TOO_LONG"], 2: ["LINE_TOO_LONG"], 3: ["LINE_TOO_LONG"]}


@pytest.mark.parametrize("case", ["missing", "directory", "empty", "unreadable"])
def test_file_level_errors_exit_2_without_traceback(case, tmp_path):
    src = tmp_path / "in.jsonl"
    code = {"missing": "FILE_MISSING", "directory": "FILE_IS_DIRECTORY", "empty": "FILE_EMPTY",
            "unreadable": "FILE_UNREADABLE"}[case]
    if case == "directory":
        src.mkdir()
    elif case == "empty":
        src.write_bytes(b"")
    elif case == "unreadable":  # no permission (root has every permission: then a name the OS refuses)
        if os.geteuid() == 0:
            src = tmp_path / ("x" * 300)
        else:
            src.write_text(json.dumps(GOOD) + "\n")
            src.chmod(0)
    out = tmp_path / "o.jsonl"
    for args in (["convert", "--from", "auto", str(src), str(out)], ["validate", "--no-sql", str(src)]):
        result = invoke(*args)
        assert result.exit_code == 2
        assert f"error: {code} {src}:" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() and not (tmp_path / "o.rejected.jsonl").exists()


def test_refuses_to_overwrite_input(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n")
    before = src.read_bytes()
    result = invoke("convert", "--from", "nanochat", str(src), str(tmp_path / "." / "in.jsonl"))
    assert result.exit_code == 2 and "refusing to write over the input" in result.stderr
    # through a link, and through a sidecar of OUT (the quarantine file)
    link = tmp_path / "link.jsonl"
    link.symlink_to(src)
    assert invoke("convert", "--from", "nanochat", str(src), str(link)).exit_code == 2
    sidecar_victim = tmp_path / "o.rejected.jsonl"
    sidecar_victim.write_text(json.dumps(GOOD) + "\n")
    assert invoke("convert", "--from", "nanochat", str(sidecar_victim), str(tmp_path / "o.jsonl")).exit_code == 2
    assert src.read_bytes() == before
    assert not (tmp_path / "o.jsonl").exists()


def test_usage_errors_exit_2(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n")
    assert invoke("convert", "--from", "yaml", str(src), str(tmp_path / "o")).exit_code == 2
    assert invoke("validate", "--fix", str(src)).exit_code == 2  # --fix needs --out
    assert invoke("validate", "--engine", "chdb", str(src)).exit_code == 2  # needs --catalog
    assert invoke("validate", "--max-tokens", "10", str(src)).exit_code == 2  # needs --tokenizer


def test_no_partial_output_when_interrupted(tmp_path):
    """Kill convert mid-run: neither the output nor a temp file may remain."""
    src = tmp_path / "in.jsonl"
    line = json.dumps(GOOD).encode() + b"\n"
    src.write_bytes(line * 400_000)
    out = tmp_path / "o.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", "from sqlcurate.cli import main; main()", "convert", "--from",
                             "nanochat", str(src), str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(".o.jsonl.") for p in tmp_path.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # let it write part of the output
        assert proc.poll() is None, "convert finished before it could be interrupted"
        proc.send_signal(signal.SIGINT)  # KeyboardInterrupt inside the write loop
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in.jsonl"]


def test_validate_several_files_and_json(tmp_path, mixed_file):
    clean = tmp_path / "clean.jsonl"
    clean.write_text(json.dumps({"messages": GOOD}) + "\n")
    result = invoke("validate", "--no-sql", "--format", "json", str(clean), str(mixed_file))
    summary = json.loads(result.stdout)
    assert result.exit_code == 1
    assert summary["files"] == [str(clean), str(mixed_file)]
    assert summary["kept"] == 1 + sum(kept for _, _, kept in MIXED_LINES)
    assert not any(p.name.endswith(".rejected.jsonl") for p in tmp_path.iterdir())  # no --out: nothing written
    assert invoke("validate", "--no-sql", str(clean)).exit_code == 0


def test_progress_bar_path_counts_the_same(mixed_file):
    """The progress bar (shown on a terminal) must not change what is counted."""
    import io

    from sqlcurate.checks.base import CheckRunner
    from sqlcurate.formats.pipeline import Outputs, run

    plain = run([mixed_file], "auto", CheckRunner([]), Outputs(), io.StringIO())
    with_bar = run([mixed_file], "auto", CheckRunner([]), Outputs(), io.StringIO(), progress=True)
    assert (plain.lines, plain.kept, plain.quarantined, plain.codes) == \
        (with_bar.lines, with_bar.kept, with_bar.quarantined, with_bar.codes)


def test_unwritable_output_exits_2_and_leaves_nothing(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n")
    out = tmp_path / "o.jsonl"
    out.mkdir()  # the rename onto OUT fails at the very end
    result = invoke("convert", "--from", "nanochat", str(src), str(out))
    assert result.exit_code == 2 and f"error: OUTPUT_WRITE_FAILED {out}: Is a directory" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "o.jsonl"]  # no temp files, no quarantine
    assert list(out.iterdir()) == []
