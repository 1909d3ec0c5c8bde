"""Crash and robustness cases of issue 12, each of which failed before: surrogates outside messages, NaN,
output sets committed together, leftovers of killed runs, the umask, side files as inputs, a full disk,
Unicode spaces that are not blank lines."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from fmt_helpers import GOOD

from sqlcurate.cli import main
from sqlcurate.fileio import OutputSet, recover

SRC = Path(__file__).resolve().parents[2] / "src"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def cli(*args, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-m", "sqlcurate", *map(str, args)], capture_output=True, env=env,
                          timeout=60, **kwargs)


@pytest.mark.parametrize("verb", ["convert", "validate", "redact"])
def test_lone_surrogate_in_provenance_is_written_escaped(verb, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(f'{{"messages": {json.dumps(GOOD)}, "id": "\\ud800x"}}\n')
    out = tmp_path / "o.jsonl"
    args = {"convert": ["convert", src, out, "--to", "messages"], "validate": ["validate", "--no-sql", src, "--out", out,
            "--to", "messages"], "redact": ["redact", src, out]}[verb]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    text = out.read_bytes().decode("utf-8")  # strict UTF-8 on disk
    assert "\\ud800x" in text
    assert json.loads(text)["id"] == "\ud800x"  # the same string comes back


def test_nan_is_quarantined_never_written(tmp_path):
    src = tmp_path / "in.jsonl"
    good = json.dumps(GOOD)
    src.write_text(f'{{"messages": {good}, "score": NaN}}\n{{"messages": {good}, "score": -Infinity}}\n'
                   + json.dumps({"messages": GOOD, "score": 1}) + "\n")
    result = invoke("convert", src, tmp_path / "o.jsonl")
    assert result.exit_code == 1
    assert f"{src}:1: LINE_INVALID_JSON NaN is not valid JSON" in result.stderr
    assert f"{src}:2: LINE_INVALID_JSON -Infinity is not valid JSON" in result.stderr
    assert (tmp_path / "o.meta.jsonl").read_text() == '{"score": 1}\n'
    assert len((tmp_path / "o.rejected.jsonl").read_text().splitlines()) == 2


@pytest.mark.parametrize("text", ["\u3000", "\u00a0\u00a0", "\u2028", " \u3000 "])
def test_unicode_spaces_are_not_blank_lines(text, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n" + text + "\n  \t\n")
    result = invoke("convert", "--format", "json", src, tmp_path / "o.jsonl")
    summary = json.loads(result.stdout)
    assert (summary["blank"], summary["kept"], summary["quarantined"]) == (1, 1, 1)
    assert f"{src}:2: LINE_INVALID_JSON" in result.stderr


def test_output_set_killed_between_renames_is_finished_by_the_next_run(tmp_path):
    """A run killed after renaming its output but before its quarantine leaves a journal; the next run in that
    directory completes the commit first, so the new output never sits beside the old quarantine."""
    (tmp_path / "o.jsonl").write_text("old output\n")
    (tmp_path / "o.rejected.jsonl").write_text("old quarantine\n")
    script = f"""
import os, sys
sys.path.insert(0, {str(SRC)!r})
from sqlcurate.fileio import OutputSet
files = OutputSet()
files.open({str(tmp_path / 'o.jsonl')!r}).write("new output\\n")
files.open({str(tmp_path / 'o.rejected.jsonl')!r}).write("new quarantine\\n")
real = os.replace
calls = []
def replace_then_die(a, b):
    real(a, b)
    calls.append(b)
    os._exit(9)  # killed right after the first rename
