"""Generation with a key/value cache, for one prompt sampled several times or many prompts at once.

Behaviour follows nanochat v1's Engine: a row stops after it emits ``<|assistant_end|>`` or ``<|bos|>``
(``generate`` yields that terminal token; ``generate_batch`` drops it), greedy at temperature 0,
otherwise softmax sampling (after top-k when given) from a generator seeded with ``seed``.
Prompts of different lengths are left-padded: each row's positions start at 0 at its first real token
and padding is never attended, so a row generates what it would generate alone.

Not carried over: v1's calculator tool (it evaluates the text between <|python_start|> and
<|python_end|> and forces the result in). Generated python tokens are returned as sampled, so every
mask entry is 1; the masks keep v1's shape for callers that read them.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F

from nanochat.gpt import GPT


class KVCache:
    """Per-layer keys/values of every row, filled left to right; rows share one length (left padding)."""

    def __init__(self, num_layers: int, pad: torch.Tensor, capacity: int):
        self.num_layers = num_layers
        self.pad = pad  # (B,) left-padding of each row
        self.capacity = capacity
        self.length = 0  # positions filled so far (including padding)
        self.k: torch.Tensor | None = None  # (L, B, Hkv, capacity, D)
        self.v: torch.Tensor | None = None

    def positions(self, T: int) -> torch.Tensor:
        """(B, T) rotary positions of the next T inputs: 0 at each row's first real token."""
        index = torch.arange(self.length, self.length + T, device=self.pad.device)
        return (index[None, :] - self.pad[:, None]).clamp(min=0)

    def _reserve(self, k: torch.Tensor, needed: int) -> None:
        if self.k is None:
            B, H, _, D = k.shape
            shape = (self.num_layers, B, H, max(self.capacity, needed), D)
            self.k = torch.zeros(shape, dtype=k.dtype, device=k.device)
            self.v = torch.zeros_like(self.k)
        elif needed > self.k.size(3):  # grow (doubling) when asked to go past the planned length
            extra = max(needed, 2 * self.k.size(3)) - self.k.size(3)
            self.k = F.pad(self.k, (0, 0, 0, extra))
            self.v = F.pad(self.v, (0, 0, 0, extra))

    def attend(self, layer: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Store this step's k, v for ``layer`` and attend q (B, H, T, D) over everything cached."""
        T = q.size(2)
        end = self.length + T
        self._reserve(k, end)
        self.k[layer, :, :, self.length : end] = k
        self.v[layer, :, :, self.length : end] = v
        keys, values = self.k[layer, :, :, :end], self.v[layer, :, :, :end]
        query_index = torch.arange(self.length, end, device=q.device)
        key_index = torch.arange(end, device=q.device)
        causal = key_index[None, :] <= query_index[:, None]  # (T, end)
        real = key_index[None, :] >= self.pad[:, None]  # (B, end): padding is never a key
        # a padding query would see no key at all (NaN); let it see itself, its output is never used
        own = key_index[None, :] == query_index[:, None]
        mask = (causal[None] & real[:, None]) | own[None]
        y = F.scaled_dot_product_attention(
            q, keys, values, attn_mask=mask[:, None], enable_gqa=q.size(1) != k.size(1)
        )
        if layer == self.num_layers - 1:
            self.length = end
        return y

    def repeat_rows(self, n: int) -> None:
        """Turn a cache of B rows into B * n (each row repeated n times), e.g. one prompt, n samples."""
        self.pad = self.pad.repeat_interleave(n)
        if self.k is not None:
            self.k = self.k.repeat_interleave(n, dim=1)
            self.v = self.v.repeat_interleave(n, dim=1)


@torch.inference_mode()
def sample_next_token(
    logits: torch.Tensor, rng: torch.Generator | None, temperature: float = 1.0, top_k: int | None = None
) -> torch.Tensor:
    """(B, vocab) -> (B, 1): argmax at temperature 0, else a sample (from the top k when given)."""
    assert temperature >= 0.0, "temperature must be non-negative"
    if temperature == 0.0:
        return torch.argmax(logits, dim=-1, keepdim=True)
    if top_k is not None and top_k > 0:
        values, index = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1)
        choice = torch.multinomial(F.softmax(values / temperature, dim=-1), num_samples=1, generator=rng)
        return index.gather(1, choice)
    return torch.multinomial(F.softmax(logits / temperature, dim=-1), num_samples=1, generator=rng)


