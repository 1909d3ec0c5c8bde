"""Causal self-attention for plain and packed batches.

``seq_ids`` (B, T) marks which conversation each position belongs to in a packed row; attention then
stays inside each conversation (block-diagonal causal). Without it, plain causal attention.
q: (B, H, T, D); k, v: (B, Hkv, T, D) with H a multiple of Hkv (grouped-query attention: query head h
reads key/value head h // (H // Hkv)).

Two paths compute the same function:
- reference (CPU): scaled_dot_product_attention with a dense (B, T, T) boolean mask;
- fast (CUDA): FlexAttention with a block mask built from ``seq_ids``. Blocks of 128x128 positions that
  lie wholly outside every conversation are skipped, so a row of short conversations costs far less than
  full causal attention, and no (T, T) mask is ever materialised.
``document_mask(seq_ids)`` picks the path: it is called once per forward, OUTSIDE any compiled region,
and returns either ``seq_ids`` (reference path) or a ``BlockMask`` that every layer shares. Building the
block mask inside torch.compile gave wrong outputs on an H100 with torch 2.11 at T=2048 (relative error
0.70; built outside: 3e-7; benchmarks/attention_check.py), so it is never built there.
Plain causal attention always goes through SDPA (flash kernel on GPU).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

try:
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
except ImportError:  # torch without FlexAttention: the reference path serves everything
    create_block_mask = flex_attention = None


_compiled_flex = None


def document_mask(seq_ids: torch.Tensor | None):
    """What ``attend`` takes for a packed batch: a FlexAttention block mask on CUDA, else ``seq_ids``."""
    if seq_ids is None or not seq_ids.is_cuda or create_block_mask is None:
        return seq_ids
    B, T = seq_ids.shape

    def same_doc_causal(b, h, q_idx, kv_idx):
        return (q_idx >= kv_idx) & (seq_ids[b, q_idx] == seq_ids[b, kv_idx])

    return create_block_mask(same_doc_causal, B, None, T, T, device=seq_ids.device, _compile=True)


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask=None) -> torch.Tensor:
    """``mask``: None (plain causal), ``seq_ids`` (B, T) or the BlockMask ``document_mask`` made of them."""
    gqa = q.size(1) != k.size(1)
    if mask is None:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=gqa)
    if isinstance(mask, torch.Tensor):
        return dense_attend(q, k, v, mask)
    return flex_attend(q, k, v, mask)


def dense_attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, seq_ids: torch.Tensor) -> torch.Tensor:
    T = q.size(2)
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    same_doc = seq_ids[:, :, None] == seq_ids[:, None, :]  # (B, T, T)
    mask = (same_doc & causal)[:, None]  # broadcast over heads
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=q.size(1) != k.size(1))


def flex_attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, block_mask) -> torch.Tensor:
    global _compiled_flex
    if torch.is_autocast_enabled(q.device.type):  # as SDPA does under autocast: one low-precision dtype
        dt = torch.get_autocast_dtype(q.device.type)
        q, k, v = q.to(dt), k.to(dt), v.to(dt)
    gqa = q.size(1) != k.size(1)
    if torch.compiler.is_compiling():  # inside a compiled block: inductor fuses it into the block
        return flex_attention(q, k, v, block_mask=block_mask, enable_gqa=gqa)
    if _compiled_flex is None:  # eager callers: FlexAttention is only fast (and lean) compiled
        _compiled_flex = torch.compile(flex_attention, dynamic=False)
    return _compiled_flex(q, k, v, block_mask=block_mask, enable_gqa=gqa)
