"""The key/value cache against full forward passes (reference values are in test_reference_outputs)."""

from __future__ import annotations

import torch

from nanochat.engine import KVCache, sample_next_token
from nanochat.gpt import GPT, GPTConfig


def tiny_model() -> GPT:
    torch.manual_seed(5)
    model = GPT(GPTConfig(sequence_len=32, vocab_size=200, n_layer=2, n_head=4, n_kv_head=2, n_embd=32))
    model.init_weights()
    with torch.no_grad():
        model.lm_head.weight.normal_(0, 0.5)
        for block in model.transformer.h:
            block.attn.c_proj.weight.normal_(0, 0.1)
    return model.eval()


def test_cache_step_by_step_equals_full_forward_and_grows():
    model = tiny_model()
    ids = torch.randint(0, 200, (2, 12))
    cache = KVCache(model.config.n_layer, pad=torch.zeros(2, dtype=torch.long), capacity=3)  # must grow
    with torch.no_grad():
        full = model(ids)
        steps = [model(ids[:, :5], kv_cache=cache)]
        steps += [model(ids[:, t : t + 1], kv_cache=cache) for t in range(5, 12)]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=0)
    assert cache.length == 12 and cache.k.size(3) >= 12


def test_left_padding_is_invisible():
    model = tiny_model()
    prompt = torch.randint(0, 200, (1, 6))
    padded = torch.cat([torch.full((1, 4), 7), prompt], dim=1)
    cache = KVCache(model.config.n_layer, pad=torch.tensor([4]), capacity=16)
    with torch.no_grad():
        alone = model(prompt)[0, -1]
        with_pad = model(padded, kv_cache=cache)[0, -1]
    torch.testing.assert_close(with_pad, alone, atol=1e-5, rtol=0)


def test_sampling_rules():
    logits = torch.tensor([[0.0, 5.0, 1.0, 4.9]])
    assert sample_next_token(logits, None, temperature=0.0).item() == 1
    rng = torch.Generator().manual_seed(0)
    draws = {sample_next_token(logits, rng, temperature=1.0, top_k=2).item() for _ in range(200)}
    assert draws == {1, 3}  # only the two best ever come out
