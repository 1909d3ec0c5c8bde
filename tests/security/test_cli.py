"""The hostile corpus through the commands that run SQL we did not write, in subprocesses: `eval
--answers` (EXPLAIN and execution on sample data) and `validate --engine chdb` (planning only), and a
malicious checkpoint through `chat` and `eval`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from .corpus import PLANS

pytestmark = pytest.mark.engine

DDL = "CREATE TABLE sec_fx.items (name String, n UInt32) ENGINE = MergeTree ORDER BY n;\n"
GOLD = "SELECT name FROM sec_fx.items ORDER BY n"


def sqlcurate(*args, cwd, timeout=240):
    return subprocess.run([sys.executable, "-c", "from sqlcurate.cli import main; main()", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=timeout)


def conversation(answer: str) -> str:
    return json.dumps([{"role": "user", "content": "Which items are there?"},
                       {"role": "assistant", "content": f"```sql\n{answer}\n```"}])


@pytest.fixture(scope="module")
def files(trap, tmp_path_factory):
    d = tmp_path_factory.mktemp("sec_cli")
    (d / "catalog.sql").write_text(DDL)
    (d / "sample").mkdir()
    (d / "sample" / "sec_fx.items.csv").write_text("name,n\na,1\nb,2\n")
    statements = trap.statements()
    (d / "data.jsonl").write_text("\n".join(conversation(GOLD) for _ in statements) + "\n")
    (d / "answers.jsonl").write_text("\n".join(json.dumps({"answer": f"```sql\n{sql}\n```"}) for sql, _ in statements) + "\n")
    (d / "rows.jsonl").write_text("\n".join(conversation(sql) for sql, _ in statements) + "\n")
    return d


def test_eval_answers(files, trap, repo):
    t0 = time.monotonic()
    res = sqlcurate("eval", "--answers", files / "answers.jsonl", "--data", files / "data.jsonl", "--catalog",
                    files / "catalog.sql", "--sample-data", files / "sample", "--timeout-s", "0.5", "--max-rows", "1000",
                    "--out", files / "report.json", "--items", cwd=repo)
    assert res.returncode == 0, res.stderr[-2000:]
    verdicts = json.loads((files / "report.json").read_text())["runs"][0]["items"]
    statements = trap.statements()
    assert len(verdicts) == len(statements)
    for (sql, expected), v in zip(statements, verdicts, strict=True):
        codes = {f["code"] for f in v["findings"]}
        assert v["outcome"] != "EVAL_CORRECT" and v["exec_match"] is not True and codes, sql[:80]
        if expected is not None and v["outcome"] != "EVAL_NO_SQL":
            assert expected in codes, (sql[:80], codes)
    trap.assert_untouched(res.stdout, res.stderr, (files / "report.json").read_text())
    # every timeout costs at most its limit plus the kill's grace; the rest are refused in milliseconds
    assert time.monotonic() - t0 < 60


def test_validate_engine(files, trap, repo):
    res = sqlcurate("validate", files / "rows.jsonl", "--catalog", files / "catalog.sql", "--engine", "chdb", cwd=repo)
    assert res.returncode == 1, res.stderr[-2000:]
    flagged = {int(m.group(1)) for m in re.finditer(r"rows\.jsonl:(\d+): [A-Z_]+ ", res.stdout + res.stderr)}
    plans = {trap.fill(p) for p in PLANS}
    for line, (sql, expected) in enumerate(trap.statements(), start=1):
        # statements that are not queries never reach the engine in validate (only queries are planned);
        # the file-system and listener checks below show they did nothing
        if sql not in plans and expected != "EXEC_REFUSED_STATEMENT":
            assert line in flagged, f"line {line} kept without a reason code: {sql[:80]}"
    trap.assert_untouched(res.stdout, res.stderr)


def test_malicious_checkpoint_is_one_line_and_exit_2(tmp_path, repo, files):
    """A checkpoint whose pickle would run code: refused by torch's weights_only loader, reported in one
    line naming the file, exit 2, no traceback, no advice to turn the protection off, and no code ran."""
    import shutil

    run = tmp_path / "base_checkpoints" / "d2"
    shutil.copytree(repo / "src/sqlcurate/demo/assets/nanochat_base" / "base_checkpoints" / "d2", run)
    shutil.copytree(repo / "src/sqlcurate/demo/assets/nanochat_base" / "tokenizer", tmp_path / "tokenizer")
    marker = tmp_path / "pwned"
    model = next(run.glob("model_*.pt"))
    evil = f"""
import os, pickle, sys
class Evil:
    def __reduce__(self):
        return (os.system, ("touch {marker}",))
state = {{"transformer.wte.weight": Evil()}}
if sys.argv[1] == "torch":  # the usual zip file torch.save writes
    import torch
    torch.save(state, {str(model)!r})
else:  # a bare pickle, as older torch files are
    with open({str(model)!r}, "wb") as f:
        pickle.dump(state, f)
"""
    commands = {"torch": ("chat", "--checkpoint", run, "-p", "hi"),
                "pickle": ("eval", "--checkpoint", run, "--data", files / "data.jsonl", "--catalog", files / "catalog.sql",
                           "--engine", "none")}
    for kind, args in commands.items():
        subprocess.run([sys.executable, "-c", evil, kind], check=True)
        res = sqlcurate(*args, cwd=repo)
        assert res.returncode == 2, res.stderr[-2000:]
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: CHECKPOINT_REFUSED ") and str(model) in lines[0], lines
        assert "Traceback" not in res.stderr and "weights_only=False" not in res.stderr
        assert not marker.exists()
    # a sound checkpoint with a tokenizer.pkl that would run code: nanochat's restricted unpickler
    shutil.copy(repo / "src/sqlcurate/demo/assets/nanochat_base" / "base_checkpoints" / "d2" / model.name, model)
    subprocess.run([sys.executable, "-c", evil.replace(repr(str(model)), repr(str(tmp_path / "tokenizer" / "tokenizer.pkl"))),
                    "pickle"], check=True)
    res = sqlcurate("chat", "--checkpoint", run, "-p", "hi", cwd=repo)
    assert res.returncode == 2 and res.stderr.startswith("error: TOKENIZER_REFUSED ") and "tokenizer.pkl" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and not marker.exists()
