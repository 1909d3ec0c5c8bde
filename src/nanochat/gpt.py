"""The nanochat v1 GPT (the architecture of the released d32/d34 checkpoints), with a chunked loss and
packed-row support.

v1 facts, each checked against the reference logits in tests/nanochat:
- untied token embedding and lm_head, no biases anywhere, vocab padded up to a multiple of 64 (padding
  logits are sliced off);
- RMSNorm without weights, eps = machine epsilon of the dtype (F.rms_norm's default);
- x = norm(wte(idx)); each block: x += attn(norm(x)); x += mlp(norm(x)); then norm(x) -> lm_head;
- attention: RoPE (base 10000, first half/second half rotation, cos/sin rounded to bfloat16), then QK-norm,
  causal softmax attention with scale 1/sqrt(head_dim); grouped-query heads (query head h reads kv head
  h // (n_head // n_kv_head));
- MLP: 4x width, ReLU squared;
- logits soft-capped at 15 with tanh, computed in float32.

``seq_ids`` (B, T) marks the conversations packed in a row: attention stays inside each one and RoPE
positions restart at 0 at each conversation start, so a packed conversation sees exactly what it would
see alone in a row (the reference trains one conversation per row, positions from 0).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from nanochat.attention import attend, document_mask

SOFTCAP = 15.0
ROPE_BASE = 10000
VOCAB_MULTIPLE = 64  # the reference pads the embedding and lm_head rows to this multiple
IGNORE_INDEX = -1
# fp32 logits budget per loss chunk (elements): 2**26 floats = 256 MiB, whatever the vocabulary
LOSS_CHUNK_ELEMENTS = 2**26


@dataclass
class GPTConfig:
    sequence_len: int = 1024
    vocab_size: int = 50304
    n_layer: int = 12
    n_head: int = 6  # query heads
    n_kv_head: int = 6  # key/value heads (GQA when fewer than n_head)
    n_embd: int = 768

    def __post_init__(self):
        assert self.n_embd % self.n_head == 0, f"n_embd {self.n_embd} not divisible by n_head {self.n_head}"
        assert self.n_kv_head <= self.n_head and self.n_head % self.n_kv_head == 0, (
            f"n_head {self.n_head} must be a multiple of n_kv_head {self.n_kv_head}"
        )
        assert (self.n_embd // self.n_head) % 2 == 0, "head_dim must be even for rotary embeddings"

    @property
    def head_dim(self) -> int:
        return self.n_embd // self.n_head

    @property
    def padded_vocab_size(self) -> int:
        return -(-self.vocab_size // VOCAB_MULTIPLE) * VOCAB_MULTIPLE

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def norm(x: torch.Tensor) -> torch.Tensor:
    # no learnable weight; eps=None means torch.finfo(x.dtype).eps, which is what the reference uses
    return F.rms_norm(x, (x.size(-1),))


def rotary_tables(seq_len: int, head_dim: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin of shape (seq_len, head_dim // 2), rounded to bfloat16 as the reference stores them."""
    channel = torch.arange(0, head_dim, 2, dtype=torch.float32, device=device)
    inv_freq = 1.0 / (ROPE_BASE ** (channel / head_dim))
    t = torch.arange(seq_len, dtype=torch.float32, device=device)
    freqs = torch.outer(t, inv_freq)
    return freqs.cos().bfloat16(), freqs.sin().bfloat16()


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: (B, T, H, D); cos/sin: (B or 1, T, 1, D/2). Rotates (first half, second half) pairs."""
    d = x.size(-1) // 2
    x1, x2 = x[..., :d], x[..., d:]
    y1 = x1 * cos + x2 * sin
    y2 = x1 * (-sin) + x2 * cos
    return torch.cat([y1, y2], dim=-1).to(x.dtype)


def positions_from_seq_ids(seq_ids: torch.Tensor) -> torch.Tensor:
    """(B, T) position of each token inside its own conversation: 0 at every change of seq_id."""
    B, T = seq_ids.shape
    index = torch.arange(T, device=seq_ids.device).expand(B, T)
    starts = torch.ones_like(seq_ids, dtype=torch.bool)
    starts[:, 1:] = seq_ids[:, 1:] != seq_ids[:, :-1]
    start_index = torch.where(starts, index, torch.zeros_like(index)).cummax(dim=1).values
    return index - start_index


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig, layer_idx: int):
        super().__init__()
        self.layer_idx = layer_idx
        self.n_head, self.n_kv_head, self.head_dim = config.n_head, config.n_kv_head, config.head_dim
        self.c_q = nn.Linear(config.n_embd, config.n_head * self.head_dim, bias=False)
        self.c_k = nn.Linear(config.n_embd, config.n_kv_head * self.head_dim, bias=False)
        self.c_v = nn.Linear(config.n_embd, config.n_kv_head * self.head_dim, bias=False)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=False)

    def forward(self, x, cos, sin, seq_ids=None, kv_cache=None):
        B, T, _ = x.shape
        q = self.c_q(x).view(B, T, self.n_head, self.head_dim)
        k = self.c_k(x).view(B, T, self.n_kv_head, self.head_dim)
        v = self.c_v(x).view(B, T, self.n_kv_head, self.head_dim)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        q, k = norm(q), norm(k)  # QK-norm comes after the rotation in v1
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # (B, H, T, D)
        if kv_cache is not None:
            y = kv_cache.attend(self.layer_idx, q, k, v)
        else:
            y = attend(q, k, v, seq_ids)
        return self.c_proj(y.transpose(1, 2).reshape(B, T, -1))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=False)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=False)

    def forward(self, x):
        return self.c_proj(F.relu(self.c_fc(x)).square())


class Block(nn.Module):
    def __init__(self, config: GPTConfig, layer_idx: int):
        super().__init__()
        self.attn = CausalSelfAttention(config, layer_idx)
        self.mlp = MLP(config)

    def forward(self, x, cos, sin, seq_ids=None, kv_cache=None):
        x = x + self.attn(norm(x), cos, sin, seq_ids, kv_cache)
        return x + self.mlp(norm(x))


class SoftcapCrossEntropy(torch.autograd.Function):
    """Cross-entropy of soft-capped logits, chunked over tokens: forward keeps only the per-token loss and
    backward recomputes each chunk's logits, so at most ``chunk`` x vocab fp32 logits exist at a time
    (the full (B*T, vocab) fp32 logits of a 65k vocab would be the largest tensor of a step)."""

    @staticmethod
    @torch.amp.custom_fwd(device_type="cuda")
    def forward(ctx, h, weight, targets, vocab_size: int, chunk: int):
        ctx.save_for_backward(h, weight, targets)
        ctx.vocab_size, ctx.chunk = vocab_size, chunk
        w = _lm_head_weight(weight, vocab_size)
        losses = torch.empty(h.size(0), dtype=torch.float32, device=h.device)
        chunk_loss = _on_device(_chunk_loss, h, chunk)
        for start in range(0, h.size(0), chunk):
            sl = slice(start, start + chunk)
            losses[sl] = chunk_loss(h[sl], w, targets[sl])
        return losses

    @staticmethod
    @torch.amp.custom_bwd(device_type="cuda")
    def backward(ctx, grad_losses):
        h, weight, targets = ctx.saved_tensors
        V = ctx.vocab_size
        w = _lm_head_weight(weight, V)
        grad_h = torch.empty_like(h)
        grad_w = torch.zeros(weight.shape, dtype=torch.float32, device=weight.device)
        chunk_grad = _on_device(_chunk_logit_grad, h, ctx.chunk)
        for start in range(0, h.size(0), ctx.chunk):
            sl = slice(start, start + ctx.chunk)
            grad = chunk_grad(h[sl], w, targets[sl], grad_losses[sl])
            grad_h[sl] = (grad @ w).to(h.dtype)
            grad_w[:V] += grad.t() @ h[sl].to(w.dtype)
        return grad_h, grad_w.to(weight.dtype), None, None, None


def _chunk_loss(h: torch.Tensor, w: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
    logits = _capped_logits(h, w)
    picked = logits.gather(1, tgt.clamp(min=0)[:, None])[:, 0]
    return torch.where(tgt != IGNORE_INDEX, torch.logsumexp(logits, dim=-1) - picked, 0.0)


def _chunk_logit_grad(h: torch.Tensor, w: torch.Tensor, tgt: torch.Tensor, grad_losses: torch.Tensor) -> torch.Tensor:
    """d(loss)/d(raw logits) of one chunk, in the matmul dtype."""
    capped = _capped_logits(h, w)
    scale = torch.where(tgt != IGNORE_INDEX, grad_losses, 0.0)
    grad = torch.softmax(capped, dim=-1)
    grad = grad.scatter_add(1, tgt.clamp(min=0)[:, None], -torch.ones_like(grad[:, :1]))
    # d(15 tanh(z/15))/dz = 1 - tanh^2 = 1 - (capped/15)^2
    grad = grad * (scale[:, None] * (1.0 - (capped / SOFTCAP).square()))
    return grad.to(w.dtype)


_COMPILED_CHUNKS: dict = {}


def _on_device(fn, like: torch.Tensor, chunk: int):
    """On CUDA, the compiled chunk function for full chunks: the soft-cap, log-sum-exp and gradient become
    one fused pass over each chunk's logits instead of a dozen eager passes (a large share of a step at a
    65k vocab). A shorter last chunk (inputs of varying length) runs eager, so no shape ever recompiles.
    Elsewhere the eager function (the reference numerics on CPU)."""
    if not like.is_cuda:
        return fn
    if fn not in _COMPILED_CHUNKS:
        _COMPILED_CHUNKS[fn] = torch.compile(fn, dynamic=False)
    compiled = _COMPILED_CHUNKS[fn]

    def run(h, *args):
        return compiled(h, *args) if h.size(0) == chunk else fn(h, *args)

    return run


def _lm_head_weight(weight: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """The unpadded lm_head rows in the dtype the matmul runs in (autocast's, e.g. bf16 on GPU), cast once
    per call rather than once per chunk."""
    device = weight.device.type
    dtype = torch.get_autocast_dtype(device) if torch.is_autocast_enabled(device) else weight.dtype
    return weight[:vocab_size].to(dtype)


def _capped_logits(h: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    logits = (h.to(w.dtype) @ w.t()).float()
    return SOFTCAP * torch.tanh(logits / SOFTCAP)


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Embedding(config.padded_vocab_size, config.n_embd),
                "h": nn.ModuleList([Block(config, i) for i in range(config.n_layer)]),
            }
        )
        self.lm_head = nn.Linear(config.n_embd, config.padded_vocab_size, bias=False)
        # the reference precomputes 10x the training length so generation can run past it
        self.rotary_seq_len = config.sequence_len * 10
        self.loss_chunk_tokens = max(64, LOSS_CHUNK_ELEMENTS // config.padded_vocab_size)
        self.init_rotary()

    def init_rotary(self, device=None) -> None:
        """(Re)build the rotary tables; needed after ``to_empty`` from the meta device. Not in state_dict."""
        device = torch.device(device) if device is not None else self.lm_head.weight.device
        if device.type == "meta":
            device = None
        cos, sin = rotary_tables(self.rotary_seq_len, self.config.head_dim, device=device)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    @torch.no_grad()
    def init_weights(self) -> None:
        """v1 initialisation: Gaussian embedding (std 1), linear layers std 1/sqrt(fan_in) * min(1,
        sqrt(fan_out/fan_in)), zero lm_head and zero output projections, so each block starts as identity."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                fan_out, fan_in = module.weight.shape
                std = 1.0 / math.sqrt(fan_in) * min(1.0, math.sqrt(fan_out / fan_in))
                nn.init.normal_(module.weight, mean=0.0, std=std)
            elif isinstance(module, nn.Embedding):
                nn.init.normal_(module.weight, mean=0.0, std=1.0)
        nn.init.zeros_(self.lm_head.weight)
        for block in self.transformer.h:
            nn.init.zeros_(block.mlp.c_proj.weight)
            nn.init.zeros_(block.attn.c_proj.weight)
        self.init_rotary()
        if self.lm_head.weight.device.type == "cuda":
            self.transformer.wte.to(dtype=torch.bfloat16)  # as v1: the embedding lives in bf16 on GPU

    def get_device(self) -> torch.device:
        return self.transformer.wte.weight.device

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def estimate_flops(self, seq_len: int | None = None) -> int:
        """Training FLOPs per token as nanochat counts them for MFU: 6 per non-embedding parameter (the
        embedding is a lookup) plus 12 * layers * heads * head_dim * seq_len for attention scores."""
        c = self.config
        t = seq_len if seq_len is not None else c.sequence_len
        non_embedding = self.num_params() - self.transformer.wte.weight.numel()
        return 6 * non_embedding + 12 * c.n_layer * c.n_head * c.head_dim * t

    def hidden(self, idx, seq_ids=None, kv_cache=None) -> torch.Tensor:
        """Final normed hidden states (B, T, n_embd), the input of lm_head."""
        B, T = idx.shape
        # the furthest position is known on the host: no device sync to check it
        furthest = T + (kv_cache.length if kv_cache is not None else 0)
        assert furthest <= self.rotary_seq_len, (
            f"position {furthest - 1} is beyond the rotary table ({self.rotary_seq_len} positions)"
        )
        if kv_cache is not None:
            positions = kv_cache.positions(T)
        elif seq_ids is not None:
            positions = positions_from_seq_ids(seq_ids)
        else:
            positions = None
        if positions is None:
            cos, sin = self.cos[None, :T, None], self.sin[None, :T, None]
        else:
            cos, sin = self.cos[positions][:, :, None], self.sin[positions][:, :, None]
        x = self.transformer.wte(idx)
        if not torch.is_autocast_enabled(x.device.type):
            # a bf16 embedding (released checkpoints kept as stored on GPU) feeding fp32 blocks; under
            # autocast the reference keeps x in bf16, and so do we
            x = x.to(self.lm_head.weight.dtype)
        x = norm(x)
        # built once here, outside any compiled block: a FlexAttention block mask on CUDA, else seq_ids
        mask = document_mask(seq_ids) if kv_cache is None else seq_ids
        for block in self.transformer.h:
            x = block(x, cos, sin, mask, kv_cache)
        return norm(x)

    def forward(self, idx, targets=None, loss_reduction="mean", seq_ids=None, kv_cache=None):
        """Logits (B, T, vocab) in float32 when ``targets`` is None, else the loss over targets != -1:
        ``mean`` (0.0, not NaN, when no target is trained), ``sum``, or ``none`` (B, T), 0 at ignored."""
        h = self.hidden(idx, seq_ids, kv_cache)
        if targets is None:
            return _capped_logits(h, _lm_head_weight(self.lm_head.weight, self.config.vocab_size))
        B, T = idx.shape
        losses = SoftcapCrossEntropy.apply(
            h.reshape(B * T, -1),
            self.lm_head.weight,
            targets.reshape(-1),
            self.config.vocab_size,
            self.loss_chunk_tokens,
        )
        if loss_reduction == "none":
            return losses.view(B, T)
        if loss_reduction == "sum":
            return losses.sum()
        assert loss_reduction == "mean", f"unknown loss_reduction {loss_reduction!r}"
        # a row of only user turns has no trained token: its mean is 0 (and its gradient zeros), not NaN
        return losses.sum() / (targets != IGNORE_INDEX).sum().clamp(min=1)

    @torch.inference_mode()
    def generate(
        self,
        tokens: list[int],
        max_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed: int = 42,
    ):
        """Naive generation (whole sequence re-run every step, no cache), one token id per step; never
        stops early. Same sampling as the reference model.generate."""
        assert isinstance(tokens, list), "tokens must be a list of ids"
        device = self.get_device()
        rng = None
        if temperature > 0:
            rng = torch.Generator(device=device)
            rng.manual_seed(seed)
        ids = torch.tensor([tokens], dtype=torch.long, device=device)
        for _ in range(max_tokens):
            logits = self.forward(ids)[:, -1, :]
            if top_k is not None:
                v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                logits[logits < v[:, [-1]]] = -float("inf")
            if temperature > 0:
                probs = F.softmax(logits / temperature, dim=-1)
                next_ids = torch.multinomial(probs, num_samples=1, generator=rng)
            else:
                next_ids = torch.argmax(logits, dim=-1, keepdim=True)
            ids = torch.cat((ids, next_ids), dim=1)
            yield next_ids.item()
