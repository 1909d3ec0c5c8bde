"""Automatic micro-batch sizing: find the most rows of ``seq_len`` that one forward+backward can take.

The trial runs the real model on full rows with the optimizer state already allocated, so what it
measures is what training will need. A size fits when the trial neither raises an out-of-memory error
nor peaks above ``budget_bytes * margin``; the margin leaves room for allocator fragmentation and for
the optimizer's own temporaries. The search measures 1 and 2 rows, tries the size the linear trend
predicts and the next one, then doubles until a size fails and bisects between the largest fit and the
smallest failure. Fit is assumed monotone in the size (memory grows with rows). Where every new size is
a fresh compile (CUDA: tens of seconds for a large model, whatever the size), ``cap_first`` tries the cap
itself before anything else: when the step is small (the SFT recipe's 32 conversations are about 8
rows) that one trial settles it, and its compile is the one the first training step reuses.

``ProbeCache`` keeps results per key (model shape, sequence length, card, torch version, ...) in a JSON
file; a cached size is still run once before it is trusted, and forgotten if that run does not fit.

On CUDA the budget is the card's memory and the peak comes from the allocator; anywhere, a caller may
pass a smaller budget (tests do, on CPU, with the peak measured from the tensors autograd keeps).
"""

from __future__ import annotations

import gc
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

SAFETY_MARGIN = 0.90


@dataclass
class ProbeResult:
    rows: int
    budget_bytes: int | None
    trials: list[tuple[int, bool, int | None]] = field(default_factory=list)  # (rows, fits, peak bytes)
    exact: bool = False  # a size just above ``rows`` was seen not to fit (else ``rows`` is the cap)
    cached: bool = False  # ``rows`` came from the cache (and its one trial fitted)

    def line(self) -> str:
        tried = ", ".join(f"{r}:{'ok' if ok else 'no'}" for r, ok, _ in self.trials)
        budget = f"{self.budget_bytes / 2**20:,.0f} MiB budget" if self.budget_bytes else "no budget"
        how = "cached, checked" if self.cached else "probed"
        return f"micro-batch: {self.rows} rows ({how} {tried}; {budget}, margin {SAFETY_MARGIN:.0%})"


def is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


def try_rows(trial: Callable[[int], int | None], rows: int, limit: int | None, result: ProbeResult,
             on_fail: Callable[[], None] = lambda: None) -> bool:
    """Run one trial; it fits when it neither runs out of memory nor peaks above ``limit`` bytes. The
    trial is appended to ``result.trials``."""
    peak: int | None = None
    try:
        peak = trial(rows)
        ok = limit is None or peak is None or peak <= limit
    except (torch.OutOfMemoryError, RuntimeError) as exc:
        if not is_oom(exc):
            raise
        ok = False
    if not ok:
        gc.collect()
        on_fail()
    result.trials.append((rows, ok, peak))
    return ok


