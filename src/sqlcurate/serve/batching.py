"""Continuous batching over nanochat's KV cache: requests join and leave one running batch.

One worker thread owns the model. Each step it decodes one token for every active row together; between
steps it admits waiting requests and drops finished or cancelled ones, so a new request never waits for
a long answer to end and a client that disconnects frees its row at the next step.

The cache is nanochat's ``KVCache`` (rows left-padded to one shared length; padding is never attended
and each row's positions start at 0 at its first real token). Joining rows are prefilled together,
left-padded to the batch's current length (the running rows get more left padding if a new prompt is
longer), and their keys/values are concatenated to the batch's; leading columns that every row pads are
trimmed when rows leave. Sampling is per row (its own temperature, top-k and seeded generator), with
``nanochat.engine.sample_next_token``, so a request's tokens do not depend on what else is in the batch.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from nanochat.engine import KVCache, sample_next_token


@dataclass(eq=False)
class Request:
    """One generation: its prompt ids and settings; ``emit`` receives each new token id, then ``None``."""

    prompt: list[int]
    max_tokens: int
    emit: Callable[[int | None], None]
    temperature: float = 0.0
    top_k: int | None = None
    seed: int = 42
    cancelled: threading.Event = field(default_factory=threading.Event)
    generated: int = 0
    rng: torch.Generator | None = None
    failure: str = ""  # set when the worker failed while this request was in the batch


class Batcher:
    """Runs requests on ``model`` in one continuously refilled batch of at most ``max_batch`` rows."""

    def __init__(self, model, stop_tokens: set[int], max_batch: int = 16):
        assert max_batch >= 1, f"max_batch must be >= 1, got {max_batch}"
        self.model = model
        self.stop_tokens = stop_tokens
        self.max_batch = max_batch
        self.device = model.get_device()
        self.waiting: queue.Queue[Request | None] = queue.Queue()
        self.steps = 0  # decode steps run (a statistic for /healthz and the benchmark)
        self.peak_rows = 0
        self._thread = threading.Thread(target=self._loop, name="sqlcurate-batcher", daemon=True)
        self._thread.start()

    def submit(self, request: Request) -> None:
        limit = self.model.config.sequence_len
        assert len(request.prompt) + request.max_tokens <= limit, "the caller bounds prompt + max_tokens"
        request.rng = torch.Generator(device=self.device)
        request.rng.manual_seed(request.seed)
        self.waiting.put(request)

    def close(self) -> None:
        self.waiting.put(None)
        self._thread.join(timeout=10)

    # --- the worker ---------------------------------------------------------------------------------

    def _loop(self) -> None:
        rows: list[Request] = []
        cache: KVCache | None = None
        logits: torch.Tensor | None = None
        while True:
            joining = self._take(block=not rows, room=self.max_batch - len(rows))
            if joining is None:
                for r in rows:
                    r.emit(None)
                return
            try:
                rows, cache, logits = self._step(rows, cache, logits, joining)
            except Exception as e:  # noqa: BLE001 - a failed step must not leave its requests waiting forever
                for r in rows + joining:
                    r.failure = f"{type(e).__name__}: {e}"
                    r.emit(None)
                rows, cache, logits = [], None, None

    def _step(self, rows, cache, logits, joining):
        """Admit ``joining``, decode one token for every row, drop the rows that are done."""
        joining = [r for r in joining if not self._drop_if_cancelled(r)]
        if joining:
            cache, logits = self._join(rows, cache, logits, joining)
            rows = rows + joining
            self.peak_rows = max(self.peak_rows, len(rows))
        if not rows:
            return rows, cache, logits
        tokens = self._sample(rows, logits)
        keep = []
        for i, (r, token) in enumerate(zip(rows, tokens, strict=True)):
            if r.cancelled.is_set():
                continue
            if token in self.stop_tokens:
                r.emit(None)
                continue
            r.generated += 1
            r.emit(token)
            if r.generated >= r.max_tokens:
                r.emit(None)
            else:
                keep.append(i)
        if len(keep) < len(rows):
            rows = [rows[i] for i in keep]
            if not rows:
                return [], None, None
            cache = _select_rows(cache, keep)
            tokens = [tokens[i] for i in keep]
        column = torch.tensor(tokens, dtype=torch.long, device=self.device)[:, None]
        with torch.inference_mode():
            logits = self.model(column, kv_cache=cache)[:, -1, :]
        self.steps += 1
        return rows, cache, logits

    @torch.inference_mode()
    def _sample(self, rows: list[Request], logits: torch.Tensor) -> list[int]:
        """One token per row: one argmax for all greedy rows (one device sync), a seeded sample for the rest."""
        tokens = logits.argmax(dim=-1).tolist()
        for i, r in enumerate(rows):
            if r.temperature > 0:
                tokens[i] = int(sample_next_token(logits[i:i + 1], r.rng, r.temperature, r.top_k)[0, 0])
        return tokens

    def _take(self, block: bool, room: int) -> list[Request] | None:
        """Waiting requests that fit (blocking for the first one when idle); None when closing."""
        taken: list[Request] = []
        try:
            while len(taken) < room:
                item = self.waiting.get(block=block and not taken)
                if item is None:
                    return None
                taken.append(item)
        except queue.Empty:
            pass
        return taken

    @staticmethod
    def _drop_if_cancelled(r: Request) -> bool:
        if r.cancelled.is_set():
            r.emit(None)
            return True
        return False

    @torch.inference_mode()
    def _join(self, rows, cache, logits, joining):
        """Prefill ``joining`` and merge it into the running batch's cache and last logits."""
        length = cache.length if cache is not None else 0
        width = max(length, *(len(r.prompt) for r in joining))
        if cache is not None and width > length:  # running rows get more left padding
            _grow_front(cache, width - length)
        pad = torch.tensor([width - len(r.prompt) for r in joining], device=self.device)
        ids = torch.tensor([[r.prompt[0]] * (width - len(r.prompt)) + r.prompt for r in joining],
                           dtype=torch.long, device=self.device)
        fresh = KVCache(self.model.config.n_layer, pad, width + max(r.max_tokens for r in joining))
        new_logits = self.model(ids, kv_cache=fresh)[:, -1, :]
        if cache is None:
            return fresh, new_logits
        return _concat(cache, fresh), torch.cat([logits, new_logits])


