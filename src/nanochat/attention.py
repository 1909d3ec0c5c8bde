"""Causal self-attention for plain and packed batches.

``seq_ids`` (B, T) marks which conversation each position belongs to in a packed row; attention then
stays inside each conversation (block-diagonal causal). Without it, plain causal attention.
q: (B, H, T, D); k, v: (B, Hkv, T, D) with H a multiple of Hkv (grouped-query attention: query head h
reads key/value head h // (H // Hkv)).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, seq_ids: torch.Tensor | None = None) -> torch.Tensor:
    gqa = q.size(1) != k.size(1)
    if seq_ids is None:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=gqa)
    T = q.size(2)
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    same_doc = seq_ids[:, :, None] == seq_ids[:, None, :]  # (B, T, T)
    mask = (same_doc & causal)[:, None]  # broadcast over heads
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=gqa)
