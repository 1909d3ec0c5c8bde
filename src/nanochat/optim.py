"""Optimizers as nanochat v1 sets them up for SFT: Muon for the transformer's 2-D block matrices,
AdamW for the token embedding and the lm_head.

Facts carried over from nanochat v1 (scripts/chat_sft.py, gpt.py, muon.py): embedding lr 0.2, unembedding
lr 0.004, matrix lr 0.02, weight decay 0; AdamW betas (0.8, 0.95), eps 1e-10, its learning rates scaled by
(n_embd / 768) ** -0.5 because they were tuned at width 768; Muon momentum 0.95 with Nesterov, 5
Newton-Schulz steps, the update scaled by sqrt(max(1, rows / cols)); SFT starts at 0.02 of these rates
and decays linearly to 0.

Under DDP every rank holds the full, identical optimizer state: gradients are already averaged when
``step`` runs, and each rank applies the same update, so no state needs to travel.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

SFT_INIT_LR_FRAC = 0.02
EMBEDDING_LR = 0.2
UNEMBEDDING_LR = 0.004
MATRIX_LR = 0.02
ADAM_BETAS = (0.8, 0.95)
ADAM_EPS = 1e-10
MUON_MOMENTUM = 0.95
NS_STEPS = 5
NS_COEFFS = (3.4445, -4.7750, 2.0315)  # quintic Newton-Schulz iteration tuned for speed over exactness


def orthogonalize(G: torch.Tensor, steps: int = NS_STEPS, dtype: torch.dtype = torch.bfloat16) -> torch.Tensor:
    """Approximately replace G by U V^T of its SVD (the nearest semi-orthogonal matrix), computed in ``dtype``.

    Takes one matrix (rows, cols) or a batch of same-shape matrices (n, rows, cols); the batch runs as one
    chain of batched products. Each iteration is two ``baddbmm`` calls (A = X X^T, then b A + c A A, then
    a X + B X), the polynomial's other terms riding in the products' epilogue: no separate elementwise
    pass over X, and one rounding per product instead of three."""
    a, b, c = NS_COEFFS
    single = G.ndim == 2
    X = G.unsqueeze(0) if single else G
    tall = X.size(-2) > X.size(-1)
    # work on the wide orientation (X X^T is the smaller Gram matrix); cast and transpose in one copy
    X = (X.mT if tall else X).to(dtype, memory_format=torch.contiguous_format)
    X = X / (X.norm(dim=(-2, -1), keepdim=True) + 1e-7)  # spectral norm <= 1 so the iteration converges
    for _ in range(steps):
        A = X @ X.mT
        B = torch.baddbmm(A, A, A, beta=b, alpha=c)
        X = torch.baddbmm(X, B, X, beta=a)
    X = X.mT if tall else X
    return X[0] if single else X


def orthogonalize_reference(G: torch.Tensor, steps: int = NS_STEPS) -> torch.Tensor:
    """The iteration as this module first wrote it (bf16, each term a separate elementwise pass): the
    yardstick ``orthogonalize`` is checked and timed against."""
    a, b, c = NS_COEFFS
    X = G.bfloat16()
    tall = G.size(-2) > G.size(-1)
    if tall:
        X = X.mT
    X = X / (X.norm(dim=(-2, -1), keepdim=True) + 1e-7)
    for _ in range(steps):
        A = X @ X.mT
        B = b * A + c * A @ A
        X = a * X + B @ X
    return X.mT if tall else X


def nesterov_momentum(grads: torch.Tensor, bufs: torch.Tensor, momentum: float, nesterov: bool) -> torch.Tensor:
    """Update the momentum ``bufs`` in place with ``grads`` and return the direction to orthogonalize
    (``grads`` is overwritten with it when ``nesterov``)."""
    bufs.lerp_(grads, 1 - momentum)
    return grads.lerp_(bufs, momentum) if nesterov else bufs


class Muon(torch.optim.Optimizer):
    """Momentum, then orthogonalized update, for 2-D weights.

    One parameter group per matrix shape. Each group's momentum buffers live in one stacked
    (n, rows, cols) tensor and each parameter's state holds a view of its slice, so the step stacks only
    the gradients: one momentum pass, one batched Newton-Schulz chain and one update per shape, with no
    copy back and no host synchronisation. The optimizer state (and so a checkpoint) stays one
    ``momentum_buffer`` per parameter; after ``load_state_dict`` the buffers are stacked again."""

    def __init__(self, params, lr: float = MATRIX_LR, momentum: float = MUON_MOMENTUM, nesterov: bool = True):
        params = list(params)
        assert all(p.ndim == 2 for p in params), "Muon takes 2-D matrices only"
        shapes = sorted({tuple(p.shape) for p in params})
        groups = [{"params": [p for p in params if tuple(p.shape) == s]} for s in shapes]
        super().__init__(groups, dict(lr=lr, momentum=momentum, nesterov=nesterov))
        self._stacks: dict[int, tuple[torch.Tensor, list[torch.Tensor]]] = {}

    def init_state(self) -> None:
        """Allocate the momentum buffers now (zeros, as the first step would), so memory probing sees them."""
        for index in range(len(self.param_groups)):
            self._momentum_stack(index)

    def _momentum_stack(self, index: int) -> torch.Tensor:
        """Group ``index``'s momentum as one stacked tensor whose slices are the parameters' state.

        Rebuilt (one copy) whenever a state entry is no longer its slice, e.g. after load_state_dict."""
        params = self.param_groups[index]["params"]
        stack, views = self._stacks.get(index, (None, []))
        if stack is not None and all(self.state[p].get("momentum_buffer") is v for p, v in zip(params, views, strict=True)):
            return stack
        bufs = [self.state[p].get("momentum_buffer") for p in params]
        stack = torch.stack([torch.zeros_like(p) if b is None else b for p, b in zip(params, bufs, strict=True)])
        views = list(stack.unbind(0))
        for p, v in zip(params, views, strict=True):
            self.state[p]["momentum_buffer"] = v
        self._stacks[index] = (stack, views)
        return stack

    @torch.no_grad()
    def step(self, closure=None):
        for index, group in enumerate(self.param_groups):
            params = group["params"]
            live = [i for i, p in enumerate(params) if p.grad is not None]
            if not live:
                continue
            stack = self._momentum_stack(index)
            everyone = len(live) == len(params)
            # a matrix without a gradient keeps its weight and its momentum, as torch's optimizers do
            bufs = stack if everyone else stack[live]
            direction = nesterov_momentum(torch.stack([params[i].grad for i in live]), bufs,
                                          group["momentum"], group["nesterov"])
            if not everyone:
                stack[live] = bufs
            update = orthogonalize(direction)
            rows, cols = params[0].shape
            scale = max(1.0, rows / cols) ** 0.5
            torch._foreach_add_([params[i] for i in live], list(update.unbind(0)), alpha=-group["lr"] * scale)


class ReferenceMuon(Muon):
    """Muon's step as this module first wrote it (stack momentum and gradients per shape, separate
    elementwise passes, copy the momentum back, update matrix by matrix): the yardstick the fast step is
    tested and benchmarked against. Same state layout as ``Muon``, so either can resume the other."""

    @torch.no_grad()
    def step(self, closure=None):
        self.init_state()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = torch.stack([p.grad for p in params])
            bufs = torch.stack([self.state[p]["momentum_buffer"] for p in params])
            update = orthogonalize_reference(nesterov_momentum(grads, bufs, group["momentum"], group["nesterov"]))
            rows, cols = params[0].shape
            scale = max(1.0, rows / cols) ** 0.5
            for i, p in enumerate(params):
                self.state[p]["momentum_buffer"].copy_(bufs[i])
                p.add_(update[i].to(p.dtype), alpha=-group["lr"] * scale)


def init_adamw_state(opt: torch.optim.AdamW) -> None:
    """Allocate AdamW's moments now, exactly as its first step would (zeros, step 0)."""
    for group in opt.param_groups:
        for p in group["params"]:
            st = opt.state[p]
            if len(st) == 0:
                fused_or_capturable = group.get("fused") or group.get("capturable")
                st["step"] = torch.zeros((), dtype=torch.float32, device=p.device if fused_or_capturable else "cpu")
                st["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                st["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)


