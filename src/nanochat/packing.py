"""Packing whole conversations into fixed-length rows, with attention kept inside each conversation.

A conversation of n tokens fills n - 1 positions of a row (inputs ids[:-1], targets ids[1:]), so a row
of ``seq_len`` positions holds conversations of up to ``seq_len + 1`` tokens. Rows are filled best-fit
decreasing (each conversation, longest first, goes into the fullest row it still fits in), which leaves
a few positions empty only at the tail of some rows; nothing is padded to the longest conversation.
``seq_ids`` numbers the conversations inside a row so the model attends only within one conversation
and restarts positions at each one. Targets the loss must skip (user turns, special tokens, empty
tails) are -1.

Over-length conversations follow a stated policy (drop or truncate) and are counted before training.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field

import torch

IGNORE = -1  # target value the loss skips (nanochat's ignore_index)

CODES = {
    "LENGTH_OVER_DROPPED": "a conversation longer than the row was dropped (--over-length drop)",
    "LENGTH_OVER_TRUNCATED": "a conversation longer than the row was cut to fit (--over-length truncate)",
    "LENGTH_NO_TRAINED_TOKEN": "a conversation has no assistant token to train on (after truncation)",
}


@dataclass(frozen=True, slots=True)
class Sample:
    """One rendered conversation: token ids and the 0/1 mask of tokens the model learns to produce."""

    ids: tuple[int, ...]
    mask: tuple[int, ...]
    index: int  # position in the input file (0-based), for reports

    @property
    def positions(self) -> int:
        return len(self.ids) - 1


@dataclass
class LengthReport:
    """What the over-length policy did; printed before training starts."""

    policy: str
    seq_len: int
    total: int = 0
    kept: int = 0
    dropped: list[int] = field(default_factory=list)  # sample indices
    truncated: list[int] = field(default_factory=list)
    no_target: list[int] = field(default_factory=list)
    tokens_cut: int = 0

    def lines(self) -> list[str]:
        out = [
            f"length policy: --over-length {self.policy}, rows of {self.seq_len} positions "
            f"(conversations of up to {self.seq_len + 1} tokens fit)",
            f"  {self.total} conversations, {self.kept} kept",
        ]
        if self.dropped:
            out.append(f"  LENGTH_OVER_DROPPED {len(self.dropped)} conversations (first indices {self.dropped[:5]})")
        if self.truncated:
            out.append(
                f"  LENGTH_OVER_TRUNCATED {len(self.truncated)} conversations, {self.tokens_cut} tokens cut "
                f"(first indices {self.truncated[:5]})"
            )
        if self.no_target:
            out.append(f"  LENGTH_NO_TRAINED_TOKEN {len(self.no_target)} conversations dropped (first indices {self.no_target[:5]})")
        return out


def apply_length_policy(samples: list[Sample], seq_len: int, policy: str) -> tuple[list[Sample], LengthReport]:
    """Keep, cut or drop each sample so it fits one row; every sample is counted in the report."""
    assert policy in ("drop", "truncate"), f"unknown over-length policy {policy!r} (drop|truncate)"
    report = LengthReport(policy=policy, seq_len=seq_len, total=len(samples))
    kept: list[Sample] = []
    limit = seq_len + 1
    for s in samples:
        if len(s.ids) > limit:
            if policy == "drop":
                report.dropped.append(s.index)
                continue
            report.truncated.append(s.index)
            report.tokens_cut += len(s.ids) - limit
            s = Sample(s.ids[:limit], s.mask[:limit], s.index)
        # the first token is never a target, so a sample trains only if some later token is masked in
        if len(s.ids) < 2 or not any(s.mask[1:]):
            report.no_target.append(s.index)
            continue
        kept.append(s)
    report.kept = len(kept)
    return kept, report


def pack_rows(samples: list[Sample], seq_len: int) -> list[list[Sample]]:
    """Best-fit decreasing: every sample lands in the row with the least room left that still holds it.

    Input order breaks ties among equal lengths (the sort is stable), so shuffling the samples first
    gives a different packing per epoch. Returns rows as lists of samples."""
    rows: list[list[Sample]] = []
    free: list[tuple[int, int]] = []  # sorted (room left, row index)
    for s in sorted(samples, key=lambda s: -s.positions):
        n = s.positions
        assert 0 < n <= seq_len, f"sample {s.index} has {n} positions, row has {seq_len}: apply the length policy first"
        at = bisect.bisect_left(free, (n, -1))
        if at == len(free):
            rows.append([s])
            room, row = seq_len - n, len(rows) - 1
        else:
            room, row = free.pop(at)
            rows[row].append(s)
            room -= n
        if room > 0:
            bisect.insort(free, (room, row))
    return rows


def epoch_rows(samples: list[Sample], seq_len: int, seed: int, epoch: int) -> list[list[Sample]]:
    """The packed rows of one epoch, in training order: a deterministic function of (seed, epoch), so a
    resumed run and every DDP rank rebuild exactly the same plan."""
    rng = random.Random(f"{seed}:{epoch}")
    order = list(samples)
    rng.shuffle(order)
    rows = pack_rows(order, seq_len)
    rng.shuffle(rows)
    return rows


def packing_efficiency(rows: list[list[Sample]], seq_len: int) -> float:
    """Share of row positions holding a real token (1.0 = no empty position at all)."""
    if not rows:
        return 1.0
    return sum(s.positions for row in rows for s in row) / (len(rows) * seq_len)


def trained_targets(rows: list[list[Sample]]) -> int:
    """Number of target positions the loss counts in these rows."""
    return sum(sum(s.mask[1:]) for row in rows for s in row)


def collate(rows: list[list[Sample]], seq_len: int, min_rows: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Rows -> (inputs, targets, seq_ids), each (max(len(rows), min_rows), seq_len).

    The empty tail of a row gets its own seq id (so it attends to nothing real) and ignored targets.
    Rows past ``len(rows)`` are wholly empty: a micro-batch keeps one shape (no recompiles) at the end
    of an epoch, and a DDP rank with nothing left still runs a forward and backward that add zero."""
    B = max(len(rows), min_rows, 1)
    inputs = torch.zeros(B, seq_len, dtype=torch.long)
    targets = torch.full((B, seq_len), IGNORE, dtype=torch.long)
    seq_ids = torch.zeros(B, seq_len, dtype=torch.int32)
    for b, row in enumerate(rows):
        at = 0
        for k, s in enumerate(row):
            n = s.positions
            ids = torch.tensor(s.ids, dtype=torch.long)
            keep = torch.tensor(s.mask[1:], dtype=torch.bool)
            inputs[b, at : at + n] = ids[:-1]
            targets[b, at : at + n] = torch.where(keep, ids[1:], IGNORE)
            seq_ids[b, at : at + n] = k
            at += n
        seq_ids[b, at:] = len(row)
    return inputs, targets, seq_ids
