"""Two CPU processes (gloo) train like one process with the same global batch; rank 0 writes once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from tests.train.sqlchat import conversations, write_jsonl

pytestmark = pytest.mark.train


def launch(repo, out, tag, data, val, nproc: int) -> subprocess.CompletedProcess:
    args = ["--data", str(data), "--val", str(val),
            "--base", str(repo / "src/sqlcurate/demo/assets/nanochat_base" / "base_checkpoints" / "d2"),
            "--out", str(out), "--tag", tag, "--epochs", "2", "--device", "cpu", "--device-batch", "2",
            # 4 rows per step: 2 micro-batches of 2 on one process, 1 micro-batch of 2 on each of 2
            "--target-batch-tokens", str(4 * 256), "--seed", "5"]
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join([str(repo / "src"), str(repo)]))
    if nproc == 1:
        cmd = [sys.executable, "-m", "sqlcurate.commands.train", *args]
    else:
        torchrun = shutil.which("torchrun")
        assert torchrun, "torchrun is installed with torch"
        cmd = [torchrun, "--standalone", f"--nproc_per_node={nproc}", "-m", "sqlcurate.commands.train", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=repo)


def test_two_gloo_processes_match_one_process(repo, tmp_path):
    data = write_jsonl(tmp_path / "train.jsonl", conversations(48, seed=7))
    val = write_jsonl(tmp_path / "val.jsonl", conversations(8, seed=8))
    one = launch(repo, tmp_path, "one", data, val, 1)
    assert one.returncode == 0, one.stdout + one.stderr
    two = launch(repo, tmp_path, "two", data, val, 2)
    assert two.returncode == 0, two.stdout + two.stderr
    # each line printed once: only rank 0 talks
    assert two.stdout.count("step     1/") == 1

    def records(tag):
        return [json.loads(x) for x in (tmp_path / "chatsft_checkpoints" / tag / "metrics.jsonl").read_text().splitlines()]

    a, b = records("one"), records("two")
    assert [r["step"] for r in a] == [r["step"] for r in b]
    for ra, rb in zip(a, b, strict=True):
        key = "loss" if ra["kind"] == "train" else "val_loss"
        assert rb[key] == pytest.approx(ra[key], abs=1e-4), (ra, rb)
    ckpt = tmp_path / "chatsft_checkpoints" / "two"
    assert len(list(ckpt.glob("model_*.pt"))) == 2  # one per epoch, written by rank 0 only
    assert len(list(ckpt.glob("meta_*.json"))) == 2


def test_gpus_flag_reruns_itself_under_torchrun(repo, tmp_path):
    data = write_jsonl(tmp_path / "train.jsonl", conversations(24, seed=9))
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join([str(repo / "src"), str(repo)]))
    cmd = [sys.executable, "-c", "from sqlcurate.cli import main; main()", "train", "--data", str(data),
           "--base", str(repo / "src/sqlcurate/demo/assets/nanochat_base" / "base_checkpoints" / "d2"), "--out", str(tmp_path),
           "--epochs", "1", "--device", "cpu", "--device-batch", "1", "--gpus", "2"]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=repo)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "launching 2 processes under torchrun" in run.stdout
    assert "x 2 rank(s)" in run.stdout
    (ckpt,) = (tmp_path / "chatsft_checkpoints").iterdir()  # one tag shared by both ranks
    assert len(list(ckpt.glob("model_*.pt"))) == 1
