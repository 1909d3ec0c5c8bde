"""`sqlcurate train` end to end on CPU with the d2 demo checkpoint (real tokenizer, real v1 files)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from tests.train.sqlchat import conversations, write_jsonl

from sqlcurate.cli import main

pytestmark = pytest.mark.train


@pytest.fixture(scope="module")
def data(tmp_path_factory, repo):
    d = tmp_path_factory.mktemp("sqlchat")
    long_one = [{"role": "user", "content": "Explain this query. " + "SELECT 1 UNION ALL " * 150},
                {"role": "assistant", "content": "It returns ones."}]
    train = write_jsonl(d / "train.jsonl", conversations(40, seed=1) + [long_one])
    val = write_jsonl(d / "val.jsonl", conversations(8, seed=2))
    return {"train": train, "val": val, "base": repo / "src/sqlcurate/demo/assets/nanochat_base" / "base_checkpoints" / "d2"}


def run(args: list[str]):
    result = CliRunner().invoke(main, ["train", *args], catch_exceptions=False)
    return result


def common(data, out: Path, tag: str) -> list[str]:
    return ["--data", str(data["train"]), "--val", str(data["val"]), "--base", str(data["base"]),
            "--out", str(out), "--tag", tag, "--epochs", "3", "--target-batch-tokens", "512",
            "--device", "cpu", "--seed", "3"]


@pytest.fixture(scope="module")
def full_run(data, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    result = run(common(data, out, "full"))
    assert result.exit_code == 0, result.output
    return out, result.output


def test_three_epochs_reduce_loss_and_write_v1_checkpoints(full_run):
    out, output = full_run
    ckpt = out / "chatsft_checkpoints" / "full"
    records = [json.loads(line) for line in (ckpt / "metrics.jsonl").read_text().splitlines()]
    val = [r for r in records if r["kind"] == "val"]
    train = [r for r in records if r["kind"] == "train"]
    assert [r["epoch"] for r in val] == [1, 2, 3]
    assert val[-1]["val_loss"] < val[0]["val_loss"]
    assert val[-1]["val_bpb"] < val[0]["val_bpb"]
    assert sum(r["loss"] for r in train[-3:]) < sum(r["loss"] for r in train[:3])
    assert (ckpt / "loss.png").stat().st_size > 1000
    final = max(int(p.stem.split("_")[1]) for p in ckpt.glob("model_*.pt"))
    assert final == train[-1]["step"]
    meta = json.loads((ckpt / f"meta_{final:06d}.json").read_text())
    assert meta["model_config"]["n_layer"] == 2 and meta["epoch"] == 3 and meta["step"] == final
    assert meta["val_loss"] == pytest.approx(val[-1]["val_loss"])
    assert len(meta["data_hash"]) == 16 and meta["parent"]["step"] == 7
    state = torch.load(ckpt / f"model_{final:06d}.pt", weights_only=True, map_location="cpu")
    assert "lm_head.weight" in state and not any(k.startswith("_orig_mod.") for k in state)
    assert not list(ckpt.glob("optim_*.pt"))  # the finished run keeps no optimizer state


def test_over_length_counts_are_reported_before_training(full_run):
    _, output = full_run
    report_at = output.index("LENGTH_OVER_DROPPED 1")
    assert report_at < output.index("step     1/")
    assert "packing:" in output and "efficiency" in output


def test_resumed_run_ends_with_the_same_weights(data, full_run, tmp_path):
    out, _ = full_run
    first = run(common(data, tmp_path, "cut") + ["--stop-after-steps", "4"])
    assert first.exit_code == 0, first.output
    assert "stopped after step 4" in first.output
    ckpt = tmp_path / "chatsft_checkpoints" / "cut"
    assert list(ckpt.glob("optim_000004*.pt"))
    again = run(common(data, tmp_path, "cut") + ["--resume"])
    assert again.exit_code == 0, again.output
    assert "resuming run" in again.output
    ref_dir = out / "chatsft_checkpoints" / "full"
    final = max(int(p.stem.split("_")[1]) for p in ref_dir.glob("model_*.pt"))
    ref = torch.load(ref_dir / f"model_{final:06d}.pt", weights_only=True)
    got = torch.load(ckpt / f"model_{final:06d}.pt", weights_only=True)
    for k in ref:
        torch.testing.assert_close(got[k], ref[k], atol=1e-6, rtol=0)
    ref_val = [json.loads(x) for x in (ref_dir / "metrics.jsonl").read_text().splitlines()]
    got_val = [json.loads(x) for x in (ckpt / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in got_val] == [r["step"] for r in ref_val]  # no duplicated records


def test_a_new_run_never_writes_into_another_runs_directory(data, full_run):
    out, _ = full_run
    result = run(common(data, out, "full"))
    assert result.exit_code == 2
    assert "already holds checkpoints of another run" in result.output


def test_invalid_lines_are_reported_with_file_and_line(tmp_path, data):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('[{"role": "user", "content": "hi"}]\nnot json\n', encoding="utf-8")
    result = run(["--data", str(bad), "--base", str(data["base"]), "--out", str(tmp_path), "--device", "cpu"])
    assert result.exit_code == 1
    assert f"{bad}:1: TOO_FEW_TURNS" in result.output
    assert f"{bad}:2: LINE_INVALID_JSON" in result.output


def test_mix_needs_an_explicit_ratio(tmp_path, data):
    result = CliRunner().invoke(main, ["train", "--data", str(data["train"]), "--base", str(data["base"]),
                                       "--mix", str(data["val"])])
    assert result.exit_code == 2 and "TRAIN_BAD_MIX" in result.output


def test_mix_adds_the_stated_share_of_extra_conversations(tmp_path, data):
    extra = write_jsonl(tmp_path / "general.jsonl", conversations(30, seed=11))
    result = run(["--data", str(data["train"]), "--base", str(data["base"]), "--out", str(tmp_path), "--tag", "mix",
                  "--epochs", "1", "--device", "cpu", "--mix", f"{extra}:0.5"])
    assert result.exit_code == 0, result.output
    # 41 custom conversations (one is then dropped as over-length): 0.5 x 41 = 20 mixed in
    assert f"mix: 20 conversations from {extra} (ratio 0.5 of 41 custom)" in result.output
    assert "61 conversations, 60 kept" in result.output


def test_resume_refuses_changed_data(data, tmp_path):
    first = run(common(data, tmp_path, "chg") + ["--stop-after-steps", "1"])
    assert first.exit_code == 0, first.output
    other = write_jsonl(tmp_path / "other.jsonl", conversations(12, seed=99))
    args = common(data, tmp_path, "chg") + ["--resume"]
    args[args.index(str(data["train"]))] = str(other)
    again = run(args)
    assert again.exit_code == 2 and "training data differ" in again.output


def test_out_becomes_a_base_dir_with_the_training_tokenizer(full_run, repo):
    out, _ = full_run
    for name in ("tokenizer.pkl", "token_bytes.pt"):
        assert (out / "tokenizer" / name).read_bytes() == (repo / "src/sqlcurate/demo/assets/nanochat_base" / "tokenizer" / name).read_bytes()


def test_a_different_tokenizer_in_out_is_refused(data, tmp_path):
    (tmp_path / "tokenizer").mkdir()
    (tmp_path / "tokenizer" / "tokenizer.pkl").write_bytes(b"not the same tokenizer")
    result = run(common(data, tmp_path, "clash"))
    assert result.exit_code == 2
    assert "differs from the tokenizer this run uses" in result.output
    assert not (tmp_path / "chatsft_checkpoints").exists()
