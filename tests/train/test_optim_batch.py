"""Optimizer setup as nanochat v1 SFT uses it, and the micro-batch prober under a memory budget."""

from __future__ import annotations

import pytest
import torch

from nanochat.batch_size import SavedTensorGauge, probe_rows
from nanochat.optim import Muon, linear_decay, orthogonalize


def test_orthogonalize_gives_near_unit_singular_values():
    torch.manual_seed(0)
    for shape in [(64, 32), (32, 64), (48, 48)]:
        s = torch.linalg.svdvals(orthogonalize(torch.randn(*shape)).float())
        # nanochat's quintic iteration lands singular values roughly in [0.7, 1.2], not exactly 1
        assert s.min() > 0.5 and s.max() < 1.3, (shape, s.min(), s.max())


def test_muon_batches_same_shapes_and_matches_a_per_matrix_update():
    torch.manual_seed(0)
    ps = [torch.nn.Parameter(torch.randn(16, 8)) for _ in range(3)] + [torch.nn.Parameter(torch.randn(8, 8))]
    ref = [p.detach().clone() for p in ps]
    grads = [torch.randn_like(p) for p in ps]
    for p, g in zip(ps, grads, strict=True):
        p.grad = g.clone()
    Muon(ps, lr=0.1).step()
    for p, r, g in zip(ps, ref, grads, strict=True):
        # first step: buffer = (1-m) g; nesterov update = lerp(g, buf, m)
        buf = 0.05 * g
        upd = orthogonalize((g.lerp(buf, 0.95)).unsqueeze(0))[0].float()
        scale = max(1.0, p.shape[0] / p.shape[1]) ** 0.5
        assert torch.allclose(p.detach(), r - 0.1 * scale * upd, atol=1e-6)


def test_linear_decay_runs_from_one_to_zero():
    assert linear_decay(0, 10) == 1.0
    assert linear_decay(9, 10) == pytest.approx(0.1)
    assert linear_decay(10, 10) == 0.0


def mlp(width: int) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(32, width), torch.nn.ReLU(), torch.nn.Linear(width, 32))


def measured_trial(model: torch.nn.Module, calls: list[int]):
    """A real forward+backward on ``rows`` x 64 inputs; peak = parameters and gradients + the
    activations autograd saved, measured from the tensors."""
    static = 2 * sum(p.numel() * p.element_size() for p in model.parameters())

    def trial(rows: int) -> int:
        calls.append(rows)
        x = torch.randn(rows, 64, 32)
        with SavedTensorGauge() as g:
            loss = model(x).square().mean()
        loss.backward()
        model.zero_grad(set_to_none=True)
        return static + g.bytes

    return trial


def test_prober_finds_the_largest_fit_under_a_budget():
    model = mlp(256)
    calls: list[int] = []
    trial = measured_trial(model, calls)
    per = {r: trial(r) for r in (1, 2)}
    calls.clear()
    slope, static = per[2] - per[1], 2 * per[1] - per[2]
    budget = int((static + 37.5 * slope) / 0.9)  # under the 0.9 margin, 37 rows fit and 38 do not
    result = probe_rows(trial, max_rows=256, budget_bytes=budget)
    assert result.rows == 37
    assert all(p <= budget * 0.9 for r, ok, p in result.trials if ok)
    assert any(not ok for _, ok, _ in result.trials)
    assert len(calls) <= 12  # doubling then bisection, not a scan


def test_prober_respects_the_cap_and_treats_oom_as_no_fit():
    def trial(rows: int) -> int:
        if rows > 5:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return rows

    assert probe_rows(trial, max_rows=64).rows == 5
    assert probe_rows(lambda r: r, max_rows=6).rows == 6


def test_prober_reports_when_not_even_one_row_fits():
    with pytest.raises(RuntimeError, match="not even one row"):
        probe_rows(lambda r: 10**12, max_rows=8, budget_bytes=10**6)


def test_prober_does_not_swallow_other_errors():
    def trial(rows: int) -> int:
        raise RuntimeError("shape mismatch")

    with pytest.raises(RuntimeError, match="shape mismatch"):
        probe_rows(trial, max_rows=8)