@dataclass
class Optimizers:
    adamw: torch.optim.AdamW
    muon: Muon

    @property
    def all(self) -> list[torch.optim.Optimizer]:
        return [self.adamw, self.muon]

    def init_state(self) -> None:
        init_adamw_state(self.adamw)
        self.muon.init_state()

    def set_lr_multiplier(self, lrm: float) -> None:
        for opt in self.all:
            for group in opt.param_groups:
                group["lr"] = group["initial_lr"] * lrm

    def step(self) -> None:
        for opt in self.all:
            opt.step()

    def zero_grad(self) -> None:
        for opt in self.all:
            opt.zero_grad(set_to_none=True)

    def state_dict(self) -> dict:
        return {"adamw": self.adamw.state_dict(), "muon": self.muon.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.adamw.load_state_dict(state["adamw"])
        self.muon.load_state_dict(state["muon"])


def setup_optimizers(model: torch.nn.Module, n_embd: int, init_lr_frac: float = SFT_INIT_LR_FRAC,
                     embedding_lr: float = EMBEDDING_LR, unembedding_lr: float = UNEMBEDDING_LR,
                     matrix_lr: float = MATRIX_LR) -> Optimizers:
    """Split the v1 GPT's parameters by role and build both optimizers at the SFT starting rates."""
    named = dict(model.named_parameters())
    embedding = [p for n, p in named.items() if n.endswith("wte.weight")]
    head = [p for n, p in named.items() if n.startswith("lm_head")]
    matrices = [p for n, p in named.items() if ".h." in f".{n}" or n.startswith("transformer.h.")]
    assert len(embedding) == 1 and len(head) == 1, f"expected one wte and one lm_head, got {sorted(named)[:4]}..."
    assert len(embedding) + len(head) + len(matrices) == len(named), "a parameter is neither embedding, head nor block matrix"
    width_scale = (n_embd / 768) ** -0.5
    use_fused = embedding[0].is_cuda
    adamw = torch.optim.AdamW(
        [
            {"params": head, "lr": unembedding_lr * width_scale},
            {"params": embedding, "lr": embedding_lr * width_scale},
        ],
        betas=ADAM_BETAS, eps=ADAM_EPS, weight_decay=0.0, fused=use_fused,
    )
    muon = Muon(matrices, lr=matrix_lr)
    opts = Optimizers(adamw, muon)
    for opt in opts.all:
        for group in opt.param_groups:
            group["lr"] = group["lr"] * init_lr_frac
            group["initial_lr"] = group["lr"]
    return opts


def linear_decay(step: int, total_steps: int) -> float:
    """LR multiplier for optimizer step ``step`` (0-based): 1 at the start, reaching 0 after the last."""
    return 1.0 - step / max(total_steps, 1)