def probe_rows(trial: Callable[[int], int | None], max_rows: int, budget_bytes: int | None = None,
               margin: float = SAFETY_MARGIN, on_fail: Callable[[], None] = lambda: None,
               cap_first: bool = False) -> ProbeResult:
    """Largest ``rows`` in [1, max_rows] for which ``trial(rows)`` fits.

    ``trial`` runs forward+backward on ``rows`` rows and returns the peak bytes it used (or None when it
    cannot tell, then only an OOM error means "does not fit"). ``on_fail`` frees memory after a failure.
    If even one row does not fit, raises RuntimeError with the measured numbers."""
    assert max_rows >= 1, "max_rows must be at least 1"
    result = ProbeResult(rows=0, budget_bytes=budget_bytes)
    limit = None if budget_bytes is None else int(budget_bytes * margin)

    good, bad = 0, max_rows + 1
    peaks: dict[int, int] = {}

    def record(rows: int) -> bool:
        nonlocal good, bad
        ok = try_rows(trial, rows, limit, result, on_fail)
        if ok:
            good = max(good, rows)
            if result.trials[-1][2] is not None:
                peaks[rows] = result.trials[-1][2]
        else:
            bad = min(bad, rows)
        return ok

    if cap_first and max_rows > 2 and record(max_rows):
        result.rows = max_rows
        return result
    # Memory grows linearly with rows, so two measured sizes predict the largest fit: try it and its
    # successor first (two trials, each a fresh compile on GPU, instead of a long doubling).
    if record(1) and max_rows >= 2 and record(2) and limit is not None and len(peaks) == 2:
        slope = peaks[2] - peaks[1]
        if slope > 0:
            guess = min(bad - 1, max(2, int((limit - (peaks[1] - slope)) // slope)))
            if guess > 2 and record(guess) and guess + 1 < bad:
                record(guess + 1)
    rows = good * 2
    while good and bad == max_rows + 1 and rows <= max_rows:  # grow: ... until a failure or the cap
        record(rows)
        rows = good * 2
    if good and bad == max_rows + 1 and good < max_rows:
        record(max_rows)  # doubling overshot the cap; the cap itself may fit
    while good and bad - good > 1:
        record((good + bad) // 2)
    if good == 0:
        detail = "; ".join(f"{r} rows: peak {p}" for r, _, p in result.trials)
        raise RuntimeError(f"not even one row of the sequence length fits in memory ({detail}); "
                           "lower --max-seq-len or use a GPU with more memory")
    result.rows = good
    result.exact = bad <= max_rows
    return result


class ProbeCache:
    """Probe results in a JSON file, one per key. An entry says how many rows fitted and whether that is
    the true limit (a larger size failed) or only the cap the probe was given."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @staticmethod
    def key(**parts) -> str:
        return json.dumps(parts, sort_keys=True, default=str)

    def _entries(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}  # no cache yet, or an unreadable one: probe afresh

    def rows_for(self, key: str, max_rows: int) -> int | None:
        """Rows known to fit under ``max_rows`` for ``key``, or None when only a probe can tell."""
        entry = self._entries().get(key)
        if not entry:
            return None
        if entry["exact"] or max_rows <= entry["rows"]:
            return min(max_rows, entry["rows"])
        return None

    def _write(self, entries: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entries, indent=1, sort_keys=True))
        os.replace(tmp, self.path)

    def store(self, key: str, result: ProbeResult) -> None:
        entries = self._entries()
        entries[key] = {"rows": result.rows, "exact": result.exact}
        self._write(entries)

    def forget(self, key: str) -> None:
        entries = self._entries()
        if entries.pop(key, None) is not None:
            self._write(entries)


def probe_rows_cached(trial: Callable[[int], int | None], max_rows: int, cache: ProbeCache, key: str,
                      budget_bytes: int | None = None, margin: float = SAFETY_MARGIN,
                      on_fail: Callable[[], None] = lambda: None, cap_first: bool = False) -> ProbeResult:
    """``probe_rows`` through ``cache``: a cached size costs one trial (the compile training reuses);
    if that trial does not fit (another card, less free memory), the entry is forgotten and the search
    runs in full. A fresh result is stored."""
    rows = cache.rows_for(key, max_rows)
    if rows is not None:
        checked = ProbeResult(rows=rows, budget_bytes=budget_bytes, cached=True)
        limit = None if budget_bytes is None else int(budget_bytes * margin)
        if try_rows(trial, rows, limit, checked, on_fail):
            return checked
        cache.forget(key)
    result = probe_rows(trial, max_rows=max_rows, budget_bytes=budget_bytes, margin=margin, on_fail=on_fail,
                        cap_first=cap_first)
    cache.store(key, result)
    return result


class SavedTensorGauge:
    """Peak bytes of the tensors autograd saves for backward during a forward pass (activation memory),
    measured on any device. Storages are counted once even when several saved tensors share one."""

    def __init__(self) -> None:
        self.bytes = 0
        self._seen: set[int] = set()

    def _pack(self, t: torch.Tensor):
        storage = t.untyped_storage()
        key = storage.data_ptr()
        if key not in self._seen:
            self._seen.add(key)
            self.bytes += storage.nbytes()
        return t

    def __enter__(self):
        self._ctx = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def state_bytes(model: torch.nn.Module, optimizer_states: list[dict]) -> int:
    """Bytes held between steps: parameters, their gradients and the optimizer's state tensors."""
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    opt = sum(t.numel() * t.element_size() for st in optimizer_states for s in st.values() for t in s.values()
              if isinstance(t, torch.Tensor))
    return 2 * params + opt
