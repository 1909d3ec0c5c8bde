"""Packing invariants: whole conversations, nothing lost, no overlap, policy counts."""

from __future__ import annotations

import random

import pytest
import torch

from nanochat.packing import (
    IGNORE,
    Sample,
    apply_length_policy,
    collate,
    epoch_rows,
    pack_rows,
    packing_efficiency,
    trained_targets,
)


def make(n: int, index: int, user: int = 3) -> Sample:
    return Sample(tuple(range(1, n + 1)), tuple([0] * min(user, n) + [1] * max(0, n - user)), index)


def random_samples(count: int, seed: int, max_len: int) -> list[Sample]:
    rng = random.Random(seed)
    return [make(rng.randint(5, max_len), i) for i in range(count)]


@pytest.mark.parametrize("seed", range(5))
def test_best_fit_keeps_every_conversation_whole_and_rows_within_capacity(seed):
    samples = random_samples(300, seed, 64)
    rows = pack_rows(samples, 256)
    placed = sorted(s.index for row in rows for s in row)
    assert placed == list(range(300))  # each conversation exactly once
    assert all(sum(s.positions for s in row) <= 256 for row in rows)
    # conversations much shorter than a row: best-fit decreasing is within one row of the volume bound
    volume = sum(s.positions for s in samples)
    assert len(rows) <= -(-volume // 256) + 1
    assert packing_efficiency(rows, 256) > 0.95


def test_epoch_plan_is_deterministic_per_seed_and_epoch_and_varies_between_epochs():
    samples = random_samples(200, 1, 40)
    a = [[s.index for s in row] for row in epoch_rows(samples, 64, seed=7, epoch=0)]
    b = [[s.index for s in row] for row in epoch_rows(samples, 64, seed=7, epoch=0)]
    c = [[s.index for s in row] for row in epoch_rows(samples, 64, seed=7, epoch=1)]
    assert a == b
    assert a != c


def test_collate_targets_mask_and_seq_ids():
    s1, s2 = make(5, 0, user=2), make(4, 1, user=1)
    x, y, ids = collate([[s1, s2]], 10, min_rows=2)
    assert x.shape == y.shape == ids.shape == (2, 10)
    assert x[0, :4].tolist() == [1, 2, 3, 4] and x[0, 4:7].tolist() == [1, 2, 3]
    # s1: targets 2..5, mask[1:] = [0,1,1,1]; s2: targets 2..4, mask[1:] = [1,1,1]
    assert y[0, :4].tolist() == [IGNORE, 3, 4, 5]
    assert y[0, 4:7].tolist() == [2, 3, 4]
    assert (y[0, 7:] == IGNORE).all() and (y[1] == IGNORE).all()  # empty tail, empty padding row
    assert ids[0].tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert trained_targets([[s1, s2]]) == int((y != IGNORE).sum())


def test_length_policy_drop_counts_and_keeps_the_rest():
    samples = [make(10, 0), make(30, 1), make(17, 2), make(18, 3)]
    kept, report = apply_length_policy(samples, 16, "drop")  # 17 tokens = 16 positions fit
    assert [s.index for s in kept] == [0, 2]
    assert report.dropped == [1, 3] and report.total == 4 and report.kept == 2
    assert any("LENGTH_OVER_DROPPED 2" in line for line in report.lines())


def test_length_policy_truncate_cuts_and_counts_tokens():
    samples = [make(30, 0), make(10, 1)]
    kept, report = apply_length_policy(samples, 16, "truncate")
    assert [len(s.ids) for s in kept] == [17, 10]
    assert report.truncated == [0] and report.tokens_cut == 13
    assert any("LENGTH_OVER_TRUNCATED 1" in line and "13 tokens cut" in line for line in report.lines())


def test_truncation_that_leaves_no_trained_token_drops_with_its_own_count():
    long_user = Sample(tuple(range(40)), tuple([0] * 30 + [1] * 10), 0)
    kept, report = apply_length_policy([long_user], 16, "truncate")
    assert kept == [] and report.no_target == [0]


def test_unknown_policy_is_refused():
    with pytest.raises(AssertionError, match="over-length"):
        apply_length_policy([make(5, 0)], 16, "wrap")


def test_collate_of_no_rows_is_one_all_ignored_row():
    x, y, ids = collate([], 8)
    assert x.shape == (1, 8) and bool((y == IGNORE).all())
    assert torch.equal(ids, torch.zeros(1, 8, dtype=torch.int32))
