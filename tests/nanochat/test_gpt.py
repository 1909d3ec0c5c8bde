"""Model behaviour beyond the reference values: chunked loss, packed rows, empty targets, init, FLOPs."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from nanochat.gpt import GPT, GPTConfig, positions_from_seq_ids


def random_model(n_head=4, n_kv_head=2, vocab_size=300, seed=0) -> GPT:
    torch.manual_seed(seed)
    model = GPT(
        GPTConfig(
            sequence_len=64, vocab_size=vocab_size, n_layer=2, n_head=n_head, n_kv_head=n_kv_head, n_embd=64
        )
    )
    model.init_weights()
    with torch.no_grad():  # init zeroes these; make outputs depend on every weight
        model.lm_head.weight.normal_(0, 0.3)
        for block in model.transformer.h:
            block.attn.c_proj.weight.normal_(0, 0.05)
            block.mlp.c_proj.weight.normal_(0, 0.05)
    return model


def test_chunked_loss_equals_full_logits_loss_and_gradients():
    model = random_model()
    model.loss_chunk_tokens = 7  # many chunks, the last one partial
    x = torch.randint(0, 300, (3, 40))
    y = torch.randint(0, 300, (3, 40))
    y[0, :10] = -1
    y[2] = -1
    loss = model(x, y)
    loss.backward()
    chunked = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    logits = model(x)
    reference = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1), ignore_index=-1)
    reference.backward()
    assert abs(loss.item() - reference.item()) < 1e-6
    for name, p in model.named_parameters():
        torch.testing.assert_close(chunked[name], p.grad, atol=1e-6, rtol=1e-5, msg=name)
    # padding rows of lm_head are never used by the loss
    assert chunked["lm_head.weight"][300:].abs().max() == 0
    with torch.no_grad():
        per_token = model(x, y, loss_reduction="none")
        assert per_token.shape == (3, 40) and per_token[2].abs().max() == 0
        assert abs(model(x, y, loss_reduction="sum").item() - per_token.sum().item()) < 1e-3


def test_no_trained_token_gives_zero_loss_and_zero_gradients():
    model = random_model()
    x = torch.randint(0, 300, (2, 16))
    loss = model(x, torch.full_like(x, -1))
    assert loss.item() == 0.0
    loss.backward()
    assert all(torch.isfinite(p.grad).all() and p.grad.abs().max() == 0 for p in model.parameters())


def test_positions_restart_at_each_conversation():
    seq_ids = torch.tensor([[0, 0, 0, 1, 1, 2, 2, 2, 2], [5, 5, 5, 5, 5, 5, 5, 5, 5]])
    assert positions_from_seq_ids(seq_ids).tolist() == [[0, 1, 2, 0, 1, 0, 1, 2, 3], list(range(9))]


@pytest.mark.parametrize("heads", [(4, 4), (4, 2), (4, 1)])
def test_packed_row_equals_each_conversation_alone(heads):
    model = random_model(*heads)
    lengths = [7, 12, 5]
    convs = [torch.randint(0, 300, (n,)) for n in lengths]
    targets = [torch.randint(0, 300, (n,)) for n in lengths]
    targets[1][:4] = -1
    row = torch.cat(convs)[None]
    seq_ids = torch.cat([torch.full((n,), i) for i, n in enumerate(lengths)])[None]
    with torch.no_grad():
        packed = model(row, seq_ids=seq_ids)[0]
        packed_loss = model(row, torch.cat(targets)[None], loss_reduction="none", seq_ids=seq_ids)[0]
        alone = torch.cat([model(c[None])[0] for c in convs])
        alone_loss = torch.cat(
            [model(c[None], t[None], loss_reduction="none")[0] for c, t in zip(convs, targets, strict=True)]
        )
        # without seq_ids the later conversations would see the earlier ones: the test can tell
        unpacked = model(row)[0]
    torch.testing.assert_close(packed, alone, atol=2e-5, rtol=0)
    torch.testing.assert_close(packed_loss, alone_loss, atol=2e-5, rtol=0)
    assert (unpacked[lengths[0] :] - alone[lengths[0] :]).abs().max() > 1e-3


def test_meta_device_build_then_init_weights():
    config = GPTConfig(sequence_len=32, vocab_size=1000, n_layer=3, n_head=4, n_kv_head=2, n_embd=64)
    with torch.device("meta"):
        model = GPT(config)
    model.to_empty(device="cpu")
    torch.manual_seed(1)
    model.init_weights()
    assert (
        model.lm_head.weight.abs().max() == 0 and model.transformer.h[0].attn.c_proj.weight.abs().max() == 0
    )
    assert 0.9 < model.transformer.wte.weight.std().item() < 1.1
    logits = model(torch.randint(0, 1000, (1, 8)))
    assert logits.shape == (1, 8, 1000) and logits.abs().max() == 0  # zero lm_head: uniform prediction
    assert torch.equal(model.cos[:4].float(), GPT(config).cos[:4].float())


def test_num_params_and_flops():
    config = GPTConfig(sequence_len=128, vocab_size=1000, n_layer=2, n_head=4, n_kv_head=2, n_embd=64)
    model = GPT(config)
    C, kv = 64, 2 * 16  # kv projection width: n_kv_head * head_dim
    per_layer = C * C + 2 * C * kv + C * C + 2 * 4 * C * C
    embeddings = 2 * 1024 * C  # wte and lm_head, padded vocab
    assert model.num_params() == 2 * per_layer + embeddings
    lm_head = 1024 * C
    assert model.estimate_flops() == 6 * (2 * per_layer + lm_head) + 12 * 2 * 4 * 16 * 128


def test_loss_never_keeps_full_logits_for_backward():
    """Autograd saves the hidden states and lm_head, not (tokens x vocab) logits or probabilities."""
    model = random_model(vocab_size=4000)
    model.loss_chunk_tokens = 16
    x = torch.randint(0, 4000, (8, 64))
    logits_numel = x.numel() * 4000
    saved: list[int] = []

    def keep(t):
        saved.append(t.numel())
        return t

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda t: t):
        loss = model(x, x)
    loss.backward()
    assert saved and max(saved) < logits_numel // 4  # the largest is lm_head.weight (4032 x 64)
    # the same model with full logits does keep them
    saved.clear()
    with torch.autograd.graph.saved_tensors_hooks(keep, lambda t: t):
        logits = model(x)
        F.cross_entropy(logits.view(-1, 4000), x.view(-1))
    assert max(saved) >= logits_numel
