"""Automatic micro-batch sizing: find the most rows of ``seq_len`` that one forward+backward can take.

The trial runs the real model on full rows with the optimizer state already allocated, so what it
measures is what training will need. A size fits when the trial neither raises an out-of-memory error
nor peaks above ``budget_bytes * margin``; the margin leaves room for allocator fragmentation and for
the optimizer's own temporaries. The search measures 1 and 2 rows, tries the size the linear trend
predicts and the next one, then doubles until a size fails and bisects between the largest fit and the
smallest failure. Fit is assumed monotone in the size (memory grows with rows).

On CUDA the budget is the card's memory and the peak comes from the allocator; anywhere, a caller may
pass a smaller budget (tests do, on CPU, with the peak measured from the tensors autograd keeps).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

SAFETY_MARGIN = 0.90


@dataclass
class ProbeResult:
    rows: int
    budget_bytes: int | None
    trials: list[tuple[int, bool, int | None]] = field(default_factory=list)  # (rows, fits, peak bytes)

    def line(self) -> str:
        tried = ", ".join(f"{r}:{'ok' if ok else 'no'}" for r, ok, _ in self.trials)
        budget = f"{self.budget_bytes / 2**20:,.0f} MiB budget" if self.budget_bytes else "no budget"
        return f"micro-batch: {self.rows} rows (probed {tried}; {budget}, margin {SAFETY_MARGIN:.0%})"


def is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or "out of memory" in str(exc).lower()


def probe_rows(trial: Callable[[int], int | None], max_rows: int, budget_bytes: int | None = None,
               margin: float = SAFETY_MARGIN, on_fail: Callable[[], None] = lambda: None) -> ProbeResult:
    """Largest ``rows`` in [1, max_rows] for which ``trial(rows)`` fits.

    ``trial`` runs forward+backward on ``rows`` rows and returns the peak bytes it used (or None when it
    cannot tell, then only an OOM error means "does not fit"). ``on_fail`` frees memory after a failure.
    If even one row does not fit, raises RuntimeError with the measured numbers."""
    assert max_rows >= 1, "max_rows must be at least 1"
    result = ProbeResult(rows=0, budget_bytes=budget_bytes)
    limit = None if budget_bytes is None else int(budget_bytes * margin)

    def fits(rows: int) -> bool:
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

    good, bad = 0, max_rows + 1
    peaks: dict[int, int] = {}

    def record(rows: int) -> bool:
        nonlocal good, bad
        ok = fits(rows)
        if ok:
            good = max(good, rows)
            if result.trials[-1][2] is not None:
                peaks[rows] = result.trials[-1][2]
        else:
            bad = min(bad, rows)
        return ok

    # Memory grows linearly with rows, so two measured sizes predict the largest fit: try it and its
    # successor first (two trials, each a fresh compile on GPU, instead of a long doubling).
    if record(1) and max_rows >= 2 and record(2) and limit is not None and len(peaks) == 2:
        slope = peaks[2] - peaks[1]
        if slope > 0:
            guess = min(max_rows, max(2, int((limit - (peaks[1] - slope)) // slope)))
            if guess > 2 and record(guess) and guess < max_rows:
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