def _grow_front(cache: KVCache, extra: int) -> None:
    """Prepend ``extra`` padding columns to every row (positions are unchanged: they count from the pad)."""
    cache.k = F.pad(cache.k, (0, 0, extra, 0))
    cache.v = F.pad(cache.v, (0, 0, extra, 0))
    cache.pad = cache.pad + extra
    cache.length += extra


def _concat(a: KVCache, b: KVCache) -> KVCache:
    assert a.length == b.length, "rows join at the batch's current length"
    size = max(a.k.size(3), b.k.size(3))
    ka, va, kb, vb = (F.pad(t, (0, 0, 0, size - t.size(3))) for t in (a.k, a.v, b.k, b.v))
    merged = KVCache(a.num_layers, torch.cat([a.pad, b.pad]), size)
    merged.k, merged.v = torch.cat([ka, kb], dim=1), torch.cat([va, vb], dim=1)
    merged.length = a.length
    return merged


def _select_rows(cache: KVCache, keep: list[int]) -> KVCache:
    """The cache of the rows in ``keep``, without the leading columns that all of them pad."""
    index = torch.tensor(keep, device=cache.pad.device)
    pad = cache.pad.index_select(0, index)
    trim = int(pad.min())
    out = KVCache(cache.num_layers, pad - trim, cache.capacity)
    out.k = cache.k.index_select(1, index)[:, :, :, trim:]
    out.v = cache.v.index_select(1, index)[:, :, :, trim:]
    out.length = cache.length - trim
    return out
