"""Every reference value of the nanochat v1 fixtures, for both checkpoints (d2: fp32; d3gqa: bf16
embedding and grouped-query attention), reproduced by our model, loader, tokenizer and engine."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pytest
import torch

from nanochat.checkpoint import find_checkpoint, load_model
from nanochat.engine import Engine
from nanochat.tokenizer import Tokenizer, load_token_bytes

TAGS = ["d2", "d3gqa"]
LOGITS_ATOL = 1e-4  # README tolerance advice
LOSS_ATOL = 1e-5


@pytest.fixture(scope="module")
def outputs(nanochat_fixtures):
    return json.loads((nanochat_fixtures / "reference" / "outputs.json").read_text())


@pytest.fixture(scope="module")
def inputs(nanochat_fixtures):
    return json.loads((nanochat_fixtures / "reference" / "inputs.json").read_text())


@pytest.fixture(scope="module")
def tokenizer(nanochat_fixtures):
    return Tokenizer.from_directory(nanochat_fixtures / "tokenizer")


@pytest.fixture(scope="module", params=TAGS)
def loaded(request, nanochat_fixtures):
    choice = find_checkpoint(base_dir=nanochat_fixtures, tag=request.param)
    model, meta = load_model(choice.directory, choice.step, device="cpu", phase="eval")
    return request.param, choice, model, meta


def test_checkpoint_location_and_config(loaded, outputs, nanochat_fixtures):
    tag, choice, model, meta = loaded
    ref = outputs[tag]
    assert (choice.directory / f"model_{choice.step:06d}.pt") == nanochat_fixtures / ref["checkpoint"]
    assert meta["model_config"] == ref["model_config"] == model.config.to_dict()
    assert meta["val_bpb"] == ref["meta_val_bpb"]
    # the reference loader upcasts the stored bf16 embedding to float32 on CPU
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert model.transformer.wte.weight.shape[0] == 1024  # vocab 1000 padded to a multiple of 64


def test_logits(loaded, outputs, inputs, nanochat_fixtures):
    tag, _, model, _ = loaded
    for name, seq in inputs["sequences"].items():
        ref = outputs[tag]["logits"][name]
        expected = np.load(nanochat_fixtures / ref["file"])
        assert list(expected.shape) == ref["shape"]
        assert hashlib.sha256(expected.tobytes()).hexdigest() == ref["sha256"]  # the fixture file itself
        with torch.no_grad():
            logits = model(torch.tensor([seq]))[0].numpy()
        assert logits.shape == expected.shape
        assert np.abs(logits - expected).max() <= LOGITS_ATOL, name
        assert logits.argmax(-1).tolist() == ref["argmax"], name


def test_loss_and_bpb(loaded, outputs, inputs, nanochat_fixtures):
    tag, _, model, _ = loaded
    ref = outputs[tag]["loss"]
    batch = inputs["loss_batches"][str(model.config.sequence_len)]
    x, y = torch.tensor(batch["x"]), torch.tensor(batch["y"])
    assert int((y != -1).sum()) == ref["n_valid_targets"]
    with torch.no_grad():
        per_token = model(x, y, loss_reduction="none")
        mean = model(x, y)
    expected = np.load(nanochat_fixtures / ref["per_token_file"])
    assert per_token.shape == tuple(expected.shape)
    assert np.abs(per_token.numpy() - expected).max() <= LOGITS_ATOL
    assert abs(mean.item() - ref["mean_loss"]) <= LOSS_ATOL
    # bits per byte as the reference evaluate_bpb: targets whose token has 0 bytes (specials) do not count
    token_bytes = load_token_bytes(nanochat_fixtures / "tokenizer")
    nbytes = torch.where(y >= 0, token_bytes[y.clamp(min=0)], 0)
    nats = (per_token * (nbytes > 0)).sum().item()
    assert abs(nats / (math.log(2) * nbytes.sum().item()) - ref["bpb"]) <= LOSS_ATOL


def test_greedy_generation(loaded, outputs, inputs, tokenizer):
    tag, _, model, _ = loaded
    engine = Engine(model, tokenizer)
    for name, prompt in inputs["generation_prompts"].items():
        ref = outputs[tag]["generation"][name]
        assert list(model.generate(prompt, 20, temperature=0)) == ref["model_generate_greedy_20"], name
        raw = [column[0] for column, _ in engine.generate(prompt, max_tokens=20, temperature=0)]
        assert raw == ref["engine_generate_greedy_20_raw"], name
        results, masks = engine.generate_batch(prompt, max_tokens=20, temperature=0)
        assert results[0] == ref["engine_generate_batch_greedy_20"]["tokens"], name
        assert masks[0] == ref["engine_generate_batch_greedy_20"]["masks"], name
        assert tokenizer.decode(ref["model_generate_greedy_20"]) == ref["decoded"]


def test_batched_prompts_match_single_prompts(loaded, inputs, tokenizer):
    _, _, model, _ = loaded
    engine = Engine(model, tokenizer)
    prompts = list(inputs["generation_prompts"].values()) + [inputs["sequences"]["seq0_sql_text"][:4]]
    together = engine.complete(prompts, max_tokens=12, temperature=0)
    alone = [engine.complete([p], max_tokens=12, temperature=0)[0] for p in prompts]
    assert together == alone
    # several greedy samples of one prompt are identical; sampled ones are reproducible by seed
    results, _ = engine.generate_batch(prompts[1], num_samples=3, max_tokens=8, temperature=0)
    assert results[0] == results[1] == results[2]
    first, _ = engine.generate_batch(
        prompts[1], num_samples=2, max_tokens=8, temperature=1.0, top_k=50, seed=7
    )
    again, _ = engine.generate_batch(
        prompts[1], num_samples=2, max_tokens=8, temperature=1.0, top_k=50, seed=7
    )
    assert first == again


def test_bf16_embedding_kept_as_stored(nanochat_fixtures, inputs):
    """As on a GPU without autocast: the stored bf16 embedding next to float32 blocks gives the same logits."""
    model, _ = load_model(nanochat_fixtures / "base_checkpoints" / "d3gqa", 12)
    model.transformer.wte.to(torch.bfloat16)  # exact: the stored values are bf16
    expected = np.load(nanochat_fixtures / "reference" / "d3gqa" / "logits_seq0_sql_text.npy")
    with torch.no_grad():
        logits = model(torch.tensor([inputs["sequences"]["seq0_sql_text"]]))[0].numpy()
    assert np.abs(logits - expected).max() <= LOGITS_ATOL
