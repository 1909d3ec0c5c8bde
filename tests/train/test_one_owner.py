"""Knowledge with one owner: mixing (`build.split.mix_general`, for build and train alike), the tokenizer
lookup (`nanochat.common.find_tokenizer_dir`), the checkpoint file names (`nanochat.checkpoint`), and a
nanochat that imports nothing from sqlcurate."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.train.sqlchat import conversations, write_jsonl

from sqlcurate.build.split import MIN_CUSTOM_SHARE, MixSpec, mix_general


def test_mixing_never_repeats_a_row_and_says_when_the_file_is_short(tmp_path):
    general = write_jsonl(tmp_path / "general.jsonl", conversations(7, seed=3))
    result = mix_general(10, [MixSpec(general, 1.0)], seed=0)
    assert len(result.added) == 7 and result.per_file == [7]  # asked for 10, the file has 7: each once
    assert len({c.meta["source"] for c in result.added}) == 7  # seven distinct lines of the file
    assert any("asked for 10 rows, the file has 7 valid ones" in w for w in result.warnings)


def test_mixing_warns_when_the_custom_share_gets_low(tmp_path):
    general = write_jsonl(tmp_path / "general.jsonl", conversations(40, seed=3))
    result = mix_general(10, [MixSpec(general, 3.0)], seed=0)
    assert result.custom_share == pytest.approx(10 / 40) and result.custom_share < MIN_CUSTOM_SHARE
    assert any(w.startswith("MIX_CUSTOM_SHARE_LOW") for w in result.warnings)
    assert mix_general(10, [MixSpec(general, 0.5)], seed=0).warnings == []


def test_mixing_quarantines_bad_lines_with_their_reasons(tmp_path):
    general = tmp_path / "general.jsonl"
    general.write_text(json.dumps(conversations(1)[0]) + "\nnot json\n", encoding="utf-8")
    result = mix_general(4, [MixSpec(general, 1.0)], seed=0)
    assert len(result.added) == 1
    (bad,) = result.bad_lines
    assert bad["line"] == 2 and bad["codes"][:2] == ["MIX_BAD_LINE", "LINE_INVALID_JSON"]


def test_train_mix_uses_the_same_sampling_as_build(tmp_path, repo):
    from sqlcurate.conversation import SystemPolicy
    from sqlcurate.training import TrainSettings, load_conversations

    custom = write_jsonl(tmp_path / "custom.jsonl", conversations(10, seed=1))
    general = write_jsonl(tmp_path / "general.jsonl", conversations(4, seed=2))
    said: list[str] = []
    settings = TrainSettings(data=custom, mix=(f"{general}:2",), seed=5)
    train, _ = load_conversations(settings, said.append)
    expected = mix_general(10, [MixSpec(general, 2.0)], seed=5)
    assert train[10:] == [c.as_nanochat(SystemPolicy.MERGE) for c in expected.added]
    assert len(train) == 14  # 20 asked, 4 in the file: no repeats
    assert any("asked for 20 rows, the file has 4 valid ones" in line for line in said), said


def test_the_tokenizer_of_a_checkpoint_is_found_in_one_place(tmp_path, monkeypatch):
    from nanochat.common import find_tokenizer_dir

    run = tmp_path / "out" / "chatsft_checkpoints" / "tag"
    run.mkdir(parents=True)
    monkeypatch.setenv("NANOCHAT_BASE_DIR", str(tmp_path / "env"))
    assert find_tokenizer_dir(run) is None
    for where in (tmp_path / "env", tmp_path / "other", tmp_path / "out"):
        (where / "tokenizer").mkdir(parents=True)
        (where / "tokenizer" / "tokenizer.pkl").write_bytes(b"x")
    assert find_tokenizer_dir(run) == (tmp_path / "out" / "tokenizer").resolve()  # nearest above first
    (tmp_path / "out" / "tokenizer" / "tokenizer.pkl").unlink()
    assert find_tokenizer_dir(run, base_dir=tmp_path / "other") == tmp_path / "other" / "tokenizer"
    assert find_tokenizer_dir(run) == tmp_path / "env" / "tokenizer"


def test_resumable_steps_come_from_the_checkpoint_names(tmp_path):
    from nanochat.checkpoint import meta_path, model_path, optimizer_files, optimizer_path, optimizer_steps

    for step in (5, 10, 15):
        model_path(tmp_path, step).write_bytes(b"m")
        meta_path(tmp_path, step).write_text("{}")
    optimizer_path(tmp_path, 10).write_bytes(b"o")
    optimizer_path(tmp_path, 15, rank=1).write_bytes(b"o")  # another rank's state only
    optimizer_path(tmp_path, 20).write_bytes(b"o")  # no model or meta beside it: not resumable
    assert optimizer_steps(tmp_path) == [10]
    assert optimizer_steps(tmp_path, rank=1) == [15]
    assert sorted(optimizer_files(tmp_path).values()) == [10, 15, 20]


def test_sft_spells_no_checkpoint_file_name(repo):
    source = (repo / "src" / "nanochat" / "sft.py").read_text()
    # a file name or glob: model_{step:06d}.pt, meta_*.json, optim_000010_rank0.pt ...
    assert not re.findall(r"(?:model|meta|optim)_(?:\{|\*|\d)", source)


def test_nanochat_imports_nothing_from_sqlcurate(repo):
    modules = sorted(p.stem for p in (repo / "src" / "nanochat").glob("*.py") if p.stem != "__init__")
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module('nanochat.' + m)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sqlcurate'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=str(Path(repo) / "src")))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
