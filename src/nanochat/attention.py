"""Causal self-attention for plain and packed batches.

``seq_ids`` (B, T) marks which conversation each position belongs to in a packed row; attention then
stays inside each conversation (block-diagonal causal). Without it, plain causal attention.
q: (B, H, T, D); k, v: (B, Hkv, T, D) with H a multiple of Hkv (grouped-query attention: query head h
reads key/value head h // (H // Hkv)).

Two paths compute the same function:
- reference (CPU, eager GPU): scaled_dot_product_attention with a dense (B, T, T) boolean mask;
- fast (CUDA, inside torch.compile): FlexAttention with a block mask built from ``seq_ids``. Blocks of
  128x128 positions that lie wholly outside every conversation are skipped, so a row of short
  conversations costs far less than full causal attention, and no (T, T) mask is ever materialised.
  FlexAttention is only fast when compiled (eager it falls back to a dense reference loop), hence the
  ``is_compiling`` switch.
Plain causal attention always goes through SDPA (flash kernel on GPU).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

try:
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
except ImportError:  # torch without FlexAttention: the reference path serves everything
    create_block_mask = flex_attention = None


def use_flex(q: torch.Tensor) -> bool:
    return flex_attention is not None and q.is_cuda and torch.compiler.is_compiling()


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, seq_ids: torch.Tensor | None = None) -> torch.Tensor:
    gqa = q.size(1) != k.size(1)
    if seq_ids is None:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=gqa)
    if use_flex(q):
        return flex_attend(q, k, v, seq_ids)
    return dense_attend(q, k, v, seq_ids)


def dense_attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, seq_ids: torch.Tensor) -> torch.Tensor:
    T = q.size(2)
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    same_doc = seq_ids[:, :, None] == seq_ids[:, None, :]  # (B, T, T)
    mask = (same_doc & causal)[:, None]  # broadcast over heads
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=q.size(1) != k.size(1))


def document_block_mask(seq_ids: torch.Tensor):
    """FlexAttention block mask: causal and within one conversation. Called under torch.compile, where
    the mask's block table is computed by a fused kernel (no (T, T) tensor)."""
    B, T = seq_ids.shape

    def same_doc_causal(b, h, q_idx, kv_idx):
        return (q_idx >= kv_idx) & (seq_ids[b, q_idx] == seq_ids[b, kv_idx])

    return create_block_mask(same_doc_causal, B, None, T, T, device=seq_ids.device)


def flex_attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, seq_ids: torch.Tensor) -> torch.Tensor:
    if torch.is_autocast_enabled(q.device.type):  # as SDPA does under autocast: one low-precision dtype
        dt = torch.get_autocast_dtype(q.device.type)
        q, k, v = q.to(dt), k.to(dt), v.to(dt)
    block_mask = document_block_mask(seq_ids)
    return flex_attention(q, k, v, block_mask=block_mask, enable_gqa=q.size(1) != k.size(1))
