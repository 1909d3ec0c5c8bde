"""Checkpoint choice (never an old run over a new one), v1 round trip, atomic writes, refusals."""

from __future__ import annotations

import json
import os
import time

import pytest
import torch

from nanochat.checkpoint import (
    IncompatibleCheckpoint,
    find_checkpoint,
    list_steps,
    load_checkpoint,
    load_model,
    save_checkpoint,
)
from nanochat.gpt import GPT, GPTConfig

CONFIG = {"sequence_len": 32, "vocab_size": 100, "n_layer": 1, "n_head": 2, "n_kv_head": 1, "n_embd": 32}


def tiny_state(seed: int = 0) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    model = GPT(GPTConfig(**CONFIG))
    model.init_weights()
    return model.state_dict()


def write(directory, step, run_id=None, created_at=None, state=None, **meta):
    meta = {"model_config": CONFIG, "val_bpb": 1.0, **meta}
    if run_id:
        meta["run_id"] = run_id
    if created_at:
        meta["created_at"] = created_at
    save_checkpoint(directory, step, state if state is not None else tiny_state(), meta)


def test_newer_run_with_lower_step_wins(tmp_path):
    d = tmp_path / "chatsft_checkpoints" / "d2-sft"
    write(d, 900, run_id="old", created_at="2026-01-01T00:00:00+00:00")
    write(d, 1000, run_id="old", created_at="2026-01-01T01:00:00+00:00")
    write(d, 40, run_id="new", created_at="2026-02-01T00:00:00+00:00")
    choice = find_checkpoint(phase="sft", base_dir=tmp_path)
    assert (choice.directory, choice.step) == (d, 40)
    assert "only tag d2-sft" in choice.reason and "run new, the newest run by meta timestamp" in choice.reason
    assert "old (steps 900..1000)" in choice.reason
    # an explicit step still works, and says so
    assert find_checkpoint(d, step=1000).step == 1000
    assert "as requested" in find_checkpoint(d, step=1000).reason
    with pytest.raises(FileNotFoundError, match="no checkpoint at step 5"):
        find_checkpoint(d, step=5)


def test_newest_tag_by_meta_timestamp(tmp_path, monkeypatch):
    phase = tmp_path / "chatsft_checkpoints"
    write(phase / "a", 500, run_id="r1", created_at="2026-03-01T00:00:00+00:00")
    write(phase / "b", 20, run_id="r2", created_at="2026-03-02T00:00:00+00:00")
    monkeypatch.setenv("NANOCHAT_BASE_DIR", str(tmp_path))
    choice = find_checkpoint(phase="sft")
    assert (choice.directory.name, choice.step) == ("b", 20)
    assert choice.reason.startswith("newest run by meta timestamp: tag b")
    assert find_checkpoint(phase="sft", tag="a").step == 500
    assert find_checkpoint(phase).directory.name == "b"  # a <phase>_checkpoints directory given as path
    assert find_checkpoint(tmp_path, phase="sft").directory.name == "b"  # a base directory given as path


def test_v1_tags_largest_model(tmp_path):
    phase = tmp_path / "base_checkpoints"
    write(phase / "d34", 10)
    write(phase / "d32", 20)
    os.utime(phase / "d32" / "meta_000020.json", (time.time() + 60, time.time() + 60))  # newer file
    choice = find_checkpoint(base_dir=tmp_path)
    assert choice.directory.name == "d34" and choice.reason.startswith("largest model tag d34")


def test_explicit_file_and_missing(tmp_path):
    write(tmp_path / "x", 3)
    choice = find_checkpoint(tmp_path / "x" / "model_000003.pt")
    assert (choice.directory, choice.step) == (tmp_path / "x", 3)
    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        find_checkpoint(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="no checkpoint directories"):
        find_checkpoint(base_dir=tmp_path / "empty")


