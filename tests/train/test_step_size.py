"""The optimizer step counts conversations (nanochat v1 chat_sft: 32 per step), whatever the packing;
the run prints its steps per epoch and warns when an epoch has fewer than 20."""

from __future__ import annotations

import pytest
from tests.train.sqlchat import conversations

from nanochat.sft import MIN_STEPS_PER_EPOCH, target_step_rows, whole_micro_batches

pytestmark = pytest.mark.train


def test_a_1092_conversation_set_takes_34_steps_per_epoch_like_nanochat():
    # ~400-token conversations packed 5 to a row of 2048: 219 rows per epoch
    rows = target_step_rows(32, None, 2048, rows_per_epoch=219, conversations=1092)
    assert rows == 6 and -(-219 // rows) == 37  # ~30 conversations per step; nanochat: 1092 / 32 -> 35 steps
    # 65,536 tokens per step (the old default) would give 7
    big = target_step_rows(32, 65536, 2048, rows_per_epoch=219, conversations=1092)
    assert big == 32 and -(-219 // big) == 7


def test_rows_are_rounded_to_whole_micro_batches_on_every_rank():
    assert whole_micro_batches(6, 4, 1) == 8
    assert whole_micro_batches(6, 2, 2) == 8
    assert whole_micro_batches(1, 1, 1) == 1


def _run(tmp_path, repo, **settings):
    from nanochat.checkpoint import load_model
    from nanochat.sft import train
    from nanochat.tokenizer import Tokenizer
    from nanochat.train_config import TrainConfig

    base = repo / "src/sqlcurate/demo/assets/nanochat_base"
    model, _ = load_model(base / "base_checkpoints" / "d2", 7)
    said: list[str] = []
    cfg = TrainConfig(out_dir=tmp_path / "run", epochs=1, max_seq_len=128, device="cpu", log=said.append, **settings)
    summary = train(cfg, model.float(), Tokenizer.from_directory(base / "tokenizer"), conversations(40, seed=5), [])
    return summary, said


def test_default_step_on_a_small_set_warns_with_the_steps_per_epoch(tmp_path, repo):
    summary, said = _run(tmp_path, repo)
    (batch,) = [line for line in said if line.startswith("batch:")]
    assert "target 32 conversations" in batch
    steps = summary["total_steps"]
    assert f"{steps} optimizer steps per epoch" in batch and steps < MIN_STEPS_PER_EPOCH
    assert any(line.startswith(f"warning: only {steps} optimizer steps per epoch") for line in said), said


def test_small_steps_give_enough_steps_and_no_warning(tmp_path, repo):
    summary, said = _run(tmp_path, repo, conversations_per_step=1)
    assert summary["total_steps"] >= MIN_STEPS_PER_EPOCH
    assert not any(line.startswith("warning:") for line in said), said