class Engine:
    def __init__(self, model: GPT, tokenizer):
        self.model = model
        self.tokenizer = tokenizer
        self.stop_tokens = {tokenizer.encode_special("<|assistant_end|>"), tokenizer.get_bos_token_id()}

    @torch.inference_mode()
    def stream(
        self,
        prompts: list[list[int]],
        num_samples: int = 1,
        max_tokens: int | None = None,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed: int = 42,
    ) -> Iterator[tuple[list[int], list[int]]]:
        """Yield (token of each row, mask of each row) per step; rows are prompt-major (prompt i's samples
        are rows i*num_samples ... i*num_samples + num_samples - 1). Ends when every row has emitted a
        stop token or after ``max_tokens`` steps."""
        assert prompts and all(isinstance(p, list) and p for p in prompts), (
            "prompts must be non-empty id lists"
        )
        device = self.model.get_device()
        rng = torch.Generator(device=device)
        rng.manual_seed(seed)
        longest = max(len(p) for p in prompts)
        pad_id = prompts[0][0]  # any valid id: padded positions are masked out of attention
        ids = torch.tensor(
            [[pad_id] * (longest - len(p)) + p for p in prompts], dtype=torch.long, device=device
        )
        pad = torch.tensor([longest - len(p) for p in prompts], device=device)
        capacity = longest + (max_tokens if max_tokens is not None else self.model.config.sequence_len)
        cache = KVCache(self.model.config.n_layer, pad, capacity)
        # prefill each prompt once, then copy its cache into its samples' rows
        logits = self.model(ids, kv_cache=cache)[:, -1, :]
        cache.repeat_rows(num_samples)
        logits = logits.repeat_interleave(num_samples, dim=0)
        done = [False] * (len(prompts) * num_samples)
        generated = 0
        while (max_tokens is None or generated < max_tokens) and not all(done):
            tokens = sample_next_token(logits, rng, temperature, top_k)[:, 0].tolist()
            for row, token in enumerate(tokens):
                done[row] = done[row] or token in self.stop_tokens
            yield tokens, [1] * len(tokens)
            generated += 1
            column = torch.tensor(tokens, dtype=torch.long, device=device)[:, None]
            if (max_tokens is None or generated < max_tokens) and not all(done):
                logits = self.model(column, kv_cache=cache)[:, -1, :]

    def generate(
        self,
        tokens: list[int],
        num_samples: int = 1,
        max_tokens: int | None = None,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed: int = 42,
    ):
        """nanochat's Engine.generate: one prompt, ``num_samples`` rows, yields (token column, mask column)."""
        assert isinstance(tokens, list) and isinstance(tokens[0], int), "tokens must be a list of ids"
        yield from self.stream([tokens], num_samples, max_tokens, temperature, top_k, seed)

    def generate_batch(
        self, tokens: list[int], num_samples: int = 1, **kwargs
    ) -> tuple[list[list[int]], list[list[int]]]:
        """nanochat's Engine.generate_batch: prompt + generated tokens per sample (stop token excluded), and
        masks (0 for the prompt, 1 for sampled tokens)."""
        results = [list(tokens) for _ in range(num_samples)]
        masks = [[0] * len(tokens) for _ in range(num_samples)]
        for row, completion, mask in self._collect([tokens], num_samples, **kwargs):
            results[row] += completion
            masks[row] += mask
        return results, masks

    def complete(self, prompts: list[list[int]], **kwargs) -> list[list[int]]:
        """Completions (stop token excluded) of many prompts in one batch, e.g. for evaluation."""
        completions: list[list[int]] = [[] for _ in prompts]
        for row, completion, _ in self._collect(prompts, 1, **kwargs):
            completions[row] = completion
        return completions

    def _collect(self, prompts: list[list[int]], num_samples: int, **kwargs):
        rows = len(prompts) * num_samples
        completions: list[list[int]] = [[] for _ in range(rows)]
        masks: list[list[int]] = [[] for _ in range(rows)]
        finished = [False] * rows
        for tokens, token_masks in self.stream(prompts, num_samples, **kwargs):
            for row, (token, mask) in enumerate(zip(tokens, token_masks, strict=True)):
                if finished[row]:
                    continue
                if token in self.stop_tokens:
                    finished[row] = True
                else:
                    completions[row].append(token)
                    masks[row].append(mask)
        return [(row, completions[row], masks[row]) for row in range(rows)]
