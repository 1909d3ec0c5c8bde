"""Inputs as they come: JSON array files (streamed, with the file's line numbers), one JSON document, gzip /
bzip2 / zstd by content, standard input and output, FIFOs."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from fmt_helpers import GOOD

from sqlcurate.cli import main
from sqlcurate.formats.readers import read_file
from sqlcurate.formats.sources import read_values

SRC = Path(__file__).resolve().parents[2] / "src"
ROWS = [{"instruction": f"question {i}", "input": "", "output": f"answer {i}"} for i in range(5)]


def invoke(*args, stdin: bytes | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], input=stdin)


def records(path: Path, fmt: str = "auto"):
    return [(r.line, r.conversation.as_messages() if r.conversation else [f.code for f in r.findings])
            for r in read_file(path, fmt) if not r.blank]


def test_pretty_json_array_rows_carry_their_line_numbers(tmp_path):
    path = tmp_path / "data.json"
    path.write_text(json.dumps(ROWS, indent=2))
    got = records(path)
    assert [line for line, _ in got] == [2, 7, 12, 17, 22]  # where each element starts in the file
    assert got[3][1] == [{"role": "user", "content": "question 3"}, {"role": "assistant", "content": "answer 3"}]


def test_bad_array_element_is_quarantined_and_the_rest_read(tmp_path):
    good = json.dumps(ROWS[0], indent=2)
    path = tmp_path / "data.json"
    path.write_text("[\n" + good + ",\n{\n  \"instruction\": \"q\" \"output\": \"a\"\n},\n{\"x\": NaN},\n" + good + "\n]\n")
    got = records(path)
    assert [line for line, _ in got] == [2, 7, 10, 11]
    assert got[1][1] == ["LINE_INVALID_JSON"] and got[2][1] == ["LINE_INVALID_JSON"]
    assert got[0][1] == got[3][1] and isinstance(got[3][1][0], dict)


def test_array_elements_split_across_read_chunks(tmp_path, monkeypatch):
    """Elements (and numbers, literals and escapes inside them) cut at every possible chunk boundary."""
    import sqlcurate.formats.sources as sources

    monkeypatch.setattr(sources, "_CHUNK", 7)
    value = [{"n": 12345, "ok": True, "s": "a\\\"b\u00e9\u4e2d"}, [1.5e3, None], {"messages": []}]
    data = json.dumps(value, indent=1, ensure_ascii=False).encode()
    lines = list(read_values(io.BufferedReader(io.BytesIO(data), 7), "x", 1 << 20))
    assert [ln.value for ln in lines] == value and all(ln.parsed for ln in lines)


def test_jsonl_with_a_broken_first_line_stays_jsonl(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(f'{{"broken {i}\n' for i in range(3)) + "[\n")
    assert [(line, codes) for line, codes in records(path)] == [(n, ["LINE_INVALID_JSON"]) for n in (1, 2, 3, 4)]


def test_unclosed_array_and_trailing_data_are_reported(tmp_path):
    path = tmp_path / "a.json"
    path.write_text("[\n" + json.dumps(ROWS[0]) + ",\n")
    assert records(path)[-1][1] == ["LINE_INVALID_JSON"]
    path.write_text("[\n" + json.dumps(ROWS[0]) + "\n] junk")
    assert records(path)[-1][1] == ["LINE_INVALID_JSON"]


def test_one_line_array_and_one_document(tmp_path):
    one_line = tmp_path / "rows.json"
    one_line.write_text(json.dumps(ROWS[:2]))
    assert [line for line, _ in records(one_line)] == [1, 1]
    document = tmp_path / "doc.json"
    document.write_text(json.dumps({"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]},
                                   indent=2))
    assert records(document) == [(1, [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}])]


@pytest.mark.parametrize("compress", ["gzip", "bzip2", "zstd"])
def test_compressed_inputs_are_recognised_by_content(compress, tmp_path):
    data = (json.dumps(GOOD) + "\n") * 3 + "42\n"
    raw = data.encode()
    if compress == "gzip":
        packed = gzip.compress(raw)
    elif compress == "bzip2":
        packed = bz2.compress(raw)
    else:
        zstandard = pytest.importorskip("zstandard")
        packed = zstandard.ZstdCompressor().compress(raw)
    path = tmp_path / "plain-name.jsonl"  # the name says nothing
    path.write_bytes(packed)
    result = invoke("convert", "--format", "json", path, tmp_path / "o.jsonl")
    summary = json.loads(result.stdout)
    assert (summary["kept"], summary["quarantined"]) == (3, 1), result.output


def test_truncated_gzip_is_a_file_error(tmp_path):
    path = tmp_path / "t.jsonl.gz"
    path.write_bytes(gzip.compress((json.dumps(GOOD) + "\n").encode() * 1000)[:200])
    result = invoke("convert", path, tmp_path / "o.jsonl")
    assert result.exit_code == 2 and "error: FILE_CORRUPT" in result.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_stdin_and_stdout(tmp_path):
    data = (json.dumps({"messages": GOOD, "id": 1}) + "\n").encode() * 2
    result = invoke("validate", "--no-sql", "-", stdin=data)
    assert result.exit_code == 0 and "2 rows = 2 kept" in result.stdout
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-m", "sqlcurate", "convert", "-", "-"], input=gzip.compress(data + b"42\n"),
                          capture_output=True, env=env, timeout=60, cwd=tmp_path)
    assert proc.returncode == 1
    assert [json.loads(x) for x in proc.stdout.decode().splitlines()] == [GOOD, GOOD]  # only rows on stdout
    assert "-:3: LINE_WRONG_TYPE" in proc.stderr.decode() and "2 kept + 1 quarantined" in proc.stderr.decode()
    assert os.listdir(tmp_path) == []  # no file named '-', no side files


def test_stdout_quarantine_goes_where_asked(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-m", "sqlcurate", "convert", "--rejected", str(tmp_path / "bad.jsonl"), "-", "-"],
                          input=b"42\n" + (json.dumps(GOOD) + "\n").encode(), capture_output=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert json.loads((tmp_path / "bad.jsonl").read_text())["codes"] == ["LINE_WRONG_TYPE"]


def test_fifo_is_read_once_completely(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    payload = (json.dumps(GOOD) + "\n").encode() * 50

    def writer() -> None:
        with open(fifo, "wb") as fh:
            fh.write(payload)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    result = invoke("convert", "--format", "json", fifo, tmp_path / "o.jsonl")
    thread.join(10)
    assert json.loads(result.stdout)["kept"] == 50, result.output


def test_invalid_utf8_inside_an_array_quarantines_only_that_element(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(b'[\n  {"instruction": "q\xff", "output": "a"},\n  {"instruction": "q2", "output": "a2"}\n]\n')
    got = list(read_file(path, "auto"))
    assert [r.line for r in got] == [2, 3]
    assert [f.code for f in got[0].findings] == ["LINE_INVALID_UTF8"] and "\\xff" in got[0].raw
    assert got[1].conversation.as_messages()[0] == {"role": "user", "content": "q2"}


def _summary_and_rejects(src: Path, tmp_path: Path, *options):
    out = tmp_path / "o.jsonl"
    result = invoke("convert", "--format", "json", *options, src, out)
    summary = json.loads(result.stdout)
    rejects = [json.loads(r) for r in (tmp_path / "o.rejected.jsonl").read_text().splitlines()]
    kept = [json.loads(r) for r in out.read_text().splitlines()]
    return summary, rejects, kept


def test_one_line_array_over_the_line_limit_is_streamed_element_by_element(tmp_path):
    """json.dump(rows, f) writes the whole file on one line: each element is a row, with its own position."""
    elements = [json.dumps(r) for r in ROWS]
    elements[2] = '{"instruction": "q" "output": "a"}'  # a missing comma inside element 3
    src = tmp_path / "rows.json"
    src.write_text("[" + ", ".join(elements) + "]")
    assert src.stat().st_size > 200
    summary, rejects, kept = _summary_and_rejects(src, tmp_path, "--max-line-bytes", "200")
    assert (summary["rows"], summary["kept"], summary["quarantined"]) == (5, 4, 1)
    assert [r[1]["content"] for r in kept] == ["answer 0", "answer 1", "answer 3", "answer 4"]
    (reject,) = rejects
    column = len("[" + ", ".join(elements[:2]) + ", ") + 1
    assert reject["line"] == 1 and reject["codes"] == ["LINE_INVALID_JSON"]
    assert f"array element 3 (line 1, column {column})" in json.dumps(reject)


def test_one_line_array_element_over_the_row_limit_is_quarantined_and_the_rest_kept(tmp_path):
    big = {"instruction": "q" * 500, "output": "a"}
    src = tmp_path / "rows.json"
    src.write_text(json.dumps([ROWS[0], big, ROWS[1], ROWS[2]]))
    summary, rejects, kept = _summary_and_rejects(src, tmp_path, "--max-line-bytes", "300")
    assert (summary["rows"], summary["kept"], summary["quarantined"]) == (4, 3, 1)
    assert [r[1]["content"] for r in kept] == ["answer 0", "answer 1", "answer 2"]
    assert rejects[0]["codes"] == ["LINE_TOO_LONG"] and "array element 2 (line 1, column" in json.dumps(rejects[0])


def test_one_line_array_in_chunks_keeps_columns(tmp_path, monkeypatch):
    """The read window slides over a one-line file: the column of an element far into it is still exact."""
    import sqlcurate.formats.sources as sources
    monkeypatch.setattr(sources, "_CHUNK", 7)
    elements = [json.dumps(r) for r in ROWS]
    elements[4] = '{"x": NaN}'
    data = ("[" + ",".join(elements) + "]").encode()
    lines = list(read_values(io.BufferedReader(io.BytesIO(data), 7), "x", 1 << 20))
    assert [ln.value for ln in lines[:4]] == ROWS[:4] and {ln.number for ln in lines} == {1}
    column = len("[" + ",".join(elements[:4]) + ",") + 1
    assert lines[4].findings[0].message.startswith(f"array element 5 (line 1, column {column}): ")


def test_jsonl_of_nanochat_message_lists_is_not_taken_for_an_array(tmp_path):
    src = tmp_path / "chat.jsonl"
    src.write_text((json.dumps(GOOD) + "\n") * 3)
    summary, _, kept = _summary_and_rejects(src, tmp_path)
    assert (summary["kept"], summary["quarantined"]) == (3, 0) and kept == [GOOD] * 3


def test_lines_that_are_each_an_array_of_rows_are_all_read(tmp_path):
    path = tmp_path / "batches.jsonl"
    path.write_text(json.dumps(ROWS[:2]) + "\n" + json.dumps(ROWS[2:5]) + "\n")
    got = records(path)
    assert [line for line, _ in got] == [1, 1, 2, 2, 2]
    assert [messages[1]["content"] for _, messages in got] == [f"answer {i}" for i in range(5)]


def test_one_line_array_with_a_broken_first_element_is_still_read_as_rows(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text('[{"instruction": "q", "output": NaN}, ' + ", ".join(json.dumps(r) for r in ROWS[1:3]) + "]")
    got = records(path)
    assert got[0] == (1, ["LINE_INVALID_JSON"]) and [m[1]["content"] for _, m in got[1:]] == ["answer 1", "answer 2"]
    nanochat = tmp_path / "chat.jsonl"  # a broken nanochat line stays one line of a JSONL file
    nanochat.write_text('[{"role": "user", "content": NaN}]\n' + json.dumps(GOOD) + "\n")
    assert records(nanochat) == [(1, ["LINE_INVALID_JSON"]), (2, GOOD)]