def test_round_trip_in_v1_format(tmp_path):
    torch.manual_seed(3)
    model = GPT(GPTConfig(**CONFIG))
    model.init_weights()
    compiled_keys = {f"_orig_mod.{k}": v for k, v in model.state_dict().items()}  # as a compiled model saves
    save_checkpoint(
        tmp_path,
        12,
        compiled_keys,
        {"model_config": CONFIG, "val_bpb": 2.5, "user_config": {"x": 1}},
        optimizer_state={"step": torch.tensor(12)},
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "meta_000012.json",
        "model_000012.pt",
        "optim_000012_rank0.pt",
    ]
    # what nanochat v1's loader does: torch.load, build GPT from meta's model_config, strict load
    raw = torch.load(tmp_path / "model_000012.pt", weights_only=True)
    assert list(raw) == list(model.state_dict())  # exact keys, v1 order, no prefix
    meta = json.loads((tmp_path / "meta_000012.json").read_text())
    assert (
        meta["step"] == 12
        and meta["model_config"] == CONFIG
        and meta["val_bpb"] == 2.5
        and "created_at" in meta
    )
    v1 = GPT(GPTConfig(**meta["model_config"]))
    v1.load_state_dict(raw, strict=True)
    loaded, _ = load_model(tmp_path, 12)
    x = torch.randint(0, 100, (1, 9))
    with torch.no_grad():
        assert torch.equal(loaded(x), model(x)) and torch.equal(v1(x), model(x))
    _, optim, _ = load_checkpoint(tmp_path, 12, load_optimizer=True)
    assert optim["step"].item() == 12


class _FailsToSave:
    def __reduce__(self):
        raise OSError("disk full")  # as if the device filled up while the optimizer file was written


def test_failed_save_leaves_no_visible_checkpoint(tmp_path):
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(
            tmp_path, 5, tiny_state(), {"model_config": CONFIG}, optimizer_state={"bad": _FailsToSave()}
        )
    assert list_steps(tmp_path) == []  # the model file alone is not a checkpoint
    assert not (tmp_path / "meta_000005.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_later_architecture_refused(tmp_path, nanochat_fixtures):
    state, _, meta = load_checkpoint(nanochat_fixtures / "base_checkpoints" / "d2", 7)
    later = dict(state, resid_lambdas=torch.ones(2), **{"value_embeds.0.weight": torch.zeros(1024, 128)})
    save_checkpoint(tmp_path / "later", 7, later, dict(meta))
    with pytest.raises(IncompatibleCheckpoint, match="later nanochat architecture.*resid_lambdas"):
        load_model(tmp_path / "later", 7)
    missing = {k: v for k, v in state.items() if k != "lm_head.weight"}
    save_checkpoint(tmp_path / "missing", 7, missing, dict(meta))
    with pytest.raises(IncompatibleCheckpoint, match=r"missing keys \['lm_head.weight'\]"):
        load_model(tmp_path / "missing", 7)
    config = dict(meta["model_config"], window_pattern="SSSL")
    (tmp_path / "cfg").mkdir()
    torch.save(state, tmp_path / "cfg" / "model_000007.pt")
    (tmp_path / "cfg" / "meta_000007.json").write_text(json.dumps(dict(meta, model_config=config)))
    with pytest.raises(IncompatibleCheckpoint, match="window_pattern.*later nanochat architecture"):
        load_model(tmp_path / "cfg", 7)


def test_bf16_embedding_upcast_on_cpu(nanochat_fixtures):
    state, _, _ = load_checkpoint(nanochat_fixtures / "base_checkpoints" / "d3gqa", 12)
    assert state["transformer.wte.weight"].dtype == torch.bfloat16  # stored as the released checkpoints
    model, _ = load_model(nanochat_fixtures / "base_checkpoints" / "d3gqa", 12)
    assert model.transformer.wte.weight.dtype == torch.float32
    assert torch.equal(model.transformer.wte.weight, state["transformer.wte.weight"].float())
    assert not model.training


def test_base_dir_without_the_phase_says_which_directory(tmp_path):
    write(tmp_path / "base_checkpoints" / "d2", 1)
    with pytest.raises(FileNotFoundError, match="chatsft_checkpoints: no checkpoint directories"):
        find_checkpoint(tmp_path, phase="sft")
    assert find_checkpoint(tmp_path, phase="base").step == 1


def test_v1_files_lower_step_written_later_is_a_newer_run(tmp_path):
    d = tmp_path / "chatsft_checkpoints" / "d20"
    d.mkdir(parents=True)
    for step in (700, 40):  # as nanochat v1 writes them: no run_id, no created_at
        torch.save(tiny_state(), d / f"model_{step:06d}.pt")
        (d / f"meta_{step:06d}.json").write_text(json.dumps({"step": step, "model_config": CONFIG}))
    now = time.time()
    os.utime(d / "meta_000700.json", (now - 3600, now - 3600))  # the old run, an hour earlier
    choice = find_checkpoint(d)
    assert choice.step == 40 and "written 60 min after the higher step 700" in choice.reason
    os.utime(d / "meta_000700.json", (now - 5, now - 5))  # a copied directory: seconds apart
    assert find_checkpoint(d).step == 700