os.replace = replace_then_die
files.commit()
"""
    assert subprocess.run([sys.executable, "-c", script], timeout=60).returncode == 9
    assert (tmp_path / "o.jsonl").read_text() == "new output\n"
    assert (tmp_path / "o.rejected.jsonl").read_text() == "old quarantine\n"  # the torn state a crash leaves
    assert any(p.name.endswith(".commit.json") for p in tmp_path.iterdir())
    recover(tmp_path)  # what every later run that writes here does first
    assert (tmp_path / "o.rejected.jsonl").read_text() == "new quarantine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.jsonl", "o.rejected.jsonl"]


def test_an_error_in_the_run_commits_nothing(tmp_path):
    (tmp_path / "o.jsonl").write_text("old\n")
    files = OutputSet()
    files.open(tmp_path / "o.jsonl").write("new\n")
    files.open(tmp_path / "o.rejected.jsonl").write("new\n")
    files.abort()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.jsonl"] and (tmp_path / "o.jsonl").read_text() == "old\n"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_leftovers_of_killed_runs_are_removed_and_live_ones_kept(tmp_path):
    dead = _dead_pid()
    (tmp_path / f".o.jsonl.sqlcurate-{dead}-0a1b2c3d.tmp").write_text("half")
    (tmp_path / f".o.parquet.sqlcurate-{dead}-0a1b2c3d.parts").mkdir()
    (tmp_path / f".o.parquet.sqlcurate-{dead}-0a1b2c3d.parts" / "part-000000.parquet").write_text("x")
    live = tmp_path / f".x.jsonl.sqlcurate-{os.getppid()}-0a1b2c3d.tmp"  # a run still going (our parent)
    live.write_text("busy")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(GOOD) + "\n")
    assert invoke("convert", src, tmp_path / "o.jsonl").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["in.jsonl", "o.jsonl", "o.rejected.jsonl", live.name])


@pytest.mark.parametrize("to", ["nanochat", "messages", "parquet"])
def test_outputs_honour_the_umask(to, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"messages": GOOD, "id": 1}) + "\n")
    out = tmp_path / ("o.parquet" if to == "parquet" else "o.jsonl")
    old = os.umask(0o027)
    try:
        assert invoke("convert", "--to", to, src, out).exit_code == 0
    finally:
        os.umask(old)
    written = [p for p in tmp_path.iterdir() if p.name != "in.jsonl"]
    assert written and all(p.stat().st_mode & 0o777 == 0o640 for p in written), [(p.name, oct(p.stat().st_mode)) for p in written]


def test_side_files_are_never_inputs_nor_overwritten(tmp_path):
    src = tmp_path / "z.jsonl"
    src.write_text(json.dumps(GOOD) + "\n")
    meta = tmp_path / "z.meta.jsonl"
    meta.write_text('{"id": 7}\n')
    # the provenance file read beside z.jsonl may not be the output
    result = invoke("convert", src, meta)
    assert result.exit_code == 2 and "OUTPUT_IS_INPUT" in result.stderr and "Traceback" not in result.output
    assert meta.read_text() == '{"id": 7}\n'
    for verb in (["validate", "--no-sql", meta], ["convert", meta, tmp_path / "x.jsonl"], ["redact", meta, tmp_path / "y.jsonl"]):
        result = invoke(*verb)
        assert result.exit_code == 2 and f"error: FILE_IS_SIDECAR {meta}:" in result.stderr, result.output


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write over the limit fails with EFBIG, like a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("to", ["nanochat", "parquet"])
def test_full_disk_is_an_error_line_and_leaves_nothing(to, tmp_path):
    src = tmp_path / "in.jsonl"
    rows = [json.dumps({"messages": [{"role": "user", "content": os.urandom(500).hex()},
                                     {"role": "assistant", "content": os.urandom(500).hex()}]}) for _ in range(400)]
    src.write_text("\n".join(rows) + "\n")  # random text: Parquet cannot compress it under the limit
    out = tmp_path / ("o.parquet" if to == "parquet" else "o.jsonl")
    proc = cli("convert", "--to", to, src, out, preexec_fn=_limit_file_size(300_000))
    stderr = proc.stderr.decode()
    assert proc.returncode == 2, stderr
    assert "error: OUTPUT_WRITE_FAILED" in stderr and "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
