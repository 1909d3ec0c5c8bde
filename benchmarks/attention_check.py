"""Packed (document-masked) attention paths against a float64 manual reference, on the GPU.

    PYTHONPATH=src python3 benchmarks/attention_check.py

Prints the relative error of each path: SDPA with a dense mask (the CPU/eager path), FlexAttention with
the block mask built inside torch.compile (the training path) and built outside it, with and without
grouped-query heads, and the packed-vs-alone loss of a small GPT with compiled blocks under bf16 autocast.
"""

from __future__ import annotations

import json
import os
import sys

import torch
from torch.nn.attention.flex_attention import create_block_mask, flex_attention

from nanochat import attention as A


def manual(q, k, v, ids):
    q, k, v = q.double(), k.double(), v.double()
    rep = q.size(1) // k.size(1)
    k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
    T = q.size(2)
    mask = (ids[:, :, None] == ids[:, None, :]) & torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    s = (q @ k.transpose(-1, -2)) / q.size(-1) ** 0.5
    s = s.masked_fill(~mask[:, None], float("-inf"))
    return (s.softmax(-1) @ v).float()


def packed_qkv(device, B=2, H=8, Hkv=4, T=2048, D=128, docs_per_row=7):
    """Random q, k, v with grouped-query heads and rows of ``docs_per_row`` packed documents (seq ids)."""
    torch.manual_seed(0)
    q, k, v = (torch.randn(B, h, T, D, device=device) for h in (H, Hkv, Hkv))
    cuts = torch.sort(torch.randint(1, T, (B, docs_per_row - 1)), dim=1).values
    ids = torch.stack([torch.bucketize(torch.arange(T), c, right=True) for c in cuts]).int().to(device)
    return q, k, v, ids


def rel(a, b):
    return ((a.float() - b.float()).norm() / b.float().norm()).item()


def main() -> int:
    dev = torch.device("cuda")
    q, k, v, ids = packed_qkv(dev)
    B, T = q.size(0), q.size(2)
    ref = manual(q, k, v, ids)
    out = {}
    out["dense_sdpa_fp32"] = rel(A.dense_attend(q, k, v, ids), ref)
    ke, ve = k.repeat_interleave(2, 1), v.repeat_interleave(2, 1)
    out["dense_sdpa_fp32_nogqa"] = rel(A.dense_attend(q, ke, ve, ids), ref)
    compiled_attend = torch.compile(A.attend)
    mask = A.document_mask(ids)  # the training path: block mask built outside compile
    for name, dt in [("fp32", torch.float32), ("bf16", torch.bfloat16)]:
        try:
            out[f"flex_document_mask_eager_{name}"] = rel(A.attend(q.to(dt), k.to(dt), v.to(dt), mask), ref)
            out[f"flex_document_mask_in_compile_{name}"] = rel(compiled_attend(q.to(dt), k.to(dt), v.to(dt), mask), ref)
        except Exception as exc:
            out[f"flex_document_mask_{name}"] = f"{type(exc).__name__}: {exc}"[:300]
    def built_inside(a, b, c, i):  # the way that failed: block mask built inside the compiled region
        def same_doc_causal(bb, hh, qi, ki):
            return (qi >= ki) & (i[bb, qi] == i[bb, ki])
        bm = create_block_mask(same_doc_causal, B, None, T, T, device=dev)
        return flex_attention(a, b, c, block_mask=bm, enable_gqa=True)

    try:
        out["flex_mask_built_in_compile_fp32"] = rel(torch.compile(built_inside)(q, k, v, ids), ref)
    except Exception as exc:
        out["flex_mask_built_in_compile_fp32"] = f"{type(exc).__name__}: {exc}"[:300]
    try:
        def same_doc_causal(b, h, qi, ki):
            return (qi >= ki) & (ids[b, qi] == ids[b, ki])
        bm = create_block_mask(same_doc_causal, B, None, T, T, device=dev)
        cf = torch.compile(flex_attention)
        out["flex_outside_fp32"] = rel(cf(q, k, v, block_mask=bm, enable_gqa=True), ref)
        out["flex_outside_bf16"] = rel(cf(q.bfloat16(), k.bfloat16(), v.bfloat16(), block_mask=bm, enable_gqa=True), ref)
        out["flex_outside_fp32_nogqa"] = rel(cf(q, ke, ve, block_mask=bm), ref)
    except Exception as exc:
        out["flex_outside"] = f"{type(exc).__name__}: {exc}"[:300]
    # the training path end to end: packed vs alone, compiled blocks, bf16 autocast
    try:
        from nanochat.gpt import GPT, GPTConfig
        from nanochat.packing import Sample, collate, pack_rows
        from nanochat.sft import compile_blocks

        torch.manual_seed(0)
        m = GPT(GPTConfig(sequence_len=512, vocab_size=512, n_layer=2, n_head=2, n_kv_head=1, n_embd=256)).to(dev)
        m.init_weights()
        with torch.no_grad():
            for n_, p in m.named_parameters():
                if "c_proj" in n_ or "lm_head" in n_:
                    p.normal_(0, 0.05)
        g = torch.Generator().manual_seed(1)
        samples = [Sample(tuple(torch.randint(0, 512, (n,), generator=g).tolist()), (0,) * 10 + (1,) * (n - 10), i)
                   for i, n in enumerate([200, 90, 150, 60])]
        rows = pack_rows(samples, 512)
        x, y, sid = (t.to(dev) for t in collate(rows, 512))
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
            eager = m(x, y, loss_reduction="none", seq_ids=sid).float()
            compile_blocks(m)
            packed = m(x, y, loss_reduction="none", seq_ids=sid).float()
            alone = []
            for s in rows[0]:
                xs, ys, _ = (t.to(dev) for t in collate([[s]], s.positions))
                alone.append(m(xs, ys, loss_reduction="none").float().view(-1))
        n = sum(s.positions for s in rows[0])
        out["gpt_packed_compiled_vs_alone_maxabs"] = (packed.view(-1)[:n] - torch.cat(alone)).abs().max().item()
        out["gpt_packed_compiled_vs_eager_maxabs"] = (packed - eager).abs().max().item()
        out["gpt_loss_mean"] = packed.view(-1)[:n].mean().item()
    except Exception:
        import traceback
        out["gpt"] = traceback.format_exc()[-1500:]
    print(json.dumps(out, indent=1))
    if os.environ.get("OUT"):
        with open(os.path.join(os.environ["OUT"], "attention_check.json"), "w") as fh:
            json.dump(out, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
